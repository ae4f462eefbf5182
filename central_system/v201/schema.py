"""The 2.0.1 tables of the central system's store (documented in docs/central_system.md).

They sit beside the 1.6 tables in the same SQLite file; charge points, heartbeats, id tags,
security events and data transfers are shared with 1.6. Every statement is CREATE ... IF NOT
EXISTS, so a store of an earlier schema version gains them when it is opened (no 1.6 row is
touched). A 2.0.1 transaction is keyed by the station's own transactionId (a string).
"""

from __future__ import annotations

from typing import Final

__all__ = ["SCHEMA_201"]

SCHEMA_201: Final = """
CREATE TABLE IF NOT EXISTS transactions_201 (
    charge_point_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    evse_id INTEGER,
    connector_id INTEGER,
    id_token TEXT,
    id_token_type TEXT,
    id_token_status TEXT,
    remote_start_id INTEGER,
    charging_state TEXT,
    started_at TEXT,
    start_trigger_reason TEXT,
    first_event_at TEXT NOT NULL,
    last_event_at TEXT NOT NULL,
    ended_at TEXT,
    stopped_reason TEXT,
    end_trigger_reason TEXT,
    meter_start_wh REAL,
    meter_stop_wh REAL,
    last_seq_no INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    offline_events INTEGER NOT NULL DEFAULT 0,
    first_received_at TEXT NOT NULL,
    ended_received_at TEXT,
    PRIMARY KEY (charge_point_id, transaction_id)
);
CREATE TABLE IF NOT EXISTS transaction_events_201 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    trigger_reason TEXT NOT NULL,
    offline INTEGER NOT NULL,
    late INTEGER NOT NULL,
    evse_id INTEGER,
    connector_id INTEGER,
    id_token TEXT,
    id_token_type TEXT,
    charging_state TEXT,
    stopped_reason TEXT,
    remote_start_id INTEGER,
    number_of_phases_used INTEGER,
    cable_max_current INTEGER,
    reservation_id INTEGER,
    repeats INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    UNIQUE (charge_point_id, transaction_id, seq_no)
);
CREATE TABLE IF NOT EXISTS seq_no_gaps_201 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    first_missing_seq_no INTEGER NOT NULL,
    last_missing_seq_no INTEGER NOT NULL,
    detected_at TEXT NOT NULL,
    UNIQUE (charge_point_id, transaction_id, first_missing_seq_no)
);
CREATE TABLE IF NOT EXISTS meter_values_201 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    transaction_id TEXT,
    seq_no INTEGER,
    timestamp TEXT NOT NULL,
    value REAL NOT NULL,
    measurand TEXT NOT NULL,
    phase TEXT NOT NULL,
    location TEXT NOT NULL,
    context TEXT NOT NULL,
    unit TEXT NOT NULL,
    multiplier INTEGER NOT NULL,
    signed_meter_value TEXT,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS meter_values_201_once ON meter_values_201 (
    charge_point_id, evse_id, IFNULL(transaction_id, ''), timestamp, measurand, phase,
    location, context
);
CREATE INDEX IF NOT EXISTS meter_values_201_by_transaction
    ON meter_values_201 (charge_point_id, transaction_id, measurand, timestamp);
CREATE TABLE IF NOT EXISTS status_notifications_201 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    connector_status TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_notifications_201_by_connector
    ON status_notifications_201 (charge_point_id, evse_id, connector_id, id);
CREATE TABLE IF NOT EXISTS notify_reports_201 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    request_id INTEGER NOT NULL,
    seq_no INTEGER NOT NULL,
    generated_at TEXT NOT NULL,
    tbc INTEGER NOT NULL,
    items INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (charge_point_id, request_id, seq_no)
);
CREATE TABLE IF NOT EXISTS device_model_201 (
    charge_point_id TEXT NOT NULL,
    component_name TEXT NOT NULL,
    component_instance TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    variable_name TEXT NOT NULL,
    variable_instance TEXT NOT NULL,
    attribute_type TEXT NOT NULL,
    value TEXT,
    mutability TEXT,
    data_type TEXT,
    unit TEXT,
    request_id INTEGER NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (charge_point_id, component_name, component_instance, evse_id, connector_id,
        variable_name, variable_instance, attribute_type)
);
"""
