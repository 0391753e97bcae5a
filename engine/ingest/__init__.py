"""The importer: merchant exports (eight platform formats, the retail log, any CSV) read through DuckDB's own CSV
reader and mapped onto the contract's tables, accounting for every row read; and the upload history, where a wrong
import is undone or replaced."""

from ._detect import detect
from ._formats import CANONICAL, normalise_header, similarity_mapping
from ._importer import ingest
from ._parsing import (
    detect_date_dialect,
    detect_number_dialect,
    number_expr,
    timestamp_expr,
)
from ._tolerant import Scan, start_scan
from ._spool import spool_clear, spool_dir, spool_files, spool_remove, spool_write
from ._types import (
    FORMAT_NAMES,
    Detection,
    IngestError,
    IngestReport,
    max_upload_bytes,
    missing_message,
    parse_map_arg,
)
from ._undo import (
    UndoReport,
    UnknownUploadError,
    UploadInfo,
    earlier_uploads,
    file_sha256,
    list_uploads,
    mapping_differs,
    undo_upload,
)

__all__ = [
    "CANONICAL",
    "IngestError",
    "Detection",
    "IngestReport",
    "detect",
    "ingest",
    "Scan",
    "start_scan",
    "parse_map_arg",
    "max_upload_bytes",
    "missing_message",
    "FORMAT_NAMES",
    "similarity_mapping",
    "normalise_header",
    "detect_date_dialect",
    "detect_number_dialect",
    "number_expr",
    "timestamp_expr",
    "spool_dir",
    "spool_write",
    "spool_remove",
    "spool_files",
    "spool_clear",
    "UploadInfo",
    "UndoReport",
    "UnknownUploadError",
    "list_uploads",
    "undo_upload",
    "earlier_uploads",
    "file_sha256",
    "mapping_differs",
]
