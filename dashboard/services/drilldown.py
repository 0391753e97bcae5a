"""Drill-down: a click on a chart point, a bar or a KPI becomes the query for the rows behind it. Pure functions
(no Streamlit, no SQL), so what a click selects is tested without a browser; engine.analytics.order_lines runs it.

Clickable sales charts carry customdata: the revenue chart [period ISO date, category], the top-products bars
[product_id, product name]; the Drivers bars [reviews, per review, change, term]. Selections arrive as st.plotly_chart's event, its session-state value, or its
'selection' mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from engine.store import period_bounds

__all__ = ["KPI_LINES", "RowsQuery", "selected_points", "from_kpi", "from_revenue_point", "from_product_bar",
           "selected_term", "describe", "CURRENCY_NONE"]

# The line set behind each KPI (engine.analytics.LINE_SETS): what the number was computed from.
KPI_LINES: dict[str, str] = {"revenue": "revenue", "orders": "purchases", "aov": "purchases",
                             "customers": "customers", "repeat_rate": "repeat"}
CURRENCY_NONE = "no currency given"  # how lines without a currency ("" in the engine) are named


@dataclass(frozen=True)
class RowsQuery:
    """Which order lines stand behind a figure: its line set and, for a point or bar, its category, period
    (half-open days) or product; `what` says it in words for the table's heading."""

    lines: str = "revenue"
    category: str | None = None
    period: tuple[date, date] | None = None
    product_id: str | None = None
    what: str = ""


def selected_points(state: object) -> list[dict]:
    """The points of a plotly selection (event, session-state value or its 'selection'); [] when none."""
    if state is None:
        return []
    getter = state.get if hasattr(state, "get") else (lambda k, d=None: getattr(state, k, d))
    selection = getter("selection", None)
    if selection is None and getter("points", None) is not None:
        selection = state
    if selection is None:
        return []
    points = selection.get("points") if hasattr(selection, "get") else getattr(selection, "points", None)
    return [p for p in (points or []) if hasattr(p, "get")]


def _custom(point: dict) -> list:
    custom = point.get("customdata")
    return list(custom) if isinstance(custom, (list, tuple)) else []


def from_kpi(key: str, label: str) -> RowsQuery:
    """The rows behind a headline number (its lines in the page's range)."""
    if key not in KPI_LINES:
        raise ValueError(f"unknown KPI '{key}'")
    return RowsQuery(lines=KPI_LINES[key], what=label)


def from_revenue_point(state: object, freq: str) -> RowsQuery | None:
    """The revenue lines of the clicked category and period of the revenue chart; None when nothing usable."""
    for point in selected_points(state):
        custom = _custom(point)
        if len(custom) >= 2 and custom[0]:
            start, end = period_bounds(pd.Timestamp(custom[0]), freq)
            unit = {"D": "day", "W": "week", "M": "month"}[freq]
            when = f"{start:%d %b %Y}" if freq == "D" else f"{unit} of {start:%d %b %Y}"
            return RowsQuery(lines="revenue", category=str(custom[1]), period=(start, end),
                             what=f"Revenue of {custom[1]}, {when}")
    return None


def from_product_bar(state: object) -> RowsQuery | None:
    """The revenue lines of the clicked product of the top-products chart; None when nothing usable."""
    for point in selected_points(state):
        custom = _custom(point)
        if custom and custom[0] not in (None, ""):
            name = custom[1] if len(custom) > 1 and custom[1] else custom[0]
            return RowsQuery(lines="revenue", product_id=str(custom[0]), what=f"Revenue of {name}")
    return None


def selected_term(state: object) -> str | None:
    """The driver term of a clicked Drivers bar (customdata [reviews, per review, change, term]); None if none."""
    for point in selected_points(state):
        custom = _custom(point)
        if len(custom) >= 4 and custom[3]:
            return str(custom[3])
    return None


def describe(q: RowsQuery, currency: str | None) -> str:
    """The heading of a rows table: what was clicked and in which currency (plain text)."""
    unit = "" if currency is None else f" ({currency or CURRENCY_NONE})"
    return f"Rows behind: {q.what}{unit}"
