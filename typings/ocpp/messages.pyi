from typing import Any, ClassVar

from ocpp.exceptions import OCPPError

class MessageType:
    Call: ClassVar[int]
    CallResult: ClassVar[int]
    CallError: ClassVar[int]

class Call:
    message_type_id: ClassVar[int]
    unique_id: str
    action: str
    payload: dict[str, Any]
    def __init__(self, unique_id: str, action: str, payload: Any) -> None: ...
    def to_json(self) -> str: ...
    def create_call_result(self, payload: dict[str, Any]) -> CallResult: ...
    def create_call_error(self, exception: BaseException) -> CallError: ...

class CallResult:
    message_type_id: ClassVar[int]
    unique_id: str
    payload: dict[str, Any]
    action: str | None
    def __init__(
        self, unique_id: str, payload: dict[str, Any], action: str | None = None
    ) -> None: ...
    def to_json(self) -> str: ...

class CallError:
    message_type_id: ClassVar[int]
    unique_id: str
    error_code: str
    error_description: str
    error_details: dict[str, Any] | None
    def __init__(
        self,
        unique_id: str,
        error_code: str,
        error_description: str,
        error_details: dict[str, Any] | None = None,
    ) -> None: ...
    def to_json(self) -> str: ...
    def to_exception(self) -> OCPPError: ...

def unpack(msg: str | bytes) -> Call | CallResult | CallError: ...
