"""What the Overview page asks for: headline KPIs against the previous period, revenue over time, top products,
and how a KPI is written."""

from __future__ import annotations

import pandas as pd

from engine.analytics import Filters, Kpi

from . import cache
from .session import data_version, db_path

__all__ = ["FREQ_LABELS", "kpis", "revenue_by_category", "top_products", "kpi_value", "kpi_delta"]

FREQ_LABELS: dict[str, str] = {"D": "Day", "W": "Week", "M": "Month"}


def kpis(f: Filters) -> list[Kpi]:
    """The five headline numbers with their previous-period values."""
    return cache.kpis(db_path(), data_version(), f)


def revenue_by_category(f: Filters, freq: str) -> pd.DataFrame:
    """Revenue per period and category."""
    return cache.revenue_by_category(db_path(), data_version(), f, freq)


def top_products(f: Filters, n: int = 10) -> pd.DataFrame:
    """Best-selling products by revenue."""
    return cache.top_products(db_path(), data_version(), f, n)


def kpi_value(k: Kpi, value: float | None = ...) -> str:  # type: ignore[assignment]
    """A KPI (or another value of it) as the metric shows it: money with 2 decimals, counts whole, rates in %."""
    v = k.value if value is ... else value
    if v is None:
        return "–"
    if k.kind == "money":
        return f"{v:,.0f}" if abs(v) >= 100_000 else f"{v:,.2f}"  # cents stop mattering, width starts to
    if k.kind == "ratio":
        return f"{v:.1%}"
    return f"{v:,.0f}"


def kpi_delta(k: Kpi) -> str | None:
    """Change against the previous period: percent for amounts, percentage points for rates."""
    if k.value is None or k.previous is None:
        return None
    if k.kind == "ratio":
        return f"{(k.value - k.previous) * 100:+.1f} pp"
    change = k.change
    return None if change is None else f"{change:+.1%}"
