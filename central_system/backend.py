"""What a charge point session works with: the store, the policies and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from central_system.registration import BootPolicy
from central_system.store import Store
from central_system.timestamps import utc_now


@dataclass(frozen=True, slots=True)
class Backend:
    store: Store
    boot_policy: BootPolicy = field(default_factory=BootPolicy)
    accept_unknown_tags: bool = False
    clock: Callable[[], datetime] = utc_now
    #: Boots seen per charge point in this server run (the Pending policy counts them).
    boots_this_run: dict[str, int] = field(default_factory=dict)
