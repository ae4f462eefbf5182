"""The wire side of the simulated charge points: one OCPP-J client per model port.

`client.OcppClient` (connection, offline queue, boot; version-neutral), `v16.ChargePointV16`
(the 1.6 mapping and handlers), `transport` (URL, subprotocol, auth, TLS, back-off),
`configuration`, `clock`, `message_log`, `builtin_csms`, and `store_reader` (records rebuilt
from the built-in central system's SQLite store, for `chargenet report`). The driver that runs
them in lockstep with the model is `simulator.driver`. See docs/ocpp.md.
"""
