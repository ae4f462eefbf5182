"""`serve`'s security flags as real subprocesses: where passwords come from, TLS files."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from tests.central_system.certificates import client_context, issue, make_authority
from tests.central_system.conftest import raw_client, serve_process
from tests.central_system.test_handshake import basic


async def run_serve(tmp_path: Path, *arguments: str, **environment: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "central_system", "serve", "--port", "0", "--no-api",
        "--db", str(tmp_path / "csms.sqlite"), *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **environment},
    )  # fmt: skip
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_password_on_the_command_line_is_refused_in_one_line_that_says_where_to_put_it(
    tmp_path: Path,
) -> None:
    code, stdout, stderr = await run_serve(tmp_path, "--password", "hunter2")
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert "Traceback" not in stderr
    assert "--password-file" in stderr
    assert "CHARGENET_CSMS_PASSWORD" in stderr
    assert "hunter2" not in stderr


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (("--password-file", "missing.txt"), {}, "cannot read"),
        ((), {"CHARGENET_CSMS_PASSWORD": ""}, "CHARGENET_CSMS_PASSWORD is set but empty"),
        (("--tls-cert", "server.crt"), {}, "--tls-cert needs --tls-key"),
        (("--client-ca", "ca.crt"), {}, "--client-ca needs --tls-cert"),
        (("--tls-cert", "nope.crt", "--tls-key", "nope.key"), {}, "cannot load"),
    ],
    ids=["missing password file", "empty environment", "cert without key", "ca without cert",
         "missing certificate"],
)  # fmt: skip
async def test_unusable_security_settings_end_in_one_line_and_exit_2(
    tmp_path: Path, arguments: tuple[str, ...], environment: dict[str, str], message: str
) -> None:
    code, stdout, stderr = await run_serve(tmp_path, *arguments, **environment)
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert message in stderr
    assert "Traceback" not in stderr


async def password_required(ws_url: str, password: str) -> None:
    async with raw_client(ws_url, "CP1", additional_headers=basic("CP1", password)) as client:
        assert (await client.boot())["status"] == "Accepted"
    with pytest.raises(InvalidStatus) as refused:
        async with raw_client(ws_url, "CP1", additional_headers=basic("CP1", "wrong")):
            pass
    assert refused.value.response.status_code == 401


async def test_the_shared_password_comes_from_a_file_and_stays_out_of_the_process_list(
    tmp_path: Path,
) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text("from-a-file-0123\n")
    async with serve_process(
        tmp_path / "csms.sqlite", "--password-file", str(password_file)
    ) as server:
        await password_required(server.ws_url, "from-a-file-0123")
        command_line = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert b"from-a-file" not in command_line


async def test_the_shared_password_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARGENET_CSMS_PASSWORD", "from-the-environment")
    async with serve_process(tmp_path / "csms.sqlite") as server:
        await password_required(server.ws_url, "from-the-environment")


async def test_serve_with_tls_and_a_client_ca_runs_security_profile_3(tmp_path: Path) -> None:
    ca = make_authority(tmp_path, "ca")
    server_certificate = issue(ca, tmp_path, "127.0.0.1", server=True)
    client = issue(ca, tmp_path, "CP1")
    async with serve_process(
        tmp_path / "csms.sqlite",
        "--tls-cert", str(server_certificate.cert_file),
        "--tls-key", str(server_certificate.key_file),
        "--client-ca", str(ca.cert_file),
    ) as server:  # fmt: skip
        assert server.ws_url.startswith("wss://127.0.0.1:")
        context = client_context(ca.cert_file, client)
        async with raw_client(server.ws_url, "CP1", ssl=context) as charge_point:
            assert (await charge_point.boot())["status"] == "Accepted"
