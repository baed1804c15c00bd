"""The workspace's parcels as a layer file, so the app draws, totals, searches, tabulates
and exports them exactly as it does any other layer.

The workspace is the authority; the file is a copy written once per change of the
workspace and named after the workspace's place and that change, so a reader of the file
(and every cache keyed by the file's path) sees one consistent state, and every server on
one PostGIS database names the same state alike. Coordinates are written at full precision: the
hectares summed from the file are the hectares ``geo-app totals --workspace`` sums.

Parcels imported from planners' files may lack some fields every layer feature carries
(``name_zh``, ``name_en``, ``accuracy``, ``source``); the copy fills them (the id as the
name, "approximate" accuracy: an unstated accuracy is never claimed to be surveyed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geo_app import compact_json
from geo_app.atomic import atomic_write_bytes
from geo_app.catalog import ACCURACY_LEVELS, Catalog
from geo_app.ledger import TARGET_ITEM_ID
from geo_app.workspace import Parcel, Workspace

FILE_PREFIX = "parcels-"
SAMPLE_MARK = "-samples"
UNSTATED_ACCURACY = "approximate"
WORKSPACE_SOURCE = "规划工作区 / planners' workspace"
# Copies kept beside the newest: a page run that started before a change still finds its own.
KEEP_COPIES = 8
# A change landing while the parcels are read: read again, at most this often.
READ_ATTEMPTS = 3


@dataclass(frozen=True)
class ParcelLayerFile:
    """A copy of the workspace's parcels: the file, and whether they are all samples."""

    path: Path
    sample_data: bool


def change_stamp(workspace: Workspace) -> tuple[int, str]:
    """Changes with every change to the workspace: the latest history entry's number and time
    (the time tells a re-created workspace from the old one)."""
    latest = workspace.history(limit=1)
    return (latest[0].id, latest[0].at) if latest else (0, "")


def place_text(workspace: Workspace) -> str:
    """What names the workspace in the names of its copies: its GeoPackage file, resolved,
    or its database's URL with the password masked (the same text on every server of that
    database, and never the password)."""
    try:
        return str(workspace.path.resolve())
    except TypeError:
        # A workspace in PostGIS has no file.
        return workspace.location


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def layer_properties(parcel: Parcel) -> dict[str, Any]:
    """The parcel's attributes with every field a layer feature must carry."""
    props = dict(parcel.properties)
    props["id"] = parcel.parcel_id
    name_zh = _text(props.get("name_zh")) or _text(props.get("name_en")) or parcel.parcel_id
    props["name_zh"] = name_zh
    props["name_en"] = _text(props.get("name_en")) or name_zh
    if props.get("accuracy") not in ACCURACY_LEVELS:
        props["accuracy"] = UNSTATED_ACCURACY
    props["source"] = _text(props.get("source")) or WORKSPACE_SOURCE
    # A parcel counts towards the land-supply target unless it names another plan item.
    props["plan_ref"] = _text(props.get("plan_ref")) or TARGET_ITEM_ID
    return props


def parcels_collection(parcels: list[Parcel]) -> dict[str, Any]:
    """The parcels as a GeoJSON FeatureCollection (the text of it: :func:`parcels_geojson`)."""
    return json.loads(parcels_geojson(parcels))


def parcels_geojson(parcels: list[Parcel]) -> bytes:
    """The layer file's text: a FeatureCollection of the parcels, UTF-8.

    Written a feature at a time from parts made fast: the geometries by GEOS in one call
    (``shapely.to_geojson`` writes each coordinate in the digits that read back as the same
    double), the properties by orjson. For 100,000 parcels building the whole collection as
    Python objects and writing it with the json module took 8.3 s; this takes about 2 s,
    and the file reads back equal.
    """
    geometries = shapely.to_geojson(np.asarray([p.geometry for p in parcels], dtype=object))
    features = ",".join(
        f'{{"type":"Feature","properties":{compact_json.dumps(layer_properties(parcel))},'
        f'"geometry":{geometry}}}'
        for parcel, geometry in zip(parcels, geometries, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()


def _file_name(workspace: Workspace, stamp: tuple[int, str], sample_data: bool) -> str:
    key = f"{place_text(workspace)}|{stamp[0]}|{stamp[1]}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    # Whether they are all samples is part of the name: a reader needs no other look.
    return f"{FILE_PREFIX}{digest}{SAMPLE_MARK if sample_data else ''}.geojson"


def _only_samples(parcels: list[Parcel]) -> bool:
    return bool(parcels) and all(parcel.sample for parcel in parcels)


def _existing(workspace: Workspace, stamp: tuple[int, str], folder: Path) -> ParcelLayerFile | None:
    for sample_data in (False, True):
        path = folder / _file_name(workspace, stamp, sample_data)
        if path.is_file():
            return ParcelLayerFile(path=path, sample_data=sample_data)
    return None


def parcel_layer_file(workspace: Workspace, folder: Path) -> ParcelLayerFile:
    """The copy of the workspace's current parcels in ``folder``, written if not there yet.

    An unchanged workspace costs one small read (its latest change); the parcels are read
    only when they have changed.
    """
    stamp = change_stamp(workspace)
    found = _existing(workspace, stamp, folder)
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(READ_ATTEMPTS):
        parcels = workspace.parcels()
        # The copy must be one state of the workspace: if a change landed meanwhile, reread.
        now = change_stamp(workspace)
        if now == stamp:
            break
        stamp = now
    sample_data = _only_samples(parcels)
    path = folder / _file_name(workspace, stamp, sample_data)
    if not path.is_file():
        atomic_write_bytes(path, parcels_geojson(parcels))
        _prune(folder, keep=path)
    return ParcelLayerFile(path=path, sample_data=sample_data)


def _age_key(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _prune(folder: Path, keep: Path) -> None:
    others = sorted(
        (p for p in folder.glob(f"{FILE_PREFIX}*.geojson") if p != keep), key=_age_key
    )
    for old in others[: max(len(others) - KEEP_COPIES, 0)]:
        old.unlink(missing_ok=True)


def with_parcel_file(catalog: Catalog, layer_id: str, parcels: ParcelLayerFile) -> Catalog:
    """The catalog with the layer ``layer_id`` read from the workspace's copy."""
    layers = tuple(
        dataclasses.replace(spec, path=parcels.path, sample_data=parcels.sample_data)
        if spec.id == layer_id
        else spec
        for spec in catalog.layers
    )
    return dataclasses.replace(catalog, layers=layers)

