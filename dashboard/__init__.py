"""StoreLens browser app (Streamlit). `storelens serve` runs SERVER_PATH (APP_PATH behind the password gate)."""

from pathlib import Path

__all__ = ["APP_PATH", "SERVER_PATH"]

# The router script: `streamlit run <APP_PATH> --server.maxUploadSize ...` (the CLI passes settings as flags).
APP_PATH = Path(__file__).resolve().parent / "app.py"
# What `storelens serve` runs: the same app behind the password gate (an ASGI app `streamlit run` recognises).
SERVER_PATH = Path(__file__).resolve().parent / "storelens_server.py"
