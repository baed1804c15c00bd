"""A workspace shaped like a land bureau's after some weeks of work, and a way to read all
of it back for comparison.

The bureau's 12 parcels from a GBK Shapefile with Chinese columns (Gauss-Krüger zone 42),
then 150 irregular 19-gons from a GeoPackage ledger (the shapes of ``scale_files``), edits,
a delete and its restore, an undo, an import taken back, farmland and land-use layers (one
replaced by a newer file and so kept inactive), accounts with roles and a password hash,
sign-in attempts and the remembered column mappings.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import shapely
from bureau_files import chinese_shapefile
from control_files import FARMLAND, feature_collection, landuse_collection, write_geojson
from scale_files import bureau_geopackage

from geo_app.accounts.passwords import hash_password
from geo_app.control import read_reference
from geo_app.importing import import_file
from geo_app.workspace import FILE_NAME, NewParcel, Workspace
from geo_app.workspace.postgis_schema import TABLES

SCALE_PARCELS = 150


def bureau_workspace(folder: Path, files: Path) -> Workspace:
    """The workspace in ``folder``, built from files written under ``files``."""
    workspace = Workspace.open(folder)  # the sample parcels first, as a planner starts
    first = import_file(workspace, chinese_shapefile(files / "shp"), "王工", boundary=None)
    assert first.outcome is not None, [p.line("en") for p in first.plan.problems]
    ledger = bureau_geopackage(files / "台账.gpkg", SCALE_PARCELS)
    second = import_file(workspace, ledger, "王工", boundary=None)
    assert second.outcome is not None, [p.line("en") for p in second.plan.problems]

    edited = workspace.parcel("SY2022-003")
    workspace.update("SY2022-003", edited.version, "李工",
                     properties={**edited.properties, "供地状态": "已出让", "备注": "补签合同"})
    gone = workspace.parcel("SY2022-007")
    workspace.delete("SY2022-007", gone.version, "李工")
    workspace.restore("SY2022-007", gone.version, "张工")
    moved = workspace.parcel("SY2022-010")
    workspace.update("SY2022-010", moved.version, "李工",
                     geometry=shapely.affinity.translate(moved.geometry, 0.001, 0.0005))
    workspace.undo_last("SY2022-010", "李工")
    stray = shapely.box(125.61, 43.52, 125.615, 43.523)
    mistaken = workspace.import_parcels(
        [NewParcel("误导入-1", {"项目名称": "误导入"}, stray)], "王工", "错误文件.geojson")
    workspace.undo_import(mistaken.batch_id, "王工")

    newer = {key: {"版本": "2023"} for key in FARMLAND}
    for kind, collection in (("farmland", feature_collection(FARMLAND)),
                             ("landuse", landuse_collection()),
                             ("farmland", feature_collection(FARMLAND, newer))):
        path = write_geojson(files / f"{kind}-{len(workspace.reference_layers(True))}.geojson",
                             collection)
        workspace.import_reference(read_reference(path, kind), "张工")

    workspace.add_account("张工", "admin", hash_password("很长的口令-correct horse"), "ops")
    workspace.add_account("李工", "editor", None, "张工")
    workspace.change_account("李工", "张工", disabled=True)
    for outcome in ("ok", "wrong_password", "disabled"):
        workspace.record_sign_in("李工" if outcome == "disabled" else "张工", "127.0.0.1", outcome)
    workspace.remember("column_mapping:test", '{"fields": {"id": "地块编号"}}')
    return workspace


def table_rows(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the workspace file, by key, geometries as shapes; the
    settings without the layout's own version."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    from geo_app.workspace import gpkg

    with sqlite3.connect(folder / FILE_NAME) as connection:
        for table in TABLES:
            names = ", ".join(f'"{c}"' for c in table.column_names)
            rows = connection.execute(
                f'SELECT {names} FROM "{table.name}" ORDER BY "{table.key.name}"').fetchall()
            geometry = table.geometry_column
            if geometry is not None:
                at = table.column_names.index(geometry.name)
                rows = [(*r[:at], gpkg.geometry_from_blob(r[at]).wkb, *r[at + 1:])
                        for r in rows]
            if table.name == "workspace_meta":
                rows = [(k, v) for _, k, v in rows if k != "schema_version"]
            out[table.name] = rows
    connection.close()
    return out
