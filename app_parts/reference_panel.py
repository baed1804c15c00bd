"""The page's "load a control-line layer" panel: upload a farmland, red-line,
development-boundary or land-use file, see what it holds, load it, and manage the loaded
layers (remove one, bring back the version a new file replaced).

Streamlit code only. Reading and loading run in a worker process
(:mod:`geo_app.control.reference_jobs`), capped in memory and time, as the parcel import
does: a district layer of a hundred thousand polygons neither stalls the server for the
other planners nor leaves it larger. A file is read once when chosen (nothing written): the
panel lists its columns (the land-use class column is chosen from them), its polygons and
hectares, or every reason it is refused. Loading reads it again in one transaction: all of
it, or nothing. The page is then drawn again, so the map, the compliance check and the
headline follow at once. Every problem is shown in the page's language, one line each, as
plain text.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from app_parts import sign_in
from app_parts.page import Texts
from app_parts.page_data import escape_markdown, format_hectares
from app_parts.worker_slot import WorkerSlot
from geo_app.control import kinds
from geo_app.control.kinds import KIND_KEYS
from geo_app.control.reference_jobs import (
    LOAD,
    PREVIEW,
    latest_layer,
    problems_from,
    start_load,
    start_preview,
    written_layer,
)
from geo_app.jobs import Job, JobStatus
from geo_app.problems import InputError, Problem
from geo_app.workspace import ReferenceLayer, Workspace, configured_place

UPLOAD_TYPES = ["zip", "gpkg", "geojson", "json", "kml", "kmz", "csv", "xlsx", "txt"]
CRS_CHOICES = ("", "wgs84", "cgcs2000", "gk42", "gk126", "gcj02")
USER = "reference_user"
UPLOAD = "reference_file"
UPLOAD_ROUND = "reference_file_round"
KIND = "reference_kind"
CLASS_FIELD = "reference_class_field"
LAYER_NAME = "reference_name"
CRS = "reference_crs"
# The worker now running for this page, if any (see app_parts.worker_slot).
JOB = "reference_job"
# The previews' answers, by upload and coordinate system, so a rerun does not read again.
PREVIEWS = "reference_previews"
KEPT_PREVIEWS = 4
# What the last load, removal or restore did, shown once.
RESULT = "reference_result"
CANCEL = "reference_cancel"
SLOT = WorkerSlot(JOB, CANCEL, UPLOAD_ROUND)
REMOVE_PREFIX = "reference_remove_"
RESTORE_PREFIX = "reference_restore_"
# Seconds between two looks at a running worker (as the import panel: each look redraws
# the panel's progress).
POLL_S = 1.0
NO_FIELD = ""
KEPT_KEYS = frozenset({USER, KIND, CRS})


def render(t: Texts) -> None:
    with st.expander(t("app.reference.title"), expanded=RESULT in st.session_state
                     or JOB in st.session_state):
        _result(t)
        st.caption(t("app.reference.help"))
        user = sign_in.user_field(t, "app.reference.user", USER)
        upload = st.file_uploader(t("app.reference.file"), type=UPLOAD_TYPES,
                                  key=SLOT.upload_key(UPLOAD))
        crs = st.selectbox(t("app.reference.crs"), CRS_CHOICES, key=CRS,
                           format_func=lambda key: key or t("app.reference.crs_auto"))
        if upload is None and SLOT.running(PREVIEW):
            SLOT.stop()  # the file was taken away: nobody waits for its preview
        preview = _preview(upload, crs or None, t) if upload is not None else None
        choices = _choices(preview, t)
        ready = (
            preview is not None and not preview["refused"] and bool(user)
            and SLOT.active is None and choices is not None
        )
        if st.button(t("app.reference.run"), disabled=not ready, type="primary"):
            _start_load(upload, user, crs or None, choices)
        if not user:
            st.caption(t("app.reference.need_user"))
        if SLOT.running(LOAD):
            _progress(t)
        _layers(t, user)


# ----------------------------------------------------------------------- workers


@st.fragment(run_every=POLL_S)
def _progress(t: Texts) -> None:
    """How long the worker has taken against its cap, and a button that stops it; once it
    has ended, the whole page is drawn again with its answer."""
    ended = SLOT.watch(
        lambda active, status, job: t(
            f"app.reference.job.running.{active['task']}",
            seconds=f"{status.elapsed_s:.0f}", limit=f"{job.limits.time_s:.0f}"),
        t("app.reference.job.cancel"),
    )
    if ended is not None:
        _finish(*ended)
        st.rerun()


def _finish(active: dict, status: JobStatus) -> None:
    """Keep the worker's answer (or why there is none) as plain data for the page."""
    job: Job = active["job"]
    answer = job.result() if status.outcome == "done" else _failure(status, job)
    if active["task"] == PREVIEW:
        kept: dict[str, dict] = st.session_state.setdefault(PREVIEWS, {})
        kept[active["key"]] = answer
        for old in list(kept)[:-KEPT_PREVIEWS]:
            del kept[old]
        return
    if "failure" in answer:
        # Stopped between its commit and its answer: the layer is there all the same.
        answer["loaded"] = _written(active)
    st.session_state[RESULT] = {"load": answer}
    if answer.get("loaded"):
        st.session_state.pop(PREVIEWS, None)
        SLOT.let_go(active["file_id"])


def _failure(status: JobStatus, job: Job) -> dict:
    return {"failure": status.outcome, "refused": True, "loaded": False, "problems": [],
            "memory": job.limits.memory_mb, "seconds": f"{job.limits.time_s:.0f}"}


def _latest() -> int | None:
    try:
        return latest_layer(configured_place())
    except (InputError, OSError):
        return None


def _written(active: dict) -> bool:
    """Whether the load ``active`` stored its layer: one newer than the newest when it
    started, of its file and its planner (another planner's load meanwhile is not it)."""
    if active["since"] is None:
        return False
    try:
        return written_layer(configured_place(), active["since"], active["name"],
                             active["user"]) is not None
    except (InputError, OSError):
        return False


# ----------------------------------------------------------------------- preview


def _preview(upload: Any, crs: str | None, t: Texts) -> dict | None:
    """What the file holds, read once by a worker; None while it reads."""
    key = json.dumps([getattr(upload, "file_id", upload.name), upload.name, crs],
                     ensure_ascii=False)
    active = st.session_state.get(JOB)
    if active is not None and active["task"] == PREVIEW and active["key"] != key:
        SLOT.stop()  # the preview of a file or a choice no longer on the page
    kept: dict[str, dict] = st.session_state.setdefault(PREVIEWS, {})
    if key not in kept:
        if not (SLOT.running(LOAD) or SLOT.running(PREVIEW, key)):
            SLOT.begin(PREVIEW, key, upload, start_preview(upload.name, upload, crs=crs))
        _progress(t)
        return None
    answer = kept[key]
    if "failure" in answer:
        st.error(t(f"app.reference.job.{PREVIEW}.{answer['failure']}",
                   memory=answer["memory"], seconds=answer["seconds"]))
        return answer
    if answer["refused"]:
        st.error(t("app.reference.refused"))
        _problems(problems_from(answer["problems"]), t)
        return answer
    _problems(problems_from(answer["problems"]), t)
    st.info(t("app.reference.preview", count=f"{answer['count']:,}",
              hectares=format_hectares(answer["hectares"]), crs=answer["crs"],
              format=answer["format"], columns=len(answer["columns"])))
    return answer


def _choices(preview: dict | None, t: Texts) -> dict[str, Any] | None:
    """The kind, class column and name the planner gives the layer; None when a land-use
    layer has no class column yet."""
    registry = kinds()
    if st.session_state.get(KIND) not in KIND_KEYS:
        st.session_state[KIND] = KIND_KEYS[0]
    kind = st.selectbox(t("app.reference.kind"), KIND_KEYS, key=KIND,
                        format_func=lambda key: registry[key].label(t.lang))
    columns = [] if preview is None or preview.get("refused") else preview["columns"]
    options = [NO_FIELD, *columns]
    if st.session_state.get(CLASS_FIELD) not in options:
        st.session_state[CLASS_FIELD] = NO_FIELD
    guess = (preview or {}).get("class_field")
    if kind == "landuse" and guess and not st.session_state[CLASS_FIELD]:
        # A land-use layer needs its class column: start from the one the file names.
        st.session_state[CLASS_FIELD] = guess
    field = st.selectbox(t("app.reference.class_field"), options, key=CLASS_FIELD,
                         format_func=lambda column: column or t("app.reference.no_field"),
                         help=t("app.reference.class_field_help"))
    name = st.text_input(t("app.reference.name"), key=LAYER_NAME, max_chars=80,
                         placeholder=registry[kind].label(t.lang),
                         help=t("app.reference.name_help"))
    if kind == "landuse" and not field and preview is not None and not preview.get("refused"):
        st.caption(t("app.reference.need_class_field"))
        return None
    # No name: the kind's, as `geo-app reference import` gives it.
    return {"kind": kind, "class_field": field or None, "name": (name or "").strip() or None}


def _problems(problems: list[Problem], t: Texts) -> None:
    for problem in problems:
        line = escape_markdown(problem.line(t.lang))
        if problem.is_error:
            st.error(line)
        else:
            st.warning(line)


# ----------------------------------------------------------------------- load


def _start_load(upload: Any, user: str, crs: str | None, choices: dict[str, Any]) -> None:
    st.session_state.pop(RESULT, None)
    since = _latest()
    SLOT.begin(LOAD, LOAD, upload, start_load(
        configured_place(), upload.name, upload, user, choices["kind"],
        class_field=choices["class_field"], layer_name=choices["name"], crs=crs,
        actor=sign_in.current_actor(),
    ), since=since, name=upload.name, user=user)


def _result(t: Texts) -> None:
    result = st.session_state.pop(RESULT, None)
    if result is None:
        return
    if "problem" in result:
        st.error(escape_markdown(result["problem"].message(t.lang)))
    elif "done" in result:
        st.success(t(result["done"], **result["values"]))
    else:
        _loaded(result["load"], t)


def _loaded(answer: dict, t: Texts) -> None:
    if "failure" in answer:
        if answer["loaded"]:
            st.warning(t("app.reference.job.load.written"))
        else:
            st.error(t(f"app.reference.job.{LOAD}.{answer['failure']}",
                       memory=answer["memory"], seconds=answer["seconds"]))
        return
    _problems(problems_from(answer["problems"]), t)
    if not answer["loaded"]:
        st.error(t("app.reference.refused"))
        return
    layer = answer["layer"]
    st.success(t("app.reference.done", layer=layer_label(t, layer["kind"], layer["name"]),
                 count=f"{layer['feature_count']:,}",
                 hectares=format_hectares(layer["hectares"])))
    if layer["replaces"] is not None:
        st.info(t("app.reference.replaced", old=layer["replaces"]))


# ----------------------------------------------------------------------- loaded layers


def _stored() -> list[ReferenceLayer] | None:
    try:
        return Workspace.at(configured_place()).reference_layers(include_inactive=True)
    except (InputError, OSError):
        return None


def _when(stamp: str | None) -> str:
    """A stored UTC stamp to the minute, as people read it."""
    return (stamp or "")[:16].replace("T", " ")


def layer_label(t: Texts, kind_key: str, name: str) -> str:
    """The kind's name, and the layer's own when the planner gave it another."""
    kind = kinds()[kind_key]
    if name in (kind.zh, kind.en):
        return kind.label(t.lang)
    return t("app.compliance.layer", kind=kind.label(t.lang), name=name)


def _line(layer: ReferenceLayer, t: Texts) -> str:
    return t("app.reference.line", id=layer.layer_id,
             layer=layer_label(t, layer.kind, layer.name), file=layer.source,
             count=f"{layer.feature_count:,}",
             hectares=format_hectares(layer.hectares), at=_when(layer.loaded_at),
             by=layer.loaded_by)


def _layers(t: Texts, user: str) -> None:
    """The loaded layers, each with a button that removes it and, when a new file replaced
    an earlier version, one that brings that version back; then the removed layers."""
    stored = _stored()
    if stored is None:
        return
    st.markdown(f"**{escape_markdown(t('app.reference.loaded_title'))}**")
    active = [layer for layer in stored if layer.active]
    if not active:
        st.caption(t("app.reference.none"))
    by_id = {layer.layer_id: layer for layer in stored}
    for layer in active:
        text, remove, restore = st.columns([6, 1, 2], vertical_alignment="center")
        # Layer, file and user names are the planners' own text: shown as text.
        text.text(_line(layer, t))
        remove.button(t("app.reference.remove"), key=f"{REMOVE_PREFIX}{layer.layer_id}",
                      disabled=not user, on_click=_change, args=("removed", layer, user))
        previous = by_id.get(layer.replaces) if layer.replaces is not None else None
        if previous is not None and not previous.active:
            restore.button(t("app.reference.restore_previous", id=previous.layer_id),
                           key=f"{RESTORE_PREFIX}{previous.layer_id}", disabled=not user,
                           on_click=_change, args=("restored", previous, user))
    names = {layer.name for layer in active}
    removed: dict[str, ReferenceLayer] = {}
    for layer in stored:
        if layer.active or layer.name in names:
            continue
        # Of each name, the version in use last (the one most recently taken off).
        kept = removed.get(layer.name)
        if kept is None or (layer.ended_at or "") > (kept.ended_at or ""):
            removed[layer.name] = layer
    if removed:
        st.markdown(f"**{escape_markdown(t('app.reference.removed_title'))}**")
    for layer in removed.values():
        text, restore = st.columns([7, 2], vertical_alignment="center")
        text.text(_line(layer, t) + " · " + t("app.reference.ended", at=_when(layer.ended_at),
                                               by=layer.ended_by or ""))
        restore.button(t("app.reference.restore"), key=f"{RESTORE_PREFIX}{layer.layer_id}",
                       disabled=not user, on_click=_change, args=("restored", layer, user))
    if stored and not user:
        st.caption(t("app.reference.need_user_change"))


def _change(action: str, layer: ReferenceLayer, user: str) -> None:
    """Remove ``layer`` or restore it (``action``), in the planner's name; the page is then
    drawn again with the layers as they now are."""
    workspace = sign_in.acting_workspace()
    try:
        if action == "removed":
            changed = workspace.remove_reference(layer.name, user)
        else:
            changed = workspace.restore_reference(layer.layer_id, user)
    except InputError as exc:
        st.session_state[RESULT] = {"problem": exc.problem}
        return
    st.session_state[RESULT] = {"done": f"app.reference.{action}",
                                "values": {"name": changed.name, "id": changed.layer_id}}
