"""What the Overview page asks for: headline KPIs against the previous period, revenue over time, top products,
and how a KPI is written."""

from __future__ import annotations

import pandas as pd

from engine.analytics import Filters, Kpi

from . import cache
from .drilldown import CURRENCY_NONE, RowsQuery
from .session import data_version, db_path

__all__ = ["FREQ_LABELS", "currencies", "currency_label", "kpis", "revenue_by_category", "top_products", "kpi_value",
           "kpi_delta", "kpi_label", "order_rows"]

FREQ_LABELS: dict[str, str] = {"D": "Day", "W": "Week", "M": "Month"}


def currencies() -> list[str]:
    """The orders' currencies, the most revenue first ("" = lines without one): more than one needs a picker."""
    return cache.currencies(db_path(), data_version())


def currency_label(currency: str | None) -> str:
    """A currency as the picker and captions name it."""
    return CURRENCY_NONE if currency == "" else str(currency or "")


def kpis(f: Filters, currency: str | None = None) -> list[Kpi]:
    """The five headline numbers with their previous-period values, in one currency."""
    return cache.kpis(db_path(), data_version(), f, currency)


def revenue_by_category(f: Filters, freq: str, currency: str | None = None) -> pd.DataFrame:
    """Revenue per period and category, in one currency."""
    return cache.revenue_by_category(db_path(), data_version(), f, freq, currency)


def top_products(f: Filters, n: int = 10, currency: str | None = None) -> pd.DataFrame:
    """Best-selling products by revenue, in one currency."""
    return cache.top_products(db_path(), data_version(), f, n, currency)


def order_rows(f: Filters, currency: str | None, q: RowsQuery, limit: int = 500) -> tuple[pd.DataFrame, int]:
    """The order lines behind a clicked figure (at most `limit`, newest first) and how many there are."""
    return cache.order_lines(db_path(), data_version(), f, currency, q.lines, q.category, q.period, q.product_id,
                             int(limit))


def kpi_label(k: Kpi) -> str:
    """A KPI's label with its unit, short enough for a fifth of a 1280-pixel screen."""
    return f"{k.label} ({k.unit})" if k.unit else k.label


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
