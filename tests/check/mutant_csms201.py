"""The built-in 2.0.1 central system with one fault at a time, for the 2.0.1 checks' tests.

Unlike 1.6's `mutant_csms` (a small central system written for the tests) a 2.0.1 mutant is
the built-in itself, `central_system.server.running`, in this process on 127.0.0.1 with its
operator API and OCTT trigger: `Fault.NONE` is the built-in as shipped. Each other fault
breaks one thing a real CSMS gets wrong, through one of these seams, each a plain table to
append to:

- `REFUSALS`: a station's CALL the fault refuses (a CALLERROR instead of its handler's answer);
- `REPLY_REWRITES`: the CSMS's answer to a station's CALL, changed after its schema check;
- `CALL_REWRITES`: a CALL the CSMS sends (through the trigger), changed before it goes out;
- `REPLY_FAILURES`: a station's answer the CSMS takes as a failure (its trigger answers 502);
- `REPLY_MISREADINGS`: a station's answer the CSMS reads as another (what it does after);
- `HANDSHAKE_FAULTS`: what the basic-auth check makes of a handshake's credentials;
- `SUBPROTOCOL_FAULTS`: the subprotocol the server selects from a station's offer;
- and the few in `MutantSession._invoke` / `call_payload` that need more than a table.

The faults live in `MutantSession`, a `ChargingStationSession` that looks its fault up by the
server's store; `mutant_sessions()` puts it in the server's place once for a whole test.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from unittest import mock

from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

import central_system.server
from central_system.config import CentralSystemConfig
from central_system.credentials import CredentialBook
from central_system.data_transfer import VENDOR_ID
from central_system.handshake import Credentials
from central_system.passwords import ScryptCost
from central_system.records import IdTag, IdTagStatus, RegistrationStatus
from central_system.registration import BootPolicy
from central_system.server import RunningCentralSystem, running
from central_system.tls import TlsSettings
from central_system.v201.device_model import MessageLimits
from central_system.v201.session import ChargingStationSession
from ocppj.versions import OCPP201
from simulator.check.trigger import HttpTrigger
from tests.check.helpers import PARENTS, PASSWORD, PENDING_ID, TAGS

#: A station id the mutants (and the built-in in the tests) answer Rejected at every boot.
REJECTED_ID: Final = "chk-rejected"
#: Cheap password hashing: the mutants hash the password at every handshake.
CHEAP: Final = ScryptCost(n=2**4, r=1, p=1)

Payload = dict[str, Any]


class Fault(enum.Enum):
    NONE = "none"
    # -- A: security --
    ALWAYS_401 = "401 for every handshake, the right password too"
    USERNAME_NOT_CHECKED = "basic auth: the password checked, the username not"
    NO_PASSWORD_CHECK = "lets any password in"
    NEW_PASSWORD_NOT_TAKEN = "an Accepted BasicAuthPassword not taken as the password"
    REJECTED_PASSWORD_TAKEN = "a Rejected BasicAuthPassword taken as the password"
    SIGN_CERTIFICATE_TYPE_REFUSED = "a SignCertificate with certificateType refused (1.6's schema)"
    CHAIN_WITHOUT_LEAF = "CertificateSigned sent with the CA's certificate only, not the leaf"
    PROFILE_NOT_RAISED = "SetNetworkProfile sent with securityProfile one level lower (as is)"
    # -- B: provisioning --
    BOOT_INTERVAL_ZERO = "BootNotificationResponse interval 0"
    HEARTBEAT_TIME_WITHOUT_OFFSET = "HeartbeatResponse currentTime without a UTC offset"
    STATUS_REFUSED = "StatusNotification of connector 1 refused"
    PENDING_FOREVER = "every boot of a Pending station answered Pending"
    REJECTED_STATION_SERVED = "a Rejected station's other messages answered as usual"
    NO_CALLS_BEFORE_ACCEPTED = "its trigger refuses to send to a station not accepted"
    VARIABLE_INSTANCE_ADDED = "Get/SetVariables sent with variable instance 'Default' added"
    GET_VARIABLES_FIRST_ONLY = "GetVariables sent with its first variable only"
    UNKNOWN_COMPONENT_FAILS = "a GetVariables answer with UnknownComponent fails the trigger"
    SET_VARIABLES_VALUE_ZERO = "SetVariables sent with attributeValue '0'"
    REJECTED_VARIABLE_FAILS = "a SetVariables answer with a Rejected result fails the trigger"
    NOTIFY_REPORT_REFUSED = "NotifyReport answered NotImplemented"
    NOTIFY_REPORT_TBC_REFUSED = "a NotifyReport with tbc true answered InternalError"
    BASE_REPORT_ALWAYS_FULL = "GetBaseReport always sent as FullInventory"
    BOOT_AFTER_RESET_REJECTED = "a boot with reason RemoteReset answered Rejected"
    RESET_ALWAYS_IMMEDIATE = "Reset always sent as Immediate"
    RESET_ALWAYS_ON_IDLE = "Reset always sent as OnIdle"
    RESET_SCHEDULED_FAILS = "a Reset answered Scheduled fails the trigger"
    RESET_EVENT_REFUSED = "SecurityEventNotification ResetOrReboot refused"
    IMMEDIATE_RESET_END_REFUSED = "TransactionEvent Ended stoppedReason ImmediateReset refused"
    EV_DISCONNECTED_END_REFUSED = "TransactionEvent Ended stoppedReason EVDisconnected refused"
    # -- B: the rest of Core (core201b) --
    RESET_DROPS_EVSE = "Reset sent without its evseId (the whole station)"
    GET_REPORT_DROPS_CRITERIA = "GetReport sent without its componentCriteria"
    GET_VARIABLES_NOT_SPLIT = (
        "GetVariables sent whole, whatever ItemsPerMessage the station reported"
    )
    NETWORK_PROFILE_OTHER_URL = "SetNetworkProfile sent with another ocppCsmsUrl"
    NETWORK_PROFILE_REJECTED_FAILS = "a SetNetworkProfile answered Rejected fails the trigger"
    # -- P: data transfer --
    UNKNOWN_VENDOR_ERROR = "DataTransfer of an unknown vendor answered with CALLERROR"
    DATA_TRANSFER_ALWAYS_ACCEPTED = "every DataTransfer Accepted, whatever its vendor"
    DATA_TRANSFER_DATA_AS_TEXT = "DataTransfer sent with its data JSON-encoded as a string"
    # -- robustness --
    PICKS_FIRST_SUBPROTOCOL = "selects the first subprotocol offered (a bogus one too)"
    FORCES_OCPP201 = "selects ocpp2.0.1 whatever the station offered"
    PROBE_HOLDS_ID = "after an ocpp1.6 probe the id is held: the ocpp2.0.1 session gets 409"
    # -- every backend-initiated case --
    TRIGGER_IGNORED = "its trigger says yes and sends nothing"
    # -- C: authorization (check201b) --
    ACCEPTS_UNKNOWN_TOKEN = "Authorize of an unknown idToken answered Accepted"
    ACCEPTS_BLOCKED_TOKEN = "Authorize of a Blocked idToken answered Accepted"
    ACCEPTS_EXPIRED_TOKEN = "Authorize of an Expired idToken answered Accepted"
    EVENT_TOKEN_INFO_ONLY_ON_STARTED = "idTokenInfo only in the answers to Started events"
    EVENT_TOKENS_TRUSTED = "an idToken inside a TransactionEvent answered Accepted, unchecked"
    CLEAR_CACHE_FORGETS_TOKENS = "after an accepted ClearCache every Authorize is Invalid"
    CLOSES_UNLESS_ACCEPTED = "closes the connection when its request is answered other than yes"
    NO_GROUP_ID_TOKEN = "AuthorizeResponse never carries the groupIdToken"
    # -- E: transactions (check201b) --
    STARTED_NEEDS_ID_TOKEN = "a Started without idToken refused"
    NO_EVENT_ID_TOKEN_INFO = "a TransactionEventResponse never carries idTokenInfo"
    ENDED_ONLY_LOCAL = "an Ended whose stoppedReason is not Local refused"
    STOPPED_REASON_REQUIRED = "an Ended without stoppedReason refused (absent means Local)"
    SEQ_NO_PER_STATION = "seqNo must grow across a station's transactions: 0 again refused"
    OFFLINE_EVENTS_REFUSED = "a TransactionEvent with offline true refused"
    TRANSACTION_STATUS_OTHER_ID = "GetTransactionStatus sent with another transactionId"
    TRANSACTION_STATUS_ADDS_ID = "GetTransactionStatus without one sent with a transactionId"
    SUSPENDED_EV_REFUSED = "a TransactionEvent with chargingState SuspendedEV refused"
    EV_SIDE_DISCONNECT_ENDS = "events after EVCommunicationLost refused (taken as the end)"
    STOP_AUTHORIZED_ENDS = "events after an Updated by StopAuthorized refused (taken as the end)"
    REQUEST_STOP_OTHER_ID = "RequestStopTransaction sent with another transactionId"
    TOKEN_NEEDS_AUTHORIZE = "an event's idToken not Authorized on the connection first: Invalid"
    # -- F: remote control (check201b) --
    REQUEST_START_OTHER_EVSE = "RequestStartTransaction sent for the next EVSE"
    UNLOCK_OTHER_CONNECTOR = "UnlockConnector sent for the next connector"
    TRIGGER_MESSAGE_DROPS_EVSE = "TriggerMessage sent without its evse"
    TRIGGER_READINGS_REFUSED = "readings of context Trigger (and triggerReason Trigger) refused"
    TRIGGER_MESSAGE_AS_STATUS = "TriggerMessage sent as requestedMessage StatusNotification"
    IDLE_NOTIFICATION_REFUSED = "LogStatusNotification / FirmwareStatusNotification Idle refused"
    NOTIFY_EVENT_UNSUPPORTED = "NotifyEvent answered NotSupported (the built-in before this round)"
    # -- G: availability (check201b) --
    AVAILABILITY_DROPS_EVSE = "ChangeAvailability sent without its evse (the whole station)"
    AVAILABILITY_DROPS_CONNECTOR = "ChangeAvailability sent without evse.connectorId"
    AVAILABILITY_ALWAYS_INOPERATIVE = "ChangeAvailability always sent as Inoperative"
    AVAILABILITY_ADDS_EVSE = "a station-wide ChangeAvailability sent for EVSE 1"
    UNAVAILABLE_REFUSED = "StatusNotification Unavailable refused"
    # -- J: meter values (check201b) --
    CLOCK_READINGS_REFUSED = "readings of context Sample.Clock refused"
    SIGNED_READINGS_REFUSED = "readings with a signedMeterValue refused"
    MAIN_METER_REFUSED = "MeterValues of evseId 0 (the main meter) refused"
    METER_VALUES_IN_TRANSACTION_REFUSED = "MeterValues of an EVSE with a transaction refused"
    STARTED_WITHOUT_EVSE_REFUSED = "a Started without evse refused"
    BEGIN_READING_OUTSIDE_STARTED_REFUSED = "a Transaction.Begin reading outside a Started refused"
    ENDED_READINGS_REFUSED = "an Ended with a reading other than Transaction.End refused"
    PERIODIC_UPDATES_REFUSED = "an Updated by MeterValuePeriodic refused"


def _error(code: str, description: str) -> OCPPError:
    error = OCPPError(description=description)
    error.code = code
    return error


#: A station's CALL refused: (action, is this payload refused, the error code).
REFUSALS: Final[dict[Fault, tuple[str, Callable[[Payload], bool], str]]] = {
    Fault.STATUS_REFUSED: (
        "StatusNotification",
        lambda p: p["connectorId"] == 1,
        "PropertyConstraintViolation",
    ),
    Fault.NOTIFY_REPORT_REFUSED: ("NotifyReport", lambda p: True, "NotImplemented"),
    Fault.NOTIFY_REPORT_TBC_REFUSED: (
        "NotifyReport",
        lambda p: p.get("tbc") is True,
        "InternalError",
    ),
    Fault.RESET_EVENT_REFUSED: (
        "SecurityEventNotification",
        lambda p: p["type"] == "ResetOrReboot",
        "PropertyConstraintViolation",
    ),
    Fault.IMMEDIATE_RESET_END_REFUSED: (
        "TransactionEvent",
        lambda p: p["transactionInfo"].get("stoppedReason") == "ImmediateReset",
        "PropertyConstraintViolation",
    ),
    Fault.EV_DISCONNECTED_END_REFUSED: (
        "TransactionEvent",
        lambda p: p["transactionInfo"].get("stoppedReason") == "EVDisconnected",
        "PropertyConstraintViolation",
    ),
    Fault.UNKNOWN_VENDOR_ERROR: (
        "DataTransfer",
        lambda p: p["vendorId"] != VENDOR_ID,
        "NotSupported",
    ),
    Fault.SIGN_CERTIFICATE_TYPE_REFUSED: (
        "SignCertificate",
        lambda p: "certificateType" in p,
        "FormationViolation",
    ),
}

#: The CSMS's answer changed: (action, for which request, the new answer from the old).
REPLY_REWRITES: Final[
    dict[Fault, tuple[str, Callable[[Payload, str], bool], Callable[[Payload], Payload]]]
] = {
    Fault.BOOT_INTERVAL_ZERO: (
        "BootNotification",
        lambda p, cp: True,
        lambda r: r | {"interval": 0},
    ),
    Fault.HEARTBEAT_TIME_WITHOUT_OFFSET: (
        "Heartbeat",
        lambda p, cp: True,
        lambda r: r | {"currentTime": r["currentTime"].replace("Z", "")[:19]},
    ),
    Fault.PENDING_FOREVER: (
        "BootNotification",
        lambda p, cp: cp == PENDING_ID,
        lambda r: r | {"status": "Pending"},
    ),
    Fault.BOOT_AFTER_RESET_REJECTED: (
        "BootNotification",
        lambda p, cp: p["reason"] == "RemoteReset",
        lambda r: r | {"status": "Rejected"},
    ),
    Fault.DATA_TRANSFER_ALWAYS_ACCEPTED: (
        "DataTransfer",
        lambda p, cp: True,
        lambda r: {"status": "Accepted"},
    ),
}


def _with_instance(payload: Payload) -> Payload:
    key = "getVariableData" if "getVariableData" in payload else "setVariableData"
    items = [
        item | {"variable": item["variable"] | {"instance": "Default"}} for item in payload[key]
    ]
    return payload | {key: items}


def _ca_only(chain: str) -> str:
    """The last PEM certificate of `chain` (the built-in's is the leaf, then its CA)."""
    marker = "-----BEGIN CERTIFICATE-----"
    return marker + chain.split(marker)[-1]


def _profile_lowered(data: Payload) -> Payload:
    return data | {"securityProfile": data["securityProfile"] - 1}


#: A CALL of the CSMS changed before it is sent: (action or actions, the new payload).
CALL_REWRITES: Final[dict[Fault, tuple[frozenset[str], Callable[[Payload], Payload]]]] = {
    Fault.VARIABLE_INSTANCE_ADDED: (frozenset({"GetVariables", "SetVariables"}), _with_instance),
    Fault.GET_VARIABLES_FIRST_ONLY: (
        frozenset({"GetVariables"}),
        lambda p: p | {"getVariableData": p["getVariableData"][:1]},
    ),
    Fault.SET_VARIABLES_VALUE_ZERO: (
        frozenset({"SetVariables"}),
        lambda p: (
            p | {"setVariableData": [i | {"attributeValue": "0"} for i in p["setVariableData"]]}
        ),
    ),
    Fault.BASE_REPORT_ALWAYS_FULL: (
        frozenset({"GetBaseReport"}),
        lambda p: p | {"reportBase": "FullInventory"},
    ),
    Fault.RESET_ALWAYS_IMMEDIATE: (frozenset({"Reset"}), lambda p: p | {"type": "Immediate"}),
    Fault.RESET_ALWAYS_ON_IDLE: (frozenset({"Reset"}), lambda p: p | {"type": "OnIdle"}),
    Fault.DATA_TRANSFER_DATA_AS_TEXT: (
        frozenset({"DataTransfer"}),
        lambda p: p | {"data": json.dumps(p["data"])} if "data" in p else p,
    ),
    Fault.CHAIN_WITHOUT_LEAF: (
        frozenset({"CertificateSigned"}),
        lambda p: p | {"certificateChain": _ca_only(p["certificateChain"])},
    ),
    Fault.PROFILE_NOT_RAISED: (
        frozenset({"SetNetworkProfile"}),
        lambda p: p | {"connectionData": _profile_lowered(p["connectionData"])},
    ),
}

#: A station's answer taken as a failure: (action, is this answer a failure).
REPLY_FAILURES: Final[dict[Fault, tuple[str, Callable[[Payload], bool]]]] = {
    Fault.UNKNOWN_COMPONENT_FAILS: (
        "GetVariables",
        lambda r: any(x["attributeStatus"] == "UnknownComponent" for x in r["getVariableResult"]),
    ),
    Fault.REJECTED_VARIABLE_FAILS: (
        "SetVariables",
        lambda r: any(x["attributeStatus"] == "Rejected" for x in r["setVariableResult"]),
    ),
    Fault.RESET_SCHEDULED_FAILS: ("Reset", lambda r: r["status"] == "Scheduled"),
}


def _password_results(status: str) -> Callable[[Payload], Payload]:
    def misread(reply: Payload) -> Payload:
        results = [
            r | {"attributeStatus": status} if r["variable"]["name"] == "BasicAuthPassword" else r
            for r in reply["setVariableResult"]
        ]
        return reply | {"setVariableResult": results}

    return misread


#: A station's answer read as another (the CSMS acts on what it read): (action, the reading).
REPLY_MISREADINGS: Final[dict[Fault, tuple[str, Callable[[Payload], Payload]]]] = {
    Fault.NEW_PASSWORD_NOT_TAKEN: ("SetVariables", _password_results("Rejected")),
    Fault.REJECTED_PASSWORD_TAKEN: ("SetVariables", _password_results("Accepted")),
}


def _as_station(charge_point_id: str, authorization: str | None) -> str | None:
    """The Authorization header with the username replaced by the station's id."""
    if authorization is None or not authorization.startswith("Basic "):
        return authorization
    decoded = base64.b64decode(authorization[6:]).decode(errors="replace")
    password = decoded.split(":", 1)[1] if ":" in decoded else ""
    token = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode()
    return f"Basic {token}"


#: What the basic-auth check is given instead of the handshake's Authorization header
#: (None: no credentials; the check refuses them where a password is asked).
HANDSHAKE_FAULTS: Final[dict[Fault, Callable[[str, str | None], str | None]]] = {
    Fault.ALWAYS_401: lambda cp, header: None,
    Fault.USERNAME_NOT_CHECKED: _as_station,
}

#: The subprotocol selected from what a station offers (None: none, the handshake goes on).
SUBPROTOCOL_FAULTS: Final[dict[Fault, Callable[[Sequence[str]], str | None]]] = {
    Fault.PICKS_FIRST_SUBPROTOCOL: lambda offered: offered[0] if offered else None,
    Fault.FORCES_OCPP201: lambda offered: OCPP201,
}
#: How long an ocpp1.6 probe holds its id (Fault.PROBE_HOLDS_ID).
PROBE_HOLD_S: Final = 60.0

#: The fault of each running mutant, by its store (a server's sessions share it) ...
_FAULTS: dict[int, Fault] = {}
#: ... and by its websocket port (for the handshake, before a session exists).
_PORT_FAULTS: dict[int, Fault] = {}
#: (port, station id) → when an ocpp1.6-only handshake came for it.
_PROBES: dict[tuple[int, str], float] = {}


def _port_fault(connection: ServerConnection) -> tuple[int, Fault]:
    port = int(connection.local_address[1])
    return port, _PORT_FAULTS.get(port, Fault.NONE)


_station_preference = central_system.server._station_preference
_process_request = central_system.server._WebsocketEndpoint.process_request


def _mutant_preference(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    _, fault = _port_fault(connection)
    select = SUBPROTOCOL_FAULTS.get(fault)
    if select is None:
        return _station_preference(connection, offered)
    chosen = select(list(offered))
    return None if chosen is None else Subprotocol(chosen)


async def _mutant_request(
    endpoint: Any, connection: ServerConnection, request: Request
) -> Response | None:
    port, fault = _port_fault(connection)
    if fault is Fault.PROBE_HOLDS_ID:
        station = request.path.rstrip("/").rsplit("/", 1)[-1]
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        now = asyncio.get_running_loop().time()
        if OCPP201 not in offered:
            _PROBES[(port, station)] = now
        elif now - _PROBES.get((port, station), -PROBE_HOLD_S) < PROBE_HOLD_S:
            return connection.respond(HTTPStatus.CONFLICT, "held by the probe (mutant)\n")
    response: Response | None = await _process_request(endpoint, connection, request)
    return response


class MutantSession(ChargingStationSession):
    """The built-in 2.0.1 session with the fault of its server (none: the built-in's own)."""

    @property
    def fault(self) -> Fault:
        return _FAULTS.get(id(self._backend.store), Fault.NONE)

    def _invoke(self, handler: Callable[..., Any], kwargs: dict[str, Any], call: Call) -> Any:
        fault = self.fault
        if fault is Fault.REJECTED_STATION_SERVED:
            self._registration = None  # as if the Rejected boot had not been
        refusal = REFUSALS.get(fault)
        if refusal is not None and refusal[0] == call.action and refusal[1](call.payload):
            raise _error(refusal[2], f"{fault.value} (mutant)")
        rewrite = REPLY_REWRITES.get(fault)
        if rewrite is not None and rewrite[0] == call.action and rewrite[1](call.payload, self.id):
            self._rewrite_reply[call.unique_id] = rewrite[2]
        _stateful_faults(self, fault, call)  # blocks C, E, F, G, J (check201b)
        return super()._invoke(handler, kwargs, call)

    @property
    def _rewrite_reply(self) -> dict[str, Callable[[Payload], Payload]]:
        rewrites: dict[str, Callable[[Payload], Payload]] | None = getattr(
            self, "_mutant_rewrites", None
        )
        if rewrites is None:
            rewrites = self._mutant_rewrites = {}
        return rewrites

    async def _send(self, message: str) -> None:
        frame = json.loads(message)
        change = self._rewrite_reply.pop(frame[1], None) if frame[0] == 3 else None
        if change is not None:
            message = json.dumps([3, frame[1], change(frame[2])])
        await super()._send(message)

    async def call_payload(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout_s: float | None = None,
        validate: bool = True,
    ) -> dict[str, Any]:
        fault = self.fault
        if fault is Fault.TRIGGER_IGNORED:
            return {}
        if fault is Fault.NO_CALLS_BEFORE_ACCEPTED and self._registration not in (
            None,
            RegistrationStatus.ACCEPTED,
        ):
            raise _error("GenericError", f"{fault.value} (mutant)")
        rewrite = CALL_REWRITES.get(fault)
        if rewrite is not None and action in rewrite[0]:
            payload = rewrite[1](dict(payload))
            validate = False  # a rewrite may break the schema, as a faulty CSMS does
        reply = await super().call_payload(action, payload, timeout_s=timeout_s, validate=validate)
        failure = REPLY_FAILURES.get(fault)
        if failure is not None and failure[0] == action and failure[1](reply):
            raise _error("GenericError", f"{fault.value} (mutant)")
        misreading = REPLY_MISREADINGS.get(fault)
        if misreading is not None and misreading[0] == action:
            reply = misreading[1](reply)
        await _after_call(self, fault, action, reply)  # blocks C, F, G (check201b)
        return reply

    def get_variables_limits(self) -> MessageLimits:
        if self.fault is Fault.GET_VARIABLES_NOT_SPLIT:
            return MessageLimits()
        return super().get_variables_limits()


def _mutant_station_session() -> type[MutantSession]:
    return MutantSession


@contextlib.contextmanager
def mutant_sessions() -> Iterator[None]:
    """The server serves 2.0.1 stations with `MutantSession` while the block runs (once per
    test: the mutants of one test share it, each with its own fault)."""
    server = central_system.server
    with (
        # the server imports its 2.0.1 session with the first station (_station_session)
        mock.patch.object(server, "_station_session", _mutant_station_session),
        mock.patch.object(server, "_station_preference", _mutant_preference),
        mock.patch.object(server._WebsocketEndpoint, "process_request", _mutant_request),
    ):
        yield


@dataclass(frozen=True, slots=True)
class Mutant:
    fault: Fault
    central: RunningCentralSystem
    #: Its OCTT trigger (the built-in's HTTP API, 2.0.1 paths).
    trigger: HttpTrigger

    @property
    def ws_url(self) -> str:
        return self.central.ws_url


def _config(folder: Path, fault: Fault, tls: TlsSettings | None) -> CentralSystemConfig:
    tags = tuple(
        IdTag(tag, IdTagStatus(status), parent_id_tag=PARENTS.get(tag))
        for tag, status in TAGS.items()
    )
    password = None if fault is Fault.NO_PASSWORD_CHECK else PASSWORD
    return CentralSystemConfig(
        db_path=folder / "csms.sqlite",
        port=0,
        api_port=0,
        id_tags=tags,
        credentials=Credentials.from_passwords(password, cost=CHEAP),
        password_cost=CHEAP,
        boot_policy=BootPolicy(
            pending_ids=frozenset({PENDING_ID}),
            rejected_ids=frozenset({REJECTED_ID}),
            boot_retry_interval_s=1,
        ),
        close_timeout_s=1.0,
        subprotocols=(OCPP201,),  # and so no compiling of the 1.6 schemas at each start
        tls=tls,
    )


def _fault_handshakes(book: CredentialBook, fault: Fault) -> None:
    change = HANDSHAKE_FAULTS.get(fault)
    if change is None:
        return
    check = book.check

    async def faulty(charge_point_id: str, authorization: str | None, address: str) -> Any:
        return await check(charge_point_id, change(charge_point_id, authorization), address)

    book.check = faulty  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def mutant201(
    folder: Path, fault: Fault, *, timeout_s: float, tls: TlsSettings | None = None
) -> AsyncIterator[Mutant]:
    """The built-in central system with `fault` on 127.0.0.1 (free ports, its own store in
    `folder`, wss:// with `tls`) while the block runs; inside `mutant_sessions()`."""
    assert central_system.server._station_session() is MutantSession, "mutant_sessions()"
    folder.mkdir(parents=True, exist_ok=True)
    async with running(_config(folder, fault, tls)) as central:
        _FAULTS[id(central.store)] = fault
        port = int(central.ws_url.rsplit(":", 1)[1])
        _PORT_FAULTS[port] = fault
        credentials = central.registry.credentials
        if credentials is not None:
            _fault_handshakes(credentials, fault)
        assert central.api_url is not None
        trigger = HttpTrigger(
            central.api_url, token=central.api_token, timeout_s=timeout_s, ocpp_version=OCPP201
        )
        try:
            yield Mutant(fault, central, trigger)
        finally:
            _FAULTS.pop(id(central.store), None)
            _PORT_FAULTS.pop(port, None)


# -- blocks C, E, F, G, J (check201b) ---------------------------------------------------------


def _contexts(payload: Payload) -> set[str]:
    """The readingContexts of a MeterValues' or TransactionEvent's readings."""
    return {
        sampled.get("context", "Sample.Periodic")
        for value in payload.get("meterValue") or ()
        for sampled in value.get("sampledValue") or ()
    }


def _signed(payload: Payload) -> bool:
    return any(
        "signedMeterValue" in sampled
        for value in payload.get("meterValue") or ()
        for sampled in value.get("sampledValue") or ()
    )


def _tx(payload: Payload) -> Payload:
    info: Payload = payload["transactionInfo"]
    return info


def _event(payload: Payload, event_type: str) -> bool:
    return bool(payload["eventType"] == event_type)


def _token_status(status: str) -> Callable[[Payload], Payload]:
    """The answer with its idTokenInfo.status replaced (an answer without one unchanged)."""

    def change(reply: Payload) -> Payload:
        info = reply.get("idTokenInfo")
        return reply if info is None else reply | {"idTokenInfo": info | {"status": status}}

    return change


def _status_was(status: str) -> Callable[[Payload], Payload]:
    """Accepted where the CSMS answered `status`."""

    def change(reply: Payload) -> Payload:
        info = reply.get("idTokenInfo") or {}
        return _token_status("Accepted")(reply) if info.get("status") == status else reply

    return change


def _without(key: str) -> Callable[[Payload], Payload]:
    return lambda payload: {k: v for k, v in payload.items() if k != key}


def _without_group(reply: Payload) -> Payload:
    info = reply.get("idTokenInfo")
    return reply if info is None else reply | {"idTokenInfo": _without("groupIdToken")(info)}


REFUSALS.update(
    {
        Fault.STARTED_NEEDS_ID_TOKEN: (
            "TransactionEvent",
            lambda p: _event(p, "Started") and "idToken" not in p,
            "OccurrenceConstraintViolation",
        ),
        Fault.ENDED_ONLY_LOCAL: (
            "TransactionEvent",
            lambda p: _event(p, "Ended") and _tx(p).get("stoppedReason", "Local") != "Local",
            "PropertyConstraintViolation",
        ),
        Fault.STOPPED_REASON_REQUIRED: (
            "TransactionEvent",
            lambda p: _event(p, "Ended") and "stoppedReason" not in _tx(p),
            "OccurrenceConstraintViolation",
        ),
        Fault.OFFLINE_EVENTS_REFUSED: (
            "TransactionEvent",
            lambda p: p.get("offline") is True,
            "PropertyConstraintViolation",
        ),
        Fault.SUSPENDED_EV_REFUSED: (
            "TransactionEvent",
            lambda p: _tx(p).get("chargingState") == "SuspendedEV",
            "PropertyConstraintViolation",
        ),
        Fault.NOTIFY_EVENT_UNSUPPORTED: ("NotifyEvent", lambda p: True, "NotSupported"),
        Fault.UNAVAILABLE_REFUSED: (
            "StatusNotification",
            lambda p: p["connectorStatus"] == "Unavailable",
            "PropertyConstraintViolation",
        ),
        Fault.MAIN_METER_REFUSED: (
            "MeterValues",
            lambda p: p["evseId"] == 0,
            "PropertyConstraintViolation",
        ),
        Fault.STARTED_WITHOUT_EVSE_REFUSED: (
            "TransactionEvent",
            lambda p: _event(p, "Started") and "evse" not in p,
            "OccurrenceConstraintViolation",
        ),
        Fault.BEGIN_READING_OUTSIDE_STARTED_REFUSED: (
            "TransactionEvent",
            lambda p: not _event(p, "Started") and "Transaction.Begin" in _contexts(p),
            "PropertyConstraintViolation",
        ),
        Fault.ENDED_READINGS_REFUSED: (
            "TransactionEvent",
            lambda p: _event(p, "Ended") and bool(_contexts(p) - {"Transaction.End"}),
            "PropertyConstraintViolation",
        ),
        Fault.PERIODIC_UPDATES_REFUSED: (
            "TransactionEvent",
            lambda p: p["triggerReason"] == "MeterValuePeriodic",
            "PropertyConstraintViolation",
        ),
    }
)

#: A station's CALL of any of several actions refused: (actions, is it refused, the code).
REFUSALS_OF_ACTIONS: Final[dict[Fault, tuple[frozenset[str], Callable[[Payload], bool], str]]] = {
    Fault.TRIGGER_READINGS_REFUSED: (
        frozenset({"MeterValues", "TransactionEvent"}),
        lambda p: "Trigger" in _contexts(p) or p.get("triggerReason") == "Trigger",
        "PropertyConstraintViolation",
    ),
    Fault.IDLE_NOTIFICATION_REFUSED: (
        frozenset({"LogStatusNotification", "FirmwareStatusNotification"}),
        lambda p: p["status"] == "Idle",
        "PropertyConstraintViolation",
    ),
    Fault.CLOCK_READINGS_REFUSED: (
        frozenset({"MeterValues", "TransactionEvent"}),
        lambda p: "Sample.Clock" in _contexts(p),
        "PropertyConstraintViolation",
    ),
    Fault.SIGNED_READINGS_REFUSED: (
        frozenset({"MeterValues", "TransactionEvent"}),
        _signed,
        "PropertyConstraintViolation",
    ),
}

REPLY_REWRITES.update(
    {
        Fault.ACCEPTS_UNKNOWN_TOKEN: ("Authorize", lambda p, cp: True, _status_was("Invalid")),
        Fault.ACCEPTS_BLOCKED_TOKEN: ("Authorize", lambda p, cp: True, _status_was("Blocked")),
        Fault.ACCEPTS_EXPIRED_TOKEN: ("Authorize", lambda p, cp: True, _status_was("Expired")),
        Fault.EVENT_TOKEN_INFO_ONLY_ON_STARTED: (
            "TransactionEvent",
            lambda p, cp: not _event(p, "Started"),
            _without("idTokenInfo"),
        ),
        Fault.EVENT_TOKENS_TRUSTED: (
            "TransactionEvent",
            lambda p, cp: True,
            _token_status("Accepted"),
        ),
        Fault.NO_GROUP_ID_TOKEN: ("Authorize", lambda p, cp: True, _without_group),
        Fault.NO_EVENT_ID_TOKEN_INFO: (
            "TransactionEvent",
            lambda p, cp: True,
            _without("idTokenInfo"),
        ),
    }
)

CALL_REWRITES.update(
    {
        Fault.TRANSACTION_STATUS_OTHER_ID: (
            frozenset({"GetTransactionStatus"}),
            lambda p: (
                p | {"transactionId": f"{p['transactionId']}-0"} if "transactionId" in p else p
            ),
        ),
        Fault.TRANSACTION_STATUS_ADDS_ID: (
            frozenset({"GetTransactionStatus"}),
            lambda p: {"transactionId": "the-last-one"} | p,
        ),
        Fault.REQUEST_STOP_OTHER_ID: (
            frozenset({"RequestStopTransaction"}),
            lambda p: p | {"transactionId": p["transactionId"] + "-0"},
        ),
        Fault.REQUEST_START_OTHER_EVSE: (
            frozenset({"RequestStartTransaction"}),
            lambda p: p | {"evseId": p.get("evseId", 0) + 1},
        ),
        Fault.UNLOCK_OTHER_CONNECTOR: (
            frozenset({"UnlockConnector"}),
            lambda p: p | {"connectorId": p["connectorId"] + 1},
        ),
        Fault.TRIGGER_MESSAGE_DROPS_EVSE: (frozenset({"TriggerMessage"}), _without("evse")),
        Fault.TRIGGER_MESSAGE_AS_STATUS: (
            frozenset({"TriggerMessage"}),
            lambda p: p | {"requestedMessage": "StatusNotification"},
        ),
        Fault.AVAILABILITY_DROPS_EVSE: (frozenset({"ChangeAvailability"}), _without("evse")),
        Fault.AVAILABILITY_DROPS_CONNECTOR: (
            frozenset({"ChangeAvailability"}),
            lambda p: p | {"evse": {"id": p["evse"]["id"]}} if "evse" in p else p,
        ),
        Fault.AVAILABILITY_ALWAYS_INOPERATIVE: (
            frozenset({"ChangeAvailability"}),
            lambda p: p | {"operationalStatus": "Inoperative"},
        ),
        Fault.AVAILABILITY_ADDS_EVSE: (
            frozenset({"ChangeAvailability"}),
            lambda p: {"evse": {"id": 1}} | p,
        ),
    }
)

#: The answers a CSMS takes as a yes (CLOSES_UNLESS_ACCEPTED closes on any other status).
YES: Final = frozenset({"Accepted", "Unlocked"})
#: The triggerReason after which each fault takes a transaction as ended.
ENDING_TRIGGERS: Final = {
    Fault.EV_SIDE_DISCONNECT_ENDS: "EVCommunicationLost",
    Fault.STOP_AUTHORIZED_ENDS: "StopAuthorized",
}


@dataclass(slots=True)
class _Memory:
    """What the stateful faults remember of one connection."""

    authorized: set[str] = field(default_factory=set)
    cache_cleared: bool = False
    highest_seq_no: int = -1
    ended: set[str] = field(default_factory=set)
    evses_in_transaction: set[int] = field(default_factory=set)


def _memory(session: MutantSession) -> _Memory:
    memory: _Memory | None = getattr(session, "_mutant_memory", None)
    if memory is None:
        memory = session._mutant_memory = _Memory()  # type: ignore[attr-defined]
    return memory


def _stateful_faults(session: MutantSession, fault: Fault, call: Call) -> None:
    """The faults of blocks C, E, F, G, J beyond the tables: a refusal of several actions, or
    one that depends on what the connection sent before."""
    payload, memory = call.payload, _memory(session)
    refusal = REFUSALS_OF_ACTIONS.get(fault)
    if refusal is not None and call.action in refusal[0] and refusal[1](payload):
        raise _error(refusal[2], f"{fault.value} (mutant)")
    token = (payload.get("idToken") or {}).get("idToken")
    if call.action == "Authorize":
        memory.authorized.add(str(token))
        if fault is Fault.CLEAR_CACHE_FORGETS_TOKENS and memory.cache_cleared:
            session._rewrite_reply[call.unique_id] = _token_status("Invalid")
    elif call.action == "TransactionEvent":
        transaction_id = _tx(payload)["transactionId"]
        if fault is Fault.SEQ_NO_PER_STATION and payload["seqNo"] <= memory.highest_seq_no:
            raise _error("PropertyConstraintViolation", f"{fault.value} (mutant)")
        memory.highest_seq_no = max(memory.highest_seq_no, payload["seqNo"])
        if transaction_id in memory.ended:
            raise _error("PropertyConstraintViolation", f"{fault.value} (mutant)")
        if payload["triggerReason"] == ENDING_TRIGGERS.get(fault):
            memory.ended.add(transaction_id)
        if fault is Fault.TOKEN_NEEDS_AUTHORIZE and token not in (None, *memory.authorized):
            session._rewrite_reply[call.unique_id] = _token_status("Invalid")
        evse = (payload.get("evse") or {}).get("id")
        if evse is not None:
            change = set.discard if _event(payload, "Ended") else set.add
            change(memory.evses_in_transaction, evse)
    elif (
        call.action == "MeterValues"
        and fault is Fault.METER_VALUES_IN_TRANSACTION_REFUSED
        and payload["evseId"] in memory.evses_in_transaction
    ):
        raise _error("PropertyConstraintViolation", f"{fault.value} (mutant)")


async def _after_call(session: MutantSession, fault: Fault, action: str, reply: Payload) -> None:
    """What the CSMS makes of a station's answer to its CALL, for the stateful faults."""
    status = reply.get("status")
    if action == "ClearCache" and status == "Accepted":
        _memory(session).cache_cleared = True
    if fault is Fault.CLOSES_UNLESS_ACCEPTED and status is not None and status not in YES:
        await session.connection.close(1000, f"{fault.value} (mutant)")


# -- B: the rest of Core (core201b) --


def _other_csms_url(payload: Payload) -> Payload:
    data = payload["connectionData"]
    return payload | {"connectionData": data | {"ocppCsmsUrl": data["ocppCsmsUrl"] + "-other"}}


CALL_REWRITES.update(
    {
        Fault.RESET_DROPS_EVSE: (
            frozenset({"Reset"}),
            lambda p: {k: v for k, v in p.items() if k != "evseId"},
        ),
        Fault.GET_REPORT_DROPS_CRITERIA: (
            frozenset({"GetReport"}),
            lambda p: {k: v for k, v in p.items() if k != "componentCriteria"},
        ),
        Fault.NETWORK_PROFILE_OTHER_URL: (frozenset({"SetNetworkProfile"}), _other_csms_url),
    }
)
REPLY_FAILURES.update(
    {
        Fault.NETWORK_PROFILE_REJECTED_FAILS: (
            "SetNetworkProfile",
            lambda r: r.get("status") == "Rejected",
        ),
    }
)
