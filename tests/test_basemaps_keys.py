"""Access keys for tile services: never in the repository, only ever inside tile URLs."""

from __future__ import annotations

import re
import subprocess

import pytest

from geo_app.basemaps import load_basemaps
from geo_app.mapview import MapOptions, MapOptionsError, build_map, render_html
from geo_app.resources import PROJECT_ROOT

KEY = "5f4dcc3b5aa765d61d8327deb882cf99"
KEY_IN_URL = re.compile(r"tk=[0-9a-fA-F]{32}")
# Where the key may appear: at the end of a 天地图 tile URL template in the page.
TILE_URL_WITH_KEY = re.compile(
    r'"https://t\{s\}\.tianditu\.gov\.cn/[a-z]{3}_w/wmts\?[^"]*'
    + r"(?:&|\\u0026)tk=" + KEY + '"'
)


def _project_files() -> list[str]:
    """Files git tracks or would add (ignored ones, like secrets.toml, left out)."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    )
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def test_no_tile_key_is_in_any_project_file():
    files = _project_files()
    assert "geo_app/basemaps/basemaps.toml" in files
    offenders = []
    for name in files:
        path = PROJECT_ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if KEY_IN_URL.search(text):
            offenders.append(name)
    assert offenders == []


def test_secrets_files_are_ignored_by_git():
    result = subprocess.run(
        ["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=PROJECT_ROOT
    )
    assert result.returncode == 0


@pytest.mark.parametrize("basemap_id", ["tianditu_vec", "tianditu_img", "tianditu_ter"])
def test_the_key_appears_only_inside_tile_urls(basemap_id):
    page = render_html(MapOptions(basemap=basemap_id, settings={"TIANDITU_TK": KEY}))
    assert page.count(KEY) == 2  # base and annotation layer
    assert len(TILE_URL_WITH_KEY.findall(page)) == 2


def test_the_environment_key_is_used_by_default(monkeypatch):
    monkeypatch.setenv("TIANDITU_TK", KEY)
    page = render_html(MapOptions(basemap="tianditu_vec"))
    assert len(TILE_URL_WITH_KEY.findall(page)) == page.count(KEY) == 2


def test_without_a_key_the_page_draws_the_offline_base():
    page = render_html(
        MapOptions(basemap="tianditu_vec", settings={}, visible_layers=("villages",))
    )
    assert "tianditu.gov.cn" not in page
    assert "L.tileLayer(" not in page
    offline = load_basemaps().get("offline")
    assert offline.backdrop_color in page and offline.background in page


def test_errors_and_reprs_never_carry_the_key():
    settings = {"TIANDITU_TK": KEY}
    options = MapOptions(basemap="nope", settings=settings)
    assert KEY not in repr(options)
    with pytest.raises(MapOptionsError) as caught:
        build_map(options)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    with pytest.raises(MapOptionsError) as caught:
        build_map(MapOptions(basemap="tianditu_vec", settings=settings, highlight_id="nope"))
    assert KEY not in str(caught.value)
