"""How the map's own elements reach the page: packed popups, controls drawn after the
map's first frame and late plugin controls."""

import json
import re

from conftest import HOSTILE
from hypothesis import given
from hypothesis import strategies as st

from geo_app.mapview import MapOptions, build_map, render_html, standalone_html
from geo_app.mapview.elements import SafeGeoJsonLayer, pack_popups


def _collection(*popups):
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": f"f{i}", "_popup": popup},
             "geometry": {"type": "Point", "coordinates": [125.6, 43.5]}}
            for i, popup in enumerate(popups)
        ],
    }


def _unpacked(data, pieces):
    return [
        "".join(pieces[i] for i in f["properties"]["_popup"]) for f in data["features"]
    ]


def test_recurring_rows_travel_once_and_join_back_exactly():
    row = "<tr><th>位置精度</th><td>示意</td></tr>"
    first = f"<div><h4>甲</h4><table>{row}<tr><th>x</th><td>1</td></tr></table></div>"
    second = f"<div><h4>乙</h4><table>{row}<tr><th>x</th><td>2</td></tr></table></div>"
    data, pieces = pack_popups(_collection(first, second))
    assert _unpacked(data, pieces) == [first, second]
    assert pieces.count(row) == 1
    assert all(isinstance(i, int) for f in data["features"] for i in f["properties"]["_popup"])


@given(st.lists(st.text(alphabet="<>/trdh甲&; x", max_size=60), min_size=1, max_size=5))
def test_any_popup_text_joins_back_unchanged(popups):
    popups = [p for p in popups if p]
    data, pieces = pack_popups(_collection(*popups))
    assert _unpacked(data, pieces) == popups


def test_features_without_popups_and_the_input_are_left_alone():
    original = _collection("<tr><td>a</td></tr>")
    original["features"].append(
        {"type": "Feature", "properties": {"id": "plain"}, "geometry": None}
    )
    before = json.dumps(original)
    data, _ = pack_popups(original)
    assert json.dumps(original) == before
    assert data["features"][1] == original["features"][1]


def test_packed_popups_stay_escaped_in_the_page(tiny_catalog):
    page = render_html(MapOptions(catalog=tiny_catalog))
    assert HOSTILE not in page
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page
    layer = SafeGeoJsonLayer(_collection("<tr><td>a</td></tr>"), {}, None)
    assert '"popupPieces":["\\u003ctr\\u003e\\u003ctd\\u003ea' in str(layer.packed)


def _late_plugin_block(page):
    match = re.search(r"function addControls\(\) \{(.*?)\n    \}\n    function load", page, re.S)
    assert match, "no late plugin loader in the page"
    return match.group(1)


def test_served_map_adds_its_plugin_controls_after_the_first_draw(tiny_catalog):
    m = build_map(MapOptions(catalog=tiny_catalog))
    page = m.get_root().render()
    # Leaflet itself is loaded with the page; the plugins' files only by the loader.
    assert not re.search(r"<script[^>]+Control\.FullScreen\.js", page)
    assert not re.search(r"<script[^>]+leaflet-measure", page)
    assert '"/app/static/vendor/leaflet-measure-3.1.0/leaflet-measure.cn.js"' in page
    assert '"/app/static/vendor/leaflet-fullscreen-3.0.0/Control.FullScreen.css"' in page
    controls = _late_plugin_block(page)
    assert "L.control.fullscreen(" in controls and "new L.Control.Measure(" in controls
    # The measuring control stays reachable by its name, as when drawn with the map.
    (name,) = re.findall(r"var (measure_control_\w+) = new L\.Control\.Measure", controls)
    assert f'window["{name}"] = {name};' in controls


def test_late_controls_are_named_after_their_loader(tiny_catalog):
    m = build_map(MapOptions(catalog=tiny_catalog))
    page = m.get_root().render()
    (loader,) = [c for c in m._children.values() if c._name == "GeoAppLatePlugins"]
    assert all(part.get_name().endswith(f"{loader._id}_{i}")
               for i, part in enumerate(loader.parts))
    assert re.search(rf"measure_control_{loader._id}_\d", page)


def test_standalone_page_keeps_its_plugins_inline(tiny_catalog):
    page = standalone_html(MapOptions(catalog=tiny_catalog))
    assert "function addControls" not in page
    assert "L.control.fullscreen(" in page and "new L.Control.Measure(" in page


_FIRST_FRAME_RUN = re.compile(
    r"function run\(\) \{(.*?)\n    \}\n    window\.requestAnimationFrame", re.S
)


def test_controls_are_drawn_after_the_maps_first_frame(tiny_catalog):
    page = render_html(MapOptions(catalog=tiny_catalog))
    deferred = "".join(_FIRST_FRAME_RUN.findall(page))
    names = re.findall(r"var (geo_app_(?:legend|scale|click|layers)_\w+) = L\.control", page)
    assert {name.split("_")[2] for name in names} == {"legend", "scale", "click", "layers"}
    for name in names:
        # Built with the map (other scripts may name it), added to it a frame later.
        assert page.count(f"{name}.addTo(") == deferred.count(f"{name}.addTo(") == 1
    # The layers themselves are drawn at once.
    assert re.search(r"feature_group_\w+\.addTo\(map_\w+\);", page.replace(deferred, ""))
