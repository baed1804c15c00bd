import argparse
import io
import json

import pytest

from geo_app.cli.support import (
    Console,
    crs_argument,
    display_width,
    format_ha,
    format_optional_ha,
    json_listing_text,
    table_lines,
    translator,
)
from geo_app.problems import Problem


def test_tables_align_chinese_text_by_its_terminal_width():
    lines = table_lines([["合计", "1.00"], ["total", "12.50"]], right_columns=(1,))
    assert lines == ["合计    1.00", "total  12.50"]
    assert display_width("合计") == 4 == display_width("ab合")


def test_crs_argument_accepts_names_and_refuses_unknown_ones():
    assert crs_argument(translator("en"))("gk42").key == "gk42"
    with pytest.raises(argparse.ArgumentTypeError, match="unknown coordinate system 'EPSG:nope'"):
        crs_argument(translator("en"))("EPSG:nope")
    with pytest.raises(argparse.ArgumentTypeError, match="未知的坐标系 'EPSG:nope'"):
        crs_argument(translator("zh"))("EPSG:nope")


def test_hectares_print_with_two_or_four_decimals():
    assert format_ha(1234.5) == "1,234.50"
    assert format_optional_ha(0.12345) == "0.1235"
    assert format_optional_ha(None) == format_optional_ha(float("nan")) == "—"


def test_console_speaks_the_chosen_language_and_lists_problems():
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err, "en")
    assert console.text("cli.totals.heading") == "Land-supply ledger"
    assert console.text("cli.import.workspace", path="ws") == "workspace: ws"
    assert Console(out, err, "zh").text("cli.import.workspace", path="ws") == "工作区：ws"
    console.problems(
        [Problem("error", "x", "坏", "bad", "p-1"), Problem("warning", "y", "注意", "careful")]
    )
    assert err.getvalue().splitlines() == ["feature p-1: bad", "warning: file: careful"]
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    "module", ["geo_app.cli.support", "geo_app.cli.workspace", "geo_app.cli.export"]
)
def test_each_command_line_module_imports_on_its_own(module):
    # A fresh interpreter catches circular imports that a warm one would hide.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_names_from_files_cannot_steer_the_terminal():
    import json

    from geo_app.cli.support import json_text, terminal_text

    hostile = "p\x1b[31m-1\u202eexe.txt\x07\u2066x"
    shown = terminal_text(hostile)
    assert shown == "p\\x1b[31m-1\\u202eexe.txt\\x07\\u2066x"
    assert terminal_text("奢岭街道\n第二行\t") == "奢岭街道\n第二行\t"
    text = json_text({"id": hostile, "town": "奢岭街道"})
    assert "\x1b" not in text and "\u202e" not in text and "奢岭街道" in text
    assert json.loads(text)["id"] == hostile


def test_a_long_listing_prints_one_item_a_line_as_json_says_it():
    value = {
        "features": [
            {"id": 'a}, {"id": "b', "hectares": 1.5, "gk": None},
            {"id": 'c},{"id":"d', "hectares": 1.0, "gk": None},
            {"id": "甲\x1b[31m\u202e", "hectares": 2.0, "gk": 2.0001},
            {"id": 7, "hectares": 0.25, "gk": None},
        ],
        "total_ha": 4.75,
        "crs": "gk42",
    }
    text = json_listing_text(value, "features")
    assert json.loads(text) == value
    lines = text.splitlines()
    assert lines[0] == "{" and lines[1] == '  "features": [' and lines[-1] == "}"
    # One feature a line, whatever its id holds; steering characters escaped.
    assert [line.startswith('    {"id":') for line in lines[2:6]] == [True] * 4
    assert lines[6] == "  ],"
    assert "\x1b" not in text and "\u202e" not in text and "\\u202e" in text
    assert json.loads(json_listing_text({"features": [], "total_ha": 0.0}, "features")) == {
        "features": [], "total_ha": 0.0}
