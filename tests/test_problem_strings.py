"""Problem texts come from strings.toml: every name the code builds a problem or its words
from is there in both languages, each call passes exactly the values its text takes, and
no Chinese is left inline in the modules that build problems."""

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

import geo_app
from geo_app.i18n import LANGS, MissingStringError, load_strings
from geo_app.problems import InputError, Problem, error, warning, words
from geo_app.reading import coordtables, jzd
from geo_app.validation import GEOS_REASONS

PACKAGE = Path(geo_app.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Where problems are built from: a module importing from one of these builds problems.
BUILDER_MODULES = (
    "geo_app.problems",
    "geo_app.reading.base",
    "geo_app.reading.geojson_geometry",
    "geo_app.workspace.errors",
)
# The error family: a module that only raises or catches these builds no problem text.
ERROR_CLASSES = frozenset(
    {"GeoAppError", "InputError", "KeyedError", "DataError", "SettingsError", "Lang"}
)
# Calls whose first argument names a text, and the strings.toml table it is under.
NAMED_BY_CALL = {
    "error": "problem.",
    "warning": "problem.",
    "file_error": "problem.",
    "refusal": "problem.",
    "_refuse": "problem.",
    "FeatureFault": "problem.",
    "words": "problem_words.",
    "noted": "problem_words.",
}
# Arguments of those calls that are not values of the text.
NOT_VALUES = {"feature", "severity"}
# A full strings.toml name written out, e.g. "problem_words.geometry_type.".
FULL_NAME = re.compile(r"problem(_words|_line)?(\.[a-z0-9_]+)+\.?")
# Words the input files are written in, which the readers look for in them: data, not text
# shown to users (界址点 sections, fields and header lines, column names, status words).
JZD_HEADER_WORDS = {
    "坐标系", "投影类型", "高斯", "计量单位", "米", "几度分带", "带号", "西安", "北京"
}


def input_words() -> set[str]:
    columns = {*coordtables.WKT_COLUMNS, *coordtables.ID_COLUMNS, *coordtables.RING_COLUMNS}
    for xs, ys, _ in coordtables.COORDINATE_PAIRS:
        columns.update([*xs, *ys])
    return {
        jzd.FORMAT_NAME,
        jzd.HEADER_SECTION,
        jzd.PARCEL_SECTION,
        *jzd.PARCEL_FIELDS,
        *JZD_HEADER_WORDS,
        *columns,
    }


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def problem_modules() -> list[Path]:
    """The modules that define problem builders, and every module importing from them."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Importing only the error classes (to raise or catch them) builds no problem text.
        imports = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and any(alias.name not in ERROR_CLASSES for alias in node.names)
        }
        if module_name(path) in BUILDER_MODULES or imports & set(BUILDER_MODULES):
            found.append(path)
    return found


def calls_naming_texts(path: Path) -> Iterator[tuple[str, ast.Call]]:
    """(table, call) for each call of NAMED_BY_CALL; ``noted`` is a method, the rest are not."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if (name == "noted") == isinstance(func, ast.Attribute) and name in NAMED_BY_CALL:
            yield NAMED_BY_CALL[name], node


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def docstrings(tree: ast.AST) -> set[int]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def test_the_modules_that_build_problems_are_found():
    names = {module_name(path) for path in problem_modules()}
    assert {
        "geo_app.validation",
        "geo_app.importing",
        "geo_app.reading.jzd",
        "geo_app.reading.coordtables",
        "geo_app.reading.archives",
        "geo_app.reading.dbf",
        "geo_app.parcel_drawing",
        "geo_app.reading",
        "geo_app.reading.files",
        "geo_app.reading.gdal",
        "geo_app.reading.geojson",
        "geo_app.reading.geojson_geometry",
        "geo_app.reading.crs_choice",
        "geo_app.workspace.checks",
        "geo_app.workspace.store",
        "geo_app.workspace.schema",
        "geo_app.workspace.connection",
        *BUILDER_MODULES,
    } <= names


def test_every_problem_name_in_the_code_is_in_strings_toml():
    strings = load_strings()
    names, prefixes = set(), set()
    for path in problem_modules():
        for table, call in calls_naming_texts(path):
            first = call.args[0]
            if isinstance(first, ast.Constant):
                names.add(table + first.value)
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                # words(f"json_type.{kind}"): some text must start with the fixed part.
                prefixes.add(table + first.values[0].value)
    names.update(f"problem.{name}" for name in GEOS_REASONS.values())
    assert len(names) > 150  # the scan sees the calls, so an empty result cannot pass
    assert sorted(names - set(strings)) == []
    assert [prefix for prefix in sorted(prefixes) if not strings.names(prefix)] == []
    for name in names:
        for lang in LANGS:
            assert strings.get(name, lang)


def test_every_full_name_in_the_code_is_in_strings_toml():
    strings = load_strings()
    missing = []
    for path in problem_modules():
        nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
        f_strings = [node for node in nodes if isinstance(node, ast.JoinedStr)]
        parts = {id(part) for node in f_strings for part in node.values}
        for node in nodes:
            if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
                # f"problem_words.geometry_type.{kind}": some name must start with the fixed part.
                text, exists = node.values[0].value, strings.names
            elif isinstance(node, ast.Constant) and id(node) not in parts:
                text, exists = node.value, strings.__contains__
            else:
                continue
            if isinstance(text, str) and FULL_NAME.fullmatch(text) and not exists(text):
                missing.append(f"{path.name}: {text}")
    assert missing == []


def test_each_call_passes_the_values_its_text_takes():
    strings = load_strings()
    wrong, checked = [], 0
    for path in problem_modules():
        for table, call in calls_naming_texts(path):
            first = call.args[0]
            passes_all = all(keyword.arg is not None for keyword in call.keywords)
            if not (isinstance(first, ast.Constant) and passes_all):
                continue
            given = {keyword.arg for keyword in call.keywords} - NOT_VALUES
            name = table + first.value
            if name not in strings:
                continue  # said by test_every_problem_name_in_the_code_is_in_strings_toml
            taken = placeholders(strings.get(name, "zh")) | placeholders(strings.get(name, "en"))
            checked += 1
            if given != taken:
                wrong.append(f"{path.name}:{call.lineno} {name} gets {sorted(given)}")
    assert checked > 120  # most calls are checked, so a scan that misses them fails
    assert wrong == []


def test_no_chinese_text_is_left_inline_where_problems_are_built():
    allowed = input_words()
    inline = []
    for path in problem_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and CJK.search(node.value) and node.value not in allowed:
                inline.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert inline == []


def test_a_problem_is_its_code_and_its_text_from_strings_toml():
    problem = error("too_deep.measured", feature="p-1", depth=70, limit=64)
    assert (problem.severity, problem.code, problem.feature) == ("error", "too_deep", "p-1")
    assert problem.message_en == (
        "the JSON is nested too deeply (70 levels, the limit is 64); this is not ordinary GeoJSON"
    )
    assert problem.message_zh == "JSON 嵌套过深（70 层，上限 64）；不是正常的 GeoJSON"


def test_words_are_filled_in_each_language():
    problem = warning("old_datum", datum=words("datum.xian1980"))
    assert "1980西安坐标系" in problem.message_zh and "Xian 1980" in problem.message_en
    noted = problem.noted("near", severity="error", x="1.000000", y="2.000000")
    assert noted.is_error and noted.code == "old_datum"
    assert noted.message_en == problem.message_en + " near 1.000000, 2.000000"
    assert noted.message_zh == problem.message_zh + "，位置约 1.000000, 2.000000"


def test_a_problem_strings_toml_does_not_have_is_refused():
    with pytest.raises(MissingStringError, match=r"'problem\.no_such_problem'"):
        error("no_such_problem")


@pytest.mark.parametrize("lang", LANGS)
def test_the_line_prefixes_come_from_strings_toml(lang):
    strings = load_strings()
    problem = Problem("warning", "x", "甲", "a", "p-1")
    expected = strings.get("problem_line.warning.feature", lang).format(
        feature="p-1", message=problem.message(lang)
    )
    assert problem.line(lang) == expected


def test_repeated_feature_problems_are_summed_up_and_errors_come_first():
    from geo_app.problems import error, summarised, warning

    outside = [warning("outside_district", feature=f"p-{i}") for i in range(10)]
    broken = error("no_features.file")
    kept = [warning("area_mismatch", feature=f"q-{i}", declared="1", ellipsoidal="2",
                    plane="2", difference="+1%") for i in range(6)]
    out = summarised([*outside, broken, *kept], keep_all=frozenset({"area_mismatch"}))
    assert out[0] is broken
    assert [p.feature for p in out[1:4]] == ["p-0", "p-1", "p-2"]
    summary = out[4]
    assert summary.feature is None and summary.code == "outside_district"
    assert "7" in summary.message_zh and "p-3" in summary.message_en
    assert [p.feature for p in out[5:]] == [f"q-{i}" for i in range(6)]
    few = summarised(outside[:4])
    assert few == outside[:4]


def test_every_error_a_user_meets_is_one_family_said_in_both_languages():
    from geo_app.atomic import UnsafeTarget
    from geo_app.basemaps import BasemapError
    from geo_app.basemaps.publishing import ApprovalNumberError
    from geo_app.catalog import CatalogError
    from geo_app.coordinates_input import CoordinateInputError
    from geo_app.crs import UnknownCRSError, parse_crs
    from geo_app.export.request import ExportOptionError
    from geo_app.fonts import MissingCJKFontError
    from geo_app.ledger import LedgerError
    from geo_app.mapview.builder import MapOptionsError
    from geo_app.plan import PlanError
    from geo_app.problems import GeoAppError
    from geo_app.workspace import WorkspaceError

    for family in (BasemapError, ApprovalNumberError, CatalogError, CoordinateInputError,
                   UnknownCRSError, UnsafeTarget, ExportOptionError, MissingCJKFontError,
                   LedgerError, MapOptionsError, PlanError, WorkspaceError, InputError):
        assert issubclass(family, GeoAppError), family
    with pytest.raises(GeoAppError) as info:
        parse_crs("EPSG:99999999")
    assert CJK.search(info.value.message("zh")) and not CJK.search(info.value.message("en"))
    shipped = CatalogError("layers/catalog.toml: no [[layers]] tables")
    assert shipped.message("zh").startswith("无法读取随附数据")
    assert str(shipped) == "layers/catalog.toml: no [[layers]] tables"
    assert UnsafeTarget("export.error.out_exists", Path("a.csv")).exit_code == 2
