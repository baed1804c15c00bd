"""The year's land-supply progress: supplied hectares by month of their supply date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_app.ledger import LandSupplyLedger
from geo_app.progress import MONTHS, supply_dates, year_progress

TARGET = 200.0
TODAY = dt.date(2031, 7, 1)


def parcels(*rows: tuple[float, str | None, str | None]) -> pd.DataFrame:
    """A parcels frame from (hectares, status, date) rows."""
    return pd.DataFrame(rows, columns=["hectares", "status", "date"])


def months(**hectares: float) -> tuple[float, ...]:
    """Twelve monthly figures, zero except the months named (``m3=10.0``)."""
    return tuple(hectares.get(f"m{month}", 0.0) for month in MONTHS)


TWO_YEARS = parcels(
    (10.0, "supplied", "2023-03-15"),
    (120.0, "supplied", "2024-02-10"),
    (50.0, "supplied", "2024-02-28"),
    (45.0, "supplied", "2024-06-30"),
    (30.0, "planned", "2024-01-05"),
    (25.0, "in_acquisition", "2024-04-01"),
    (7.0, "supplied", None),
    (3.0, "planned", np.nan),
)


def test_the_latest_year_with_supplied_land_is_shown_by_default():
    progress = year_progress(TWO_YEARS, TARGET, today=TODAY)
    assert progress.years == (2023, 2024)
    assert progress.year == 2024
    assert progress.target_ha == TARGET


def test_only_supplied_parcels_of_the_year_count_each_in_its_month():
    progress = year_progress(TWO_YEARS, TARGET, today=TODAY)
    # The planned and in-acquisition parcels of 2024 and the 2023 parcel are not counted.
    assert progress.monthly_ha == months(m2=170.0, m6=45.0)
    assert progress.cumulative_ha == (0.0, *[170.0] * 4, *[215.0] * 7)
    assert progress.supplied_count == 3
    assert progress.total_ha == 215.0
    assert progress.gap_ha == 0.0


def test_the_month_the_cumulative_total_first_reaches_the_target():
    assert year_progress(TWO_YEARS, TARGET, today=TODAY).reached_month == 6
    # Before June the year stood at 170 ha: a 170 ha target is reached in February.
    assert year_progress(TWO_YEARS, 170.0, today=TODAY).reached_month == 2


def test_a_target_not_reached_has_no_month_and_a_gap():
    progress = year_progress(TWO_YEARS, TARGET, 2023, today=TODAY)
    assert progress.year == 2023
    assert progress.monthly_ha == months(m3=10.0)
    assert progress.reached_month is None
    assert progress.gap_ha == pytest.approx(190.0)


def test_a_target_met_exactly_by_float_sums_is_reached():
    # Ten parcels of 0.1 ha sum to 0.9999999999999999 in floats; a target they meet
    # exactly must not be missed by the last bit.
    frame = parcels(*[(0.1, "supplied", "2024-05-01")] * 10)
    assert frame["hectares"].cumsum().iloc[-1] < 1.0
    assert year_progress(frame, 1.0, today=TODAY).reached_month == 5
    assert year_progress(frame, 1.001, today=TODAY).reached_month is None


def test_undated_parcels_are_counted_apart_whatever_their_status():
    progress = year_progress(TWO_YEARS, TARGET, today=TODAY)
    assert progress.undated_count == 2
    assert progress.undated_ha == 10.0
    assert progress.undated_supplied_count == 1
    assert progress.undated_supplied_ha == 7.0
    # They are the same whichever year is shown.
    other = year_progress(TWO_YEARS, TARGET, 2023, today=TODAY)
    assert (other.undated_count, other.undated_ha) == (2, 10.0)


def test_without_a_date_column_every_parcel_is_undated():
    frame = TWO_YEARS.drop(columns="date")
    progress = year_progress(frame, TARGET, today=TODAY)
    assert progress.years == ()
    assert not progress.has_dates
    assert progress.year == TODAY.year
    assert progress.monthly_ha == months()
    assert progress.undated_count == len(frame)
    assert progress.undated_ha == pytest.approx(frame["hectares"].sum())
    assert progress.undated_supplied_count == 5


def test_without_supplied_parcels_the_latest_dated_year_is_shown():
    frame = parcels(
        (5.0, "planned", "2022-01-10"),
        (6.0, "in_acquisition", "2025-09-01"),
        (4.0, "supplied", None),
    )
    progress = year_progress(frame, TARGET, today=TODAY)
    assert progress.years == (2022, 2025)
    assert progress.year == 2025
    assert progress.monthly_ha == months()
    assert progress.supplied_count == 0


def test_a_later_year_with_only_planned_land_does_not_hide_the_supplied_year():
    frame = parcels((5.0, "supplied", "2023-08-01"), (6.0, "planned", "2024-09-01"))
    progress = year_progress(frame, TARGET, today=TODAY)
    assert progress.years == (2023, 2024)
    assert progress.year == 2023
    assert progress.monthly_ha == months(m8=5.0)


def test_a_year_without_parcels_is_all_zero():
    progress = year_progress(TWO_YEARS, TARGET, 2019, today=TODAY)
    assert progress.year == 2019
    assert progress.cumulative_ha == months()
    assert progress.gap_ha == TARGET


def test_statuses_are_read_as_the_ledger_groups_them():
    frame = parcels(
        (1.0, " supplied ", "2024-01-01"),
        (2.0, None, "2024-01-02"),
        (4.0, "Supplied", "2024-01-03"),
    )
    # Surrounding spaces do not matter; a missing or differently written status is not
    # the code ``supplied`` (the ledger lists it apart as well).
    assert year_progress(frame, TARGET, today=TODAY).monthly_ha == months(m1=1.0)
    no_status = frame.drop(columns="status")
    progress = year_progress(no_status, TARGET, today=TODAY)
    assert progress.monthly_ha == months()
    assert progress.years == (2024,)


def test_only_iso_dates_place_a_parcel_in_a_month():
    frame = pd.DataFrame({"date": [
        "2024-05-31", " 2024-06-01 ", "2024-07-02T08:30:00", "2024-02-30", "31/05/2024",
        "2024-5-3", "", None, np.nan, 20240501,
    ]})
    dates = supply_dates(frame)
    assert list(dates.dt.month.iloc[:3]) == [5, 6, 7]
    # Impossible, day-first, unpadded, blank, missing and numeric values are undated:
    # a guess could put a parcel in the wrong month unnoticed.
    assert dates.iloc[3:].isna().all()


def test_dates_already_read_as_dates_are_used():
    frame = parcels((3.0, "supplied", "2024-04-04"), (2.0, "supplied", None))
    frame["date"] = pd.to_datetime(frame["date"])
    assert year_progress(frame, TARGET, today=TODAY).monthly_ha == months(m4=3.0)
    as_objects = parcels((3.0, "supplied", None))
    as_objects["date"] = [dt.date(2024, 9, 9)]
    assert year_progress(as_objects, TARGET, today=TODAY).monthly_ha == months(m9=3.0)


def test_an_empty_frame_has_nothing_to_show():
    frame = parcels()
    progress = year_progress(frame, TARGET, today=TODAY)
    assert progress.years == () and progress.year == TODAY.year
    assert progress.undated_count == 0 and progress.total_ha == 0.0


def test_the_frame_for_charts_has_one_row_per_month():
    table = year_progress(TWO_YEARS, TARGET, today=TODAY).frame()
    assert list(table.columns) == ["month", "supplied_ha", "cumulative_ha"]
    assert list(table["month"]) == list(MONTHS)
    assert table["supplied_ha"].sum() == table["cumulative_ha"].iloc[-1] == 215.0


def test_a_ledgers_parcels_give_their_ellipsoidal_hectares_month_by_month():
    squares = [shapely.box(125.55 + 0.02 * i, 43.60, 125.56 + 0.02 * i, 43.607) for i in range(3)]
    frame = pd.DataFrame({"status": ["supplied", "supplied", "planned"],
                          "date": ["2024-03-01", "2024-11-30", "2024-03-02"]})
    import geopandas as gpd

    ledger = LandSupplyLedger(gpd.GeoDataFrame(frame, geometry=squares, crs="EPSG:4326"),
                              TARGET)
    hectares = list(ledger.parcels["hectares"])
    progress = year_progress(ledger.parcels, ledger.target_ha, today=TODAY)
    assert progress.monthly_ha == months(m3=hectares[0], m11=hectares[1])
    assert progress.total_ha == pytest.approx(hectares[0] + hectares[1])
