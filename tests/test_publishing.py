"""The map approval number (审图号): configured, shown on the map and on exports."""

from __future__ import annotations

import datetime
import subprocess

import pytest

from geo_app.basemaps.publishing import (
    APPROVAL_ENV,
    ApprovalNumberError,
    approval_notes,
    approval_number,
    approval_text,
)
from geo_app.export import ExportRequest, render
from geo_app.mapview import MapOptions, render_html

NUMBER = "吉S（2024）001号"


def test_unset_or_blank_means_nothing_is_shown():
    assert approval_number({}) is None
    assert approval_number({APPROVAL_ENV: "  "}) is None
    assert approval_notes("zh", {}) == []


def test_the_number_is_read_from_the_environment_by_default(monkeypatch):
    monkeypatch.setenv(APPROVAL_ENV, NUMBER)
    assert approval_number() == NUMBER
    assert approval_notes("en") == [f"Map approval No.: {NUMBER}"]


@pytest.mark.parametrize("raw", [NUMBER, f"审图号：{NUMBER}", f"  审图号 {NUMBER}\n"])
def test_a_given_label_is_not_doubled(raw):
    assert approval_number({APPROVAL_ENV: raw}) == NUMBER
    assert approval_notes("zh", {APPROVAL_ENV: raw}) == [f"审图号：{NUMBER}"]


def test_the_lookup_may_be_a_callable():
    assert approval_number(lambda name: NUMBER if name == APPROVAL_ENV else None) == NUMBER


def test_unprintable_numbers_are_refused():
    with pytest.raises(ApprovalNumberError, match="longer than 60"):
        approval_number({APPROVAL_ENV: "号" * 61})
    with pytest.raises(ApprovalNumberError, match="control characters"):
        approval_number({APPROVAL_ENV: "GS\x07(2024)1"})


def test_the_map_shows_it_in_the_attribution_corner_escaped():
    page = render_html(MapOptions(settings={APPROVAL_ENV: NUMBER}))
    assert f'addAttribution("审图号：{NUMBER}")' in page
    english = render_html(MapOptions(lang="en", settings={APPROVAL_ENV: NUMBER}))
    assert f'addAttribution("Map approval No.: {NUMBER}")' in english
    hostile = render_html(MapOptions(settings={APPROVAL_ENV: "<b>GS</b>"}))
    assert "<b>GS" not in hostile and "\\u0026lt;b\\u0026gt;GS" in hostile
    assert "addAttribution" not in render_html(MapOptions(settings={}))


def test_a_bad_number_does_not_stop_the_map():
    page = render_html(MapOptions(settings={APPROVAL_ENV: "x" * 100}))
    assert "addAttribution" not in page and "L.map(" in page


def test_approval_text_in_both_languages():
    assert approval_text("GS(2024)1", "zh") == "审图号：GS(2024)1"
    assert approval_text("GS(2024)1", "en") == "Map approval No.: GS(2024)1"


def _pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def test_print_and_html_exports_carry_the_number(monkeypatch):
    monkeypatch.setenv(APPROVAL_ENV, NUMBER)
    pdf = render(ExportRequest(format="pdf", date=datetime.date(2022, 6, 30)))
    assert f"审图号：{NUMBER}" in _pdf_text(pdf.data).replace("\n", "")
    page = render(ExportRequest(format="html")).data.decode("utf-8")
    assert f'addAttribution("审图号：{NUMBER}")' in page
