"""Atomic saves: a failure mid-write leaves the previous file intact and no temporary file."""

from __future__ import annotations

import dataclasses

import pytest

from geo_app.atomic import TEMP_PREFIX, atomic_path, atomic_write_bytes
from geo_app.export import ExportRequest, export_to_file
from geo_app.export import service as export_service


class WriterCrash(RuntimeError):
    pass


def leftovers(folder) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.startswith(TEMP_PREFIX)]


def test_atomic_write_replaces_the_file(tmp_path):
    target = tmp_path / "map.pdf"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert leftovers(tmp_path) == []


def test_failure_mid_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "map.pdf"
    target.write_bytes(b"previous good file")
    with pytest.raises(WriterCrash), atomic_path(target) as temp:
        temp.write_bytes(b"half a fi")
        raise WriterCrash("disk full")
    assert target.read_bytes() == b"previous good file"
    assert leftovers(tmp_path) == []


def test_a_writer_that_writes_nothing_does_not_replace_the_file(tmp_path):
    target = tmp_path / "map.pdf"
    target.write_bytes(b"previous")
    with pytest.raises(OSError), atomic_path(target):
        pass
    assert target.read_bytes() == b"previous"
    assert leftovers(tmp_path) == []


def test_export_crashing_inside_the_gdal_writer_keeps_the_old_geopackage(tmp_path, monkeypatch):
    target = tmp_path / "plan.gpkg"
    export_to_file(ExportRequest(format="gpkg"), target)
    previous = target.read_bytes()

    real_writer = export_service.data.write_gpkg

    def crash_after_first_layer(scene, lang, path):
        real_writer(dataclasses.replace(scene, layers=scene.layers[:1]), lang, path)
        raise WriterCrash("killed mid-save")

    monkeypatch.setattr(export_service.data, "write_gpkg", crash_after_first_layer)
    with pytest.raises(WriterCrash):
        export_to_file(ExportRequest(format="gpkg", layers=("towns", "rivers")), target)
    assert target.read_bytes() == previous
    assert leftovers(tmp_path) == []


def test_export_crashing_while_drawing_keeps_the_old_pdf(tmp_path, monkeypatch):
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"%PDF- previous sheet")

    def crash(*_args, **_kwargs):
        raise WriterCrash("renderer died")

    monkeypatch.setattr(export_service, "render_snapshot", crash)
    with pytest.raises(WriterCrash):
        export_to_file(ExportRequest(format="pdf"), target)
    assert target.read_bytes() == b"%PDF- previous sheet"
    assert leftovers(tmp_path) == []
