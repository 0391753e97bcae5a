"""Artefact folders: a `<family>.json` written last lists each file's sha256, so a truncated or missing file is
caught at load time with a message that names it; a file that passes its checksum but still cannot be read is
reported the same way by `read_artefact`."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ._errors import ModelLoadError

T = TypeVar("T")

# What a reader raises on a file that is not what it expects, though its checksum matched (it was written corrupt,
# or by another library version): torch's weights-only unpickler refusing it, a zip, npz or Parquet reader, a
# file that ends early. Errors outside this list are bugs and stay visible as themselves.
_UNREADABLE = (OSError, EOFError, ValueError, RuntimeError, KeyError, IndexError, TypeError, pickle.UnpicklingError,
              zipfile.BadZipFile)


def sha256_file(path: Path) -> str:
    """Checksum recorded at save time and verified at load time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def meta_path(folder: Path, family: str) -> Path:
    """The file whose presence marks a complete version folder."""
    return Path(folder) / f"{family}.json"


def write_meta(folder: str | Path, family: str, meta: dict[str, Any], files: Iterable[Path]) -> dict[str, Any]:
    """Write `<family>.json` (meta + checksums of `files`) atomically, last, so a folder without it is incomplete."""
    folder = Path(folder)
    out = dict(meta)
    out["family"] = family
    out["files"] = {str(Path(p).relative_to(folder)): sha256_file(Path(p)) for p in files}
    target = meta_path(folder, family)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, target)
    return out


def read_artefact(folder: str | Path, family: str, name: str, read: Callable[[Path], T]) -> T:
    """`read(folder / name)`; a file it cannot read raises ModelLoadError naming the file, as a failed checksum
    does, so the registry marks the version broken and the previous one answers instead of the page failing."""
    try:
        return read(Path(folder) / name)
    except _UNREADABLE as exc:
        # The first sentence only: the reason is stored with the version and shown on the Versions page, and
        # torch's unpickler explains its defaults at length.
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "").split(". ")[0][:160]
        why = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        raise ModelLoadError(f"{family} model at {folder} is corrupt: file {name} is unreadable ({why})") from exc


def read_meta(folder: str | Path, family: str) -> dict[str, Any]:
    """Read `<family>.json` and verify every listed file; ModelLoadError says which file is missing or corrupt."""
    folder = Path(folder)
    path = meta_path(folder, family)
    if not path.is_file():
        raise ModelLoadError(f"{family} model at {folder} is incomplete: {path.name} is missing")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{family} model at {folder} is corrupt: {path.name} is unreadable ({exc})") from exc
    for name, digest in meta.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise ModelLoadError(f"{family} model at {folder} is incomplete: file {name} is missing")
        if sha256_file(file) != digest:
            raise ModelLoadError(f"{family} model at {folder} is corrupt: file {name} fails its checksum")
    return meta
