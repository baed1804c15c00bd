"""The page's "import a parcels file" panel: upload, look at what was understood, correct it,
import, and see what changed.

Streamlit code only. Once a file is chosen, :func:`geo_app.importing.check_upload` reads it
exactly as the import will, without writing: the panel shows the file's first rows, the
column it took for each field (a choice per field the planner can change), the words it
could not place (each mappable to a status), and the totals the import would give. The
import itself is :func:`geo_app.importing.import_upload` with the same choices. Every
problem is shown in the user's language, one line each, as plain text (file and feature
names are never read as Markdown or HTML).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from geo_app.appstate import escape_markdown, format_hectares
from geo_app.i18n import Strings
from geo_app.importing import ImportPlan, check_upload, import_upload
from geo_app.ledger import PARCEL_STATUSES, ledger_of_plan, plan_target
from geo_app.parcel_table import FIELDS, ColumnMapping
from geo_app.problems import InputError, summarised
from geo_app.workspace import Workspace, resolve_data_dir, workspace_ledger

UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz", "csv", "xlsx", "txt"]
CRS_CHOICES = ("", "wgs84", "cgcs2000", "gk42", "gk126", "gcj02")
USER = "import_user"
UPLOAD = "import_file"
CRS = "import_crs"
REPLACE = "import_replace"
REPAIR = "import_repair"
RESULT = "import_result"
# Widget keys of the preview's choices: one per field and per unplaced status word.
FIELD_PREFIX = "import_field_"
WORD_PREFIX = "import_word_"
# The preview's answers, kept per upload and choices so a rerun does not read the file again.
PREVIEWS = "import_previews"
KEPT_PREVIEWS = 4
PREVIEW_ROWS = 5
NO_COLUMN = ""
UNMAPPED = ""

Translate = Callable[..., str]


def _workspace() -> Workspace:
    return Workspace.open(resolve_data_dir())


def render(strings: Strings, lang: str) -> None:
    def t(name: str, **values: Any) -> str:
        return strings.get(name, lang, **values)

    with st.expander(t("app.import.title"), expanded=RESULT in st.session_state):
        st.caption(t("app.import.help"))
        user = st.text_input(t("app.import.user"), key=USER, max_chars=100)
        upload = st.file_uploader(t("app.import.file"), type=UPLOAD_TYPES, key=UPLOAD)
        crs = st.selectbox(
            t("app.import.crs"),
            CRS_CHOICES,
            key=CRS,
            format_func=lambda key: key or t("app.import.crs_auto"),
        )
        replace = st.checkbox(t("app.import.replace"), key=REPLACE)
        repair = st.checkbox(t("app.import.repair"), key=REPAIR)
        mapping = None
        preview_ok = True
        if upload is not None:
            mapping, preview_ok = _preview(upload, crs or None, repair, t, lang)
        ready = upload is not None and bool((user or "").strip()) and preview_ok
        if st.button(t("app.import.run"), disabled=not ready, type="primary"):
            st.session_state[RESULT] = _run(
                upload, user, crs or None, replace, repair, mapping=mapping
            )
            st.session_state.pop(PREVIEWS, None)
            # The page's parcels were read before the import: draw it all again with them.
            st.rerun()
        if not (user or "").strip():
            st.caption(t("app.import.need_user"))
        if RESULT in st.session_state:
            _show(st.session_state[RESULT], t, lang)


# ----------------------------------------------------------------------- preview


def _checked(upload: Any, crs: str | None, repair: bool, mapping: ColumnMapping | None) -> dict:
    """The preview of ``upload`` with ``mapping`` as plain data, read once per choice."""
    key = json.dumps(
        [getattr(upload, "file_id", upload.name), upload.name, crs, repair,
         mapping.to_json() if mapping else None],
        ensure_ascii=False, sort_keys=True,
    )
    kept: dict[str, dict] = st.session_state.setdefault(PREVIEWS, {})
    if key not in kept:
        try:
            plan = check_upload(
                _workspace(), upload.name, upload.getvalue(), crs=crs, mapping=mapping,
                repair=repair,
            )
        except InputError as exc:
            plan = ImportPlan(upload.name, [exc.problem])
        kept[key] = _plan_summary(plan)
        for old in list(kept)[:-KEPT_PREVIEWS]:
            del kept[old]
    return kept[key]


def _plan_summary(plan: ImportPlan) -> dict:
    summary: dict[str, Any] = {
        "problems": summarised(plan.problems),
        "errors": len(plan.errors),
        "table": plan.table is not None,
    }
    if plan.table is None:
        return summary
    table = plan.table
    geometry = table.data.frame.geometry.name
    head = table.data.frame.drop(columns=geometry).head(PREVIEW_ROWS)
    summary.update(
        columns=[str(c) for c in table.data.frame.columns if c != geometry],
        head=head.astype(str).replace({"None": "", "nan": "", "NaT": ""}),
        mapping=table.mapping,
        unknown_statuses=dict(table.understanding.unknown_statuses),
        flagged=len(table.understanding.flagged),
    )
    if plan.parcels:
        ledger = ledger_of_plan(plan, plan_target().target_ha)
        summary.update(count=ledger.parcel_count, hectares=ledger.total_ha,
                       by_status=ledger.by_status)
    return summary


def _preview(
    upload: Any, crs: str | None, repair: bool, t: Translate, lang: str
) -> tuple[ColumnMapping | None, bool]:
    """Show what the file holds and how it is understood; return the planner's choices and
    whether the file can be imported."""
    first = _checked(upload, crs, repair, None)
    if not first["table"]:
        _problems(first["problems"], lang)
        return None, False
    st.markdown(f"**{escape_markdown(t('app.import.preview.rows'))}**")
    st.dataframe(first["head"], hide_index=True, width="stretch")
    choices = _field_choices(first, t)
    words = _word_choices(first, choices, upload, crs, repair, t)
    mapping = ColumnMapping(
        {name: column for name, column in choices.items()
         if column != first["mapping"].column(name)},
        statuses=words,
    )
    mapping = mapping if (mapping.columns or mapping.statuses) else None
    chosen = _checked(upload, crs, repair, mapping) if mapping else first
    _problems(chosen["problems"], lang)
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
) -> dict[str, str]:
    """A status for each supply-status word the file uses that no list knows."""
    status_column = choices.get("status")
    if status_column is None:
        return {}
    # The words depend on the status column chosen: read them with that choice.
    probe = first
    if status_column != first["mapping"].column("status"):
        probe = _checked(upload, crs, repair, ColumnMapping({"status": status_column}))
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


def _problems(problems: list, lang: str) -> None:
    for problem in problems:
        line = escape_markdown(problem.line(lang))
        if problem.is_error:
            st.error(line)
        else:
            st.warning(line)


# ----------------------------------------------------------------------- import


def _run(
    upload: Any, user: str, crs: str | None, replace: bool, repair: bool,
    mapping: ColumnMapping | None = None,
) -> dict:
    """Import and keep what to show as plain data, so it survives reruns."""
    try:
        workspace = _workspace()
        before = workspace_ledger(workspace).total_ha
        result = import_upload(
            workspace, upload.name, upload.getvalue(), user, crs=crs, mapping=mapping,
            replace=replace, repair=repair,
        )
        after = workspace_ledger(workspace)
    except InputError as exc:
        return {"problems": [exc.problem], "imported": False}
    plan, outcome = result.plan, result.outcome
    return {
        "problems": summarised(plan.problems),
        "imported": outcome is not None,
        "errors": len(plan.errors),
        "count": len(plan.parcels),
        "hectares": plan.hectares,
        "removed": len(outcome.removed) if outcome else 0,
        "removed_hectares": outcome.hectares_removed if outcome else 0.0,
        "removed_samples": bool(outcome and outcome.removed_samples),
        "before": before,
        "after": after.total_ha,
        "target": after.target_ha,
    }


def _show(result: dict, t: Translate, lang: str) -> None:
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
    st.metric(
        t("app.import.total"),
        format_hectares(result["after"]),
        delta=format_hectares(result["after"] - result["before"]),
    )

