"""ocppj.frames: raw text in, a message or the exact CALLERROR to send back out."""

from __future__ import annotations

import json

import pytest
from ocpp.messages import Call, CallError, CallResult

from ocppj import OCPP16, OCPP201, Rejected, parse_frame


def test_well_formed_frames_become_ocpp_messages() -> None:
    call = parse_frame(OCPP16, '[2, "1", "Heartbeat", {}]')
    assert isinstance(call, Call)
    assert (call.unique_id, call.action, call.payload) == (
        "1",
        "Heartbeat",
        {},
    )
    result = parse_frame(OCPP16, b'[3, "1", {"currentTime": "x"}]')
    assert isinstance(result, CallResult)
    assert result.payload == {"currentTime": "x"}
    error = parse_frame(OCPP16, '[4, "1", "GenericError", "oops", {"a": 1}]')
    assert isinstance(error, CallError)
    assert error.error_details == {"a": 1}


def test_a_callerror_without_details_is_accepted() -> None:
    error = parse_frame(OCPP16, '[4, "1", "GenericError", "oops"]')
    assert isinstance(error, CallError)
    assert error.error_details == {}


@pytest.mark.parametrize(
    ("frame", "code16", "code201", "message_id"),
    [
        ("{", "FormationViolation", "RpcFrameworkError", "-1"),
        ("42", "FormationViolation", "RpcFrameworkError", "-1"),
        ('[9, "x"]', "FormationViolation", "MessageTypeNotSupported", "x"),
        ("[2]", "ProtocolError", "RpcFrameworkError", "-1"),
        ('[2, "x", "Heartbeat"]', "ProtocolError", "RpcFrameworkError", "x"),
        ('[2, {"id": 1}, "Heartbeat", {}]', "FormationViolation", "RpcFrameworkError", "-1"),
        ('[2, "x", "Heartbeat", "{}"]', "FormationViolation", "FormatViolation", "x"),
    ],
)
def test_a_defective_call_is_answered_with_the_versions_error_code(
    frame: str, code16: str, code201: str, message_id: str
) -> None:
    for version, code in ((OCPP16, code16), (OCPP201, code201)):
        rejected = parse_frame(version, frame)
        assert isinstance(rejected, Rejected)
        reply = rejected.reply
        assert reply is not None
        assert (reply.unique_id, reply.error_code) == (message_id, code)
        assert json.loads(reply.to_json())[0] == 4


@pytest.mark.parametrize("frame", ['[3, "x"]', '[3, "x", []]', '[4, "x", 5, "d", {}]'])
def test_a_defective_response_is_never_answered_but_names_its_id(frame: str) -> None:
    rejected = parse_frame(OCPP16, frame)
    assert isinstance(rejected, Rejected)
    assert rejected.reply is None
    assert rejected.message_id == "x"


def test_an_oversized_frame_is_refused_unparsed_with_its_id() -> None:
    frame = json.dumps(
        [2, "big", "DataTransfer", {"vendorId": "v", "data": "é" * 400}], ensure_ascii=False
    )
    assert isinstance(parse_frame(OCPP16, frame, max_frame_bytes=1000), Call)  # 800-odd bytes
    rejected = parse_frame(OCPP16, frame, max_frame_bytes=500)
    assert isinstance(rejected, Rejected)
    assert rejected.reply is not None
    assert (rejected.reply.unique_id, rejected.reply.error_code) == ("big", "FormationViolation")
    response = parse_frame(OCPP16, '[3, "r", {"data": "' + "x" * 600 + '"}]', max_frame_bytes=500)
    assert isinstance(response, Rejected)
    assert response.reply is None


def test_nan_and_infinity_are_not_json() -> None:
    rejected = parse_frame(OCPP16, '[2, "x", "MeterValues", {"v": Infinity}]')
    assert isinstance(rejected, Rejected)
    assert rejected.error.code == "FormationViolation"


@pytest.mark.parametrize(
    ("frame", "description"),
    [
        ('[2, "x", "Heartbeat"]', "Frame has too few elements"),
        ('[2, "x", "Heartbeat", {}, 1]', "Frame has too many elements"),
        ("{", "Frame is not valid JSON (or not UTF-8 text)"),
        ("[]", "Frame is not a non-empty JSON array"),
        ('[2, 5, "Heartbeat", {}]', "Message id is not a string"),
    ],
)
def test_error_descriptions_read_as_sentences(frame: str, description: str) -> None:
    rejected = parse_frame(OCPP16, frame)
    assert isinstance(rejected, Rejected)
    assert rejected.reply is not None
    assert rejected.reply.error_description == description


@pytest.mark.parametrize(
    ("frame", "message_id"),
    [
        (r'[2, "x", "Authorize", {"idTag": "\ud800"}]', "x"),
        (r'[2, "x", "DataTransfer", {"vendorId": "v", "\udfffkey": "1"}]', "x"),
        (r'[2, "\udc00", "Heartbeat", {}]', "-1"),
        (r'[2, "x", "Authorize", {"idTag": "\ude00\ud83d"}]', "x"),  # reversed pair
    ],
    ids=["in a value", "in a key", "as the message id", "a reversed pair"],
)
def test_a_lone_surrogate_escape_is_a_formation_violation(frame: str, message_id: str) -> None:
    rejected = parse_frame(OCPP16, frame)
    assert isinstance(rejected, Rejected)
    assert rejected.reply is not None
    assert (rejected.reply.unique_id, rejected.reply.error_code) == (
        message_id,
        "FormationViolation",
    )
    assert "surrogate" in rejected.reply.error_description


def test_a_surrogate_pair_escape_and_an_escaped_backslash_are_fine() -> None:
    pair = parse_frame(OCPP16, r'[2, "x", "Authorize", {"idTag": "\ud83d\ude00"}]')
    assert isinstance(pair, Call)
    assert pair.payload == {"idTag": "\U0001f600"}
    backslash = parse_frame(OCPP16, r'[2, "x", "Authorize", {"idTag": "\\ud800"}]')
    assert isinstance(backslash, Call)
    assert backslash.payload == {"idTag": "\\ud800"}


def test_a_response_with_a_lone_surrogate_is_not_answered() -> None:
    rejected = parse_frame(OCPP16, r'[3, "x", {"status": "\ud800"}]')
    assert isinstance(rejected, Rejected)
    assert rejected.reply is None
