"""Finding a Chinese font for print exports, and the error when there is none."""

from __future__ import annotations

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from geo_app import fonts


@pytest.fixture(autouse=True)
def fresh_lookup():
    fonts.find_cjk_font.cache_clear()
    yield
    fonts.find_cjk_font.cache_clear()


def test_the_found_font_draws_chinese():
    font = fonts.find_cjk_font()
    face = FT2Font(font.path, face_index=font.face_index)
    assert all(face.get_char_index(ord(ch)) for ch in "双阳区征供地公顷")
    assert font.properties(12).get_family() == [font.family]


def test_a_font_missing_from_matplotlibs_cache_is_found_through_fontconfig(monkeypatch):
    # As on a machine where fonts-noto-cjk was installed after matplotlib built its cache.
    without_cjk = [e for e in font_manager.fontManager.ttflist if "CJK" not in e.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without_cjk)
    assert fonts._from_matplotlib_cache() is None
    font = fonts.find_cjk_font()
    assert fonts._draws_chinese(font.path, font.face_index)


def test_no_chinese_font_raises_an_error_naming_the_debian_package(monkeypatch):
    monkeypatch.setattr(fonts, "_from_matplotlib_cache", lambda: None)
    monkeypatch.setattr(fonts, "_from_fontconfig", lambda: None)
    with pytest.raises(fonts.MissingCJKFontError) as caught:
        fonts.find_cjk_font()
    assert "fonts-noto-cjk" in str(caught.value)
    assert caught.value.package == "fonts-noto-cjk"


def test_a_latin_only_font_is_not_taken_for_chinese():
    dejavu = font_manager.findfont("DejaVu Sans")
    assert not fonts._draws_chinese(dejavu, 0)
