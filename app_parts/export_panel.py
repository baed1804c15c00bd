"""The map tab's export panel: the choices of ``geo-app export``, a button, a download.

Streamlit code only: the file is made by :func:`geo_app.export.export_to_file` from the
page's own catalog and parcels, so the sheet shows what the map shows and totals what the
land-supply tab totals. The workspace's control-line layers go with them: the compliance
sheet checks the parcels against them, and the data files carry each parcel's overlaps.
The panel's widgets run only while it is open, and the file is made only when asked.

A big selection is made in a worker process (:mod:`geo_app.export.jobs`), capped in memory
and time as an import is: a KML of a hundred thousand parcels takes tens of seconds and
some 300 MB, which would otherwise stall this planner's page and grow the server. The
worker finds the page's parcels again (the same copy of the workspace, the same filter)
and writes the file into a private folder; the panel shows how long it has taken, with a
button that stops it, and offers the file once it is there. A small selection (a print
sheet of the district's parcels takes about half a second) is made in the page's run,
where a worker's start-up would cost more than the work. Either way the session keeps the
file's path, never its bytes: the download button reads the file only when it is clicked
(Streamlit's deferred download), and the folder is removed when a new file replaces it or
the session ends. Problems are shown as one translated line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from app_parts.page import Texts
from app_parts.page_data import escape_markdown
from app_parts.worker_slot import WorkerSlot
from app_parts.workspace_source import open_workspace, workspace_place
from geo_app.basemaps.display_datum import from_display_datum
from geo_app.export.jobs import (
    EXPORT,
    ExportFile,
    Selection,
    in_page_parcels,
    new_export_file,
    start_export,
    write_export,
)
from geo_app.export.request import (
    FORMATS,
    MAX_DPI,
    MIN_DPI,
    ORIENTATIONS,
    PAPER_MM,
    SHEETS,
    SNAPSHOT_FORMATS,
    ExportRequest,
    Extent,
)
from geo_app.i18n import Strings
from geo_app.jobs import Job, JobStatus
from geo_app.ledger import TARGET_ITEM_ID, LandSupplyLedger
from geo_app.mapview import MapOptions
from geo_app.plan import load_plan
from geo_app.problems import KeyedError, Problem, said
from geo_app.workspace import Workspace, WorkspaceError

# Session-state keys.
OPEN = "export_open"
FORMAT = "export_format"
SHEET = "export_sheet"
SAME_LAYERS = "export_same_layers"
LAYERS = "export_layers"
EXTENT = "export_extent"
TITLE = "export_title"
SUBTITLE = "export_subtitle"
PAPER = "export_paper"
ORIENTATION = "export_orientation"
DPI = "export_dpi"
MAKE = "export_make"
DOWNLOAD = "export_download"
# The made file (its path, never its bytes) or why there is none.
RESULT = "export_result"
VIEW = "export_view"
# The worker now making a file for this page, if any (see app_parts.worker_slot).
JOB = "export_job"
CANCEL = "export_cancel"
SLOT = WorkerSlot(JOB, CANCEL, "export_round")
# Seconds between two looks at a running worker (as the import panel).
POLL_S = 1.0
# Choices worth keeping while the panel is closed or another tab is open.
KEPT_KEYS = frozenset({FORMAT, SHEET, SAME_LAYERS, LAYERS, EXTENT, TITLE, SUBTITLE, PAPER,
                       ORIENTATION, DPI})

VIEW_OBJECTS = ("bounds",)
EXTENTS = ("view", "district", "feature")
TABLE_FORMATS = ("csv", "xlsx")
DEFAULT_DPI = 150


def wanted_objects() -> tuple[str, ...]:
    """What the map must send back for this panel: the view, only while the panel is open."""
    return VIEW_OBJECTS if st.session_state.get(OPEN) else ()


def view_bbox(returned: Mapping[str, Any] | None, datum: str) -> tuple[float, ...] | None:
    """The map's view as a WGS84 (W, S, E, N) box, from the bounds the map sent back."""
    bounds = (returned or {}).get("bounds") or {}
    try:
        south_west, north_east = bounds["_southWest"], bounds["_northEast"]
        corners = [(float(south_west["lng"]), float(south_west["lat"])),
                   (float(north_east["lng"]), float(north_east["lat"]))]
    except (KeyError, TypeError, ValueError):
        return None
    (west, south), (east, north) = (from_display_datum(c, datum) for c in corners)
    west, east = max(west, -180.0), min(east, 180.0)
    south, north = max(south, -90.0), min(north, 90.0)
    if not (west < east and south < north):
        return None
    return west, south, east, north


def take_view(returned: Mapping[str, Any] | None, datum: str) -> None:
    """Remember the latest view the map reported (kept while the panel is closed)."""
    bbox = view_bbox(returned, datum)
    if bbox is not None:
        st.session_state[VIEW] = bbox


def _settle_state(visible: tuple[str, ...], selected: str | None) -> None:
    state = st.session_state
    if state.get(FORMAT) not in FORMATS:
        state[FORMAT] = "pdf"
    if state.get(SHEET) not in SHEETS:
        state[SHEET] = SHEETS[0]
    state.setdefault(SAME_LAYERS, True)
    if LAYERS not in state:
        state[LAYERS] = list(visible)
    usable = EXTENTS if selected else EXTENTS[:2]
    if state.get(EXTENT) not in usable:
        state[EXTENT] = "view"
    if state.get(PAPER) not in PAPER_MM:
        state[PAPER] = "A4"
    if state.get(ORIENTATION) not in ORIENTATIONS:
        state[ORIENTATION] = ORIENTATIONS[0]
    if not isinstance(state.get(DPI), int):
        state[DPI] = DEFAULT_DPI


def render(
    strings: Strings,
    lang: str,
    options: MapOptions,
    ledger: LandSupplyLedger,
    selected: str | None,
) -> None:
    """The panel. ``options`` are the map's (catalog, visible layers, parcel filter);
    ``ledger`` is the page's whole ledger, filtered here as the map is."""
    t = Texts(strings, lang)
    panel = st.expander(t("export.panel.heading"), key=OPEN, on_change="rerun")
    if not panel.open:
        return
    catalog = options.catalog
    assert catalog is not None
    visible = tuple(options.visible_layers or ())
    _settle_state(visible, selected)
    with panel:
        fmt = st.selectbox(
            t("export.panel.format"), list(FORMATS), key=FORMAT,
            format_func=lambda name: t(f"export.format.{name}"),
        )
        compliance = fmt in SNAPSHOT_FORMATS and _sheet_choice(t) == "compliance"
        if fmt in TABLE_FORMATS:
            st.caption(t("app.export.tables_note"))
        elif compliance:
            st.caption(t("app.export.compliance_note"))
        else:
            _layer_choice(t, catalog, visible)
            _extent_choice(t, selected)
        if fmt in SNAPSHOT_FORMATS or fmt == "html":
            _title_choice(t)
        if fmt in SNAPSHOT_FORMATS:
            _paper_choice(t, fmt)
        if not options.parcel_filter.is_empty:
            st.info(t("app.export.filtered"))
        wish = _wish(options, visible, selected)
        if st.button(t("export.panel.make"), key=MAKE, type="primary"):
            _make(t, options, ledger, visible, selected, wish)
        if SLOT.running(EXPORT):
            _progress(t)
        _offer(t, wish)


def _sheet_choice(t: Texts) -> str:
    """The print sheet: the layout map or the compliance sheet."""
    return str(st.radio(t("export.panel.sheet"), SHEETS, key=SHEET, horizontal=True,
                        format_func=lambda name: t(f"export.sheet.{name}")))


def _compliance(state: Any) -> bool:
    return state.get(FORMAT) in SNAPSHOT_FORMATS and state.get(SHEET) == "compliance"


def _workspace() -> Workspace | None:
    """The page's workspace, whose control-line layers the export checks against; None
    when it cannot be opened (the page has said so already)."""
    try:
        return open_workspace()
    except (WorkspaceError, OSError):
        return None


def _references_version() -> str | None:
    """When the workspace's control-line layers last changed (a file made before is then
    out of date)."""
    workspace = _workspace()
    try:
        return None if workspace is None else workspace.references_changed_at()
    except (WorkspaceError, OSError):
        return None


def _layer_choice(t: Texts, catalog: Any, visible: tuple[str, ...]) -> None:
    same = st.checkbox(t("app.export.same_layers"), key=SAME_LAYERS)
    if same:
        return
    st.session_state[LAYERS] = [i for i in st.session_state[LAYERS] if i in catalog.ids()]
    st.multiselect(
        t("app.export.layers"), list(catalog.ids()), key=LAYERS,
        format_func=lambda layer_id: catalog.layer(layer_id).name(t.lang),
        placeholder=t("app.export.layers_placeholder"),
    )


def _extent_choice(t: Texts, selected: str | None) -> None:
    choices = EXTENTS if selected else EXTENTS[:2]
    choice = st.radio(
        t("export.panel.extent"), choices, key=EXTENT, horizontal=True,
        format_func=lambda name: t(f"export.panel.extent_{name}"),
    )
    view = st.session_state.get(VIEW)
    if choice == "view" and view is None:
        st.caption(t("app.export.view_unknown"))
    elif choice == "view":
        west, south, east, north = (f"{value:.4f}" for value in view)
        st.caption(t("app.export.view_box", west=west, south=south, east=east, north=north))


def _title_choice(t: Texts) -> None:
    st.text_input(t("export.panel.title"), key=TITLE, max_chars=120,
                  placeholder=t("export.title.default"))
    default_subtitle = str(load_plan().meta.get(f"title_{t.lang}") or "")
    st.text_input(t("export.panel.subtitle"), key=SUBTITLE, max_chars=200,
                  placeholder=default_subtitle)


def _paper_choice(t: Texts, fmt: str) -> None:
    paper, orientation = st.columns(2)
    paper.selectbox(t("export.panel.paper"), list(PAPER_MM), key=PAPER)
    orientation.selectbox(
        t("export.panel.orientation"), ORIENTATIONS, key=ORIENTATION,
        format_func=lambda name: t(f"export.panel.{name}"),
    )
    if fmt == "png":
        st.number_input(t("export.panel.dpi"), min_value=MIN_DPI, max_value=MAX_DPI,
                        step=10, key=DPI)


def _shown_ledger(ledger: LandSupplyLedger, options: MapOptions) -> LandSupplyLedger:
    """The parcels the map draws: all of them, or those the sidebar's filters keep."""
    chosen = options.parcel_filter
    if chosen.is_empty:
        return ledger
    return ledger.filtered(status=chosen.statuses, town=chosen.towns, quarter=chosen.quarters)


def _text_or_none(key: str) -> str | None:
    text = (st.session_state.get(key) or "").strip()
    return text or None


def _extent(selected: str | None) -> Extent:
    choice = st.session_state.get(EXTENT)
    if choice == "feature" and selected:
        return Extent("feature", feature_id=selected)
    view = st.session_state.get(VIEW)
    if choice == "view" and view is not None:
        return Extent("bbox", bbox=tuple(view))
    return Extent()


def _request(t: Texts, visible: tuple[str, ...], selected: str | None) -> ExportRequest:
    state = st.session_state
    layers = visible if state.get(SAME_LAYERS) else tuple(state.get(LAYERS) or ())
    if _compliance(state):
        # The compliance sheet fits its map to the parcels it checks.
        return ExportRequest(
            format=state[FORMAT], sheet="compliance", title=_text_or_none(TITLE),
            subtitle=_text_or_none(SUBTITLE), paper=state[PAPER],
            orientation=state[ORIENTATION], dpi=int(state[DPI]), lang=t.lang,
        )
    return ExportRequest(
        format=state[FORMAT],
        layers=layers,
        extent=_extent(selected),
        title=_text_or_none(TITLE),
        subtitle=_text_or_none(SUBTITLE),
        paper=state[PAPER],
        orientation=state[ORIENTATION],
        dpi=int(state[DPI]),
        lang=t.lang,
    )


def _parcel_layer(options: MapOptions) -> str:
    plan = options.plan or load_plan()
    return str(plan.item(TARGET_ITEM_ID).measure_layer)


def _parcels_source(options: MapOptions) -> str | None:
    """The name of the file the page's parcels were read from: the workspace's copy of one
    change (a new change, a new name), or the catalog's own file."""
    catalog = options.catalog
    try:
        return None if catalog is None else catalog.layer(_parcel_layer(options)).path.name
    except KeyError:  # the parcel layer's file is broken: the page shows no parcels
        return None


def _filter_values(values: frozenset[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(sorted(values))


def _wish(options: MapOptions, visible: tuple[str, ...], selected: str | None) -> tuple:
    """Everything a made file depends on: when it changes, the file is out of date. The
    parcels' file comes last (a worker hands back the one it read)."""
    state = st.session_state
    chosen = options.parcel_filter
    return (
        state.get(FORMAT), state.get(SHEET), state.get(SAME_LAYERS),
        tuple(state.get(LAYERS) or ()), visible, state.get(EXTENT), state.get(VIEW), selected,
        state.get(TITLE), state.get(SUBTITLE), state.get(PAPER), state.get(ORIENTATION),
        state.get(DPI), options.lang, _filter_values(chosen.statuses),
        _filter_values(chosen.towns), _filter_values(chosen.quarters),
        _references_version(), _parcels_source(options),
    )


def _release(files: list[ExportFile]) -> None:
    for file in files:
        file.remove()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_files() -> list[ExportFile]:
    """The files this session made: removed when it disconnects (a page that comes back
    then says its file is no longer kept), whatever holds them by then."""
    return []


def _owned(file: ExportFile) -> ExportFile:
    files = _session_files()
    files[:] = [kept for kept in files if kept.folder.exists()]
    files.append(file)
    return file


def _keep(result: dict[str, Any] | None) -> None:
    """The page's one made file (or why there is none); the file it replaces goes."""
    old = st.session_state.pop(RESULT, None)
    if old is not None and "file" in old:
        old["file"].remove()
    if result is not None:
        st.session_state[RESULT] = result


def _stop_worker() -> None:
    active = SLOT.active
    SLOT.stop()
    if active is not None:
        active["file"].remove()


def _selection(options: MapOptions, ledger: LandSupplyLedger) -> Selection | None:
    """Where the page read its parcels, and its filter: what a worker needs to find the
    same parcels. None when the page shows no parcel layer."""
    catalog = options.catalog
    layer_id = _parcel_layer(options)
    if catalog is None or layer_id not in catalog.ids():
        return None
    spec = catalog.layer(layer_id)
    chosen = options.parcel_filter
    return Selection(
        parcel_layer=layer_id,
        parcels_path=str(spec.path),
        sample_data=bool(spec.sample_data),
        target_ha=float(ledger.target_ha),
        layer_ids=catalog.ids(),
        catalog_path=None if catalog.path is None else str(catalog.path),
        workspace=None if _workspace() is None else workspace_place().as_argument(),
        statuses=_filter_values(chosen.statuses),
        towns=_filter_values(chosen.towns),
        quarters=_filter_values(chosen.quarters),
    )


def _make(t: Texts, options: MapOptions, ledger: LandSupplyLedger,
          visible: tuple[str, ...], selected: str | None, wish: tuple) -> None:
    """Make the file: here for a small selection, else in a worker (a new request replaces
    the one still running)."""
    _stop_worker()
    try:
        request = _request(t, visible, selected)
    except KeyedError as exc:
        # The user's own choice was wrong (an option): said as it is.
        _keep({"wish": wish, "problem": exc.problem})
        return
    shown = _shown_ledger(ledger, options)
    selection = _selection(options, ledger)
    if shown.parcel_count <= in_page_parcels() or selection is None:
        file = _owned(new_export_file())
        answer = write_export(request, file.folder, options.catalog, shown, _workspace(),
                              wish[-1])
        _keep(_made(answer, file, wish))
        return
    _keep(None)
    started = start_export(request, selection)
    _owned(started.file)
    SLOT.begin(EXPORT, EXPORT, None, started.job, file=started.file, wish=wish)


def _made(answer: dict[str, Any], file: ExportFile, wish: tuple) -> dict[str, Any]:
    """What the page keeps of an answer: the file's path, name, type and size, for the
    parcels' file the answer was made from; or the problem (and no folder)."""
    if not answer.get("made") or not file.holds(answer.get("path", "")):
        file.remove()
        problem = Problem(**answer["problem"]) if "problem" in answer else said(
            "app.export.job.crashed")
        return {"wish": wish, "problem": problem}
    return {"wish": (*wish[:-1], answer["parcels"]), "file": file, "path": answer["path"],
            "filename": answer["filename"], "mime": answer["mime"], "size": answer["size"]}


@st.fragment(run_every=POLL_S)
def _progress(t: Texts) -> None:
    """How long the worker has taken against its cap, and a button that stops it; once it
    has ended, the page is drawn again with its file."""
    ended = SLOT.watch(
        lambda active, status, job: t("app.export.job.running",
                                      seconds=f"{status.elapsed_s:.0f}",
                                      limit=f"{job.limits.time_s:.0f}"),
        t("app.export.job.cancel"),
    )
    if ended is not None:
        _finish(*ended)
        st.rerun()


def _finish(active: dict, status: JobStatus) -> None:
    job: Job = active["job"]
    file: ExportFile = active["file"]
    if status.outcome == "done":
        _keep(_made(job.result() or {}, file, active["wish"]))
        return
    file.remove()
    if status.outcome == "cancelled":
        _keep({"wish": active["wish"], "cancelled": True})
        return
    _keep({"wish": active["wish"], "problem": said(
        f"app.export.job.{status.outcome}", memory=job.limits.memory_mb,
        seconds=f"{job.limits.time_s:.0f}")})


def _reader(path: str) -> Any:
    """The file's bytes, read when the download is clicked (in Streamlit's own thread,
    not the page's run), so the session never holds them."""
    return lambda: Path(path).read_bytes()


def _offer(t: Texts, wish: tuple) -> None:
    result = st.session_state.get(RESULT)
    if not result:
        return
    if result["wish"] != wish:
        st.caption(t("app.export.stale"))
        return
    if "problem" in result:
        st.error(escape_markdown(result["problem"].message(t.lang)))
        return
    if result.get("cancelled"):
        st.caption(t("app.export.job.cancelled"))
        return
    if not result["file"].holds(result["path"]):
        st.caption(t("app.export.gone"))
        return
    st.download_button(
        t("export.panel.download", filename=result["filename"]),
        data=_reader(result["path"]),
        file_name=result["filename"],
        mime=result["mime"],
        key=DOWNLOAD,
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption(t("app.export.size", size=_size(result["size"])))


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB"
    return f"{max(count / 1024, 0.1):.1f} KB"
