"""The page's basemap choice, access keys, approval number and "go to coordinate"."""

from __future__ import annotations

import pytest
from app_harness import assert_clean, map_args, new_app

from geo_app.basemaps import load_basemaps
from geo_app.basemaps.settings import resolve_basemap
from geo_app.coordinates_input import format_coordinate
from geo_app.i18n import load_strings

KEY = "0123456789abcdef0123456789abcdef"
STRINGS = load_strings()
SETTINGS = ("TIANDITU_TK", "GEO_APP_BASEMAPS", "GEO_APP_APPROVAL_NUMBER", "GEO_APP_CATALOG")


@pytest.fixture
def start(monkeypatch):
    """The page's first run with the given environment and secrets, nothing else."""

    def run(secrets: dict | None = None, **environment: str):
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        at = new_app()
        # Given secrets replace the machine's own secrets files for the run.
        at.secrets = {"geo_app_tests": "isolated", **(secrets or {})}
        at.run()
        assert_clean(at)
        return at

    return run


def shown_texts(at) -> list[str]:
    texts = []
    for kind in ("warning", "error", "info", "success", "caption", "markdown", "text",
                 "exception", "toast"):
        texts.extend(str(getattr(element, "value", "")) for element in getattr(at, kind))
    return texts


def choose_basemap(at, basemap_id: str):
    at.sidebar.selectbox(key="basemap").set_value(basemap_id).run()
    assert_clean(at)
    return at


def test_every_registry_entry_is_offered_and_offline_is_the_default(start):
    at = start()
    select = at.sidebar.selectbox(key="basemap")
    assert select.value == "offline"
    assert len(select.options) == len(load_basemaps())


def test_tianditu_without_a_key_warns_and_draws_the_offline_base(start):
    at = choose_basemap(start(), "tianditu_vec")
    choice = resolve_basemap(load_basemaps(), "tianditu_vec", {})
    assert choice.message(STRINGS, "zh") in [w.value for w in at.warning]
    script = map_args(at)["script"]
    assert "tianditu.gov.cn" not in script and "L.tileLayer(" not in script
    assert "L.geoJSON(" in script  # the layers are drawn all the same


@pytest.mark.parametrize("where", ["secrets", "environment"])
def test_the_key_reaches_only_the_tile_urls(start, where):
    at = start(secrets={"TIANDITU_TK": KEY}) if where == "secrets" else start(TIANDITU_TK=KEY)
    choose_basemap(at, "tianditu_img")
    script = map_args(at)["script"]
    assert script.count(KEY) == 2
    assert script.count(f"tk={KEY}") == 2
    assert "/img_w/wmts?" in script and "/cia_w/wmts?" in script
    assert not any(KEY in text for text in shown_texts(at))
    assert not any(w for w in at.warning if "TIANDITU_TK" in w.value)


def test_gaode_tiles_are_offered_with_their_datum(start):
    at = choose_basemap(start(), "gaode_vec")
    script = map_args(at)["script"]
    assert "webrd0{s}.is.autonavi.com" in script
    assert "图层已偏移对齐" in script


def test_approval_number_from_secrets_is_on_the_map(start):
    at = start(secrets={"GEO_APP_APPROVAL_NUMBER": "吉S（2024）001号"})
    assert 'addAttribution("审图号：吉S（2024）001号")' in map_args(at)["script"]


def test_a_broken_extra_basemap_file_is_reported_and_the_map_still_draws(start, tmp_path):
    path = tmp_path / "intranet.toml"
    path.write_text('[[basemaps]]\nid = "x"\nname_zh = "甲"\nname_en = "X"\nkind = "xyz"\n',
                    encoding="utf-8")
    at = start(GEO_APP_BASEMAPS=str(path))
    assert any("GEO_APP_BASEMAPS: intranet.toml" in w.value and "needs a url" in w.value
               for w in at.warning)
    assert "L.geoJSON(" in map_args(at)["script"]


def test_an_intranet_tile_server_from_secrets_can_be_chosen(start):
    intranet = {"intranet": {
        "name_zh": "内网影像", "name_en": "Intranet imagery", "kind": "xyz",
        "url": "http://10.1.2.3/tiles/{z}/{x}/{y}.png",
        "attribution_zh": "本单位", "attribution_en": "Ours",
    }}
    at = choose_basemap(start(secrets={"basemaps": intranet}), "intranet")
    assert "http://10.1.2.3/tiles/{z}/{x}/{y}.png" in map_args(at)["script"]


def go_to(at, text: str, system: str = "wgs84"):
    at.selectbox(key="coord_system").set_value(system)
    at.text_input(key="goto_text").input(text)
    at.button(key="goto_submit").click().run()
    return at


def test_go_to_a_typed_coordinate_marks_and_centres_it(start):
    at = go_to(start(), "43.52N 125.66E")
    assert_clean(at)
    assert at.session_state["goto_point"] == pytest.approx((125.66, 43.52))
    assert "定位点 · WGS84 125.660000, 43.520000" in map_args(at)["script"]
    assert any("125.660000, 43.520000" in t.value for t in at.text)
    at.button(key="goto_clear").click().run()
    assert at.session_state["goto_point"] is None
    assert "定位点 · WGS84" not in map_args(at)["script"]


def test_go_to_in_gauss_kruger_and_a_swapped_order_is_said(start):
    at = start()
    gk = format_coordinate(125.66, 43.52, "gk42")
    go_to(at, gk, "gk42")
    assert at.session_state["goto_point"] == pytest.approx((125.66, 43.52), abs=1e-6)
    assert STRINGS.get("app.goto.swapped", "zh") not in [i.value for i in at.info]
    go_to(at, "43.52, 125.66")
    assert at.session_state["goto_point"] == pytest.approx((125.66, 43.52))
    assert STRINGS.get("app.goto.swapped", "zh") in [i.value for i in at.info]


def test_unreadable_coordinates_get_a_clear_message_not_a_traceback(start):
    at = go_to(start(), "125.66")
    assert not at.exception
    assert [e.value for e in at.error] == [
        STRINGS.get("coords.error.count", "zh", count=1)
    ]
    assert "定位点 · WGS84" not in map_args(at)["script"]
