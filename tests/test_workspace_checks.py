"""The batch check an import goes through says what the one-parcel check says."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, box

from geo_app.workspace.checks import checked_many, checked_new
from geo_app.workspace.errors import WorkspaceError
from geo_app.workspace.records import NewParcel

SQUARE = box(125.66, 43.52, 125.661, 43.521)
BOWTIE = Polygon([(125.66, 43.52), (125.661, 43.521), (125.661, 43.52), (125.66, 43.521)])
FAR = box(300.0, 43.52, 300.001, 43.521)
with np.errstate(invalid="ignore"):  # shapely warns while building it; the check refuses it
    NAN_CORNER = Polygon([(125.66, 43.52), (125.661, math.nan), (125.661, 43.52)])


def _parcel(n: int, geometry, **properties) -> NewParcel:
    return NewParcel(f"DK-{n}", {"地块编号": f"DK-{n}", **properties}, geometry)


def _error_of(function, parcels) -> str:
    with pytest.raises(WorkspaceError) as caught:
        function(parcels)
    return caught.value.problem.line("en")


def _one_by_one(parcels):
    return [checked_new(p) for p in parcels]


def test_good_parcels_come_out_as_the_one_parcel_check_makes_them():
    parcels = [
        _parcel(1, SQUARE, 面积=np.float64(1.5), 批次=np.int64(3), 备注=None, 日期=np.nan),
        _parcel(5, SQUARE, 面积=1.5, 系数=math.inf, 零=0.0),
        # Finite, though their sum is not: both kept.
        _parcel(6, SQUARE, 甲=1e308, 乙=1e308),
        _parcel(2, MultiPolygon([SQUARE, box(125.67, 43.52, 125.671, 43.521)])),
        _parcel(3, GeometryCollection([SQUARE])),
        NewParcel(" DK-4 ", {1: "数字列名", "id": "planner's own id"}, SQUARE),
    ]
    batch, single = checked_many(parcels), _one_by_one(parcels)
    assert [p.parcel_id for p in batch] == ["DK-1", "DK-5", "DK-6", "DK-2", "DK-3", "DK-4"]
    for ours, theirs in zip(batch, single, strict=True):
        assert ours.parcel_id == theirs.parcel_id
        assert ours.properties == theirs.properties
        assert ours.geometry.geom_type == "MultiPolygon"
        assert shapely.equals_exact(ours.geometry, theirs.geometry)
    assert batch[0].properties == {
        "地块编号": "DK-1", "面积": 1.5, "批次": 3, "备注": None, "日期": None, "id": "DK-1"}
    assert type(batch[0].properties["批次"]) is int
    assert batch[1].properties == {"地块编号": "DK-5", "面积": 1.5, "系数": None, "零": 0.0,
                                   "id": "DK-5"}
    assert batch[2].properties["甲"] == 1e308 and batch[2].properties["乙"] == 1e308
    assert batch[5].properties == {"1": "数字列名", "id": "DK-4"}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (BOWTIE, "DK-3"),
        (FAR, "DK-3"),
        (NAN_CORNER, "DK-3"),
        (Polygon(), "DK-3"),
        (shapely.Point(125.66, 43.52), "DK-3"),
        (GeometryCollection([SQUARE, shapely.Point(125.66, 43.52)]), "DK-3"),
    ],
)
def test_a_bad_parcel_is_refused_with_the_one_parcel_checks_words(bad, words):
    parcels = [_parcel(n, SQUARE) for n in range(1, 6)]
    parcels[2] = _parcel(3, bad)
    parcels[4] = _parcel(5, BOWTIE)
    message = _error_of(checked_many, parcels)
    assert message == _error_of(_one_by_one, parcels)
    assert words in message and "DK-5" not in message


def test_the_first_refusal_in_order_wins_whether_id_or_shape():
    missing_id_first = [_parcel(1, SQUARE), NewParcel("  ", {}, SQUARE), _parcel(3, BOWTIE)]
    shape_first = [_parcel(1, BOWTIE), NewParcel("", {}, SQUARE)]
    for parcels in (missing_id_first, shape_first):
        assert _error_of(checked_many, parcels) == _error_of(_one_by_one, parcels)
    assert "DK-1" in _error_of(checked_many, shape_first)
