"""The background job of a page, drawn the same way on every page: a progress bar redrawn each second with Cancel,
one full rerun when the job ends so the page's results refresh, then the finished job's outcome as a banner."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import services

Outcome = Callable[[services.Job], "tuple[str, str] | None"]
_ICONS = {"success": ":material/check_circle:", "error": ":material/error:"}


def job_panel(page: str, outcome: Outcome, kinds: tuple[str, ...] | None = None,
              cancellable: tuple[str, ...] | None = None) -> services.Job | None:
    """Show the database's latest job if it is one of `kinds` (None: any); return it, whatever its kind.

    `cancellable` names the kinds this page offers to cancel (None: any). The returned job's `running` is what
    the page's start buttons are disabled by.
    """
    job = services.latest_job()
    if job is None:
        return None
    if kinds is not None and job.kind not in kinds:
        return job
    if job.running:
        _progress(page, cancellable)
    else:
        st.session_state[f"{page}_seen_job"] = job.id
        said = outcome(job)
        if said is not None:
            level, text = said
            getattr(st, level)(text, icon=_ICONS.get(level))
    return job


@st.fragment(run_every=1.0)
def _progress(page: str, cancellable: tuple[str, ...] | None) -> None:
    """Redrawn every second while the job runs; one full rerun when it ends."""
    job = services.latest_job()
    if job is None:
        return
    if job.running:
        st.progress(job.fraction, text=services.job_progress_text(job))
        if cancellable is not None and job.kind not in cancellable:
            return
        if job.cancel_requested:
            st.caption("Cancelling at the next step…")
        elif st.button("Cancel", key=f"{page}_cancel", icon=":material/cancel:"):
            services.cancel_job(job)
            st.rerun(scope="fragment")
    elif st.session_state.get(f"{page}_seen_job") != job.id:
        st.rerun()
