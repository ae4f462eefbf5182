"""chargenet's built-in OCPP 1.6J and 2.0.1 central system (CSMS).

A websockets server (`server`) runs one `session.ChargePointSession` per charge point: thin
`@on` handlers that call plain functions (`charge_points`, `transactions`, `data_transfer`)
built on pure policies (`authorization`, `registration`) and a SQLite `store` that commits
before every reply. `operator_api` serves central-system-initiated calls over HTTP; `cli` is
`python -m central_system serve|call`. Shares only `ocppj` with the simulator, never imports it.
See docs/central_system.md.
"""
