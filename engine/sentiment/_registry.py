"""The sentiment family's versions in the shared registry, with the headline columns the Training page shows;
light on purpose (no torch) so the importer can ask whether a model exists."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models import Registry

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

    from ._model import SentimentModel

FAMILY = "sentiment"
_METRIC_COLUMNS = ["model_kind", "macro_f1", "baseline_macro_f1", "beats_baseline", "device", "n_train", "n_eval",
                   "runtime", "seconds"]


def _load(folder: Path) -> "SentimentModel":
    """Restore a version (torch is imported only here)."""
    from ._model import SentimentModel

    return SentimentModel.load(folder)


REGISTRY = Registry(FAMILY, _load, train_hint="storelens sentiment train", logger=logging.getLogger("engine.sentiment"))


def list_versions(store: "Store") -> "pd.DataFrame":
    """All sentiment versions with their headline metrics, newest first (for the versions table)."""
    import pandas as pd

    rows = REGISTRY.list(store)
    metrics = pd.DataFrame([{k: m.get(k) for k in _METRIC_COLUMNS} for m in rows["metrics"]], columns=_METRIC_COLUMNS)
    out = pd.concat([rows[["version", "created_at", "active"]].reset_index(drop=True), metrics,
                     rows[["base_model", "data_hash", "path", "available", "size_mb", "broken_reason"]]
                     .reset_index(drop=True)], axis=1)
    return out


def activate(store: "Store", version: str) -> None:
    """Make `version` the active one (rollback or roll forward); it must exist and load."""
    REGISTRY.activate(store, version)


def delete_version(store: "Store", version: str) -> int:
    """Unregister an inactive version and remove its files, since each keeps 77-96 MB; returns the bytes freed."""
    return REGISTRY.delete(store, version)


def has_model(store: "Store") -> bool:
    """True when at least one sentiment version is registered (the importer scores new uploads then)."""
    return REGISTRY.has_model(store)


def load_active(store: "Store") -> Any:
    """The active version; if its files are missing or corrupt, warn and fall back to the previous good one."""
    return REGISTRY.load_active(store)


def check_active(store: "Store") -> dict:
    """Verify the active version's files (no torch): a broken one is marked and the previous good one activated."""
    return REGISTRY.check_active(store)


def fallback_notice(store: "Store") -> dict | None:
    """Set while the active version stands in for a broken one: what the pages and commands tell the user."""
    return REGISTRY.fallback_notice(store)


def active_version(store: "Store") -> str | None:
    """Version of the active sentiment model, None when there is none."""
    return REGISTRY.active_version(store)


def version_count(store: "Store") -> int:
    """How many sentiment versions are registered."""
    return len(REGISTRY.rows(store))


def version_metrics(store: "Store", version: str | None = None) -> dict:
    """The full training report of a version (the active one by default): confusion matrix, per-class figures."""
    return REGISTRY.metrics(store, version)


# Scorings of fewer reviews than this say little about the speed (loading and warm-up dominate): not recorded.
MIN_SCORED_FOR_RATE = 200


def record_scoring(store: "Store", version: str | None, result: dict) -> None:
    """Keep a scoring's speed in the version's registry row (``metrics["scoring"]``): the Training page estimates the
    next run's labelling from it. Only the database row changes; the version's files and checksums stay as saved."""
    n, rate = int(result.get("n_scored") or 0), result.get("reviews_per_second")
    if not version or n < MIN_SCORED_FOR_RATE or not rate:
        return
    metrics = REGISTRY.metrics(store, version)
    if not metrics:
        return
    metrics["scoring"] = {"reviews_per_second": float(rate), "n_scored": n,
                          "engine": result.get("engine", "in-process"),
                          "at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")}
    with store.transaction() as con:
        con.execute("UPDATE model_versions SET metrics = ? WHERE family = ? AND version = ?",
                    [json.dumps(metrics), FAMILY, version])
