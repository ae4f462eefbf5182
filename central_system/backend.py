"""What a charge point session works with: the store, the policies and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from central_system.certificates import CertificateSigner, CertificateSigning
from central_system.grid import SiteController
from central_system.registration import BootPolicy
from central_system.store import Store
from central_system.timestamps import utc_now

__all__ = [
    "Backend",
]


@dataclass(frozen=True, slots=True)
class Backend:
    store: Store
    boot_policy: BootPolicy = field(default_factory=BootPolicy)
    accept_unknown_tags: bool = False
    clock: Callable[[], datetime] = utc_now
    certificate_signing: CertificateSigning = field(default_factory=CertificateSigning)
    #: Boots seen per charge point in this server run (the Pending policy counts them).
    boots_this_run: dict[str, int] = field(default_factory=dict)
    #: Per charge point, the connectors it reported in StatusNotification (read from the
    #: store on first use, then kept up to date here).
    connectors: dict[str, set[int]] = field(default_factory=dict)
    #: The sites' grid limits (serve --grid-sites); None: no site reports are understood.
    grid: SiteController | None = None
    signer: CertificateSigner = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "signer", CertificateSigner(self.certificate_signing, self.store.path)
        )

    def known_connectors(self, charge_point_id: str) -> set[int]:
        known = self.connectors.get(charge_point_id)
        if known is None:
            known = self.connectors[charge_point_id] = self.store.reported_connectors(
                charge_point_id
            )
        return known
