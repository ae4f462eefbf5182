"""OCPP 2.0.1 in the built-in central system, beside 1.6 on the same port and store.

The websocket subprotocol chooses (`server` hands an `ocpp2.0.1` connection to
`v201.session.ChargingStationSession`). One module per concept, as for 1.6: `records` (the
facts), `meter_values`, `rules`, `transactions` and `passwords` (the logic), `store` (the
2.0.1 tables, whose DDL is `schema`), `session` (thin handlers) and `actions` (what the CSMS
may send). This package imports nothing at import time, so that `central_system.store` may
import `schema`.
"""

__all__: list[str] = []
