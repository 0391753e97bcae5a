"""StoreLens browser app (Streamlit). Run it with `streamlit run` on APP_PATH; the CLI does that for you."""

from pathlib import Path

__all__ = ["APP_PATH"]

# The router script: `streamlit run <APP_PATH> --server.maxUploadSize ...` (the CLI passes settings as flags).
APP_PATH = Path(__file__).resolve().parent / "app.py"
