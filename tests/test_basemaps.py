import pytest

from geo_app.basemaps import BASEMAPS_PATH, DEFAULT_BASEMAP, BasemapError, load_basemaps


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
id = "gaode_vec"
name_zh = "高德矢量（GCJ-02）"
name_en = "AutoNavi vector (GCJ-02)"
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
    added = registry.get("gaode_vec")
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
