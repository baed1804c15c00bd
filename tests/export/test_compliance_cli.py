"""``geo-app export --sheet compliance``: the sheet from the workspace on the command line, in
either language; options it cannot take are one line and exit code 2; ``--out`` keeps its
safety (an existing file only with ``--force``, never the workspace)."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from compliance_cases import build_case, pdf_raw_text

from geo_app.cli import main
from geo_app.control import check_workspace
from geo_app.i18n import load_strings

STRINGS = load_strings()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return build_case(tmp_path_factory.mktemp("cli"))


def folder(case) -> str:
    return str(case.workspace.path.parent)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sheet_is_made_from_the_workspace(case, tmp_path, lang):
    target = tmp_path / "审查.pdf"
    code, out, err = run("--lang", lang, "export", "--sheet", "compliance", "--workspace",
                         folder(case), "--out", str(target))
    assert code == 0, err
    assert str(target) in out
    text = pdf_raw_text(target.read_bytes())
    assert re.sub(r"\s+", "", STRINGS.get("export.compliance.title_default", lang)) in text
    for parcel in check_workspace(case.workspace).in_conflict:
        assert parcel.parcel_id in text
        assert f"{parcel.hectares:,.4f}" in text


def test_png_and_svg_follow_the_suffix(case, tmp_path):
    for name, magic in (("sheet.png", b"\x89PNG"), ("sheet.svg", b"<?xml")):
        target = tmp_path / name
        code, _, err = run("export", "--sheet", "compliance", "--workspace", folder(case),
                           "--dpi", "72", "--out", str(target))
        assert code == 0, err
        assert target.read_bytes().startswith(magic)


@pytest.mark.parametrize("argv", [
    ("--format", "csv"),
    ("--layers", "boundary"),
    ("--extent", "bbox:125.4,43.5,125.7,43.8"),
    ("--sheet", "atlas"),
])
def test_what_the_sheet_cannot_take_is_one_line_and_exit_code_2(case, tmp_path, argv):
    target = tmp_path / "out.pdf"
    options = ("--sheet", "compliance", *argv) if argv[0] != "--sheet" else argv
    code, _, err = run("export", *options, "--workspace", folder(case), "--out", str(target))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not target.exists()


def test_an_existing_file_is_replaced_only_with_force(case, tmp_path):
    target = tmp_path / "old.pdf"
    target.write_bytes(b"keep me")
    code, _, err = run("export", "--sheet", "compliance", "--workspace", folder(case), "--out",
                       str(target))
    assert code != 0 and target.read_bytes() == b"keep me"
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("export", "--sheet", "compliance", "--workspace", folder(case), "--out",
                       str(target), "--force")
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF")


def test_the_workspace_file_is_never_the_output(case):
    code, _, _ = run("export", "--sheet", "compliance", "--workspace", folder(case), "--out",
                     str(case.workspace.path), "--format", "pdf", "--force")
    assert code != 0
    assert case.workspace.path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_the_installed_command_makes_the_sheet(case, tmp_path):
    """The same through ``python -m geo_app``, as a planner runs it."""
    import sys

    target = tmp_path / "sheet.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "geo_app", "export", "--sheet", "compliance", "--workspace",
         folder(case), "--out", str(target)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith(b"%PDF")
