"""Where uploaded files wait between the browser and the importer: a directory only this user can enter, files
only this user can read (0600), removed after import, on cancel, and when the server starts."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def _private_dir(path: Path) -> Path:
    """Create `path` as 0700, or refuse one that is a link, or owned by someone else."""
    try:
        path.mkdir(mode=0o700, parents=False, exist_ok=True)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or (
            hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise PermissionError(f"{path} is not a private directory of this user; remove it or set TMPDIR")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def spool_dir(db_path: str | Path) -> Path:
    """The private folder holding uploads for one database (one per user under the system temp folder)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = _private_dir(Path(tempfile.gettempdir()) / f"storelens-uploads-{uid}")
    key = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:16]
    return _private_dir(root / key)


def spool_write(db_path: str | Path, key: str, name: str, data: bytes | memoryview) -> Path:
    """Write an upload once (a rerun with the same key reuses it) as a 0600 file; returns its path."""
    suffix = Path(name).suffix.lower()
    suffix = suffix if _SUFFIX.fullmatch(suffix or "") else ".csv"
    key = re.sub(r"[^A-Za-z0-9_-]", "", key)[:64] or hashlib.sha256(bytes(data)).hexdigest()[:24]
    path = spool_dir(db_path) / f"{key}{suffix}"
    if path.exists():
        return path
    tmp = path.with_name(path.name + f".{os.getpid()}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def spool_remove(path: str | Path) -> None:
    """Delete one spooled upload (after its import, or when the user removes it from the picker)."""
    Path(path).unlink(missing_ok=True)


def spool_files(db_path: str | Path) -> list[Path]:
    """Uploads waiting for one database."""
    return sorted(p for p in spool_dir(db_path).iterdir() if p.is_file())


def spool_clear(db_path: str | Path) -> int:
    """Remove every upload left for one database (the server does this when it starts); returns how many."""
    folder = spool_dir(db_path)
    n = 0
    for p in folder.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        n += 1
    return n
