import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo_app.catalog import load_layer_frame
from geo_app.importing import prepare_import
from geo_app.ledger import (
    PARCEL_STATUSES,
    TOWNS,
    UNKNOWN,
    LandSupplyLedger,
    default_ledger,
    filter_key,
    ledger_of_plan,
    plan_target,
)
from geo_app.plan import load_plan

GEOD = Geod(ellps="GRS80")
KEYS = {
    "target_ha",
    "total_ha",
    "gap_ha",
    "by_status",
    "by_town",
    "by_use",
    "by_quarter",
    "parcel_count",
    "sample_data",
}


def geod_ha(geom):
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))[0]) / 1e4


def parcels():
    geoms = [
        shapely.box(125.60, 43.50, 125.61, 43.505),
        shapely.box(125.62, 43.50, 125.63, 43.51),
        shapely.box(125.64, 43.50, 125.642, 43.502),
        shapely.box(125.66, 43.52, 125.665, 43.525),
    ]
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "status": ["planned", "supplied", "supplied", None],
            "town": ["奢岭街道", "云山街道", "云山街道", "不存在镇"],
            "use": ["industrial", "tourism", "industrial", "public"],
            "use_zh": ["工业", "旅游", "工业", "公共服务"],
            "quarter": ["2022Q2", "2022Q1", "2022Q2", "2022Q3"],
            "sample": [True, True, True, True],
        },
        geometry=geoms,
        crs=4326,
    )


def test_totals_are_ellipsoidal_hectares_summed():
    frame = parcels()
    ledger = LandSupplyLedger(frame, 200)
    truth = [geod_ha(g) for g in frame.geometry]
    assert ledger.total_ha == pytest.approx(sum(truth), rel=1e-6)
    np.testing.assert_allclose(ledger.parcels["hectares"], truth, rtol=1e-6)
    assert ledger.gap_ha == pytest.approx(200 - sum(truth), rel=1e-9)
    assert ledger.parcel_count == 4 and ledger.sample_data is True


def test_breakdowns():
    frame = parcels()
    ha = [geod_ha(g) for g in frame.geometry]
    ledger = LandSupplyLedger(frame, 200)
    assert list(ledger.by_status) == [*PARCEL_STATUSES, "unknown"]
    assert ledger.by_status["in_acquisition"] == 0.0
    assert ledger.by_status["supplied"] == pytest.approx(ha[1] + ha[2], rel=1e-6)
    assert ledger.by_status["unknown"] == pytest.approx(ha[3], rel=1e-6)
    assert list(ledger.by_town)[: len(TOWNS)] == list(TOWNS)
    assert ledger.by_town["云山街道"] == pytest.approx(ha[1] + ha[2], rel=1e-6)
    assert ledger.by_town["不存在镇"] == pytest.approx(ha[3], rel=1e-6)
    assert ledger.by_town["齐家镇"] == 0.0
    uses = list(ledger.by_use.values())
    assert uses == sorted(uses, reverse=True)
    assert list(ledger.by_quarter) == ["2022Q1", "2022Q2", "2022Q3"]
    for totals in (ledger.by_status, ledger.by_town, ledger.by_use, ledger.by_quarter):
        assert sum(totals.values()) == pytest.approx(ledger.total_ha, rel=1e-12)
    assert ledger.use_labels() == {"industrial": "工业", "tourism": "旅游", "public": "公共服务"}


def test_gap_is_never_negative():
    ledger = LandSupplyLedger(parcels(), 1.0)
    assert ledger.total_ha > 1.0 and ledger.gap_ha == 0.0


def test_filtered_keeps_the_target():
    ledger = LandSupplyLedger(parcels(), 200)
    supplied = ledger.filtered(status="supplied")
    assert supplied.parcel_count == 2 and supplied.target_ha == 200
    assert supplied.total_ha == pytest.approx(ledger.by_status["supplied"], rel=1e-12)
    both = ledger.filtered(status=["supplied", "planned"], quarter="2022Q2")
    assert sorted(both.parcels["id"]) == ["a", "c"]
    assert ledger.filtered(town="太平镇").total_ha == 0.0


def test_to_dict_is_the_totals_json():
    result = LandSupplyLedger(parcels(), 200).to_dict()
    assert set(result) == KEYS
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_projected_parcels_are_converted_before_measuring():
    frame = parcels()
    lonlat = LandSupplyLedger(frame, 200)
    gk = LandSupplyLedger(frame.to_crs(4530), 200)
    assert gk.total_ha == pytest.approx(lonlat.total_ha, rel=1e-8)


def test_without_a_status_column_every_parcel_counts_as_unknown():
    ledger = LandSupplyLedger(parcels().drop(columns="status"), 200)
    assert ledger.by_status == {
        **dict.fromkeys(PARCEL_STATUSES, 0.0), "unknown": pytest.approx(ledger.total_ha)
    }


def test_sample_flag_comes_from_the_parcels_when_not_given():
    frame = parcels()
    frame["sample"] = False
    assert LandSupplyLedger(frame, 200).sample_data is False
    assert LandSupplyLedger(frame.drop(columns="sample"), 200).sample_data is False
    assert LandSupplyLedger(frame, 200, sample_data=True).sample_data is True


def test_default_ledger_uses_the_plan_target_and_the_shipped_parcels():
    item = load_plan().item("land_supply_ha")
    ledger = default_ledger()
    assert ledger.target_ha == 200.0 == float(item.quantity)
    layer = load_layer_frame(item.measure_layer)
    assert ledger.parcel_count == len(layer)
    truth = sum(geod_ha(g) for g in layer.geometry)
    assert ledger.total_ha == pytest.approx(truth, rel=1e-6)
    assert ledger.sample_data is True
    assert plan_target().layer_id == item.measure_layer


def test_ledger_from_a_parcels_file(tmp_path):
    path = tmp_path / "parcels.gpkg"
    parcels().fillna({"status": "planned"}).to_crs(4551).to_file(path)
    ledger = ledger_of_plan(prepare_import(path), 50)
    assert ledger.parcel_count == 4 and ledger.target_ha == 50
    assert ledger.total_ha == pytest.approx(LandSupplyLedger(parcels(), 50).total_ha, rel=1e-8)


def test_a_parcels_file_with_unknown_words_still_totals_them_as_unknown(tmp_path):
    path = tmp_path / "parcels.geojson"
    frame = parcels()
    frame.loc[2, "status"] = "done"
    frame.drop(columns="quarter").to_file(path)
    ledger = ledger_of_plan(prepare_import(path), 200)
    assert ledger.parcel_count == 4
    assert ledger.by_status["unknown"] == pytest.approx(
        sum(geod_ha(g) for g in frame.geometry.iloc[2:]), rel=1e-6
    )
    codes = {p.code for p in ledger.problems}
    assert {"status_not_understood", "field_not_found"} <= codes
    assert not any(p.is_error for p in ledger.problems)


def test_a_parcels_file_with_broken_geometry_says_why(tmp_path):
    path = tmp_path / "parcels.geojson"
    frame = parcels()
    frame.loc[1, "geometry"] = shapely.Polygon(
        [(125.62, 43.50), (125.63, 43.51), (125.63, 43.50), (125.62, 43.51)]
    )
    frame.to_file(path)
    plan = prepare_import(path)
    assert not plan.parcels
    assert [(p.feature, p.code) for p in plan.problems if p.is_error] == [
        ("b", "self_intersection")
    ]



def test_the_map_filter_and_the_ledger_keep_the_same_parcels():
    from app_parts.page_data import filter_choices
    from geo_app.mapview.options import ParcelFilter

    frame = parcels()
    frame.loc[0, "town"] = "太平镇 "
    frame.loc[1, "town"] = "太平镇"
    ledger = LandSupplyLedger(frame, 200)
    choices = filter_choices(ledger.parcels)
    assert choices.towns.count("太平镇") == 1 and "太平镇 " not in choices.towns
    wanted = ParcelFilter.of(towns=["太平镇"], statuses=["planned", "supplied", "unknown"])
    drawn = [row["id"] for row in frame.to_dict("records") if wanted.matches(row)]
    counted = ledger.filtered(status=wanted.statuses, town=wanted.towns)
    assert drawn == list(counted.parcels["id"]) == ["a", "b"]
    both = geod_ha(frame.geometry[0]) + geod_ha(frame.geometry[1])
    assert counted.total_ha == pytest.approx(both)


def test_a_filtered_ledger_equals_a_ledger_of_the_parcels_it_keeps():
    # A filter reuses the hectares and keys it already worked out; what it gives must be
    # what measuring the kept parcels afresh gives, also when filters are chained.
    rng = np.random.default_rng(3)
    n = 300
    x = 125.5 + rng.uniform(0, 0.3, n)
    y = 43.4 + rng.uniform(0, 0.3, n)
    frame = gpd.GeoDataFrame(
        {"status": rng.choice(["planned", "supplied", "已出让 ", None], n),
         "town": rng.choice(["奢岭街道", "云山街道", None], n),
         "quarter": rng.choice(["2022Q1", "2022Q2"], n)},
        geometry=list(shapely.box(x, y, x + 0.002, y + 0.001)), crs="EPSG:4326")
    whole = LandSupplyLedger(frame, 200)
    # The keys are worked out before filtering.
    assert sum(whole.by_town.values()) == pytest.approx(whole.total_ha)
    chained = whole.filtered(status="supplied").filtered(town=["奢岭街道", UNKNOWN])
    keys = [(filter_key(s), filter_key(t)) for s, t in zip(frame.status, frame.town,
                                                            strict=True)]
    kept = frame[[s == "supplied" and t in ("奢岭街道", UNKNOWN) for s, t in keys]]
    fresh = LandSupplyLedger(kept, 200)
    assert chained.parcel_count == fresh.parcel_count > 0
    assert chained.total_ha == pytest.approx(fresh.total_ha, rel=1e-12)
    assert chained.by_status == pytest.approx(fresh.by_status, rel=1e-12)
    assert chained.by_town == pytest.approx(fresh.by_town, rel=1e-12)
    assert chained.by_quarter == pytest.approx(fresh.by_quarter, rel=1e-12)
    assert whole.parcel_count == n  # the ledger filtered is left as it was
