"""Widgets several pages show alike: a background job's progress (redrawn each second, Cancel, one rerun when it
ends, then its outcome), the notice that a broken model was replaced, the stop while no model exists, and the
scroll that brings rows a click opened into view."""

from __future__ import annotations

from collections.abc import Callable

import hashlib
import json

import streamlit as st
import streamlit.components.v1 as components

from dashboard import services, views

Outcome = Callable[[services.Job], "tuple[str, str] | None"]
_ICONS = {"success": ":material/check_circle:", "error": ":material/error:"}


def job_panel(page: str, outcome: Outcome, kinds: tuple[str, ...] | None = None,
              cancellable: tuple[str, ...] | None = None, background: bool = False) -> services.Job | None:
    """Show the database's latest job if it is one of `kinds` (None: any); return it, whatever its kind.

    `cancellable` names the kinds this page offers to cancel (None: any). The returned job's `running` is what
    the page's start buttons are disabled by. `background=True` shows the low-priority job instead (labelling every
    review after a training), which runs beside the pages' own jobs.
    """
    job = services.latest_background_job() if background else services.latest_job()
    if job is None:
        return None
    if kinds is not None and job.kind not in kinds:
        return job
    if job.running:
        _progress(page, cancellable, background)
    else:
        st.session_state[f"{page}_seen_job"] = job.id
        said = outcome(job)
        if said is not None:
            level, text = said
            getattr(st, level)(text, icon=_ICONS.get(level))
    return job


@st.fragment(run_every=1.0)
def _progress(page: str, cancellable: tuple[str, ...] | None, background: bool = False) -> None:
    """Redrawn every second while the job runs; one full rerun when it ends."""
    job = services.latest_background_job() if background else services.latest_job()
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


def model_fallback_notice() -> None:
    """Say so when the active sentiment version stands in for a broken one (every page that uses the model)."""
    if notice := services.model_notice():
        st.warning(notice, icon=":material/warning:")


def require_sentiment_model(why: str) -> None:
    """Stop the page with `why` and a link to Training while no sentiment model exists."""
    if services.sentiment_active_version() is None:
        st.info(why, icon=":material/info:")
        st.page_link(views.TRAINING, label="Go to Training", icon=":material/model_training:")
        st.stop()


def bring_into_view(key: str, opened_by: object) -> None:
    """Scroll the page so the container with `key` starts at the top of the window: rows a click opens below the
    charts would otherwise start under the fold (y=1325 in an 800-pixel window) while nothing seems to happen.

    Runs once per `opened_by` (what was clicked): a zero-height frame of this app's own origin scrolls its parent
    page, and an unchanged frame is not run again, so reading the rows or paging them never jumps back. The frame
    carries a digest of `opened_by`, never its text (product names are the merchant's data).
    """
    selector = json.dumps(f".st-key-{key}")
    opened = hashlib.sha256(repr(opened_by).encode()).hexdigest()[:16]
    # Below the app's fixed header (scroll-margin), and again after the charts above have drawn (they grow the page
    # after this frame first runs).
    components.html(f"""<script>/* {opened} */
        const go = () => {{ const target = window.parent.document.querySelector({selector});
                            if (!target) return;
                            target.style.scrollMarginTop = "4.5rem";
                            target.scrollIntoView({{block: "start"}}); }};
        go(); setTimeout(go, 400); setTimeout(go, 1200);</script>""", height=0)
