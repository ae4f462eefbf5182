"""Fuzz frames for the central system: valid 1.6 charge point messages of every action, and
mutations of them, with what the central system must answer (pure: a seeded Random in, text
out). Used by test_fuzz.py."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MAX_FRAME_BYTES: Final = 65_536
_HEAD: Final = re.compile(r'\s*\[\s*(\d{1,3})\s*,\s*"([^"\\]{1,64})"')
T0: Final = datetime(2025, 6, 1, tzinfo=UTC)

EXTREME_NUMBERS: Final[list[Any]] = [
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**30,
    -(10**30),
    1.5,
    -0.0,
    1e308,
    101,
    4242,
]
ODD_STRINGS: Final[list[str]] = [
    "",
    " ",
    "\u0000",
    "a\nb",
    "\r\n\t",
    "\ud800",
    "\udfff",
    "x\udc00y",
    "\U0001f600",
    "\u202eevil",
    "é" * 21,
    "x" * 256,
    "x" * 5_501,
    "NaN",
    "Infinity",
    "-0",
    "1e999",
    "0x10",
    "null",
    "'; DROP TABLE transactions; --",
    "%s%n",
    "\\",
    '"',
]
ODD_DATES: Final[list[str]] = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59+14:00",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2099-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "2024-02-29T12:00:00+14:00",
    "2023-02-29T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2025-01-01 00:00:00",
    "2025-01-01T00:00:00.123456789Z",
    "2025-01-01T00:00:00+24:00",
    "2025-01-01T00:00",
    "2025-01-01",
    "+2025-01-01T00:00:00Z",
    "yesterday",
]
WRONG_TYPES: Final[list[Any]] = [0, 1, 3, 4, 5, -1, "2", 2.0, True, None, [], {}]
STATUSES: Final = ["Available", "Preparing", "Charging", "SuspendedEV", "Finishing", "Faulted"]
MEASURANDS: Final = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "SoC",
    "Current.Import",
    "Voltage",
    "Temperature",
]
CSMS_ACTIONS: Final = ["Reset", "RemoteStartTransaction", "GetConfiguration", "ClearCache"]


def make_csr(common_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    request = (
        x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class ConnectionState:
    """What one fuzzing charge point knows: its id, its transactions, its clock."""

    charge_point_id: str
    csr: str
    transactions: list[int] = field(default_factory=list)
    register_wh: dict[int, int] = field(default_factory=dict)
    clock: datetime = T0
    count: int = 0
    last_id: str = "m0"

    def tick(self, rng: random.Random) -> str:
        self.clock += timedelta(seconds=rng.randint(1, 120))
        return self.clock.isoformat().replace("+00:00", "Z")


def _meter_value(rng: random.Random, state: ConnectionState, transaction_id: int | None) -> Any:
    sampled = []
    for _ in range(rng.randint(1, 3)):
        measurand = rng.choice(MEASURANDS)
        if measurand.endswith("Register") and transaction_id is not None:
            state.register_wh[transaction_id] = state.register_wh.get(
                transaction_id, 0
            ) + rng.randint(0, 500)
            value = str(state.register_wh[transaction_id])
        else:
            value = str(round(rng.uniform(0, 1000), 1))
        sampled.append({"value": value, "measurand": measurand})
    return {"timestamp": state.tick(rng), "sampledValue": sampled}


def _transaction(rng: random.Random, state: ConnectionState) -> int:
    if state.transactions and rng.random() < 0.9:
        return rng.choice(state.transactions[-4:])
    return rng.choice([1, 4242, rng.randint(1, 10**6)])


def valid_call(rng: random.Random, state: ConnectionState) -> tuple[str, dict[str, Any]]:
    """A valid charge point CALL (action, payload), mostly plausible in sequence."""
    action = rng.choice(
        [
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "StopTransaction",
            "MeterValues",
            "MeterValues",
            "DataTransfer",
            "FirmwareStatusNotification",
            "DiagnosticsStatusNotification",
            "LogStatusNotification",
            "SignedFirmwareStatusNotification",
            "SecurityEventNotification",
            "SignCertificate",
        ]
    )
    payload: dict[str, Any]
    if action == "BootNotification":
        payload = {"chargePointVendor": "Fuzz", "chargePointModel": "F1"}
        if rng.random() < 0.5:
            payload |= {"firmwareVersion": "1.0", "meterType": "M", "iccid": "8"}
    elif action == "Heartbeat":
        payload = {}
    elif action == "StatusNotification":
        payload = {
            "connectorId": rng.randint(0, 3),
            "errorCode": rng.choice(["NoError", "GroundFailure", "OtherError"]),
            "status": rng.choice(STATUSES),
        }
        if rng.random() < 0.7:
            payload["timestamp"] = state.tick(rng)
        if rng.random() < 0.2:
            payload |= {"info": "i", "vendorId": "v", "vendorErrorCode": "e"}
    elif action == "Authorize":
        payload = {"idTag": rng.choice(["ACCEPTED1", "BLOCKED1", "NOBODY", "CHILD1"])}
    elif action == "StartTransaction":
        payload = {
            "connectorId": rng.randint(1, 3),
            "idTag": rng.choice(["ACCEPTED1", "BLOCKED1", "NOBODY"]),
            "meterStart": rng.choice([0, rng.randint(0, 10**6)]),
            "timestamp": state.tick(rng),
        }
        if rng.random() < 0.2:
            payload["reservationId"] = rng.randint(1, 100)
    elif action == "StopTransaction":
        transaction_id = _transaction(rng, state)
        payload = {
            "meterStop": state.register_wh.get(transaction_id, 0) + rng.randint(0, 10**6),
            "timestamp": state.tick(rng),
            "transactionId": transaction_id,
        }
        if rng.random() < 0.5:
            payload["idTag"] = "ACCEPTED1"
        if rng.random() < 0.5:
            payload["reason"] = rng.choice(["Local", "EVDisconnected", "Remote", "Other"])
        if rng.random() < 0.3:
            payload["transactionData"] = [_meter_value(rng, state, transaction_id)]
    elif action == "MeterValues":
        transaction_id = _transaction(rng, state) if rng.random() < 0.8 else None
        payload = {
            "connectorId": rng.randint(0, 3),
            "meterValue": [_meter_value(rng, state, transaction_id)],
        }
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
    elif action == "DataTransfer":
        payload = {"vendorId": rng.choice(["org.chargenet", "com.x"]), "messageId": "echo"}
        if rng.random() < 0.5:
            payload["data"] = "d"
    elif action == "FirmwareStatusNotification":
        payload = {"status": rng.choice(["Downloading", "Installed", "InstallationFailed"])}
    elif action == "DiagnosticsStatusNotification":
        payload = {"status": rng.choice(["Idle", "Uploaded", "UploadFailed", "Uploading"])}
    elif action == "LogStatusNotification":
        payload = {"status": rng.choice(["Idle", "Uploaded", "Uploading"]), "requestId": 1}
    elif action == "SignedFirmwareStatusNotification":
        payload = {"status": rng.choice(["Downloaded", "InvalidSignature"]), "requestId": 2}
    elif action == "SecurityEventNotification":
        payload = {"type": "FirmwareUpdated", "timestamp": state.tick(rng), "techInfo": "t"}
    else:
        csr = state.csr if rng.random() < 0.2 else "-----BEGIN CERTIFICATE REQUEST-----\nx\n"
        payload = {"csr": csr}
    return action, payload


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _set(payload: Any, path: tuple[Any, ...], value: Any) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _delete(payload: Any, path: tuple[Any, ...]) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


def _any_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            rng.choice(EXTREME_NUMBERS),
            rng.choice(ODD_STRINGS),
            rng.choice(ODD_DATES),
            None,
            True,
            [],
            {},
            [1, "a"],
            {"k": "v"},
        ]
    )


def _mutate_payload(rng: random.Random, payload: dict[str, Any]) -> None:
    paths = _paths(payload)
    kind = rng.randrange(6)
    if not paths or kind == 0:
        payload[rng.choice(["extra", "connectorId", "colour", "\ud800"])] = _any_value(rng)
        return
    path = rng.choice(paths)
    if kind == 1:
        _delete(payload, path)
    elif kind == 2:
        _set(payload, path, rng.choice(EXTREME_NUMBERS))
    elif kind == 3:
        _set(payload, path, rng.choice(ODD_STRINGS))
    elif kind == 4:
        _set(payload, path, rng.choice(ODD_DATES))
    else:
        _set(payload, path, _any_value(rng))


def _break_text(rng: random.Random, text: str) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return text[: rng.randrange(len(text))]
    if kind == 1:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(['"', ",", "]", "}", "\\", "\x00", "NaN", "{"]) + text[i:]
    if kind == 2:
        return text.replace("}", ",}", 1)
    if kind == 3:
        return "[" * rng.choice([10, 1000, 20_000]) + "]" * rng.choice([0, 10])
    if kind == 4:
        return text[:-1] + ', "extra"]'
    if kind == 5:
        return rng.choice(["", "null", "42", '"text"', "{}", "[]", "[2]", "Infinity", "-"])
    return text.replace(":", ': NaN, "x":', 1)


def next_frame(rng: random.Random, state: ConnectionState) -> str | bytes:
    """The next frame to send: valid (about a quarter), or a mutation."""
    state.count += 1
    message_id = f"m{state.count}"
    action, payload = valid_call(rng, state)
    frame: list[Any] = [2, message_id, action, payload]
    roll = rng.random()
    if roll < 0.25:
        pass
    elif roll < 0.6:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            _mutate_payload(rng, payload)
    elif roll < 0.67:
        frame[0] = rng.choice(WRONG_TYPES)
    elif roll < 0.72:
        frame[1] = state.last_id  # a duplicate id
    elif roll < 0.77:
        frame[1] = rng.choice([17, None, "\ud800", "", "x" * 100, "a\nb", ["id"]])
    elif roll < 0.81:
        frame[2] = rng.choice([*CSMS_ACTIONS, "FooBar", "", 5, "heartbeat"])
    elif roll < 0.85:
        frame = rng.choice([frame[:3], frame[:2], [*frame, {}], [2, message_id, action, []]])
    elif roll < 0.95:
        text = json.dumps(frame, ensure_ascii=rng.random() < 0.5)
        state.last_id = message_id
        return _break_text(rng, text)
    elif roll < 0.98:
        text = json.dumps(frame)
        if rng.random() < 0.5:
            return text.encode()
        return b"\xff\xfe" + text.encode()
    else:
        payload["x"] = "y" * (MAX_FRAME_BYTES + 10)  # oversized
    if isinstance(frame[1], str) and not _lone_surrogate(frame[1]):
        state.last_id = frame[1]
    return json.dumps(frame, ensure_ascii=True if _has_surrogate(frame) else rng.random() < 0.5)


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _lone_surrogate(value)
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def expected_reply_id(frame: str | bytes) -> str | None:
    """The id of the CALLRESULT/CALLERROR the central system must send for `frame`, or None
    when it must send nothing (the frame is a CALLRESULT or CALLERROR)."""
    if isinstance(frame, bytes):
        try:
            text = frame.decode()
        except UnicodeDecodeError:
            return "-1"
    else:
        text = frame
    if len(text.encode()) > MAX_FRAME_BYTES:
        head = _HEAD.match(text[:256])
        if head is None:
            return "-1"
        return None if int(head.group(1)) in (3, 4) else head.group(2)
    try:
        message = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return "-1"
    if not isinstance(message, list) or not message:
        return "-1"
    if type(message[0]) is int and message[0] in (3, 4):
        return None
    if len(message) > 1 and isinstance(message[1], str) and not _lone_surrogate(message[1]):
        return message[1]
    return "-1"
