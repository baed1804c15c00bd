import re

import pytest

from geo_app.basemaps import (
    BASEMAPS_PATH,
    DEFAULT_BASEMAP,
    BasemapError,
    TileSource,
    load_basemaps,
)


def test_shipped_registry_has_offline_default_and_online_choices():
    registry = load_basemaps()
    offline = registry.get(DEFAULT_BASEMAP)
    assert offline.kind == "offline" and not offline.requires_network
    assert offline.tile_url() is None
    online = [b for b in registry if b.requires_network]
    assert {b.id for b in online} >= {"osm", "esri_imagery"}
    for basemap in online:
        assert basemap.tile_url().startswith("https://")
        assert "{z}" in basemap.tile_url()
        assert basemap.attribution("zh")
        assert basemap.name("zh") != basemap.name("en")


def test_adding_an_entry_adds_a_basemap(tmp_path):
    extra = """
[[basemaps]]
id = "intranet_gcj"
name_zh = "内网矢量（GCJ-02）"
name_en = "Intranet vector (GCJ-02)"
kind = "xyz"
url = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8"
subdomains = "1234"
crs_datum = "gcj02"
attribution_zh = "© 高德地图"
attribution_en = "© AutoNavi"
"""
    path = tmp_path / "basemaps.toml"
    path.write_text(BASEMAPS_PATH.read_text(encoding="utf-8") + extra, encoding="utf-8")
    registry = load_basemaps(path)
    assert len(registry) == len(load_basemaps()) + 1
    added = registry.get("intranet_gcj")
    assert added.crs_datum == "gcj02"
    assert added.requires_network  # tiles imply the network unless said otherwise
    assert added.tile_url().startswith("https://webrd0{s}")
    assert added.attribution("en") == "© AutoNavi"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('kind = "wms"', "kind 'wms' is not one of"),
        ('kind = "xyz"', "needs a url"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}/{y}.png"', "needs attribution_zh"),
        ('kind = "xyzservices"\nprovider = "No.Such.Provider"', "no tile provider"),
        ('kind = "offline"\ncrs_datum = "bd09"', "crs_datum 'bd09'"),
        ('kind = "offline"\ncolour = "#fff"', "unknown field"),
    ],
)
def test_bad_entries_are_named(tmp_path, entry, message):
    path = tmp_path / "basemaps.toml"
    path.write_text(
        f'[[basemaps]]\nid = "x"\nname_zh = "甲"\nname_en = "X"\n{entry}\n', encoding="utf-8"
    )
    with pytest.raises(BasemapError, match=message):
        load_basemaps(path)


def test_unknown_id_lists_the_choices():
    with pytest.raises(BasemapError, match="choose one of offline"):
        load_basemaps().get("nope")


def test_duplicate_ids_are_refused(tmp_path):
    entry = '[[basemaps]]\nid = "x"\nname_zh = "甲"\nname_en = "X"\nkind = "offline"\n'
    path = tmp_path / "basemaps.toml"
    path.write_text(entry * 2, encoding="utf-8")
    with pytest.raises(BasemapError, match="duplicate basemap id 'x'"):
        load_basemaps(path)


# ---------------------------------------------------------------- China-ready entries

TIANDITU = {"tianditu_vec": ("vec", "cva"), "tianditu_img": ("img", "cia"),
            "tianditu_ter": ("ter", "cta")}


@pytest.mark.parametrize(("basemap_id", "layers"), TIANDITU.items())
def test_tianditu_entries_are_web_mercator_wmts_with_annotation(basemap_id, layers):
    basemap = load_basemaps().get(basemap_id)
    assert basemap.kind == "wmts" and basemap.crs_datum == "wgs84"
    assert basemap.key_name == "TIANDITU_TK" and basemap.key_param == "tk"
    base, annotation = basemap.tile_sources()
    for source, layer in zip((base, annotation), layers, strict=True):
        assert source.subdomains == "01234567"
        assert source.url_template() == (
            f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
        )


def test_autonavi_entries_are_gcj02():
    registry = load_basemaps()
    vector, imagery = registry.get("gaode_vec"), registry.get("gaode_img")
    assert vector.crs_datum == imagery.crs_datum == "gcj02"
    assert vector.tile_url() == (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}"
    )
    assert "webst0{s}" in imagery.tile_url() and "style=6" in imagery.tile_url()
    assert vector.subdomains == "1234" and not vector.needs_key


def test_offline_stays_the_default_and_the_fallback():
    registry = load_basemaps()
    assert registry.ids()[0] == DEFAULT_BASEMAP
    assert registry.fallback().id == DEFAULT_BASEMAP


def test_wmts_query_joins_an_endpoint_that_already_has_parameters():
    source = TileSource("wmts", "https://gis.example/arcgis/WMTS?token=abc", layer="base",
                        tile_matrix_set="GoogleMapsCompatible",
                        tile_matrix_prefix="EPSG:900913:")
    url = source.url_template()
    assert url.startswith("https://gis.example/arcgis/WMTS?token=abc&SERVICE=WMTS&")
    assert "FORMAT=image/png" in url and "TILEMATRIX=EPSG:900913:{z}&" in url


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('kind = "xyz"\nurl = "ftp://t.test/{z}/{x}/{y}"', "must start with https://"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}.png"', "needs {z}, {x} and {y}"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}/{y}?k={key}"', "placeholder(s) {key}"),
        ('kind = "xyz"\nurl = "https://t{s}.test/{z}/{x}/{y}"', "no subdomains"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}/{y} x"', "must not contain spaces"),
        ('kind = "wmts"\nurl = "https://t.test/wmts"\nlayer = "a"', "needs tile_matrix_set"),
        ('kind = "wmts"\nurl = "https://t.test/{z}"\nlayer = "a"\ntile_matrix_set = "w"',
         "placeholder(s) {z}"),
        ('kind = "offline"\nkey_name = "K"', "key_name and key_param go together"),
        ('kind = "offline"\nkey_name = "K"\nkey_param = "k"', "only xyz and wmts"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}/{y}"\nkey_name = "a b"\nkey_param = "k"',
         "key_name must be a setting name"),
        ('kind = "xyz"\nurl = "https://t.test/{z}/{x}/{y}"\n[basemaps.annotation]\ncolour = "x"',
         "annotation: unknown field"),
        ('kind = "offline"\nmin_zoom = 30', "min_zoom must be a whole number"),
    ],
)
def test_bad_china_and_intranet_entries_are_named(tmp_path, entry, message):
    path = tmp_path / "basemaps.toml"
    head = '[[basemaps]]\nid = "x"\nname_zh = "甲"\nname_en = "X"\n'
    credit = 'attribution_zh = "甲"\nattribution_en = "X"\n'
    # Tables must come after the plain keys of the entry.
    body = entry.replace("\n[basemaps.annotation]", f"\n{credit}[basemaps.annotation]", 1)
    if "[basemaps.annotation]" not in entry:
        body = f"{entry}\n{credit}"
    path.write_text(head + body + "\n", encoding="utf-8")
    with pytest.raises(BasemapError, match=re.escape(message)):
        load_basemaps(path)
