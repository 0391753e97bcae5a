"""What `storelens serve` runs: the dashboard as an ASGI app with the password gate in front of every request and
one plain sentence (never a traceback) for any error a page did not catch."""

import logging
import os
import sys
from pathlib import Path

try:
    import dashboard  # noqa: F401  (installed package, or run from the repository root)
except ImportError:  # `streamlit run dashboard/storelens_server.py` from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st
from starlette.middleware import Middleware
from streamlit import file_util

from dashboard import APP_PATH
from dashboard.gate import PasswordGate, configured_password, configured_proxies

_log = logging.getLogger("storelens.dashboard")
_PASSWORD = configured_password()  # read once: a password file is not re-read on every request
_PROXIES = configured_proxies()

# uvicorn believes X-Forwarded-For from loopback peers unless FORWARDED_ALLOW_IPS says otherwise, and it rewrites the
# client address before the gate sees it: anyone on this machine, or behind a local proxy that passes the header on,
# would pick a fresh address for every wrong password. `storelens serve` sets it empty so that only the gate decides
# whom to believe ($STORELENS_TRUSTED_PROXY); it is read before this module loads, so here it can only be checked.
if _PASSWORD is not None and os.environ.get("FORWARDED_ALLOW_IPS") != "":
    raise RuntimeError("start the password-protected dashboard with `storelens serve` (or set FORWARDED_ALLOW_IPS to "
                       "an empty value): otherwise X-Forwarded-For escapes the login limits")


def _script_error(exc: Exception) -> bool:
    """Log the detail for the operator; the visitor sees one sentence."""
    _log.error("a page failed", exc_info=exc)
    st.error("Something went wrong on this page. The details are in the server's log; try another period or page.")
    return True


app = st.App(str(APP_PATH), middleware=[Middleware(
    PasswordGate, password=lambda: _PASSWORD, proxies=_PROXIES, public_dir=Path(file_util.get_static_dir()))],
    on_script_error=_script_error)
