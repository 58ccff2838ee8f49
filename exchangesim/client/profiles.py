"""Fault profiles for a run of scenarios: loaded and checked before anything is sent, applied through the
admin API for the run, and removed afterwards whatever happened."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..admin_client import Admin, AdminError
from ..fault_profiles import check_profile, find_profile, read_profile
from .audit_check import kinds_injected

if TYPE_CHECKING:
    from ..failures.spec import FaultSpec

__all__ = ["Profile", "ProfileConflictError", "applied", "load_profile"]


class ProfileConflictError(RuntimeError):
    """The daemon cannot take the profile as it stands (a fault of the same name is active, ...)."""


@attrs.frozen
class Profile:
    """A fault profile: its faults' keys as the INI gives them, and what clients will see of them."""

    name: str
    path: Path
    faults: dict[str, dict[str, str]]
    specs: tuple[FaultSpec, ...]

    @property
    def kinds(self) -> frozenset[str]:
        return kinds_injected(self.specs)


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or an INI file of ``[failure:NAME]`` sections; ``ProfileError``
    (naming file, section and key) when it is invalid."""
    path = find_profile(name_or_path)
    faults = read_profile(path)
    return Profile(path.stem, path, faults, tuple(check_profile(path, faults)))


@contextmanager
def applied(admin: Admin, profile: Profile) -> Iterator[None]:
    """Add the profile's faults (and resume fault injection if it was halted) for the ``with`` body;
    then remove them (and halt again) even if the body failed. Faults already active are left alone.

    The admin calls are synchronous on purpose: an asyncio cancellation (Ctrl-C, SIGTERM) cannot cut
    the removal short.
    """
    state = admin.faults()
    taken = sorted({fault["name"] for fault in state["faults"]} & profile.faults.keys())
    if taken:
        raise ProfileConflictError(f"the daemon already has fault(s) {', '.join(taken)}; remove them first")
    added: list[str] = []
    resumed = False
    try:
        for name, keys in profile.faults.items():
            admin.add_fault(name, **keys)
            added.append(name)
        if not state["enabled"]:
            admin.resume_faults()
            resumed = True
        yield
    finally:
        if resumed:
            admin.halt_faults()
        for name in reversed(added):
            try:
                admin.remove_fault(name)
            except AdminError as error:
                if error.status != 404:  # someone removed it meanwhile
                    raise
