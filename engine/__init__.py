"""StoreLens engine: storage, import, analytics and models; no UI code lives here."""

from .ingest import Detection, IngestError, IngestReport, detect, ingest, parse_map_arg
from .store import Store, default_db_path

__all__ = [
    "Store",
    "default_db_path",
    "Detection",
    "IngestError",
    "IngestReport",
    "detect",
    "ingest",
    "parse_map_arg",
]
