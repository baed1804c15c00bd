"""Why the workspace refuses a change or cannot be used, in Chinese and English."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo_app.problems import InputError, error


class WorkspaceError(InputError):
    """The workspace cannot be used, or a change to it is refused; ``problem`` says why."""


def refusal(name: str, /, *, feature: str | None = None, **values: Any) -> WorkspaceError:
    """The refusal ``problem.<name>``, ready to raise."""
    return WorkspaceError(error(name, feature=feature, **values))


class StaleEditError(WorkspaceError):
    """The parcel changed since the version the edit was made on."""

    def __init__(self, parcel_id: str, expected: int, current: int | None):
        self.parcel_id, self.expected, self.current = parcel_id, expected, current
        if current is None:
            problem = error("stale_edit.deleted", feature=parcel_id, expected=expected)
        else:
            problem = error(
                "stale_edit.changed", feature=parcel_id, expected=expected, current=current
            )
        super().__init__(problem)


class ParcelNotFoundError(WorkspaceError):
    def __init__(self, parcel_id: str, version: int | None = None):
        if version is None:
            problem = error("no_such_parcel", feature=parcel_id)
        else:
            problem = error("no_such_version", feature=parcel_id, version=version)
        super().__init__(problem)


class DuplicateParcelError(WorkspaceError):
    def __init__(self, parcel_ids: Sequence[str], replace_hint: bool = True):
        listed = ", ".join(parcel_ids[:10]) + (" …" if len(parcel_ids) > 10 else "")
        problem = error("parcel_exists", listed=listed)
        super().__init__(problem.noted("replace_hint") if replace_hint else problem)
        self.parcel_ids = list(parcel_ids)
