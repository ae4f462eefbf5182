from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

#: Names of every function decorated with `on` or `after`, in any class.
routables: list[str]

def on(action: str, *, skip_schema_validation: bool = False) -> Callable[[_F], _F]: ...
def after(action: str) -> Callable[[_F], _F]: ...
def create_route_map(obj: object) -> dict[str, dict[str, Any]]: ...
