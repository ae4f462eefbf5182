"""A load against the built-in central system (`python -m central_system serve`, a real process
on 127.0.0.1): every CALL answered, and the counts add up, here and in its SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulator.errors import UserError
from simulator.load import MessagePlan, run_load
from tests.check.helpers import PASSWORD, builtin_central_system
from tests.load.helpers import options


async def test_every_call_is_answered_and_the_counts_add_up(tmp_path: Path) -> None:
    plan = MessagePlan(
        heartbeat_interval_s=0.5,
        active_share=0.5,
        meter_interval_s=0.25,
        transaction_s=1.0,
        idle_between_s=0.25,
        connectors=2,
    )
    async with builtin_central_system(tmp_path, "--accept-unknown-tags") as url:
        result = await run_load(
            options(url, "0->10 over 1s, hold 3s", plan=plan, password=PASSWORD)
        )
    document = result.to_json()
    totals = document["totals"]
    assert result.stopped is None
    assert totals["callerrors"] == {}
    assert totals["timeouts"] == totals["lost"] == 0
    assert totals["calls"] == totals["answered"] > 0
    assert totals["connections"] == {
        "attempts": 10,
        "opened": 10,
        "failed": {},
        "reconnects": 0,
        "drops": 0,
        "peak_connected": 10,
    }
    actions = document["actions"]
    assert actions["BootNotification"]["answered"] == 10
    assert actions["StatusNotification"]["answered"] == 20
    assert actions["StartTransaction"]["answered"] >= 5
    for action in actions.values():
        assert action["count"] == action["answered"]
        assert 0 < action["p50_ms"] <= action["p99_ms"] <= action["max_ms"]
    assert sum(w["answered"] for w in document["windows"]) == totals["answered"]

    with sqlite3.connect(tmp_path / "csms.sqlite") as store:
        (booted,) = store.execute("SELECT count(*) FROM charge_points").fetchone()
        (started,) = store.execute("SELECT count(*) FROM transactions").fetchone()
        (stopped,) = store.execute(
            "SELECT count(*) FROM transactions WHERE stopped_at IS NOT NULL"
        ).fetchone()
        (statuses,) = store.execute("SELECT count(*) FROM status_notifications").fetchone()
    assert booted == 10
    assert started == actions["StartTransaction"]["answered"]
    assert stopped == actions["StopTransaction"]["answered"]
    assert statuses == actions["StatusNotification"]["answered"]


async def test_a_wrong_password_is_a_one_line_error_naming_http_401(tmp_path: Path) -> None:
    async with builtin_central_system(tmp_path) as url:
        with pytest.raises(UserError) as raised:
            await run_load(options(url, "boot-storm:3, hold 5s", password="not-it"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("charge point load-00000")
    assert "HTTP 401" in message
