"""What the Customers page asks for: whether the store can be segmented, the active segments model's customers,
segment table, backtest and reasons, one customer's orders and reviews, member CSVs, and learning a new version
in the background. engine.segments' models (torch) load only when a version exists."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from engine.models import ModelLoadError
from engine.segments import RISK_BANDS

from . import cache
from .background import Job, ended_unfinished, start_job
from .display import duration, plain
from .session import data_version, db_path, store

__all__ = [
    "SEGMENT_JOB",
    "ModelLoadError",
    "RISK_BANDS",
    "RISK_BAND_NAMES",
    "CustomerDetail",
    "segments_availability",
    "segments_version",
    "segments_notice",
    "segments_report",
    "segment_names",
    "segment_customers",
    "segment_table",
    "customer_options",
    "customer_detail",
    "members",
    "members_csv",
    "churn_sentence",
    "churn_help",
    "SIGNAL_NAMES",
    "start_segmenting",
    "segments_job_outcome",
]

SEGMENT_JOB = "segments"
RISK_BAND_NAMES = {"high": "High risk (60% and more)", "medium": "Medium risk (30–60%)",
                   "low": "Low risk (under 30%)"}
CHANGE_DAYS = 90  # the segment table compares with the customers as they were this many days earlier
# the simple signals the churn model is measured against, as a shop owner calls them
SIGNAL_NAMES = {"recency_only": "days since last order", "frequency_only": "number of orders",
                "monetary_only": "spend", "rfm_logistic": "a formula of all three"}


@dataclass(frozen=True)
class CustomerDetail:
    """One customer for the drill-down: their row, the reasons behind their risk, their orders and reviews."""

    row: dict
    reasons: list[dict]
    orders: pd.DataFrame
    reviews: pd.DataFrame


def segments_availability():
    """engine.segments.Availability of this database (ok, reason, counts)."""
    return cache.segment_availability(db_path(), data_version())


def segments_version() -> str | None:
    """The version the page shows, None before the first run: the active one, or the previous good one when loading
    the active one finds a file missing or corrupt (the registry marks it broken and activates the other, as for
    every model family). ModelLoadError when no version can be loaded."""
    from engine.segments import REGISTRY

    s = store()
    if not REGISTRY.has_model(s):
        return None
    active = REGISTRY.active_version(s) or ""
    version = _model(active).version
    if version != active:  # the cache entry under the broken name holds its stand-in: dropped, so a repair shows
        cache.segments_model.clear(db_path(), active)
    return version


def segments_notice() -> str | None:
    """The one sentence the page shows while the active version stands in for a broken one (the registry's
    record, so it lasts until a new version is learned or another one is activated), else None."""
    from engine.segments import REGISTRY

    notice = REGISTRY.fallback_notice(store())
    if notice is None or notice["active_version"] is None:
        return None
    return (f"Segments version {plain(notice['fell_back_from'])} is broken (missing or corrupt files), so the previous "
            f"good version {plain(notice['active_version'])} is shown and is now the active one; learn segments "
            "again, or delete the broken version on the Models > Versions page.")


def _model(version: str):
    return cache.segments_model(db_path(), version)


def segments_report(version: str) -> dict:
    """The fit's report of the active version (segments, k selection, churn backtest, faithfulness)."""
    return _model(version).metrics


def segment_names(version: str) -> list[str]:
    """Learned segment names, largest first (the RFM names when the store was too small to learn segments)."""
    names = [n for n, _ in _model(version).segment_names]
    return names or sorted(segment_customers(version)["segment"].unique())


def segment_customers(version: str) -> pd.DataFrame:
    """Every scored customer of the version."""
    return cache.segment_customers(db_path(), version)


def segment_table(version: str) -> pd.DataFrame:
    """Segment, customers, revenue share, AOV, mean churn risk and the change since CHANGE_DAYS earlier."""
    return cache.segment_summary(db_path(), version, data_version(), CHANGE_DAYS)


def customer_options(version: str, ids: list[str] | None = None) -> list[str]:
    """Customers for the drill-down picker: the given ones, else everyone, riskiest first."""
    customers = segment_customers(version)
    if ids:
        customers = customers[customers["customer_id"].isin(ids)]
    order = customers.sort_values(["churn_risk", "monetary"], ascending=[False, False], na_position="last")
    return order["customer_id"].astype(str).tolist()


def customer_detail(version: str, customer_id: str) -> CustomerDetail | None:
    """The drill-down of one customer (None when the version does not know them)."""
    customers = segment_customers(version)
    match = customers[customers["customer_id"] == str(customer_id)]
    if match.empty:
        return None
    row = match.iloc[0].to_dict()
    try:
        reasons = json.loads(row.get("reasons") or "[]")
    except ValueError:
        reasons = []
    dv = data_version()
    return CustomerDetail(row, reasons, cache.customer_orders(db_path(), dv, str(customer_id)),
                          cache.customer_reviews(db_path(), dv, str(customer_id)))


def members(version: str, segment: str | None = None, band: str | None = None,
            ids: list[str] | None = None) -> pd.DataFrame:
    """Customers of one segment, one risk band and/or an explicit selection."""
    customers = segment_customers(version)
    if segment is not None:
        customers = customers[customers["segment"] == segment]
    if band is not None:
        customers = customers[customers["risk_band"] == band]
    if ids is not None:
        customers = customers[customers["customer_id"].isin(ids)]
    return customers


def members_csv(frame: pd.DataFrame) -> bytes:
    """Customers as the contract's segment CSV, formula-injection safe, for e-mail tools."""
    from engine.segments import segment_csv_bytes

    return segment_csv_bytes(frame)


def churn_sentence(report: dict) -> tuple[str, str]:
    """(level, Markdown-safe sentence) about the churn model: why none is shown, or how it did against the
    strongest simple signal, read plainly (AUC as how often a leaver is ranked above a stayer, the Brier score as
    whether its percentages are closer to what happened); the technical figures are in churn_help. 'warning' when
    it loses."""
    churn = report.get("churn") or {}
    if not churn.get("available"):
        return "warning", plain(churn.get("reason") or "No churn risk for this store.")
    auc, best = churn["model"]["auc"], churn["baselines"][churn["best_single"]]["auc"]
    signal = SIGNAL_NAMES.get(churn["best_single"], churn["best_single"].replace("_", " "))
    wins, closer = churn.get("beats_best_single"), churn.get("brier_below_rfm_logistic")
    text = (f"On past customers, churn risk ranked a customer who then stopped buying above one who kept buying "
            f"{auc:.0%} of the time (a coin toss: 50%), {'better than' if wins else 'NOT better than'} "
            f"{signal} alone ({best:.0%}); its percentages are {'closer to' if closer else 'NOT closer to'} what "
            "happened than those of a formula of recency, orders and spend.")
    if not wins:
        text += f" Sort by {signal} instead until more orders are in."
    return ("info" if wins and closer else "warning"), text


def churn_help(report: dict) -> str:
    """The churn backtest's technical figures, for the help beside its plain reading."""
    churn = report.get("churn") or {}
    if not churn.get("available"):
        return "No backtest."
    m, lr = churn["model"], churn["baselines"]["rfm_logistic"]
    return (f"AUC {m['auc']:.3f} (1.0 perfect, 0.5 coin toss) against {churn['best_single'].replace('_', ' ')} "
            f"{churn['baselines'][churn['best_single']]['auc']:.3f}; Brier score {m['brier']:.3f} against the RFM "
            f"logistic regression's {lr['brier']:.3f} (lower is better).")


def start_segmenting(horizon_days: int = 90, seed: int = 0) -> Job:
    """Learn a new segments version in a background thread (JobBusyError while another job runs here)."""
    s = store()

    def work(job: Job) -> dict:
        from engine.segments import SegmentConfig, train

        model = train(s, SegmentConfig(seed=int(seed), horizon_days=int(horizon_days)), progress=job.scaled(0.0, 1.0))
        return {"model_version": model.version, "n_customers": model.metrics["n_customers"],
                "k": model.metrics.get("k"), "seconds": model.metrics["seconds"]}

    return start_job(SEGMENT_JOB, {"horizon_days": int(horizon_days), "seed": int(seed)}, work)


def segments_job_outcome(job: Job) -> tuple[str, str] | None:
    """What a finished segments job did, as (level, Markdown-safe sentence); None while it runs."""
    r = job.result or {}
    if job.status == "done":
        k = f" in {r['k']} segments" if r.get("k") else ""
        return "success", (f"Learned version {plain(r.get('model_version'))} in {duration(job.elapsed)}: "
                           f"{r.get('n_customers', 0):,} customers{k}.")
    return ended_unfinished(job)
