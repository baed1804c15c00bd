"""``geo-app export``: defaults, format from the suffix, one-line errors with exit code 2."""

from __future__ import annotations

import io
import subprocess

import pytest

from geo_app.cli import main
from geo_app.export import ExportRequest
from geo_app.fonts import DEBIAN_PACKAGE, MissingCJKFontError


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_default_is_a_pdf_of_the_district_in_chinese_a4_landscape(tmp_path):
    target = tmp_path / "briefing.pdf"
    code, out, err = run("export", "--out", str(target))
    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    # A4 landscape is 842 x 595 points.
    assert "841.89 x 595.276 pts" in info.stdout or "842 x 595 pts" in info.stdout
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "双阳区发展布局图" in text
    assert str(target) in out


def test_format_comes_from_the_suffix(tmp_path):
    target = tmp_path / "sheet.png"
    code, _, err = run("export", "--out", str(target), "--dpi", "72", "--lang", "en")
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG")


def test_explicit_options_are_used(tmp_path):
    target = tmp_path / "custom.svg"
    code, _, err = run(
        "export", "--format", "svg", "--out", str(target), "--layers", "boundary,towns",
        "--title", "奢岭片区", "--paper", "a3", "--orientation", "portrait",
        "--extent", "bbox:125.4,43.5,125.7,43.8",
    )
    assert code == 0, err
    assert "<title>奢岭片区</title>" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ("--format", "tiff"),
        ("--paper", "B5"),
        ("--orientation", "sideways"),
        ("--dpi", "abc"),
        ("--dpi", "5000"),
        ("--extent", "somewhere"),
        ("--extent", "bbox:126,43,125,44"),
        ("--layers", "no_such_layer"),
        ("--extent", "feature:no-such-feature"),
    ],
)
def test_bad_options_give_one_line_and_exit_code_2(tmp_path, argv):
    target = tmp_path / "out.pdf"
    code, _, err = run("export", "--out", str(target), *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert not target.exists()


def test_unknown_layer_and_feature_are_named(tmp_path):
    _, _, err = run("--lang", "en", "export", "--out", str(tmp_path / "a.pdf"),
                    "--layers", "roads,nope")
    assert "nope" in err and "roads" in err  # names the culprit and lists known ids
    _, _, err = run("export", "--out", str(tmp_path / "a.pdf"), "--extent", "feature:p-404")
    assert "p-404" in err


def test_missing_out_or_unknown_suffix(tmp_path):
    code, _, err = run("export")
    assert code == 2 and "--out" in err
    code, _, err = run("export", "--out", str(tmp_path / "a.docx"))
    assert code == 2 and ".docx" in err


def test_missing_chinese_font_names_the_debian_package(tmp_path, monkeypatch):
    import geo_app.export.snapshot as snapshot

    def no_font():
        raise MissingCJKFontError()

    monkeypatch.setattr(snapshot, "find_cjk_font", no_font)
    code, _, err = run("export", "--out", str(tmp_path / "a.pdf"))
    assert code == 1
    assert DEBIAN_PACKAGE in err
    assert len(err.strip().splitlines()) == 1


def test_unwritable_destination_is_reported(tmp_path):
    code, _, err = run("export", "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_request_defaults_match_the_documented_cli_default():
    request = ExportRequest()
    assert (request.format, request.paper, request.orientation, request.lang) == (
        "pdf", "A4", "landscape", "zh"
    )
    assert request.layers is None and str(request.extent) == "district"


def test_out_never_replaces_a_device_a_pipe_or_a_folder(tmp_path):
    import os
    import stat

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for target in (fifo, folder, "/dev/null"):
        code, _, err = run("export", "--out", str(target), "--format", "csv", "--force",
                           "--lang", "en")
        assert code == 2 and "not a regular file" in err, (target, err)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and folder.is_dir()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_out_replaces_an_existing_file_only_with_force(tmp_path):
    target = tmp_path / "parcels.csv"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run("export", "--out", str(target), "--lang", "en")
    assert code == 2 and "--force" in err
    assert target.read_text(encoding="utf-8") == "keep me"
    code, _, err = run("export", "--out", str(target), "--force")
    assert code == 0, err
    assert target.read_text(encoding="utf-8-sig") != "keep me"


def test_out_never_overwrites_the_workspace_database(tmp_path):
    from geo_app.workspace import FILE_NAME, Workspace

    workspace = Workspace.open(tmp_path / "ws")
    before = workspace.count()
    for name in (FILE_NAME, FILE_NAME + "-wal", FILE_NAME + "-shm"):
        target = tmp_path / "ws" / name
        code, _, err = run("export", "--out", str(target), "--format", "gpkg", "--force",
                           "--workspace", str(tmp_path / "ws"), "--lang", "en")
        assert code == 2 and "workspace's database" in err, (name, err)
    assert Workspace.open(tmp_path / "ws").count() == before
