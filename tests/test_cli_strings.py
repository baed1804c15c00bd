"""The command line's words come from strings.toml: every key it names is there, in both
languages, and no Chinese or English pair is left written inline in its modules."""

import ast
import io
import re
from pathlib import Path

import pytest

import geo_app
from geo_app.cli import all_commands, main
from geo_app.i18n import LANGS, load_strings, t
from geo_app.workspace.schema import ACTIONS

PACKAGE = Path(geo_app.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# A strings.toml name under cli., e.g. "cli.totals.heading".
CLI_KEY = re.compile(r"cli(\.[a-z0-9_]+)+")


def cli_modules() -> list[Path]:
    """Every module of the command line's package, and any other building on its support."""
    package = sorted((PACKAGE / "cli").glob("*.py"))
    users = [
        path
        for path in PACKAGE.rglob("*.py")
        if "geo_app.cli.support import" in path.read_text(encoding="utf-8")
    ]
    return sorted({*package, *users})


def string_literals(path: Path) -> list[ast.AST]:
    """The module's strings and f-strings; an f-string's fixed parts are not listed again."""
    nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    f_strings = [node for node in nodes if isinstance(node, ast.JoinedStr)]
    parts = {id(part) for node in f_strings for part in node.values}
    plain = [
        node
        for node in nodes
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts
    ]
    return [*plain, *f_strings]


def test_the_command_line_modules_are_found():
    names = {path.name for path in cli_modules()}
    assert {"entry.py", "support.py", "parcels.py", "convert.py", "workspace.py",
            "export.py"} <= names


def test_every_cli_key_in_the_code_is_in_strings_toml():
    strings = load_strings()
    keys, prefixes = set(), set()
    for path in cli_modules():
        for node in string_literals(path):
            if isinstance(node, ast.Constant) and CLI_KEY.fullmatch(node.value):
                keys.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                head = node.values[0]
                # f"cli.history.action.{action}": some string must start with the fixed part.
                if isinstance(head, ast.Constant) and CLI_KEY.fullmatch(head.value.rstrip(".")):
                    prefixes.add(head.value)
    assert len(keys) > 60  # the scan sees the keys, so an empty result cannot pass
    assert sorted(keys - set(strings)) == []
    assert [prefix for prefix in sorted(prefixes) if not strings.names(prefix)] == []


def test_no_chinese_text_is_left_inline_in_the_command_line():
    inline = [
        f"{path.name}:{node.lineno}"
        for path in cli_modules()
        for node in string_literals(path)
        if CJK.search(ast.unparse(node))
    ]
    assert inline == []


def test_every_history_action_has_words():
    for action in ACTIONS:
        for lang in LANGS:
            assert t(f"cli.history.action.{action}", lang)


def help_text(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, " ".join(out.getvalue().split())


@pytest.fixture(autouse=True)
def wide_help(monkeypatch):
    # argparse wraps help to the terminal; a wide one keeps each text on one line.
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("GEO_APP_LANG", raising=False)


@pytest.mark.parametrize("lang", LANGS)
def test_geo_app_help_lists_every_subcommand_in_the_language(lang):
    code, out = help_text("--help", "--lang", lang)
    assert code == 0
    assert t("cli.description", lang) in out
    for command in all_commands().values():
        assert t(command.help_key, lang) in out


@pytest.mark.parametrize("name", list(all_commands()))
def test_each_subcommand_help_follows_the_language(name, monkeypatch):
    help_key = all_commands()[name].help_key
    code_zh, out_zh = help_text(name, "--help")
    code_en, out_en = help_text(name, "--help", "--lang", "en")
    assert code_zh == code_en == 0
    assert t(help_key, "zh") in out_zh and t(help_key, "en") in out_en
    assert t("cli.option.lang", "zh") in out_zh and t("cli.option.lang", "en") in out_en
    # 界址点 names a Chinese survey file type, so the English import help keeps it.
    assert not CJK.search(out_en.replace("界址点", ""))
    monkeypatch.setenv("GEO_APP_LANG", "en")
    assert help_text(name, "--help")[1] == out_en


def test_history_help_gives_the_default_limit_in_both_languages():
    for lang in LANGS:
        code, out = help_text("history", "--help", "--lang", lang)
        assert code == 0 and t("cli.history.limit", lang) in out and "50" in out
    assert t("cli.history.limit", "en") == "at most N (default 50)"
