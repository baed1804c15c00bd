"""The map tab's parcel editor: draw a parcel, fill in its attributes, save it to the
workspace; change or delete a parcel; undo the last change.

Streamlit code only: shapes, hectares and towns are worked out in
:mod:`geo_app.parcel_drawing`, the drawing tools in :mod:`geo_app.mapview.draw_control`, and every
change is one transaction of the :class:`~geo_app.workspace.Workspace`, recorded with the
user's name. An edit made on a version someone has since changed is refused and said so.

While the editor is open the map carries the drawing tools and sends back drawn shapes,
not clicks (a click that places a corner must not select the parcel under it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import streamlit as st
from shapely.geometry.base import BaseGeometry

from app_parts import sign_in
from app_parts.page import Texts
from app_parts.page_data import escape_markdown, format_hectares
from geo_app.catalog import Catalog, load_layer_geojson
from geo_app.i18n import Strings
from geo_app.ledger import PARCEL_STATUSES, TOWNS
from geo_app.mapview.draw_control import DrawingUnavailable, add_draw_control
from geo_app.mapview.features import parcel_layer_ids
from geo_app.parcel_drawing import (
    DRAWN_FORMAT,
    ParcelFields,
    drawn_geometry,
    drawn_hectares,
    drawn_properties,
    edited_properties,
    new_parcel_id,
    plan_quarters,
)
from geo_app.parcel_labels import USE_PREFIX
from geo_app.parcel_table.places import town_at, town_layers
from geo_app.plan import load_plan
from geo_app.problems import InputError
from geo_app.workspace import (
    MAX_USER_CHARS,
    NewParcel,
    Parcel,
    StaleEditError,
    Workspace,
    WorkspaceError,
)

# Session-state keys.
OPEN = "editor_open"
USER = "editor_user"
# The name this run's changes are recorded under (typed, or the signed-in account's).
SIGNED_USER = "editor_signed_user"
DRAWING = "editor_drawing"
SAVED = "editor_saved_drawings"
DRAWN_SEEN = "editor_drawing_seen"
DRAWN_TOWN = "editor_drawing_town"
UNAVAILABLE = "editor_unavailable"
PICK = "editor_pick"
PICK_SYNCED = "editor_pick_synced"
PICK_SHOWN = "editor_pick_shown"
BASE = "editor_base"
STALE = "editor_stale"
LAST = "editor_last_change"
MESSAGE = "editor_message"
LATER = "editor_later"
NEW = "new_parcel_"
EDIT = "edit_parcel_"
FIELDS = ("name_zh", "name_en", "status", "use", "town", "quarter")
KEPT_KEYS = frozenset({USER})

DRAWING_OBJECTS = ("last_active_drawing", "all_drawings")


def is_open() -> bool:
    return bool(st.session_state.get(OPEN))


def wanted_objects() -> tuple[str, ...]:
    """Drawn shapes, only while the editor is open."""
    return DRAWING_OBJECTS if is_open() else ()


def wants_clicks() -> bool:
    return not is_open()


def add_tools(folium_map: folium.Map, lang: str) -> None:
    """The drawing tools, while the editor is open."""
    st.session_state[UNAVAILABLE] = None
    if not is_open() or not sign_in.may("draw"):
        return
    try:
        add_draw_control(folium_map, lang)
    except DrawingUnavailable as exc:
        st.session_state[UNAVAILABLE] = str(exc)


def _fingerprint(geometry: Any) -> str:
    return json.dumps(geometry, sort_keys=True)


def take_drawing(returned: dict | None) -> None:
    """Keep the shape the map sent (None once the map has none); a saved one is not offered
    again."""
    if not is_open():
        return
    returned = returned or {}
    drawing = returned.get("last_active_drawing")
    if not returned.get("all_drawings") or not drawing:
        st.session_state[DRAWING] = None
        return
    saved = st.session_state.get(SAVED) or []
    if _fingerprint(drawing.get("geometry")) in saved:
        st.session_state[DRAWING] = None
        return
    st.session_state[DRAWING] = drawing


@dataclass(frozen=True)
class _Editor:
    strings: Strings
    lang: str
    catalog: Catalog
    datum: str
    select: Callable[[str | None], None]

    @property
    def t(self) -> Texts:
        return Texts(self.strings, self.lang)

    def choice(self, prefix: str, code: str) -> str:
        return self.t.choice(prefix, code)


def render(
    strings: Strings,
    lang: str,
    catalog: Catalog,
    datum: str,
    selected: str | None,
    select: Callable[[str | None], None],
) -> None:
    """The editor's folding panel; its widgets run only while it is open."""
    editor = _Editor(strings, lang, catalog, datum, select)
    if not sign_in.may("draw"):
        return  # a viewer: no editor (and the workspace refuses a forged change anyway)
    panel = st.expander(editor.t("app.editor.title"), key=OPEN, on_change="rerun")
    if not panel.open:
        return
    with panel:
        _apply_later()
        _message()
        if st.session_state.get(UNAVAILABLE):
            st.warning(escape_markdown(editor.t("app.editor.unavailable",
                                               reason=st.session_state[UNAVAILABLE])))
        st.caption(editor.t("app.editor.help"))
        try:
            workspace = sign_in.acting_workspace()
        except WorkspaceError as exc:
            st.error(escape_markdown(editor.t("app.workspace.unusable",
                                              reason=exc.problem.line(lang))))
            return
        st.session_state[SIGNED_USER] = sign_in.user_field(
            editor.t, "app.editor.user", USER, MAX_USER_CHARS)
        st.markdown(f"**{editor.t('app.editor.new_title')}**")
        _new_parcel(editor, workspace)
        st.divider()
        st.markdown(f"**{editor.t('app.editor.edit_title')}**")
        _existing_parcel(editor, workspace, selected)
        _undo(editor, workspace)


# ----------------------------------------------------------------------- messages


def _say(kind: str, text: str) -> None:
    """A message to show after the rerun that follows a change."""
    st.session_state[MESSAGE] = (kind, text)


def _later(key: str, value: Any) -> None:
    """Set a widget's value on the next run (a widget drawn in this run cannot change)."""
    st.session_state.setdefault(LATER, {})[key] = value


def _apply_later() -> None:
    for key, value in (st.session_state.pop(LATER, None) or {}).items():
        st.session_state[key] = value


def _message() -> None:
    said = st.session_state.pop(MESSAGE, None)
    if said:
        kind, text = said
        getattr(st, kind)(escape_markdown(text))


def _user(editor: _Editor) -> str | None:
    user = (st.session_state.get(SIGNED_USER) or "").strip()
    if not user:
        st.error(editor.t("app.editor.need_user"))
        return None
    return user


# ----------------------------------------------------------------------- form fields


def _options(current: Any, known: tuple[str, ...]) -> list[str]:
    """The known values, and the parcel's own value when it is another one."""
    values = list(known)
    if isinstance(current, str) and current and current not in values:
        values.append(current)
    return values


def _uses(strings: Strings) -> tuple[str, ...]:
    """The land uses the product has words for."""
    prefix = f"{USE_PREFIX}."
    return tuple(name.removeprefix(prefix) for name in strings.names(prefix))


def _quarters() -> tuple[str, ...]:
    return plan_quarters(int(load_plan().meta.get("year", dt.date.today().year)))


def _fill(prefix: str, properties: dict[str, Any]) -> None:
    """Put a parcel's values in the form (an absent name as empty text, a choice as none)."""
    for name in FIELDS:
        value = properties.get(name)
        if not isinstance(value, str):
            value = "" if name.startswith("name") else None
        st.session_state[prefix + name] = value


def _field_widgets(editor: _Editor, prefix: str, current: dict[str, Any]) -> None:
    """Name, status, use, town and quarter, bound to ``prefix`` + field keys."""
    t = editor.t
    st.text_input(t("app.editor.name_zh"), key=prefix + "name_zh", max_chars=100)
    st.text_input(t("app.editor.name_en"), key=prefix + "name_en", max_chars=100)
    status, use = st.columns(2)
    status.selectbox(t("app.column.status"), _options(current.get("status"), PARCEL_STATUSES),
                     key=prefix + "status", placeholder=t("app.editor.choose"),
                     format_func=lambda code: editor.choice("parcel.status", code))
    use.selectbox(t("app.column.use"), _options(current.get("use"), _uses(editor.strings)),
                  key=prefix + "use", placeholder=t("app.editor.choose"),
                  format_func=lambda code: editor.choice(USE_PREFIX, code))
    town, quarter = st.columns(2)
    town.selectbox(t("app.column.town"), _options(current.get("town"), TOWNS),
                   key=prefix + "town", placeholder=t("app.editor.choose"))
    quarter.selectbox(t("app.column.quarter"), _options(current.get("quarter"), _quarters()),
                      key=prefix + "quarter", placeholder=t("app.editor.choose"))


def _fields(prefix: str) -> ParcelFields | None:
    """The form's values; None while a choice is missing."""
    values = {name: st.session_state.get(prefix + name) for name in FIELDS}
    if not all(values[name] for name in ("status", "use", "town", "quarter")):
        return None
    return ParcelFields(**{name: str(values[name] or "") for name in FIELDS})


# ----------------------------------------------------------------------- a new parcel


def _new_parcel(editor: _Editor, workspace: Workspace) -> None:
    drawing = st.session_state.get(DRAWING)
    if not drawing:
        st.caption(editor.t("app.editor.draw_hint"))
        return
    try:
        geometry = drawn_geometry(drawing, editor.datum)
    except InputError as exc:
        st.warning(escape_markdown(exc.problem.message(editor.lang)))
        return
    seen = _fingerprint(drawing.get("geometry"))
    if st.session_state.get(DRAWN_SEEN) != seen:
        # A new shape: its town from where it lies, the rest from the last one drawn.
        town = town_at(geometry, editor.catalog)
        st.session_state[DRAWN_SEEN] = seen
        st.session_state[DRAWN_TOWN] = town
        st.session_state[NEW + "town"] = town
        st.session_state.setdefault(NEW + "status", PARCEL_STATUSES[0])
        st.session_state.setdefault(NEW + "quarter", _quarters()[0])
        st.session_state.setdefault(NEW + "use", None)
    st.metric(editor.t("app.editor.drawn_hectares"), format_hectares(drawn_hectares(geometry)))
    outside = st.session_state.get(DRAWN_TOWN) is None and bool(town_layers(editor.catalog))
    if outside:
        st.warning(editor.t("app.editor.outside"))
    with st.form("new_parcel_form", border=False):
        _field_widgets(editor, NEW, {})
        save = st.form_submit_button(editor.t("app.editor.save_new"), type="primary",
                                     disabled=outside)
    if save:
        _save_new(editor, workspace, geometry, seen)


def _save_new(editor: _Editor, workspace: Workspace, geometry: BaseGeometry,
              seen: str) -> None:
    user = _user(editor)
    fields = _fields(NEW)
    if user is None:
        return
    if fields is None:
        st.error(editor.t("app.editor.need_fields"))
        return
    today = dt.date.today()
    parcel_id = new_parcel_id(today)
    properties = drawn_properties(fields, parcel_id, user, today, editor.datum)
    try:
        outcome = workspace.import_parcels(
            [NewParcel(parcel_id, properties, geometry)], user,
            editor.t("app.editor.source"), format_name=DRAWN_FORMAT, crs=editor.datum,
        )
        saved = workspace.parcel(parcel_id)
    except WorkspaceError as exc:
        st.error(escape_markdown(editor.t("app.editor.failed",
                                          reason=exc.problem.line(editor.lang))))
        return
    st.session_state[SAVED] = [*(st.session_state.get(SAVED) or [])[-20:], seen]
    st.session_state[DRAWING] = None
    for name in ("name_zh", "name_en"):
        _later(NEW + name, "")
    st.session_state[LAST] = {"parcel": parcel_id, "version": saved.version}
    text = editor.t("app.editor.saved", parcel=parcel_id,
                    hectares=format_hectares(outcome.hectares_added))
    if outcome.removed_samples:
        text += " " + editor.t("app.editor.samples_removed", count=len(outcome.removed))
    _say("success", text)
    editor.select(parcel_id)
    st.rerun()


# ----------------------------------------------------------------------- an existing parcel


def _capture(parcel: Parcel) -> None:
    """Start editing ``parcel`` as it is now: its version is what a save is checked against."""
    st.session_state[BASE] = {"parcel": parcel.parcel_id, "version": parcel.version,
                              "properties": dict(parcel.properties),
                              "by": parcel.updated_by, "at": parcel.updated_at}
    st.session_state[STALE] = None
    _fill(EDIT, parcel.properties)


def _parcel_names(editor: _Editor) -> dict[str, str]:
    """Parcel id -> name, from the page's copy of the workspace (read once per change)."""
    key = "name_zh" if editor.lang == "zh" else "name_en"
    names: dict[str, str] = {}
    for layer_id in parcel_layer_ids(editor.catalog, load_plan()):
        if layer_id in editor.catalog.ids():
            for feature in load_layer_geojson(editor.catalog.layer(layer_id))["features"]:
                props = feature["properties"]
                names[str(props["id"])] = str(props.get(key) or props["id"])
    return names


def _pick_box(editor: _Editor, parcels: dict[str, str]) -> str | None:
    """The box choosing the parcel edited, each parcel by its current name and id.

    The browser answers a select box with the label of the option chosen, not the option.
    When the chosen parcel's label changes (renamed by anyone), the choice is set again so
    that the browser is sent the new label: it would otherwise answer the next press with
    the old one, which names no parcel, and the choice would be lost.
    """
    state = st.session_state

    def label(parcel_id: str) -> str:
        name = parcels[parcel_id]
        return parcel_id if name == parcel_id else f"{name} · {parcel_id}"

    pick = state.get(PICK)
    shown = state.get(PICK_SHOWN)
    if pick is not None and shown is not None and shown[0] == pick and shown[1] != label(pick):
        state[PICK] = pick
    pick = st.selectbox(editor.t("app.editor.pick"), list(parcels), key=PICK,
                        format_func=label, placeholder=editor.t("app.editor.pick_none"))
    state[PICK_SHOWN] = None if pick is None else (pick, label(pick))
    return pick


def _existing_parcel(editor: _Editor, workspace: Workspace, selected: str | None) -> None:
    parcels = _parcel_names(editor)
    state = st.session_state
    # A parcel selected on the map, in the search or in the table becomes the one edited.
    if selected != state.get(PICK_SYNCED):
        state[PICK_SYNCED] = selected
        if selected in parcels:
            state[PICK] = selected
    if state.get(PICK) not in parcels:
        state[PICK] = None
    pick = _pick_box(editor, parcels)
    if pick is None:
        return
    base = state.get(BASE)
    if not base or base["parcel"] != pick:
        try:
            _capture(workspace.parcel(pick))
        except WorkspaceError as exc:  # gone since the page read its parcels
            st.warning(escape_markdown(exc.problem.line(editor.lang)))
            return
        base = state[BASE]
    st.caption(escape_markdown(editor.t("app.editor.version", version=base["version"],
                                        user=base["by"], at=base["at"])))
    if state.get(STALE):
        st.warning(escape_markdown(state[STALE]))
        if st.button(editor.t("app.editor.reload"), key="editor_reload"):
            try:
                _capture(workspace.parcel(pick))
            except WorkspaceError as exc:  # deleted by someone else meanwhile
                state[BASE] = None
                _later(PICK, None)
                _say("warning", exc.problem.line(editor.lang))
            st.rerun()
    with st.form("edit_parcel_form", border=False):
        _field_widgets(editor, EDIT, base["properties"])
        save, delete = st.columns(2)
        saving = save.form_submit_button(editor.t("app.editor.save_edit"), type="primary")
        deleting = delete.form_submit_button(editor.t("app.editor.delete"))
    if saving:
        _save_edit(editor, workspace, base)
    elif deleting:
        _delete(editor, workspace, base)


def _refused(editor: _Editor, exc: WorkspaceError) -> None:
    line = exc.problem.line(editor.lang)
    if isinstance(exc, StaleEditError):
        st.session_state[STALE] = editor.t("app.editor.stale", reason=line)
        st.rerun()
    st.error(escape_markdown(editor.t("app.editor.failed", reason=line)))


def _save_edit(editor: _Editor, workspace: Workspace, base: dict[str, Any]) -> None:
    user = _user(editor)
    fields = _fields(EDIT)
    if user is None:
        return
    if fields is None:
        st.error(editor.t("app.editor.need_fields"))
        return
    try:
        parcel = workspace.update(base["parcel"], base["version"], user,
                                  properties=edited_properties(base["properties"], fields))
    except WorkspaceError as exc:
        _refused(editor, exc)
        return
    # Read again from the workspace on the next run, as the version now stored.
    st.session_state[BASE] = None
    st.session_state[LAST] = {"parcel": parcel.parcel_id, "version": parcel.version}
    _say("success", editor.t("app.editor.updated", parcel=parcel.parcel_id,
                             version=parcel.version))
    editor.select(parcel.parcel_id)
    st.rerun()


def _delete(editor: _Editor, workspace: Workspace, base: dict[str, Any]) -> None:
    user = _user(editor)
    if user is None:
        return
    try:
        workspace.delete(base["parcel"], base["version"], user)
    except WorkspaceError as exc:
        _refused(editor, exc)
        return
    st.session_state[BASE] = None
    _later(PICK, None)
    st.session_state[LAST] = {"parcel": base["parcel"], "version": None}
    _say("success", editor.t("app.editor.deleted", parcel=base["parcel"]))
    editor.select(None)
    st.rerun()


# ----------------------------------------------------------------------- undo


def _undo(editor: _Editor, workspace: Workspace) -> None:
    last = st.session_state.get(LAST)
    if not last:
        return
    if not st.button(editor.t("app.editor.undo", parcel=last["parcel"]), key="editor_undo"):
        return
    user = _user(editor)
    if user is None:
        return
    try:
        parcel = workspace.undo_last(last["parcel"], user, expected_version=last["version"])
    except StaleEditError as exc:
        st.session_state[LAST] = None
        _say("warning", editor.t("app.editor.stale", reason=exc.problem.line(editor.lang)))
        st.rerun()
    except WorkspaceError as exc:
        st.error(escape_markdown(editor.t("app.editor.failed",
                                          reason=exc.problem.line(editor.lang))))
        return
    st.session_state[LAST] = None
    st.session_state[BASE] = None
    _say("success", editor.t("app.editor.undone", parcel=last["parcel"]))
    editor.select(parcel.parcel_id if parcel is not None else None)
    st.rerun()
