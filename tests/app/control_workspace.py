"""A workspace with parcels and control-line layers whose answers are known by construction,
for the page's tests: one parcel half in farmland (and on dry land of the land-use survey),
one half outside the development boundary, one clear of every line."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import mapping

from geo_app.control import read_reference
from geo_app.workspace import NewParcel, Workspace

HOSTILE_TEXT = '<img src=x onerror="window.__hostile=1">{{ 7 * 7 }}'
FARMLAND = shapely.box(125.60, 43.60, 125.62, 43.62)
BOUNDARY = shapely.box(125.58, 43.55, 125.66, 43.63)
RED_LINE = shapely.box(125.70, 43.60, 125.74, 43.64)
LANDUSE = {"旱地": shapely.box(125.60, 43.60, 125.61, 43.62),
           "乔木林地": shapely.box(125.61, 43.60, 125.64, 43.62)}
PARCELS = {
    "p-half": shapely.box(125.59, 43.605, 125.61, 43.615),
    "p-outside": shapely.box(125.65, 43.56, 125.67, 43.57),
    "p-clear": shapely.box(125.625, 43.600, 125.635, 43.610),
}
USER = "王工"


def collection(features: list[tuple[dict, shapely.Geometry]]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
        for properties, geometry in features
    ]}


def write(folder: Path, name: str, features: list[tuple[dict, shapely.Geometry]]) -> Path:
    path = folder / name
    path.write_text(json.dumps(collection(features), ensure_ascii=False), encoding="utf-8")
    return path


# The parcel outside the boundary is supplied, the others planned.
STATUS = {"p-half": "planned", "p-outside": "supplied", "p-clear": "planned"}


def add_parcels(workspace: Workspace) -> None:
    workspace.import_parcels(
        [NewParcel(pid, {"status": STATUS[pid], "name_zh": f"地块{pid}"}, geometry)
         for pid, geometry in PARCELS.items()],
        USER, "地块.geojson",
    )


def load(workspace: Workspace, folder: Path, kind: str, name: str,
         features: list[tuple[dict, shapely.Geometry]], layer_name: str | None = None) -> None:
    read = read_reference(write(folder, name, features), kind, name=layer_name)
    workspace.import_reference(read, USER)


def control_workspace(folder: Path, files: Path, kinds: tuple[str, ...] = (
        "farmland", "dev_boundary", "landuse")) -> Workspace:
    """The parcels, and the layers of ``kinds`` (the red line is left out unless asked:
    the page then says it was not checked)."""
    files.mkdir(parents=True, exist_ok=True)
    workspace = Workspace.open(folder)
    add_parcels(workspace)
    layers = {
        "farmland": ("基本农田.geojson",
                     [({"BSM": "F1", "ZLDWMC": HOSTILE_TEXT}, FARMLAND)]),
        "dev_boundary": ("开发边界.geojson", [({"BSM": "B1"}, BOUNDARY)]),
        "eco_redline": ("生态红线.geojson", [({"BSM": "R1"}, RED_LINE)]),
        "landuse": ("三调.geojson", [({"DLMC": name}, geometry)
                                    for name, geometry in LANDUSE.items()]),
    }
    for kind in kinds:
        name, features = layers[kind]
        load(workspace, files, kind, name, features)
    return workspace
