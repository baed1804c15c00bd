"""Which of a parcel's columns are the product's and which are the planner's own.

Parcels imported from a land bureau's file keep every column of the file under its own
name (地块编号, DKBH, parcel_id …) beside the product's fields. Exports and popups show
the planner's columns after the product's; this module says which those are, and how a
planner's column is renamed when a format cannot hold its name beside ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from geo_app.parcel_table.understand import ORIGINAL_SUFFIX, PRODUCT_FIELDS

# Fields the product gives a parcel besides those read from a planner's table: provenance,
# English and note texts, the sample flag, and the area name of the shipped sample parcels.
PRODUCT_EXTRAS = frozenset(
    {"name_en", "plan_ref", "accuracy", "source", "source_en", "note_zh", "note_en", "sample",
     "area_zh"}
)
# Columns computed while a table or file is made, never a parcel's own property.
COMPUTED_COLUMNS = frozenset(
    {"geometry", "hectares", "gk_plane_hectares", "layer", "layer_name", "sample_data",
     "sample_note"}
)
PRODUCT_COLUMNS = PRODUCT_FIELDS | PRODUCT_EXTRAS | COMPUTED_COLUMNS


def is_planner_column(name: object) -> bool:
    return str(name) not in PRODUCT_COLUMNS


def planner_columns(names: Iterable[object]) -> list[str]:
    """The planner's own column names among ``names``, in the order they first appear."""
    seen: dict[str, None] = {}
    for name in names:
        if is_planner_column(name):
            seen.setdefault(str(name), None)
    return list(seen)


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name``, or the first of ``name_原值``, ``name_原值2`` … that is not ``taken``.

    The suffix is the one the import already uses for a planner's column that a product
    field displaced, so a renamed column reads the same way everywhere.
    """
    if not taken(name):
        return name
    candidate = name + ORIGINAL_SUFFIX
    number = 2
    while taken(candidate):
        candidate = f"{name}{ORIGINAL_SUFFIX}{number}"
        number += 1
    return candidate
