"""The one worker a panel runs for its page (a preview or an import, of parcels or of a
reference layer): started, replaced, stopped, watched, and the upload let go of afterwards.

Streamlit code only; the workers themselves are :class:`geo_app.jobs.Job`. Each panel keeps
its own slot (its own session keys), so a parcel import and a reference layer load may run
side by side, but a panel never runs two workers at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo_app.jobs import Job, JobStatus


class WorkerSlot:
    """A panel's worker under the session key ``key``: ``{"task", "key", "file_id", "job"}``
    plus whatever the panel adds to remember about it."""

    def __init__(self, key: str, cancel_key: str, upload_round_key: str):
        self.key = key
        self.cancel_key = cancel_key
        # Counts finished uploads: the uploader's key changes with it, so it starts empty.
        self.upload_round_key = upload_round_key

    @property
    def active(self) -> dict | None:
        return st.session_state.get(self.key)

    def begin(self, task: str, key: str, upload: Any, job: Job, **remember: Any) -> None:
        """Remember the worker; the one it replaces (a preview no longer asked for) stops."""
        self.stop()
        st.session_state[self.key] = {"task": task, "key": key, "job": job,
                                      "file_id": getattr(upload, "file_id", None), **remember}

    def stop(self) -> None:
        active = st.session_state.pop(self.key, None)
        if active is not None:
            active["job"].cancel()

    def running(self, task: str, key: str | None = None) -> bool:
        active = self.active
        return active is not None and active["task"] == task and key in (None, active["key"])

    def watch(self, text: Callable[[dict, JobStatus, Job], str], cancel_label: str,
              note: Callable[[JobStatus, Job], str | None] | None = None) -> tuple[
                  dict, JobStatus] | None:
        """Draw how long the worker has taken against its cap, with a button that stops it;
        once it has ended (or been stopped), take it out of the slot and give it back with
        its status, for the panel to keep its answer. None while it runs."""
        active = self.active
        if active is None:
            return None
        job: Job = active["job"]
        status = job.poll()
        if status.running:
            st.progress(min(status.elapsed_s / job.limits.time_s, 1.0),
                        text=text(active, status, job))
            extra = note(status, job) if note is not None else None
            if extra:
                st.caption(extra)
            if not st.button(cancel_label, key=self.cancel_key):
                return None
            status = job.cancel()
        st.session_state.pop(self.key, None)
        return active, status

    def upload_key(self, base: str) -> str:
        return f"{base}_{st.session_state.get(self.upload_round_key, 0)}"

    def let_go(self, file_id: str | None) -> None:
        """A file done with: the uploader starts empty, and Streamlit drops the file's bytes
        now rather than when the planner closes the page."""
        st.session_state[self.upload_round_key] = st.session_state.get(
            self.upload_round_key, 0) + 1
        context = get_script_run_ctx()
        remove = getattr(getattr(context, "uploaded_file_mgr", None), "remove_file", None)
        if context is not None and remove is not None and file_id:
            remove(session_id=context.session_id, file_id=file_id)
