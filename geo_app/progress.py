"""Land supplied month by month in one year, against the yearly target.

The plan asks for at least 200 ha of land supplied each year. The ledger
(:mod:`geo_app.ledger`) sums every parcel whatever its status, which answers "how much land
is in the pipeline"; this module answers "how far through the year's target are we", so it
counts only parcels whose status is ``supplied``: a planned parcel or one still being
acquired has not been supplied yet. Each supplied parcel counts in the month of its supply
date (the ``date`` column, ISO ``YYYY-MM-DD`` text). A parcel without a usable date cannot be
placed in a month; such parcels are counted apart so the page can say how much it leaves out
rather than hide it.

Pure pandas, no Streamlit: the page draws what this returns, and tests check the figures
without a page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPLIED = "supplied"
MONTHS: tuple[int, ...] = tuple(range(1, 13))
# Summing many parcels' float hectares can land a hair under a target they meet exactly;
# a millionth of a hectare (1 cm²) is far below anything measured, so it decides nothing else.
TOLERANCE_HA = 1e-6
# ISO date text, optionally followed by a time (a file's DATETIME column written as text):
# the date part is what places a parcel in a month.
_ISO_DATE = r"^\s*(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z]*)?\s*$"


@dataclass(frozen=True)
class YearProgress:
    """One year's supplied hectares by month, with what could not be placed in a month."""

    # The year shown, and every year in which some parcel (of any status) has a date.
    year: int
    years: tuple[int, ...]
    target_ha: float
    # Index 0 is January: hectares of supplied parcels dated in that month of ``year``.
    monthly_ha: tuple[float, ...]
    cumulative_ha: tuple[float, ...]
    # The first month (1-12) whose cumulative total reaches the target, None if none does.
    reached_month: int | None
    # Supplied parcels dated in ``year``: how many the chart stands for.
    supplied_count: int
    # Parcels without a usable date (all statuses), and the supplied ones among them.
    undated_count: int
    undated_ha: float
    undated_supplied_count: int
    undated_supplied_ha: float

    @property
    def has_dates(self) -> bool:
        """Whether any parcel has a date; without one there is no month to chart."""
        return bool(self.years)

    @property
    def total_ha(self) -> float:
        """Hectares supplied in the whole year."""
        return self.cumulative_ha[-1]

    @property
    def gap_ha(self) -> float:
        return max(self.target_ha - self.total_ha, 0.0)

    def frame(self) -> pd.DataFrame:
        """One row per month (``month`` 1-12, ``supplied_ha``, ``cumulative_ha``), for charts."""
        return pd.DataFrame({
            "month": list(MONTHS),
            "supplied_ha": list(self.monthly_ha),
            "cumulative_ha": list(self.cumulative_ha),
        })


def supply_dates(parcels: pd.DataFrame) -> pd.Series:
    """Each parcel's supply date as a timestamp; NaT where there is none or it is not a date.

    Text is read as ISO ``YYYY-MM-DD`` only: a day-first or month-first guess could put a
    parcel in the wrong month without anyone noticing, while a parcel left undated is shown
    as such. An impossible date (2024-02-30) is undated too.
    """
    if "date" not in parcels.columns:
        return pd.Series(pd.NaT, index=parcels.index, dtype="datetime64[ns]")
    raw = parcels["date"]
    if pd.api.types.is_datetime64_any_dtype(raw):
        # Already dates (read from a file's DATE column); a time zone says nothing of the month.
        return raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
    text = raw.astype("string").str.extract(_ISO_DATE, expand=False)
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def supplied_mask(parcels: pd.DataFrame) -> pd.Series:
    """True for parcels whose status is ``supplied`` (surrounding spaces ignored, as the
    ledger groups statuses); a missing status or column is not supplied."""
    if "status" not in parcels.columns:
        return pd.Series(False, index=parcels.index, dtype=bool)
    status = parcels["status"].astype("string").str.strip()
    return status.eq(SUPPLIED).fillna(False).astype(bool)


def default_year(years: tuple[int, ...], supplied_years: tuple[int, ...],
                 today: dt.date) -> int:
    """The year a planner most likely wants: the latest with land supplied, else the latest
    with any dated parcel, else the current year (nothing dated: an empty year to show)."""
    if supplied_years:
        return max(supplied_years)
    if years:
        return max(years)
    return today.year


def year_progress(
    parcels: pd.DataFrame,
    target_ha: float,
    year: int | None = None,
    *,
    today: dt.date | None = None,
) -> YearProgress:
    """Supplied hectares by month of ``year`` (None: :func:`default_year`) against
    ``target_ha``.

    ``parcels`` needs a ``hectares`` column (the ledger's ellipsoidal hectares); ``status``
    and ``date`` are optional: without them nothing is supplied or dated. Parcels dated in
    another year are not counted in this one.
    """
    hectares = pd.to_numeric(parcels["hectares"], errors="coerce").fillna(0.0)
    dates = supply_dates(parcels)
    dated = dates.notna()
    supplied = supplied_mask(parcels)
    parcel_years = dates.dt.year
    years = tuple(int(y) for y in np.sort(parcel_years[dated].unique()))
    supplied_years = tuple(int(y) for y in parcel_years[dated & supplied].unique())
    chosen = year if year is not None else default_year(
        years, supplied_years, today or dt.date.today()
    )

    counted = supplied & dated & parcel_years.eq(chosen)
    monthly = (
        hectares[counted]
        .groupby(dates[counted].dt.month)
        .sum()
        .reindex(MONTHS, fill_value=0.0)
        .astype(float)
    )
    cumulative = monthly.cumsum()
    reached = np.flatnonzero(cumulative.to_numpy() >= float(target_ha) - TOLERANCE_HA)
    undated = ~dated
    return YearProgress(
        year=int(chosen),
        years=years,
        target_ha=float(target_ha),
        monthly_ha=tuple(float(v) for v in monthly),
        cumulative_ha=tuple(float(v) for v in cumulative),
        reached_month=int(reached[0]) + 1 if reached.size else None,
        supplied_count=int(counted.sum()),
        undated_count=int(undated.sum()),
        undated_ha=float(hectares[undated].sum()),
        undated_supplied_count=int((undated & supplied).sum()),
        undated_supplied_ha=float(hectares[undated & supplied].sum()),
    )
