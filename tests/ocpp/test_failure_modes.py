"""Every wait of a simulated charge point is bounded: against a hostile central system,
`chargenet run` ends by itself with one line naming the charge point, the message and the
cause, and exit code 2; a backend that is merely slow to start is waited for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulator import cli, runner
from simulator.ocpp.lockstep import Lockstep
from simulator.ocpp.transport import TransportConfig
from simulator.reports.summary import to_json
from tests.ocpp import hostile
from tests.ocpp.helpers import (
    Handler,
    answer_everything,
    charge_point,
    running,
    scripted_csms,
    small_world,
    wait_for,
    write_small_scenario,
)
from tests.ocpp.test_client import sample
from tests.ocpp.test_transport import closed_port

# small bounds so that each run gives up in seconds; a boot reply still has room on a
# loaded machine (it must come within --response-timeout for the line to be the expected one)
BOUNDS = ["--response-timeout", "5", "--call-attempts", "2", "--offline-limit", "3"]
CP = r"charge point [ns]-\d\d"  # the ports of the small scenario


async def give_up(tmp_path: Path, handler: Handler, *args: str) -> tuple[str, str]:
    """Run the small scenario against a scripted backend; (its URL, stderr) of a run that
    must end with exit code 2 and write nothing."""
    scenario = write_small_scenario(tmp_path)
    async with scripted_csms(handler) as csms:
        run = await hostile.chargenet_run(
            scenario, tmp_path / "out", "--csms", csms.url, *BOUNDS, *args
        )
    assert run.code == 2, run.stderr
    assert run.stdout == ""
    assert not (tmp_path / "out" / "summary.json").exists()
    return re.escape(csms.url), run.stderr


async def test_a_backend_that_never_answers_ends_the_run_after_the_call_attempts(
    tmp_path: Path,
) -> None:
    # no reply ever comes, so no load can make one late: 1 s per attempt, not BOUNDS' 5
    url, err = await give_up(tmp_path, hostile.never_answers, "--response-timeout", "1")
    assert re.fullmatch(
        rf"chargenet: {CP}: no reply to BootNotification within 1 s \(2 attempts\): "
        rf"the central system at {url} accepts the websocket and never answers\n",
        err,
    ), err


async def test_a_boot_answered_with_a_callerror_ends_the_run_after_the_offline_limit(
    tmp_path: Path,
) -> None:
    url, err = await give_up(tmp_path, hostile.refuses_the_boot)
    assert re.fullmatch(
        rf"chargenet: {CP}: BootNotification not accepted within 3 s \(1 attempt\): "
        rf'the central system at {url} answered CALLERROR InternalError \("refused"\)\n',
        err,
    ), err


async def test_a_boot_answered_with_an_invalid_payload_ends_the_run_after_the_offline_limit(
    tmp_path: Path,
) -> None:
    url, err = await give_up(tmp_path, hostile.answers_the_boot_with_garbage)
    assert re.fullmatch(
        rf"chargenet: {CP}: BootNotification not accepted within 3 s \(1 attempt\): "
        rf"the central system at {url} answered with an invalid payload "
        r"\(BootNotification response: payload must contain \['currentTime'\] properties\)\n",
        err,
    ), err


async def test_a_backend_silent_after_the_boot_ends_the_run_after_the_call_attempts(
    tmp_path: Path,
) -> None:
    url, err = await give_up(tmp_path, hostile.silent_after_the_boot)
    assert re.fullmatch(
        rf"chargenet: {CP}: no reply to StatusNotification within 5 s \(2 attempts\): "
        rf"the central system at {url} stopped answering\n",
        err,
    ), err


async def test_a_backend_refusing_everything_after_the_boot_ends_the_run_at_the_refusal_limit(
    tmp_path: Path,
) -> None:
    url, err = await give_up(
        tmp_path, hostile.refuses_everything_after_the_boot, "--refusal-limit", "4"
    )
    # the boot is followed by a StatusNotification per connector (0, 1, 2) and a heartbeat
    assert re.fullmatch(
        rf"chargenet: {CP}: (StatusNotification|Heartbeat|Authorize) refused "
        rf"\(4 messages in a row, none accepted\): "
        rf'the central system at {url} answered CALLERROR InternalError \("refused"\)\n',
        err,
    ), err


async def test_a_backend_closing_every_connection_before_answering_ends_the_run(
    tmp_path: Path,
) -> None:
    # every handshake succeeds, so the offline clock must not start over at each one
    url, err = await give_up(tmp_path, hostile.closes_before_answering)
    assert re.fullmatch(
        rf"chargenet: {CP}: BootNotification not delivered within 3 s \(\d+ attempts\): "
        rf"the central system at {url} closes the connection before answering\n",
        err,
    ), err


async def test_with_no_refusal_limit_a_backend_refusing_everything_ends_with_one_warning(
    tmp_path: Path,
) -> None:
    scenario = write_small_scenario(tmp_path, days=0.25)
    async with scripted_csms(hostile.refuses_everything_after_the_boot) as csms:
        run = await hostile.chargenet_run(
            scenario, tmp_path / "out", "--csms", csms.url, "--refusal-limit", "0"
        )
        refused = sum(1 for _, frame in csms.received if frame[0] == 2) - 5  # all but boots
    # hundreds of refusals, not a line each: one warning that the sessions were refused
    assert run.code == 0
    [line] = run.stderr.splitlines()
    assert re.fullmatch(
        r"chargenet: warning: the central system refused (\d+) of \1 sessions "
        r"\(refused messages: .*\): the results describe a network that turned its drivers away",
        line,
    ), line
    assert refused > 100
    assert (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("kind", ["nothing listens", "HTTP 401", "no subprotocol", "bad URL"])
async def test_a_definitive_refusal_at_start_up_ends_the_run_at_once(
    tmp_path: Path, kind: str
) -> None:
    scenario = write_small_scenario(tmp_path)

    async def run(url: str) -> str:
        # an offline limit far beyond the test's patience: only an at-once failure passes
        finished = await hostile.chargenet_run(
            scenario, tmp_path / "out", "--csms", url, "--offline-limit", "3600"
        )
        assert finished.code == 2
        return finished.stderr

    if kind == "nothing listens":
        url = f"ws://127.0.0.1:{closed_port()}"
        expected = f"cannot reach the central system at {re.escape(url)}: connection refused"
        err = await run(url)
    elif kind == "bad URL":
        url = f"http://127.0.0.1:{closed_port()}"
        expected = f"{re.escape(url)} is not a ws:// or wss:// URL"
        err = await run(url)
    else:
        async with hostile.refusing_handshakes(401 if kind == "HTTP 401" else None) as url:
            err = await run(url)
        where = f"the central system at {re.escape(url)}"
        expected = (
            rf"{where} refused the credentials of {CP} \(HTTP 401\)"
            if kind == "HTTP 401"
            else rf"{where} did not accept the subprotocol ocpp1\.6"
        )
    assert re.fullmatch(f"chargenet: {expected}\n", err), err


def summary_text(world: Any, records: Any) -> str:
    return to_json(runner.summarize_world(world, records))


@pytest.mark.parametrize(
    "failure",
    [{"failing": 1, "stall_s": 4.0}, {"failing": 2, "status": 503}],
    ids=["a handshake timing out", "HTTP 503"],
)
async def test_a_start_up_handshake_that_fails_for_a_while_is_retried_and_the_run_completes(
    tmp_path: Path, failure: dict[str, Any]
) -> None:
    world = small_world(tmp_path, days=0.25)
    async with hostile.flaky_handshakes(**failure) as backend:
        transport = TransportConfig(
            backend.url, open_timeout_s=3.0, backoff_initial_s=0.05, backoff_max_s=0.5
        )
        lockstep = Lockstep(world, transport)
        records = await lockstep.run()
    # (more only if a loaded machine let a good handshake time out too: retried as well)
    assert backend.handshakes >= len(world.ports) + failure["failing"]
    assert [client.connections for client in lockstep.clients] == [1] * len(world.ports)
    assert summary_text(world, records) == summary_text(world, runner.run_fast(world))


async def test_a_handshake_failing_past_the_offline_limit_at_start_up_names_the_boot() -> None:
    async with hostile.flaky_handshakes(1000, status=503) as backend:
        client, _ = charge_point(backend.url, offline_limit_s=0.5, backoff_initial_s=0.05)
        with pytest.raises(ExceptionGroup) as raised:
            async with running(client):
                await wait_for(lambda: False, "the end", timeout_s=20.0)
    [error] = raised.value.exceptions
    assert re.fullmatch(
        r"charge point cp-1: BootNotification not delivered within 0\.5 s \(\d+ attempts\): "
        rf"the central system at {re.escape(backend.url)} refused the handshake of charge "
        r"point cp-1 \(HTTP 503 Service Unavailable\)",
        str(error),
    ), str(error)


async def test_an_accepted_message_between_refusals_keeps_the_charge_point_going() -> None:
    meter_values = 0

    async def every_other_refused(number: int, frame: list[Any]) -> Any:
        nonlocal meter_values
        if frame[2] == "MeterValues":
            meter_values += 1
            if meter_values % 2:
                return ("error", "InternalError")
        return await answer_everything(number, frame)

    async with scripted_csms(every_other_refused) as csms:
        client, station = charge_point(csms.url, refusal_limit=2)
        async with running(client):
            await wait_for(lambda: station.ready_n == 1, "the boot")
            for i in range(10):
                client.submit(sample(60.0 * (i + 1)), None)
            await client.pump()
            await wait_for(lambda: station.backlog == 0, "every sample answered or refused")
    assert meter_values == 10  # five refused, none twice in a row: the run goes on


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "fast", "--refusal-limit", "3"], "--refusal-limit needs --engine ocpp"),
        (["--engine", "fast", "--offline-limit", "5"], "--offline-limit needs --engine ocpp"),
        (
            ["--call-attempts", "0"],
            "argument --call-attempts: must be positive: '0' (see chargenet --help)",
        ),
        (
            ["--refusal-limit", "-1"],
            "argument --refusal-limit: must not be negative: '-1' (see chargenet --help)",
        ),
    ],
)
def test_bounds_that_do_not_fit_end_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    scenario = write_small_scenario(tmp_path)
    try:
        code = cli.main(["run", str(scenario), "--out", str(tmp_path), *extra])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert (code, capsys.readouterr().err) == (2, f"chargenet: {message}\n")


def test_the_flags_name_the_defaults_of_the_transport_config() -> None:
    parser, _ = cli.build_parser()
    run = next(
        choice
        for action in parser._actions
        if action.choices and isinstance(action.choices, dict)
        for name, choice in action.choices.items()
        if name == "run"
    )
    helps = {action.dest: action.help or "" for action in run._actions}
    config = TransportConfig("")
    for dest, value in [
        ("response_timeout", config.response_timeout_s),
        ("call_attempts", config.call_attempts),
        ("offline_limit", config.offline_limit_s),
        ("refusal_limit", config.refusal_limit),
    ]:
        assert f"(default {value:g}" in helps[dest], dest
