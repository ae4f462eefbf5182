"""The OCPP engine: the model run in lockstep with one OCPP-J client per model port.

- `engine`: `run_ocpp` / `run_ocpp_async` and their `OcppRunOptions` (the entry points).
- `lockstep.Lockstep`: the loop where virtual time meets the event loop, and the `Station`
  the clients call back into; its pieces: `model_adapter.ModelAdapter` (the only module that
  touches the model's `Simulation`), `heartbeats.HeartbeatSchedule` (heartbeats in virtual
  time), `backlog.Backlog` (unanswered messages and their lag), `pacing.Pacer` (--pace).
- The wire: `client.OcppClient` (connection, offline queue, boot; version-neutral),
  `v16.ChargePointV16` (the 1.6 mapping and handlers), `v201.ChargingStationV201` (the
  2.0.1 mapping and handlers) with its `device_model.DeviceModel`, `transport` (URL,
  subprotocol, auth, TLS, back-off), `configuration`, `clock`, `message_log`, `wire_stats`,
  `builtin_csms`, and `store_reader` (records rebuilt from the built-in central system's
  SQLite store, for `chargenet report`).

See docs/ocpp.md.
"""
