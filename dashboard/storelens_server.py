"""What `storelens serve` runs: the dashboard as an ASGI app with the password gate in front of every request and
one plain sentence (never a traceback) for any error a page did not catch."""

import logging
import sys
from pathlib import Path

try:
    import dashboard  # noqa: F401  (installed package, or run from the repository root)
except ImportError:  # `streamlit run dashboard/storelens_server.py` from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st
from starlette.middleware import Middleware

from dashboard import APP_PATH
from dashboard.gate import PasswordGate, configured_password

_log = logging.getLogger("storelens.dashboard")
_PASSWORD = configured_password()  # read once: a password file is not re-read on every request


def _script_error(exc: Exception) -> bool:
    """Log the detail for the operator; the visitor sees one sentence."""
    _log.error("a page failed", exc_info=exc)
    st.error("Something went wrong on this page. The details are in the server's log; try another period or page.")
    return True


app = st.App(str(APP_PATH), middleware=[Middleware(PasswordGate, password=lambda: _PASSWORD)],
             on_script_error=_script_error)
