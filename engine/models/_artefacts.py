"""Artefact folders: a `<family>.json` written last lists each file's sha256, so a truncated or missing file is
caught at load time with a message that names it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._errors import ModelLoadError


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
