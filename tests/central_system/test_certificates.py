"""SignCertificate: the test CA signs a CSR in the charge point's name and sends
CertificateSigned; anything else, or signing turned off, is Rejected. All stored."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from central_system.certificates import CertificateAuthority, CertificateSigning, SigningMode
from central_system.server import running
from tests.central_system import conftest
from tests.central_system.conftest import OCPP16_SUBPROTOCOL, REPLY_TIMEOUT_S, make_config
from tests.central_system.v201_station import StockStation, stock_station


def csr_pem(common_name: str, key: Any = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    request = (
        x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


class SecureChargePoint(ChargePoint):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chains: asyncio.Queue[str] = asyncio.Queue()

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain: str) -> call_result.CertificateSigned:
        self.chains.put_nowait(certificate_chain)
        return call_result.CertificateSigned(status="Accepted")


async def serve_quietly(charge_point: SecureChargePoint) -> None:
    with contextlib.suppress(ConnectionClosed):
        await charge_point.start()


async def test_a_csr_in_the_charge_points_name_is_signed_and_sent_back(
    tmp_path: Path, db_rows: Any
) -> None:
    async with running(make_config(tmp_path)) as central:
        url = f"{central.ws_url}/CP1"
        async with connect(url, subprotocols=[OCPP16_SUBPROTOCOL]) as ws:
            cp = SecureChargePoint("CP1", ws, response_timeout=REPLY_TIMEOUT_S)
            async with asyncio.TaskGroup() as tasks:
                serving = tasks.create_task(serve_quietly(cp))
                reply = await cp.call(call.SignCertificate(csr_pem("CP1")), suppress=False)
                chain = await asyncio.wait_for(cp.chains.get(), REPLY_TIMEOUT_S)
                async with asyncio.timeout(REPLY_TIMEOUT_S):
                    while db_rows("SELECT delivery_status FROM certificate_requests") != [
                        ("Accepted",)
                    ]:
                        await asyncio.sleep(0.01)
                serving.cancel()
    assert reply.status == "Accepted"
    leaf, ca = x509.load_pem_x509_certificates(chain.encode())
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP1"
    assert leaf.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    assert (tmp_path / "csms-ca.pem").read_bytes() == ca.public_bytes(serialization.Encoding.PEM)
    assert stat.S_IMODE((tmp_path / "csms-ca.key").stat().st_mode) == 0o600
    assert db_rows(
        "SELECT charge_point_id, status, certificate_chain FROM certificate_requests"
    ) == [("CP1", "Accepted", chain)]


@pytest.mark.parametrize(
    ("csr", "reason"),
    [
        (csr_pem("CP2"), "commonName"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "PEM"),
        (csr_pem("CP1", rsa.generate_private_key(65537, 1024)), "2048"),
    ],
    ids=["another charge point's name", "garbage", "weak RSA key"],
)
async def test_a_csr_not_fit_to_sign_is_rejected_with_its_reason_stored(
    tmp_path: Path, db_rows: Any, csr: str, reason: str
) -> None:
    central_system = running(make_config(tmp_path))
    async with central_system as central, conftest.raw_client(central.ws_url, "CP1") as client:
        reply = await client.call("SignCertificate", {"csr": csr})
        assert (await client.call("Heartbeat", {}))[0] == 3  # and no CertificateSigned came
    assert reply[2] == {"status": "Rejected"}
    [(status, stored_reason, chain)] = db_rows(
        "SELECT status, reason, certificate_chain FROM certificate_requests"
    )
    assert (status, chain) == ("Rejected", None)
    assert reason in stored_reason


async def test_with_signing_off_every_csr_is_rejected_and_no_ca_is_made(
    tmp_path: Path, db_rows: Any
) -> None:
    config = make_config(tmp_path)
    signing = CertificateSigning(SigningMode.REJECT)
    config = dataclasses.replace(config, certificate_signing=signing)
    async with running(config) as central, conftest.raw_client(central.ws_url, "CP1") as client:
        reply = await client.call("SignCertificate", {"csr": csr_pem("CP1")})
    assert reply[2] == {"status": "Rejected"}
    assert not (tmp_path / "csms-ca.pem").exists()
    assert db_rows("SELECT status FROM certificate_requests") == [("Rejected",)]


def test_a_generated_ca_is_reused_and_a_given_one_is_loaded(tmp_path: Path) -> None:
    cert, key = tmp_path / "ca.pem", tmp_path / "ca.key"
    first = CertificateAuthority.load_or_create(cert, key)
    again = CertificateAuthority.load_or_create(cert, key)
    assert first.pem == again.pem
    outcome = again.sign(csr_pem("CP9"), "CP9", validity_days=30)
    assert outcome.accepted
    assert outcome.certificate_chain_pem is not None
    leaf = x509.load_pem_x509_certificates(outcome.certificate_chain_pem.encode())[0]
    leaf.verify_directly_issued_by(first.certificate)


class CertificateStation201(StockStation):
    """A stock 2.0.1 station that answers CertificateSigned with `answer`."""

    answer = "Accepted"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signed: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @on("CertificateSigned")
    def on_certificate_signed(self, **payload: Any) -> call_result201.CertificateSigned:
        self.signed.put_nowait(payload)
        return call_result201.CertificateSigned(status=self.answer)


class RejectingStation201(CertificateStation201):
    answer = "Rejected"


async def _delivered(db_rows: Any, status: str) -> None:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while db_rows("SELECT delivery_status FROM certificate_requests") != [(status,)]:
            await asyncio.sleep(0.01)


async def test_a_201_station_s_csr_is_signed_and_sent_back_with_its_certificate_type(
    tmp_path: Path, db_rows: Any
) -> None:
    async with (
        running(make_config(tmp_path)) as central,
        stock_station(central.ws_url, "CS1", CertificateStation201) as station,
    ):
        request = call201.SignCertificate(
            csr=csr_pem("CS1"), certificate_type="ChargingStationCertificate"
        )
        reply = await station.call(request, suppress=False)
        signed = await asyncio.wait_for(station.signed.get(), REPLY_TIMEOUT_S)
        await _delivered(db_rows, "Accepted")
    assert reply.status == "Accepted"
    assert signed["certificate_type"] == "ChargingStationCertificate"
    leaf, ca = x509.load_pem_x509_certificates(signed["certificate_chain"].encode())
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS1"
    leaf.verify_directly_issued_by(ca)
    assert db_rows("SELECT charge_point_id, status FROM certificate_requests") == [
        ("CS1", "Accepted")
    ]


async def test_a_201_csr_in_another_name_is_rejected_and_a_rejected_chain_is_recorded(
    tmp_path: Path, db_rows: Any
) -> None:
    async with (
        running(make_config(tmp_path)) as central,
        stock_station(central.ws_url, "CS1", RejectingStation201) as station,
    ):
        other = await station.call(call201.SignCertificate(csr=csr_pem("CS2")), suppress=False)
        assert other.status == "Rejected"
        mine = await station.call(call201.SignCertificate(csr=csr_pem("CS1")), suppress=False)
        assert mine.status == "Accepted"
        await asyncio.wait_for(station.signed.get(), REPLY_TIMEOUT_S)
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            while db_rows(
                "SELECT delivery_status FROM certificate_requests WHERE status = 'Accepted'"
            ) != [("Rejected",)]:
                await asyncio.sleep(0.01)
        # the certificate it rejected: the connection goes on (A02)
        assert (await station.call(call201.Heartbeat(), suppress=False)).current_time
    # the CSR in another name was never signed, so never delivered
    assert db_rows(
        "SELECT status, delivery_status FROM certificate_requests WHERE status = 'Rejected'"
    ) == [("Rejected", None)]
