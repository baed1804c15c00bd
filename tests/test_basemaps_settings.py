"""Basemaps as deployment settings make them: extra entries merged in, access keys used."""

from __future__ import annotations

import pytest

from geo_app.basemaps import DEFAULT_BASEMAP, load_basemaps
from geo_app.basemaps.settings import EXTRA_BASEMAPS_ENV, configured_basemaps, resolve_basemap
from geo_app.i18n import load_strings

INTRANET = """
[[basemaps]]
id = "intranet_wmts"
name_zh = "内网影像"
name_en = "Intranet imagery"
kind = "wmts"
url = "http://10.0.0.8/geoserver/gwc/service/wmts"
layer = "city:ortho"
tile_matrix_set = "EPSG:900913"
tile_matrix_prefix = "EPSG:900913:"
attribution_zh = "本单位影像"
attribution_en = "Our imagery"
"""


def test_an_intranet_file_named_by_the_environment_is_merged(tmp_path):
    path = tmp_path / "intranet.toml"
    path.write_text(INTRANET, encoding="utf-8")
    configured = configured_basemaps({EXTRA_BASEMAPS_ENV: str(path)})
    assert configured.problems == ()
    assert configured.registry.ids()[: len(load_basemaps())] == load_basemaps().ids()
    url = configured.registry.get("intranet_wmts").tile_url()
    assert url == (
        "http://10.0.0.8/geoserver/gwc/service/wmts?SERVICE=WMTS&REQUEST=GetTile"
        "&VERSION=1.0.0&LAYER=city:ortho&STYLE=default&TILEMATRIXSET=EPSG:900913"
        "&FORMAT=image/png&TILEMATRIX=EPSG:900913:{z}&TILEROW={y}&TILECOL={x}"
    )


def test_secret_entries_are_merged_in_either_form():
    table_form = {"intranet_xyz": {
        "name_zh": "内网矢量", "name_en": "Intranet vector", "kind": "xyz",
        "url": "/tiles/{z}/{x}/{y}.png", "attribution_zh": "内网", "attribution_en": "Intranet",
    }}
    list_form = [{"id": "intranet_xyz", **table_form["intranet_xyz"]}]
    for entries in (table_form, list_form):
        configured = configured_basemaps({}, entries)
        assert configured.problems == ()
        assert configured.registry.get("intranet_xyz").tile_url() == "/tiles/{z}/{x}/{y}.png"


def test_a_broken_extra_is_left_out_with_its_reason(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(INTRANET.replace('layer = "city:ortho"\n', ""), encoding="utf-8")
    configured = configured_basemaps({EXTRA_BASEMAPS_ENV: str(path)})
    assert configured.registry.ids() == load_basemaps().ids()
    assert len(configured.problems) == 1
    assert configured.problems[0] == (
        "GEO_APP_BASEMAPS: broken.toml: basemap 'intranet_wmts': a wmts layer needs layer"
    )
    missing = configured_basemaps({EXTRA_BASEMAPS_ENV: str(tmp_path / "none.toml")})
    assert "basemap registry is missing" in missing.problems[0]
    clash = configured_basemaps({}, [{"id": "osm", "name_zh": "甲", "name_en": "A",
                                      "kind": "offline"}])
    assert "'osm' is already defined in basemaps.toml" in clash.problems[0]


KEY = "0123456789abcdef0123456789abcdef"


def test_a_key_goes_into_every_tile_url_of_a_keyed_basemap():
    choice = resolve_basemap(load_basemaps(), "tianditu_img", {"TIANDITU_TK": KEY})
    assert not choice.fell_back and choice.problem is None
    assert [t.overlay for t in choice.tiles] == [False, True]
    assert all(t.url.endswith(f"&tk={KEY}") for t in choice.tiles)
    assert KEY not in repr(choice)


def test_the_key_is_looked_up_through_a_callable_too():
    asked = []

    def lookup(name):
        asked.append(name)
        return KEY

    choice = resolve_basemap(load_basemaps(), "tianditu_vec", lookup)
    assert asked == ["TIANDITU_TK"] and KEY in choice.tiles[0].url


def test_the_environment_is_the_default_lookup(monkeypatch):
    monkeypatch.setenv("TIANDITU_TK", KEY)
    assert KEY in resolve_basemap(load_basemaps(), "tianditu_ter").tiles[1].url
    monkeypatch.delenv("TIANDITU_TK")
    assert resolve_basemap(load_basemaps(), "tianditu_ter").fell_back


@pytest.mark.parametrize("lookup", [{}, {"TIANDITU_TK": "   "}])
def test_without_a_key_the_offline_base_is_drawn_with_a_message(lookup):
    choice = resolve_basemap(load_basemaps(), "tianditu_vec", lookup)
    assert choice.fell_back and choice.shown.id == DEFAULT_BASEMAP and choice.tiles == ()
    strings = load_strings()
    zh, en = choice.message(strings, "zh"), choice.message(strings, "en")
    assert "TIANDITU_TK" in zh and "天地图 矢量" in zh and "离线底图" in zh
    assert "TIANDITU_TK" in en and "Tianditu vector" in en and "Offline base" in en


def test_a_malformed_key_is_refused_without_being_repeated():
    bad = "abc<script>alert(1)</script>"
    choice = resolve_basemap(load_basemaps(), "tianditu_vec", {"TIANDITU_TK": bad})
    assert choice.fell_back and choice.problem == "basemap.key_invalid"
    for lang in ("zh", "en"):
        assert bad not in choice.message(load_strings(), lang)


def test_basemaps_without_keys_ignore_the_lookup():
    choice = resolve_basemap(load_basemaps(), "gaode_img", {})
    assert [t.overlay for t in choice.tiles] == [False, True]
    assert choice.tiles[0].url == load_basemaps().get("gaode_img").tile_url()
    assert resolve_basemap(load_basemaps(), "offline", {}).tiles == ()
