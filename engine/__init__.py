"""StoreLens engine: storage, import, analytics and models, one package per capability; no UI code lives here.

`import engine` does no work: the names below load their package on first use.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "Store": "engine.store",
    "default_db_path": "engine.store",
    "Detection": "engine.ingest",
    "IngestError": "engine.ingest",
    "IngestReport": "engine.ingest",
    "detect": "engine.ingest",
    "ingest": "engine.ingest",
    "parse_map_arg": "engine.ingest",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    """Load a public name's package on first use."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
