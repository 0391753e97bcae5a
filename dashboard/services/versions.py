"""The other model families' versions (segments, recommendations, forecasts) for the Models > Versions page: what
each version measured, which one the pages use, rolling back and deleting; sentiment versions stay on Training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .background import no_job_running
from .display import duration, files_state, plain, trained_at
from .session import store

__all__ = ["FAMILIES", "Family", "family_versions", "activate_version", "delete_version", "newer_orders_notice"]


@dataclass(frozen=True)
class Family:
    """A model family as the page shows it."""

    key: str
    title: str
    makes: str  # where a version comes from, for the empty state
    activates: bool  # forecasts are found by their request, not by an active flag: they are only deleted


FAMILIES: tuple[Family, ...] = (
    Family("segments", "Customer segments and churn risk",
           "Customers > Segments (Learn segments), or `storelens segment`", True),
    Family("recommend", "Recommendations", "Customers > Recommendations (Train), or `storelens recommend train`",
           True),
    Family("forecast", "Forecasts", "Sales > Forecasts (Run forecast), or `storelens forecast`; the newest three "
           "runs of each request are kept", False),
)


def _registry(key: str):
    """The family's version registry (its package loads only when the page asks)."""
    if key == "segments":
        from engine.segments import REGISTRY
    elif key == "recommend":
        from engine.recommend import REGISTRY
    elif key == "forecast":
        from engine.forecast import REGISTRY
    else:
        raise ValueError(f"unknown model family {key!r}")
    return REGISTRY


def newer_orders_notice(key: str, retrain: str) -> str | None:
    """One sentence when orders were imported after the family's active version was trained (its customers,
    products and risks leave them out until it is trained again), else None; `retrain` says how, Markdown."""
    from engine.ingest import list_uploads

    s = store()
    rows = _registry(key).rows(s)
    active = rows[rows["active"]]
    if active.empty or pd.isna(active.iloc[0]["created_at"]):
        return None
    trained = pd.Timestamp(active.iloc[0]["created_at"])  # both times are UTC (the store's session time zone)
    newer = [u for u in list_uploads(s) if u.kind == "orders" and u.created_at is not None
             and pd.Timestamp(u.created_at) > trained and u.rows_loaded + u.rows_updated > 0]
    if not newer:
        return None
    lines = sum(u.rows_loaded + u.rows_updated for u in newer)
    uploads = "1 upload" if len(newer) == 1 else f"{len(newer)} uploads"
    return (f"New orders arrived after this version was trained ({trained:%Y-%m-%d %H:%M} UTC): {lines:,} order "
            f"lines in {uploads}, not yet included. {retrain}")


def _summary(key: str, m: dict[str, Any]) -> str:
    """One plain sentence of what a version measured, from its recorded metrics, read as the model's own page
    reads it (no AUC, NDCG or MASE without words)."""
    if key == "segments":
        from .segments import churn_sentence

        churn = m.get("churn") or {}
        risk = churn_sentence(m)[1] if churn.get("available") else f"no churn risk: {churn.get('reason') or 'n/a'}"
        return f"{m.get('k', '?')} segments of {m.get('n_customers', 0):,} customers. {risk}"
    if key == "recommend":
        from .recommend import model_verdicts

        return " ".join(text for _, text in model_verdicts(m)) or str(m.get("verdict") or "–")
    mase, naive = m.get("mase_model"), m.get("mase_seasonal_naive")
    track = (f"; backtest error {mase:.2f} against {naive:.2f} for repeating the last season (MASE)"
             if isinstance(mase, (int, float)) and isinstance(naive, (int, float)) else "")
    return (f"{m.get('metric', '?')} by {m.get('by', '?')}, {m.get('freq', '?')}, {m.get('horizon', '?')} periods "
            f"ahead{track}")


def family_versions(key: str) -> pd.DataFrame:
    """A family's versions, newest first: version, trained, active, files, size, took, what it measured; plus the
    flags the buttons need (active, available, older than the active one)."""
    versions = _registry(key).list(store())
    columns = ["version", "trained", "what it measured", "took", "files", "size", "active", "available", "older"]
    if versions.empty:
        return pd.DataFrame(columns=columns)
    active = versions.index[versions["active"]].tolist()
    rows = []
    for pos, r in versions.iterrows():
        m = r["metrics"] or {}
        seconds = m.get("seconds") or m.get("seconds_train") or m.get("train_seconds")
        rows.append({
            "version": str(r["version"]),
            "trained": trained_at(r["created_at"]),
            "what it measured": _summary(key, m),
            "took": duration(float(seconds)) if isinstance(seconds, (int, float)) else "–",
            "files": files_state(r["broken_reason"], r["available"]),
            "size": f"{r['size_mb']:,.1f} MB",
            "active": bool(r["active"]),
            "available": bool(r["available"]) and not r["broken_reason"],
            "older": bool(active) and pos > active[0],
        })
    return pd.DataFrame(rows, columns=columns)


def activate_version(key: str, version: str) -> str:
    """Make a version the one the pages use (a rollback when it is older); returns a sentence for the page."""
    with no_job_running("a model job is running; switch versions when it has finished"):
        _registry(key).activate(store(), version)
    return f"Version {plain(version)} is the active one now."


def delete_version(key: str, version: str) -> str:
    """Delete an inactive version's files and row; returns a sentence with the space freed."""
    with no_job_running("a model job is running; delete versions when it has finished"):
        freed = _registry(key).delete(store(), version) / 1e6
    return f"Version {plain(version)} was deleted ({freed:,.1f} MB freed)."
