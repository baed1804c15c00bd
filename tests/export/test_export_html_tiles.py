"""The standalone HTML map of a big selection: the parcels travel as a vector-tile archive
the page carries, not as GeoJSON; a small one is drawn as before."""

from __future__ import annotations

import base64
import re

import pyogrio
import pytest
from export_helpers import FIXED_DATE

from geo_app.export import ExportRequest, render
from geo_app.export import html as html_export
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.workspace.tile_file import THRESHOLD_ENV

STRINGS = load_strings()
ARCHIVE_BLOCK = re.compile(
    r'<script type="application/octet-stream" id="geo-app-parcel-archive">([^<]*)</script>')


@pytest.fixture
def low_threshold(monkeypatch):
    """The sample ledger's 44 parcels are above the tile threshold."""
    monkeypatch.setenv(THRESHOLD_ENV, "10")


def _page(ledger=None, lang: str = "zh") -> str:
    request = ExportRequest(format="html", date=FIXED_DATE, lang=lang)
    return render(request, ledger=ledger).data.decode("utf-8")


def _archive(page: str, tmp_path):
    """The page's archive, decoded and read back by GDAL (its last zoom)."""
    found = ARCHIVE_BLOCK.search(page)
    assert found is not None
    path = tmp_path / "carried.pmtiles"
    path.write_bytes(base64.b64decode(found.group(1), validate=True))
    return pyogrio.read_dataframe(path, layer="parcels")


def test_above_the_threshold_the_page_carries_an_archive_and_no_parcel_features(
        low_threshold):
    whole = default_ledger()
    page = _page()
    assert ARCHIVE_BLOCK.search(page) is not None
    # Drawn from the archive the page carries, by the library that reads it from memory.
    assert '"url":"#geo-app-parcel-archive"' in page
    assert "var pmtiles" in page
    assert not any(f'"id":"{pid}"' in page for pid in whole.parcels["id"])
    # The legend says what a click shows and where the rest is; not that a server answers.
    count = len(whole.parcels)
    assert STRINGS.get("export.html.parcel_tiles", "zh", count=count, zoom=9) in page
    assert STRINGS.get("legend.parcel_tiles", "zh", count=count, zoom=9) not in page
    # The popup's words, in the page's language.
    assert STRINGS.get("export.html.parcel_popup_more", "zh") in page
    assert STRINGS.get("parcel.status.supplied", "zh") in page


def test_the_carried_archive_holds_the_selection_and_what_its_popup_shows(
        low_threshold, tmp_path):
    supplied = default_ledger().filtered(status="supplied")
    frame = _archive(_page(supplied), tmp_path)
    assert set(frame["id"]) == set(supplied.parcels["id"])
    assert frame["id"].nunique() == len(supplied.parcels)
    assert set(frame["status"]) == {"supplied"}
    assert set(frame.columns) >= {"id", "status", "town", "quarter", "accuracy"}
    assert set(frame["town"]) == set(supplied.parcels["town"])


def test_an_english_page_says_it_in_english(low_threshold):
    page = _page(lang="en")
    count = len(default_ledger().parcels)
    assert STRINGS.get("export.html.parcel_tiles", "en", count=f"{count:,}", zoom=9) in page
    assert STRINGS.get("export.html.parcel_popup_more", "en") in page


def test_at_or_below_the_threshold_the_parcels_travel_as_geojson(monkeypatch):
    whole = default_ledger()
    monkeypatch.setenv(THRESHOLD_ENV, str(len(whole.parcels)))
    page = _page()
    assert ARCHIVE_BLOCK.search(page) is None
    assert "geo-app-parcel-archive" not in page
    assert all(f'"id":"{pid}"' in page for pid in whole.parcels["id"])


def test_without_the_library_that_reads_a_carried_archive_the_parcels_travel_as_geojson(
        low_threshold, monkeypatch):
    """An install whose map assets were not fetched still exports every parcel."""
    monkeypatch.setattr(html_export, "ARCHIVE_READER", ("pmtiles", "not_fetched_js"))
    page = _page()
    assert ARCHIVE_BLOCK.search(page) is None
    assert all(f'"id":"{pid}"' in page for pid in default_ledger().parcels["id"])
