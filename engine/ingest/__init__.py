"""The importer: merchant exports (eight platform formats, the retail log, any CSV) read through DuckDB's own CSV
reader and mapped onto the contract's tables, accounting for every row read; and the upload history, where a wrong
import is undone or replaced.

Names load with their module on first use (PEP 562), so `scan_in_child` is at hand before DuckDB is imported: the
CLI starts an upload's byte scan in a child process while the rest loads."""

from importlib import import_module

_HOMES = {
    "detect": "_detect",
    "CANONICAL": "_formats", "normalise_header": "_formats", "similarity_mapping": "_formats",
    "ingest": "_importer",
    "detect_date_dialect": "_parsing", "detect_number_dialect": "_parsing", "number_expr": "_parsing",
    "timestamp_expr": "_parsing",
    "Scan": "_bytescan", "scan_in_child": "_bytescan",
    "start_scan": "_tolerant",
    "spool_clear": "_spool", "spool_dir": "_spool", "spool_files": "_spool", "spool_remove": "_spool",
    "spool_write": "_spool",
    "FORMAT_NAMES": "_types", "Detection": "_types", "IngestError": "_types", "IngestReport": "_types",
    "max_upload_bytes": "_types", "missing_message": "_types", "parse_map_arg": "_types",
    "UndoReport": "_undo", "UnknownUploadError": "_undo", "UploadInfo": "_undo", "earlier_uploads": "_undo",
    "file_sha256": "_undo", "list_uploads": "_undo", "mapping_differs": "_undo", "undo_upload": "_undo",
    "MISSING_COLUMNS": "_undo", "missing_lines": "_undo",
}

__all__ = list(_HOMES)  # every public name, each loaded from its home module on first use


def __getattr__(name: str):
    """Import the module that defines a public name on its first use, and keep the name here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names too, before they are loaded (for completion and help())."""
    return sorted([*globals(), *__all__])
