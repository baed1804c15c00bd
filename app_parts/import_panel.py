"""The page's "import a parcels file" panel: upload, look at what was understood, correct it,
import, and see what changed.

Streamlit code only. The reading and the writing run in a worker process
(:mod:`geo_app.import_jobs`), capped in memory and time, so a large file neither stalls the
server for the other planners nor leaves it larger: while a worker runs, the panel shows how
long it has taken against its cap, with a button that stops it, and asks the worker how it
stands every second (a fragment, so only the panel is drawn again).

Once a file is chosen, the worker reads it exactly as the import will, without writing
(:func:`geo_app.importing.check_uploaded`): the panel shows the file's first rows, the column
it took for each field (a choice per field the planner can change), the words it could not
place (each mappable to a status), and the totals the import would give. The import itself
(:func:`geo_app.importing.import_uploaded`) takes the same choices, in one transaction, so a
worker stopped or out of memory or time writes nothing. After an import the whole page is
drawn again with the new parcels, and the uploader starts empty, letting the file go. Every
problem is shown in the user's language, one line each, as plain text (file and feature
names are never read as Markdown or HTML).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_parts import sign_in
from app_parts.page_data import escape_markdown, format_hectares
from app_parts.worker_slot import WorkerSlot
from geo_app.i18n import Strings
from geo_app.import_jobs import (
    CHECK,
    IMPORT,
    import_for_page,
    latest_batch,
    preview_for_page,
    start_check,
    start_import,
    written_batch,
)
from geo_app.jobs import Job, JobStatus
from geo_app.ledger import PARCEL_STATUSES
from geo_app.parcel_table import FIELDS, ColumnMapping
from geo_app.problems import InputError
from geo_app.workspace import configured_place

UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz", "csv", "xlsx", "txt"]
CRS_CHOICES = ("", "wgs84", "cgcs2000", "gk42", "gk126", "gcj02")
USER = "import_user"
UPLOAD = "import_file"
UPLOAD_ROUND = "import_file_round"
CRS = "import_crs"
REPLACE = "import_replace"
REPAIR = "import_repair"
RESULT = "import_result"
# The worker now running for this page, if any (see app_parts.worker_slot).
JOB = "import_job"
# The previews this run of the page asked for.
ASKED = "import_asked"
CANCEL = "import_cancel"
SLOT = WorkerSlot(JOB, CANCEL, UPLOAD_ROUND)
# Seconds between two looks at a running worker. Each look redraws the panel's progress: with
# an import waiting on a locked workspace (no work at all), looks every half second made
# another page load about 1.25x slower on a two-core machine running the server and both
# browsers, looks every second about 1.1x.
POLL_S = 1.0
# Widget keys of the preview's choices: one per field and per unplaced status word.
FIELD_PREFIX = "import_field_"
WORD_PREFIX = "import_word_"
# The preview's answers, kept per upload and choices so a rerun does not read the file again.
PREVIEWS = "import_previews"
KEPT_PREVIEWS = 4
NO_COLUMN = ""
UNMAPPED = ""

Translate = Callable[..., str]


def render(strings: Strings, lang: str) -> None:
    def t(name: str, **values: Any) -> str:
        return strings.get(name, lang, **values)

    with st.expander(t("app.import.title"), expanded=RESULT in st.session_state):
        st.caption(t("app.import.help"))
        user = sign_in.user_field(t, "app.import.user", USER)
        upload = st.file_uploader(
            t("app.import.file"), type=UPLOAD_TYPES,
            key=SLOT.upload_key(UPLOAD),
        )
        crs = st.selectbox(
            t("app.import.crs"),
            CRS_CHOICES,
            key=CRS,
            format_func=lambda key: key or t("app.import.crs_auto"),
        )
        replace = st.checkbox(t("app.import.replace"), key=REPLACE)
        repair = st.checkbox(t("app.import.repair"), key=REPAIR)
        mapping = None
        preview_ok = False
        st.session_state[ASKED] = []
        if upload is not None:
            mapping, preview_ok = _preview(upload, crs or None, repair, t, lang)
        active = SLOT.active
        if active and active["task"] == CHECK and active["key"] not in st.session_state[ASKED]:
            # A preview of a file or a choice no longer on the page: nobody waits for it.
            SLOT.stop()
        ready = (
            upload is not None and bool((user or "").strip()) and preview_ok
            and SLOT.active is None
        )
        if st.button(t("app.import.run"), disabled=not ready, type="primary"):
            st.session_state.pop(RESULT, None)
            since = _latest_batch()
            # since, name and user tell this import's batch from any other written meanwhile.
            SLOT.begin(IMPORT, IMPORT, upload, _start_import(
                upload, user, crs or None, replace, repair, mapping=mapping
            ), since=since, name=upload.name, user=user)
        if not (user or "").strip():
            st.caption(t("app.import.need_user"))
        if SLOT.running(IMPORT):
            _progress(t)
        if RESULT in st.session_state:
            _show(st.session_state[RESULT], t, lang)


# ----------------------------------------------------------------------- workers


@st.fragment(run_every=POLL_S)
def _progress(t: Translate) -> None:
    """How long the worker has taken, against its cap, and a button that stops it; once it
    has ended, the whole page is drawn again with its answer."""
    ended = SLOT.watch(
        lambda active, status, job: t(
            f"app.import.job.running.{active['task']}",
            seconds=f"{status.elapsed_s:.0f}", limit=f"{job.limits.time_s:.0f}"),
        t("app.import.job.cancel"),
        note=lambda status, job: None if status.memory_bytes is None else t(
            "app.import.job.memory", used=status.memory_bytes // 2**20,
            limit=job.limits.memory_mb),
    )
    if ended is not None:
        _finish(*ended)
        st.rerun()


def _finish(active: dict, status: JobStatus) -> None:
    """Keep the worker's answer (or why there is none) as plain data for the page."""
    job: Job = active["job"]
    if active["task"] == CHECK:
        kept: dict[str, dict] = st.session_state.setdefault(PREVIEWS, {})
        kept[active["key"]] = (
            preview_for_page(job.result()) if status.outcome == "done"
            else _failure(status, job)
        )
        for old in list(kept)[:-KEPT_PREVIEWS]:
            del kept[old]
        return
    if status.outcome == "done":
        result = import_for_page(job.result())
    else:
        result = _failure(status, job)
        # Stopped between its commit and its answer: the parcels are there all the same.
        result["imported"] = _written(active)
    st.session_state[RESULT] = result
    if result["imported"]:
        # The workspace has changed (its parcels, the remembered columns): no preview holds.
        st.session_state.pop(PREVIEWS, None)
        SLOT.let_go(active["file_id"])


def _latest_batch() -> int | None:
    """The workspace's newest batch; None when it cannot be read (the page says why)."""
    try:
        return latest_batch(configured_place())
    except (InputError, OSError):
        return None


def _written(active: dict) -> bool:
    """Whether the import ``active`` wrote its batch: one after the newest there was when it
    started, of its file and its planner. Another planner's import or an undo meanwhile is
    not it."""
    if active["since"] is None:
        return False
    try:
        found = written_batch(configured_place(), active["since"], active["name"],
                              active["user"])
    except (InputError, OSError):
        return False
    return found is not None


def _failure(status: JobStatus, job: Job) -> dict:
    return {
        "failure": status.outcome, "problems": [], "errors": 1, "table": False,
        "imported": False, "memory_limit": job.limits.memory_mb,
        "time_limit": f"{job.limits.time_s:.0f}",
    }


def _failure_line(result: dict, t: Translate, task: str) -> None:
    """Why a worker gave no answer: out of memory or time, stopped, or broken."""
    st.error(t(f"app.import.job.{task}.{result['failure']}",
               memory=result["memory_limit"], seconds=result["time_limit"]))


# ----------------------------------------------------------------------- preview


def _checked(
    upload: Any, crs: str | None, repair: bool, mapping: ColumnMapping | None
) -> dict | None:
    """The preview of ``upload`` with ``mapping``, read once per choice by a worker; None
    while the worker reads it (or while an import runs)."""
    key = json.dumps(
        [getattr(upload, "file_id", upload.name), upload.name, crs, repair,
         mapping.to_json() if mapping else None],
        ensure_ascii=False, sort_keys=True,
    )
    st.session_state.setdefault(ASKED, []).append(key)
    kept: dict[str, dict] = st.session_state.setdefault(PREVIEWS, {})
    if key in kept:
        return kept[key]
    if SLOT.running(IMPORT) or SLOT.running(CHECK, key):
        return None
    SLOT.begin(CHECK, key, upload, start_check(
        configured_place(), upload.name, upload, crs=crs, mapping=mapping, repair=repair,
    ))
    return None


def _waiting(t: Translate) -> tuple[None, bool]:
    """The preview is being read: show how far the worker is, and allow no import yet."""
    if SLOT.running(CHECK):
        _progress(t)
    return None, False


def _preview(
    upload: Any, crs: str | None, repair: bool, t: Translate, lang: str
) -> tuple[ColumnMapping | None, bool]:
    """Show what the file holds and how it is understood; return the planner's choices and
    whether the file can be imported."""
    first = _checked(upload, crs, repair, None)
    if first is None:
        return _waiting(t)
    if not first["table"]:
        _checked_problems(first, t, lang)
        return None, False
    st.markdown(f"**{escape_markdown(t('app.import.preview.rows'))}**")
    st.dataframe(first["head"], hide_index=True, width="stretch")
    choices = _field_choices(first, t)
    words = _word_choices(first, choices, upload, crs, repair, t)
    if words is None:
        return _waiting(t)
    mapping = ColumnMapping(
        {name: column for name, column in choices.items()
         if column != first["mapping"].column(name)},
        statuses=words,
    )
    mapping = mapping if (mapping.columns or mapping.statuses) else None
    chosen = _checked(upload, crs, repair, mapping) if mapping else first
    if chosen is None:
        return _waiting(t)
    _checked_problems(chosen, t, lang)
    if "count" in chosen:
        _would_give(chosen, t)
    return mapping, chosen["errors"] == 0 and "count" in chosen


def _field_choices(summary: dict, t: Translate) -> dict[str, str | None]:
    """One choice per field: the column that holds it, or none."""
    st.markdown(f"**{escape_markdown(t('app.import.preview.columns'))}**")
    st.caption(t("app.import.preview.columns_help"))
    options = [NO_COLUMN, *summary["columns"]]
    mapping: ColumnMapping = summary["mapping"]
    chosen: dict[str, str | None] = {}
    cells = st.columns(4)
    for index, name in enumerate(FIELDS):
        current = mapping.column(name) or NO_COLUMN
        key = FIELD_PREFIX + name
        if st.session_state.get(key) not in options:
            # A new file (or one without the column chosen before): start from what was read.
            st.session_state[key] = current
        with cells[index % len(cells)]:
            value = st.selectbox(
                t(f"parcel_table.field.{name}"),
                options,
                key=key,
                format_func=lambda column: column or t("app.import.preview.no_column"),
                help=_basis_help(mapping, name, t),
            )
        chosen[name] = value or None
    return chosen


def _basis_help(mapping: ColumnMapping, name: str, t: Translate) -> str | None:
    basis = mapping.basis.get(name)
    return t(f"parcel_table.basis.{basis}") if basis and mapping.column(name) else None


def _word_choices(
    first: dict, choices: dict[str, str | None], upload: Any, crs: str | None, repair: bool,
    t: Translate,
) -> dict[str, str] | None:
    """A status for each supply-status word the file uses that no list knows; None while
    the file is read again with another status column."""
    status_column = choices.get("status")
    if status_column is None:
        return {}
    # The words depend on the status column chosen: read them with that choice.
    probe = first
    if status_column != first["mapping"].column("status"):
        probe = _checked(upload, crs, repair, ColumnMapping({"status": status_column}))
        if probe is None:
            return None
    words = sorted(probe.get("unknown_statuses", {}))
    if not words:
        return {}
    st.markdown(f"**{escape_markdown(t('app.import.preview.words'))}**")
    options = [UNMAPPED, *PARCEL_STATUSES]
    mapped: dict[str, str] = {}
    for number, word in enumerate(words):
        code = st.selectbox(
            t("app.import.preview.word", word=word, count=probe["unknown_statuses"][word]),
            options,
            key=f"{WORD_PREFIX}{number}_{word}",
            format_func=lambda code: t(f"parcel.status.{code}") if code
            else t("app.import.preview.keep_unknown"),
        )
        if code:
            mapped[word] = code
    return mapped


def _would_give(summary: dict, t: Translate) -> None:
    by_status = t("problem_words.list_separator").join(
        f"{t(f'parcel.status.{code}') if code in PARCEL_STATUSES else t('app.land.unknown')}"
        f" {format_hectares(ha)}"
        for code, ha in summary["by_status"].items()
        if ha or code in PARCEL_STATUSES
    )
    st.info(
        t(
            "app.import.preview.would_give",
            count=summary["count"],
            hectares=format_hectares(summary["hectares"]),
            by_status=by_status,
            flagged=summary["flagged"],
        )
    )


def _checked_problems(summary: dict, t: Translate, lang: str) -> None:
    if "failure" in summary:
        _failure_line(summary, t, "check")
    _problems(summary["problems"], lang)


def _problems(problems: list, lang: str) -> None:
    for problem in problems:
        line = escape_markdown(problem.line(lang))
        if problem.is_error:
            st.error(line)
        else:
            st.warning(line)


# ----------------------------------------------------------------------- import


def _start_import(
    upload: Any, user: str, crs: str | None, replace: bool, repair: bool,
    mapping: ColumnMapping | None = None,
) -> Job:
    """The import in a worker; its answer is kept as plain data, so it survives reruns."""
    return start_import(
        configured_place(), upload.name, upload, user, crs=crs, mapping=mapping,
        replace=replace, repair=repair, actor=sign_in.current_actor(),
    )


def _show(result: dict, t: Translate, lang: str) -> None:
    if "failure" in result:
        if result["imported"]:
            st.warning(t("app.import.job.import.written"))
        else:
            _failure_line(result, t, "import")
        return
    _problems(result["problems"], lang)
    if not result["imported"]:
        st.error(t("app.import.failed", errors=result.get("errors", 1)))
        return
    st.success(
        t("app.import.done", count=result["count"], hectares=format_hectares(result["hectares"]))
    )
    if result["removed"]:
        st.info(
            t(
                "app.import.removed_samples" if result["removed_samples"] else "app.import.removed",
                count=result["removed"],
                hectares=format_hectares(result["removed_hectares"]),
            )
        )
    if result["after"] is not None:
        st.metric(
            t("app.import.total"),
            format_hectares(result["after"]),
            delta=format_hectares(result["after"] - result["before"]),
        )

