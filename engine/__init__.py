"""StoreLens engine: storage, import, analytics and models; no UI code lives here."""

import os

# OpenMP threads that spin at barriers stall when DuckDB or another process holds a core (2-thread explanations
# ran 5-7x slower than 1 thread on a busy 2-core machine); passive waiting avoids that. It must be set before
# torch loads, and a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .ingest import Detection, IngestError, IngestReport, detect, ingest, parse_map_arg  # noqa: E402
from .store import Store, default_db_path  # noqa: E402

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
