"""The error boundary every page runs inside: a failure becomes one plain sentence on the page and the full detail
in the server's log, so no visitor ever sees a traceback (and the rest of the app keeps working)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from pandas.errors import OutOfBoundsDatetime

from engine.models import ModelLoadError
from engine.store import DatabaseLockedError

__all__ = ["boundary", "busy", "sentence"]

log = logging.getLogger("storelens.dashboard")

def busy(exc: BaseException | None = None) -> str:
    """The sentence for a database another process holds (with its PID when known; never the file's path)."""
    pid = re.search(r"\(PID (\d+)\)", str(exc or ""))
    who = f" (PID {pid.group(1)})" if pid else ""
    return (f"The database is in use by another process{who}, e.g. a StoreLens import or training run. This page "
            "shows the data again as soon as it is done; reload in a moment.")


def sentence(exc: BaseException) -> str:
    """What a visitor is told about a failure: what happened and what to do, never the exception's text."""
    if isinstance(exc, DatabaseLockedError):
        return busy(exc)
    if isinstance(exc, ModelLoadError):
        return ("The sentiment model's files are missing or corrupt; retrain it on the Training page "
                "(the server's log names the file).")
    if isinstance(exc, (OverflowError, OutOfBoundsDatetime)):
        return ("This page could not draw the chosen dates; pick a shorter period in the sidebar "
                "(the server's log has the detail).")
    return "This part of the page could not be shown because of an unexpected error; the server's log has the detail."


@contextmanager
def boundary(where: str) -> Iterator[None]:
    """Run a page (or the sidebar) so that any exception is logged in full and shown as one sentence."""
    try:
        yield
    except Exception as exc:  # st.stop / st.rerun are BaseExceptions and pass through
        if isinstance(exc, DatabaseLockedError):
            log.warning("%s: %s", where, exc)
        else:
            log.error("%s failed", where, exc_info=exc)
        st.error(sentence(exc), icon=":material/error:")
