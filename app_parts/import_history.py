"""The page's list of the workspace's recent imports, each with a button that undoes it.

Streamlit code only: the undo itself is :meth:`geo_app.workspace.Workspace.undo_import`, one
transaction that puts the workspace back as it was before the import, recorded in the
history under the name the planner gives. An import one of whose parcels has been changed
since is refused, with the parcels named, and nothing changes. After an undo the whole page
is drawn again, so the map, the totals and the tables show the parcels as they now are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_parts import sign_in
from app_parts.page import Texts
from app_parts.page_data import escape_markdown, format_hectares
from geo_app.i18n import Strings
from geo_app.problems import InputError
from geo_app.workspace import Workspace, configured_place

USER = "import_history_user"
# The import panel's name field: a planner who gave a name there need not type it again.
UNDO_PREFIX = "import_undo_"
# What the last undo did (or why it was refused), shown once after the page is drawn again.
RESULT = "import_undo_result"
# How many of the newest imports are listed; older ones are for `geo-app history --imports`.
SHOWN = 10

Translate = Callable[..., str]


def _batches() -> dict[int, dict[str, Any]] | None:
    """The workspace's batches (imports and undos) by number; None when it cannot be read
    (the page already says why)."""
    try:
        return {b["id"]: b for b in Workspace.at(configured_place()).imports()}
    except (InputError, OSError):
        return None


def render(strings: Strings, lang: str) -> None:
    t = Texts(strings, lang)

    batches = _batches()
    if batches is None:
        return
    # The planners' imports: not the undos, nor the shipped samples the workspace began with.
    imports = [b for b in reversed(batches.values()) if b["undoes"] is None and not b["sample"]]
    with st.expander(t("app.import_history.title"), expanded=RESULT in st.session_state):
        _result(t, lang)
        if not imports:
            st.caption(t("app.import_history.empty"))
            return
        st.caption(t("app.import_history.help"))
        user = sign_in.user_field(t, "app.import_history.user", USER)
        if not user:
            st.caption(t("app.import_history.need_user"))
        for batch in imports[:SHOWN]:
            _row(batch, batches, user, t)


def _row(batch: dict[str, Any], batches: dict[int, dict[str, Any]], user: str,
         t: Translate) -> None:
    text, action = st.columns([4, 1], vertical_alignment="center")
    # File and user names are the planners' own text: shown as text, never as Markdown.
    text.text(
        t("app.import_history.line", batch=batch["id"], file=batch["source"],
          at=_when(batch["at"]), user=batch["user"], count=batch["parcel_count"],
          hectares=format_hectares(batch["hectares"]))
    )
    undo = batches.get(batch["undone_by"]) if batch["undone_by"] is not None else None
    if undo is not None:
        action.caption(escape_markdown(
            t("app.import_history.undone", at=_when(undo["at"]), user=undo["user"])
        ))
        return
    if action.button(t("app.import_history.undo"), key=f"{UNDO_PREFIX}{batch['id']}",
                     disabled=not user):
        _undo(batch["id"], user, t)


def _when(stamp: str) -> str:
    """A stored UTC stamp to the minute, as people read it."""
    return stamp[:16].replace("T", " ")


def _undo(batch: int, user: str, t: Translate) -> None:
    try:
        outcome = sign_in.acting_workspace().undo_import(batch, user)
    except InputError as exc:
        st.session_state[RESULT] = {"problem": exc.problem}
    else:
        st.session_state[RESULT] = {
            "batch": outcome.undone_batch,
            "removed": len(outcome.removed),
            "removed_ha": format_hectares(outcome.hectares_removed),
            "restored": len(outcome.restored),
            "restored_ha": format_hectares(outcome.hectares_restored),
        }
    # The parcels have changed: the map, the totals and the tables are drawn again.
    st.rerun()


def _result(t: Translate, lang: str) -> None:
    result = st.session_state.pop(RESULT, None)
    if result is None:
        return
    if "problem" in result:
        # The bare message: a refusal about the workspace is not about an uploaded file.
        st.error(escape_markdown(result["problem"].message(lang)))
    else:
        st.success(t("app.import_history.done", **result))
