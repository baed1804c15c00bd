"""Control lines (三区三线) and land use: reference layers and the compliance check.

:mod:`~geo_app.control.kinds` holds the kinds of reference layer, their map style and their
rule (``kinds.toml``); :mod:`~geo_app.control.reference_file` reads a planner's file into a
reference layer, whole or not at all; :mod:`~geo_app.control.check` measures, per parcel,
the hectares on each control line and the conflicts they make. The workspace stores the
layers (:mod:`geo_app.workspace.references`).
"""

from geo_app.control.check import CheckResult, Conflict, ParcelCheck, check_parcels, check_workspace
from geo_app.control.kinds import KIND_KEYS, Kind, KindRegistry, kinds
from geo_app.control.reference_file import (
    REFERENCE_LIMITS,
    ReferenceFile,
    ReferenceRefused,
    read_reference,
)

__all__ = [
    "KIND_KEYS",
    "REFERENCE_LIMITS",
    "CheckResult",
    "Conflict",
    "Kind",
    "KindRegistry",
    "ParcelCheck",
    "ReferenceFile",
    "ReferenceRefused",
    "check_parcels",
    "check_workspace",
    "kinds",
    "read_reference",
]
