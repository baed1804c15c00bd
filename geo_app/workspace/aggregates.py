"""Land-supply figures straight from the stored parcels: the hectares each parcel row holds
(measured when it was written), summed in SQL, so totals, breakdowns and filters never read
a geometry back. A district's hundred thousand parcels are summed in a few tens of
milliseconds.
"""

from __future__ import annotations

from typing import Any

from geo_app.workspace.dialect import Connection
from geo_app.workspace.schema import PARCELS_TABLE

# The stored columns the ledger groups by (promoted from each parcel's properties).
GROUPED = ("status", "town", "use", "use_zh", "quarter")


def parcel_groups(connection: Connection) -> list[tuple[Any, ...]]:
    """One row per combination of the :data:`GROUPED` values as stored: the values, the
    number of parcels, their hectares summed, the first parcel's ``fid`` and how many of
    them are samples, in the order of those first parcels."""
    columns = ", ".join(f'"{name}"' for name in GROUPED)
    return connection.execute(
        f"SELECT {columns}, count(*), sum(hectares), min(fid), sum(sample) "
        f"FROM {PARCELS_TABLE} GROUP BY {columns} ORDER BY min(fid)"
    ).fetchall()
