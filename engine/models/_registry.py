"""The one registry of model versions (table `model_versions`, keyed by family): register, list, activate, roll
back, delete, load the active one with fallback (marking a broken version so every reader is told the same story).
Every family uses it unchanged."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._artefacts import meta_path, read_meta
from ._errors import ModelLoadError, ModelNotFoundError

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

log = logging.getLogger(__name__)

LIST_COLUMNS = ["version", "created_at", "active", "metrics", "base_model", "data_hash", "path", "available",
                "size_mb", "broken_reason"]


def _folder_bytes(folder: Path) -> int:
    """Disk used by a version's files (0 when the folder is gone)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def _parse_metrics(raw: object) -> dict[str, Any]:
    """The metrics JSON column as a dict (an unreadable value reads as empty)."""
    if isinstance(raw, dict):
        return dict(raw)
    try:
        return dict(json.loads(raw)) if isinstance(raw, str) else {}
    except ValueError:
        return {}


class Registry:
    """Versions of one family, stored as folders `<db>.models/<family>/<version>/` and rows of `model_versions`.

    `loader(folder)` restores a model (raising ModelLoadError when its artefacts are broken); `train_hint` ends
    the "no model yet" message with the command that makes one.
    """

    def __init__(self, family: str, loader: Callable[[Path], Any], train_hint: str | None = None,
                 logger: logging.Logger | None = None) -> None:
        self.family = family
        self.loader = loader
        self.train_hint = train_hint or f"storelens {family} train"
        self.log = logger or log

    # ------------------------------------------------------------------ paths

    def family_dir(self, store: "Store") -> Path:
        """Where this database keeps the family's versions."""
        return store.models_dir / self.family

    def resolve_path(self, store: "Store", version: str, stored: object) -> Path:
        """A version's folder: stored relative to the model folder, so a copied database uses its own copy."""
        if isinstance(stored, str) and stored and not Path(stored).is_absolute():
            return store.models_dir / stored
        if isinstance(stored, str) and stored and meta_path(Path(stored), self.family).is_file():
            return Path(stored)  # written by an older StoreLens, which stored absolute paths
        return self.family_dir(store) / version

    # ------------------------------------------------------------------ writing

    def _new_version(self, folder: Path) -> str:
        """Sortable, unique version name: UTC timestamp (suffixed on collision)."""
        base = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        version, n = base, 1
        while (folder / version).exists():
            n += 1
            version = f"{base}-{n}"
        return version

    def _clean_stale_staging(self, folder: Path) -> None:
        """Remove staging folders of killed runs (older than 6 hours, so a concurrent run is left alone)."""
        if not folder.is_dir():
            return
        for p in folder.glob(".staging-*"):
            try:
                if time.time() - p.stat().st_mtime > 6 * 3600:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass

    def register(self, store: "Store", save: Callable[[Path, str, datetime], None], metrics: dict[str, Any],
                 base_model: str | None = None, data_hash: str | None = None, activate: bool = True) -> tuple[str, Path]:
        """Save a new version under a staging name, rename it and register it in one transaction.

        `save(folder, version, created_at)` writes the artefacts; a failure or a kill never leaves a
        half-registered version. Returns (version, folder).
        """
        family_dir = self.family_dir(store)
        self._clean_stale_staging(family_dir)
        family_dir.mkdir(parents=True, exist_ok=True)
        version = self._new_version(family_dir)
        created = datetime.now(timezone.utc).replace(tzinfo=None)
        staging = family_dir / f".staging-{version}-{os.getpid()}"
        final = family_dir / version
        try:
            save(staging, version, created)
            os.replace(staging, final)
            with store.transaction() as con:
                if activate:
                    con.execute("UPDATE model_versions SET active = FALSE WHERE family = ?", [self.family])
                con.execute(
                    "INSERT INTO model_versions "
                    "(family, version, created_at, path, active, metrics, base_model, data_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [self.family, version, created, f"{self.family}/{version}", activate,
                     json.dumps(metrics, default=str), base_model, data_hash],
                )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if final.exists() and not self._is_registered(store, version):
                shutil.rmtree(final, ignore_errors=True)
            raise
        return version, final

    def _is_registered(self, store: "Store", version: str) -> bool:
        """Whether a version row exists (used to clean up after a failed registration)."""
        try:
            cur = store.cursor()
            try:
                return bool(cur.execute(
                    "SELECT count(*) FROM model_versions WHERE family = ? AND version = ?", [self.family, version]
                ).fetchone()[0])
            finally:
                cur.close()
        except Exception:
            return False

    # ------------------------------------------------------------------ reading

    def rows(self, store: "Store") -> "pd.DataFrame":
        """Raw registry rows of the family, newest first (`active` a plain bool: NULL reads as not active)."""
        cur = store.cursor()
        try:
            return cur.execute(
                "SELECT version, created_at, path, coalesce(active, FALSE) AS active, metrics, base_model, data_hash, broken_reason, broken_at, "
                "fell_back_to FROM model_versions WHERE family = ? ORDER BY created_at DESC, version DESC",
                [self.family],
            ).df()
        finally:
            cur.close()

    def list(self, store: "Store") -> "pd.DataFrame":
        """Every version with its metrics (a dict), folder, whether its files are there and their size."""
        import pandas as pd

        records = []
        for r in self.rows(store).itertuples(index=False):
            path = self.resolve_path(store, r.version, r.path)
            records.append({
                "version": r.version, "created_at": r.created_at, "active": bool(r.active),
                "metrics": _parse_metrics(r.metrics), "base_model": r.base_model, "data_hash": r.data_hash,
                "path": str(path), "available": meta_path(path, self.family).is_file(),
                "size_mb": _folder_bytes(path) / 1e6,
                "broken_reason": r.broken_reason if isinstance(r.broken_reason, str) else None,
            })
        return pd.DataFrame.from_records(records, columns=LIST_COLUMNS)

    def has_model(self, store: "Store") -> bool:
        """True when at least one version is registered."""
        cur = store.cursor()
        try:
            return bool(cur.execute("SELECT count(*) FROM model_versions WHERE family = ?",
                                    [self.family]).fetchone()[0])
        finally:
            cur.close()

    def active_version(self, store: "Store") -> str | None:
        """Name of the active version (None when there is none)."""
        cur = store.cursor()
        try:
            row = cur.execute(
                "SELECT version FROM model_versions WHERE family = ? AND active ORDER BY created_at DESC LIMIT 1",
                [self.family],
            ).fetchone()
        finally:
            cur.close()
        return None if row is None else str(row[0])

    def metrics(self, store: "Store", version: str | None = None) -> dict[str, Any]:
        """The full report recorded with a version (the active one by default, else the newest); {} when none."""
        rows = self.rows(store)
        if rows.empty:
            return {}
        if version is None:
            active = rows[rows["active"]]
            row = (active if not active.empty else rows).iloc[0]
        else:
            match = rows[rows["version"] == version]
            if match.empty:
                return {}
            row = match.iloc[0]
        out = _parse_metrics(row["metrics"])
        out.setdefault("model_version", str(row["version"]))
        return out

    def fingerprint(self, store: "Store") -> str:
        """Changes whenever a version is added, removed, (de)activated or marked broken: part of cache keys."""
        return ",".join(f"{r.version}:{bool(r.active)}:{isinstance(r.broken_reason, str)}"
                        for r in self.rows(store).sort_values("version").itertuples())

    def _match(self, store: "Store", version: str) -> "pd.Series":
        """The registry row of `version`, or ModelNotFoundError listing the known ones."""
        rows = self.rows(store)
        match = rows[rows["version"] == version]
        if match.empty:
            known = ", ".join(rows["version"].tolist()) or "none"
            raise ModelNotFoundError(f"no {self.family} model version {version!r} (known: {known})")
        return match.iloc[0]

    def load(self, store: "Store", version: str) -> Any:
        """Load one named version."""
        row = self._match(store, version)
        model = self.loader(self.resolve_path(store, version, row["path"]))
        model.version = version
        return model

    # ------------------------------------------------------------------ changing

    def activate(self, store: "Store", version: str) -> None:
        """Make `version` the active one (roll back or forward); it must exist and load (a repaired one is unmarked)."""
        row = self._match(store, version)
        self.loader(self.resolve_path(store, version, row["path"]))  # refuse to activate a broken one
        with store.transaction() as con:
            con.execute("UPDATE model_versions SET active = (version = ?) WHERE family = ?", [version, self.family])
            con.execute("UPDATE model_versions SET broken_reason = NULL, broken_at = NULL, fell_back_to = NULL "
                        "WHERE family = ? AND version = ?", [self.family, version])

    def rollback(self, store: "Store") -> str:
        """Activate the version registered before the active one; returns its name."""
        rows = self.rows(store)
        active = rows.index[rows["active"]].tolist()
        if not active or active[0] + 1 >= len(rows):
            raise ModelNotFoundError(f"no earlier {self.family} model version to roll back to")
        previous = str(rows.iloc[active[0] + 1]["version"])
        self.activate(store, previous)
        return previous

    def delete(self, store: "Store", version: str) -> int:
        """Unregister an inactive version and remove its files; returns the bytes freed.

        Only a folder inside this database's model folder is removed.
        """
        row = self._match(store, version)
        if bool(row["active"]):
            raise ValueError(f"version {version} is the active one; activate another version before deleting it")
        folder = self.resolve_path(store, version, row["path"])
        owned = folder.resolve().parent == self.family_dir(store).resolve()
        freed = _folder_bytes(folder) if owned else 0
        with store.transaction() as con:
            con.execute("DELETE FROM model_versions WHERE family = ? AND version = ?", [self.family, version])
        if owned:
            shutil.rmtree(folder, ignore_errors=True)
        return freed

    def prune(self, store: "Store", keep: int, same: Callable[[dict[str, Any]], bool]) -> list[str]:
        """Delete the inactive versions `same` picks (by their metrics) beyond the newest `keep` of them, so
        repeated runs of one request do not pile up on disk; returns the versions deleted."""
        rows = self.rows(store)
        picked = [r for r in rows.itertuples(index=False) if same(_parse_metrics(r.metrics))]
        gone = [str(r.version) for r in picked[keep:] if not r.active]
        for version in gone:
            self.delete(store, version)
        return gone

    def mark_broken(self, store: "Store", version: str, reason: str, replacement: str | None) -> None:
        """Record that `version` cannot be loaded and, when one was found, activate `replacement` in its place."""
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        try:
            with store.transaction() as con:
                con.execute(
                    "UPDATE model_versions SET broken_reason = ?, broken_at = ?, fell_back_to = ?, active = FALSE "
                    "WHERE family = ? AND version = ?", [reason, now, replacement, self.family, version])
                if replacement is not None:
                    con.execute("UPDATE model_versions SET active = (version = ?) WHERE family = ?",
                                [replacement, self.family])
        except Exception as exc:  # a read-only or busy database: the model still answers; a later load records it
            self.log.warning("could not record %s model %s as broken: %s", self.family, version, exc)

    def fallback_notice(self, store: "Store") -> dict[str, Any] | None:
        """What every reader should tell the user when the active version stands in for a broken one, else None.

        `{"fell_back_from", "reason", "broken_at", "active_version"}`; it lasts until another version is trained or
        activated, or the broken one is repaired and activated again.
        """
        rows = self.rows(store)
        if rows.empty:
            return None
        active = rows[rows["active"]]
        current = None if active.empty else str(active.iloc[0]["version"])
        broken = rows[rows["broken_reason"].notna()]
        if current is not None:  # with no usable version left, the newest broken one is the story
            broken = broken[broken["fell_back_to"].astype(object) == current]
        if broken.empty:
            return None
        row = broken.sort_values("broken_at", ascending=False).iloc[0]
        return {"fell_back_from": str(row["version"]), "reason": str(row["broken_reason"]),
                "broken_at": row["broken_at"], "active_version": current}

    def _first_usable(self, store: "Store", probe: Callable[[Path], Any]) -> tuple[Any, str, str | None]:
        """Try the active version, then older ones newest-first, then newer ones; broken ones are skipped.

        Returns (what `probe` returned, its version, the active version it stands in for or None). A version that
        fails is marked broken and the first good one is made active, so pages, commands and jobs agree.
        """
        import pandas as pd

        rows = self.rows(store)
        if rows.empty:
            raise ModelNotFoundError(f"no {self.family} model yet: run `{self.train_hint}`")
        active = rows[rows["active"]]
        if active.empty:
            ordered = rows
        else:
            pos = int(active.index[0])
            # active first, then older versions newest-first, then anything newer than the active one
            ordered = pd.concat([rows.loc[[pos]], rows.loc[pos + 1:], rows.loc[: pos - 1]])
        errors: list[str] = []
        failed: list[tuple[str, str]] = []
        first = None if active.empty else str(active.iloc[0]["version"])
        for r in ordered.itertuples(index=False):
            version = str(r.version)
            if isinstance(r.broken_reason, str) and version != first:
                errors.append(f"{version}: {r.broken_reason}")
                continue
            try:
                found = probe(self.resolve_path(store, version, r.path))
            except ModelLoadError as exc:
                errors.append(f"{version}: {exc}")
                failed.append((version, str(exc)))
                self.log.warning("%s model version %s is unusable: %s", self.family, version, exc)
                continue
            for bad, reason in failed:
                self.mark_broken(store, bad, reason, version if bad == first else None)
            if failed and failed[0][0] == first:
                self.log.warning("active %s model %s could not be loaded; falling back to previous version %s "
                                 "(now the active one)", self.family, first, version)
            if failed and failed[0][0] == first:
                return found, version, first  # told even when the database could not record it
            notice = self.fallback_notice(store)
            return found, version, notice["fell_back_from"] if notice and notice["active_version"] == version else None
        for bad, reason in failed:
            self.mark_broken(store, bad, reason, None)
        raise ModelLoadError(
            f"no usable {self.family} model: every version failed to load (" + "; ".join(errors)
            + f"). Retrain with `{self.train_hint}`"
        )

    def load_active(self, store: "Store") -> Any:
        """The active version; if its files are missing or corrupt, it is marked broken and the previous good one
        is loaded and made active. A model standing in for a broken one carries `fallback_from` (also in `meta`).
        """
        model, version, stands_in = self._first_usable(store, self.loader)
        model.version = version
        if stands_in is not None:
            meta = getattr(model, "meta", None)
            if isinstance(meta, dict):
                meta["fallback_from"] = stands_in
            model.fallback_from = stands_in
        return model

    def check_active(self, store: "Store") -> dict[str, Any]:
        """Verify the active version's files without loading it (cheap enough for a page): marks a broken one and
        falls back like `load_active`. Returns `{"active_version", "fell_back_from", "reason"}` (None when fine)."""
        _, version, stands_in = self._first_usable(store, lambda folder: read_meta(folder, self.family))
        notice = self.fallback_notice(store) if stands_in else None
        return {"active_version": version, "fell_back_from": stands_in,
                "reason": notice["reason"] if notice else None}
