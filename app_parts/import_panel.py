"""The page's "import a parcels file" panel: upload, name, import, and what changed.

Streamlit code only: reading, checking and writing are :func:`geo_app.importing.import_upload`
into the workspace (``GEO_APP_DATA``, else the per-user data folder). Every problem is shown
in the user's language, one line each, as plain text (file and feature names are never
read as Markdown or HTML).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from geo_app.appstate import escape_markdown, format_hectares
from geo_app.i18n import Strings
from geo_app.importing import import_upload
from geo_app.problems import InputError
from geo_app.workspace import Workspace, resolve_data_dir, workspace_ledger

UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz", "csv", "xlsx", "txt"]
CRS_CHOICES = ("", "wgs84", "cgcs2000", "gk42", "gk126", "gcj02")
USER = "import_user"
UPLOAD = "import_file"
CRS = "import_crs"
REPLACE = "import_replace"
REPAIR = "import_repair"
RESULT = "import_result"


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
        ready = upload is not None and bool((user or "").strip())
        if st.button(t("app.import.run"), disabled=not ready, type="primary"):
            st.session_state[RESULT] = _run(upload, user, crs or None, replace, repair)
            # The page's parcels were read before the import: draw it all again with them.
            st.rerun()
        if not (user or "").strip():
            st.caption(t("app.import.need_user"))
        if RESULT in st.session_state:
            _show(st.session_state[RESULT], t, lang)


def _run(upload: Any, user: str, crs: str | None, replace: bool, repair: bool) -> dict:
    """Import and keep what to show as plain data, so it survives reruns."""
    try:
        workspace = _workspace()
        before = workspace_ledger(workspace).total_ha
        result = import_upload(
            workspace, upload.name, upload.getvalue(), user, crs=crs, replace=replace,
            repair=repair,
        )
        after = workspace_ledger(workspace)
    except InputError as exc:
        return {"problems": [exc.problem], "imported": False}
    plan, outcome = result.plan, result.outcome
    return {
        "problems": plan.problems,
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


def _show(result: dict, t: Any, lang: str) -> None:
    for problem in result["problems"]:
        line = escape_markdown(problem.line(lang))
        if problem.is_error:
            st.error(line)
        else:
            st.warning(line)
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
