"""Sales figures for the Overview: KPIs against the period before, revenue over time, top products.

Every query is one DuckDB statement with `?` placeholders for user-supplied values; identifiers (table and
column names) only ever come from the engine's own lists. Results are pandas DataFrames or small dataclasses.

Money is never summed across currencies: every money figure takes a `currency` ("" for lines without one; None
only when the data has at most one currency), and `currencies()` lists what there is to pick from.

Revenue rules, shared by every figure here:
- a line counts towards revenue unless its order is cancelled; negative lines (returns, credit notes such as
  the retail log's `C` invoices) always count, so returns reduce revenue;
- a purchase (for orders, average order value, customers and repeat rate) is an order that is not cancelled
  and has at least one line with a positive quantity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from engine.store import (
    PURCHASE_LINE_SQL,
    REVENUE_LINE_SQL,
    UNCATEGORISED,
    Filters,
    Store,
    check_freq,
    clamp_range,
    day_start,
    filter_where,
    plausible_sql,
)
from engine.store import (
    read_df as _df,
)
from engine.store import (
    read_rows as _rows,
)



@dataclass(frozen=True)
class Kpi:
    """One headline number with the same number for the equally long period just before."""

    key: str
    label: str
    value: float | None
    previous: float | None
    kind: str  # 'money' | 'count' | 'ratio'
    unit: str | None = None  # the currency when all counted lines share one

    @property
    def change(self) -> float | None:
        """Relative change against the previous period; None when there is nothing to compare with."""
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / abs(self.previous)


# ----------------------------------------------------------------------------------------------- filters


def date_bounds(store: Store) -> tuple[date, date] | None:
    """First and last order day, so the date filter offers exactly the data's range (None when no orders)."""
    where, params = plausible_sql("order_ts")
    lo, hi = _rows(store, f"SELECT min(order_ts)::DATE, max(order_ts)::DATE FROM orders WHERE {where}", params)[0]
    return (lo, hi) if lo is not None else None


@dataclass(frozen=True)
class UploadSpan:
    """The newest orders upload and the days its lines cover: what a merchant who just imported a file expects to
    see first, in the currency most of its revenue is in ("" when its lines have none)."""

    batch_id: str
    file: str
    start: date
    end: date
    lines: int
    currency: str


def latest_upload_span(store: Store) -> UploadSpan | None:
    """The newest orders upload that stored lines with plausible dates (None when there is none)."""
    where, params = plausible_sql("o.order_ts")
    rows = _rows(store, f"""
        SELECT u.batch_id, u.file_name, min(o.order_ts)::DATE, max(o.order_ts)::DATE, count(*)
        FROM uploads u JOIN orders o ON o.batch_id = u.batch_id
        WHERE u.kind = 'orders' AND {where}
        GROUP BY u.batch_id, u.file_name, u.uploaded_at ORDER BY u.uploaded_at DESC, u.batch_id LIMIT 1""", params)
    if not rows:
        return None
    batch, file, start, end, lines = rows[0]
    currency = _rows(store, f"""SELECT coalesce(currency, '') AS c FROM orders WHERE batch_id = ? AND {REVENUE_LINE_SQL}
                               GROUP BY c ORDER BY sum(abs(revenue)) DESC NULLS LAST, c LIMIT 1""", [batch])
    return UploadSpan(batch, file or "", start, end, int(lines), currency[0][0] if currency else "")


def unpriced_lines(store: Store) -> tuple[int, int]:
    """(order lines, lines without any amount): a basket or point-of-sale log without prices loads, and the pages
    say why their money figures are empty instead of showing zeros as if nothing was sold."""
    n, unpriced = _rows(store, "SELECT count(*), count(*) FILTER (WHERE revenue IS NULL AND unit_price IS NULL) "
                               "FROM orders")[0]
    return int(n), int(unpriced)


def implausible_dates(store: Store) -> dict[str, int]:
    """Orders and reviews dated before 1990 or over a year ahead: out of every period, so the app says how many."""
    where, params = plausible_sql("ts")
    return {table: int(_rows(store, f"SELECT count(*) FROM (SELECT {col} AS ts FROM {table}) "
                                    f"WHERE ts IS NOT NULL AND NOT {where}", params)[0][0])
            for table, col in (("orders", "order_ts"), ("reviews", "review_ts"))}


def categories(store: Store) -> list[str]:
    """Categories that occur in orders (UNCATEGORISED for lines without one), for the category filter."""
    rows = _rows(store, "SELECT DISTINCT coalesce(category, ?) AS c FROM orders ORDER BY c", [UNCATEGORISED])
    return [r[0] for r in rows]


def data_version(store: Store) -> int:
    """A fingerprint of the set of uploads: changes with every import, undo or replace (an undo and an import can
    leave the count as it was), so caches keyed by it drop stale results."""
    count, mix = _rows(store, "SELECT count(*), coalesce(bit_xor(hash(batch_id)), 0) FROM uploads")[0]
    return int(count) * 2**64 + int(mix)


# -------------------------------------------------------------------------------------------------- KPIs


def _period(store: Store, filters: Filters) -> tuple[date, date] | None:
    """The filter's range with open ends closed by the data's bounds."""
    if filters.start is not None and filters.end is not None:
        return clamp_range(filters.start, filters.end)
    bounds = date_bounds(store)
    if bounds is None:
        return None
    return clamp_range(filters.start or bounds[0], filters.end or bounds[1])


def _currency_where(currency: str | None) -> tuple[str, list]:
    """The lines of one currency ("" = lines without a currency; None = no filter), as SQL and parameters."""
    if currency is None:
        return "TRUE", []
    return "coalesce(currency, '') = ?", [str(currency)]


def _where(filters: Filters, currency: str | None, **kwargs) -> tuple[str, list]:
    """The page filters and the currency as one WHERE clause over orders."""
    where, params = filter_where("order_ts", filters, **kwargs)
    cur, cur_params = _currency_where(currency)
    return f"{where} AND {cur}", [*params, *cur_params]


def currencies(store: Store) -> list[str]:
    """The currencies of the orders, the most revenue first ("" for lines without one), for the currency picker."""
    rows = _rows(store, f"""SELECT coalesce(currency, '') AS c FROM orders WHERE {REVENUE_LINE_SQL}
                           GROUP BY c ORDER BY sum(abs(revenue)) DESC NULLS LAST, c""")
    return [r[0] for r in rows]


def kpis(store: Store, filters: Filters, currency: str | None = None) -> list[Kpi]:
    """Revenue, orders, average order value, customers and repeat-purchase rate, each against the period before
    (money in `currency` only: see the module's rules)."""
    period = _period(store, filters)
    keys = ("revenue", "orders", "aov", "customers", "repeat_rate")
    if period is None:
        return [Kpi(k, _LABELS[k], None, None, _KINDS[k]) for k in keys]
    start, end = period
    days = (end - start).days + 1
    prev_start = start - timedelta(days=days)
    where, params = _where(filters, currency, start=prev_start, end=end)
    # Two aggregations over the same lines, both keyed by period (True = current, False = previous).
    # A customer has ordered at least twice when the smallest and largest hash of their order ids differ:
    # min/max of a 64-bit integer per customer instead of a per-customer count(DISTINCT order_id), the
    # expensive part at a million lines (a false "once" needs a 64-bit hash collision inside one customer).
    sql = f"""
        WITH totals AS (
            SELECT order_ts >= ? AS cur, sum(revenue) FILTER (WHERE {REVENUE_LINE_SQL}) AS revenue,
                   count(DISTINCT order_id) FILTER (WHERE {PURCHASE_LINE_SQL}) AS orders
            FROM orders WHERE {where} GROUP BY cur
        ), buyers AS (
            SELECT cur, count(*) AS customers, count(*) FILTER (WHERE lo <> hi) AS repeaters
            FROM (
                SELECT order_ts >= ? AS cur, customer_id, min(hash(order_id)) AS lo, max(hash(order_id)) AS hi
                FROM orders WHERE {where} AND {PURCHASE_LINE_SQL} AND customer_id IS NOT NULL
                GROUP BY cur, customer_id
            ) GROUP BY cur
        )
        SELECT cur, t.revenue, t.orders, b.customers, b.repeaters FROM totals t FULL JOIN buyers b USING (cur)
    """
    rows = _rows(store, sql, [day_start(start), *params, day_start(start), *params])
    got = {bool(r[0]): r[1:] for r in rows}
    values = {}
    for cur in (True, False):
        revenue, orders, customers, repeaters = got.get(cur, (None, 0, 0, 0))
        revenue = float(revenue or 0.0)
        orders, customers, repeaters = int(orders or 0), int(customers or 0), int(repeaters or 0)
        values[cur] = {
            "revenue": revenue,
            "orders": float(orders),
            "aov": revenue / orders if orders else None,
            "customers": float(customers),
            "repeat_rate": repeaters / customers if customers else None,
        }
    unit = (currency or None) if currency is not None else only_currency(store)
    return [
        Kpi(k, _LABELS[k], values[True][k], values[False][k], _KINDS[k], unit if _KINDS[k] == "money" else None)
        for k in keys
    ]


def only_currency(store: Store) -> str | None:
    """The one currency of all orders (for labels), or None when there are several or none."""
    lo, hi = _rows(store, "SELECT min(currency), max(currency) FROM orders")[0]
    return lo if lo is not None and lo == hi else None


_LABELS = {
    "revenue": "Revenue", "orders": "Orders", "aov": "Avg. order", "customers": "Customers",
    "repeat_rate": "Repeat buyers",
}
_KINDS = {"revenue": "money", "orders": "count", "aov": "money", "customers": "count", "repeat_rate": "ratio"}


# ------------------------------------------------------------------------------------------------ charts


def revenue_by_category(store: Store, filters: Filters, freq: str = "W", currency: str | None = None
                        ) -> pd.DataFrame:
    """Revenue per period start and category (long format: period, category, revenue) for the stacked chart."""
    part = check_freq(freq)
    where, params = _where(filters, currency)
    sql = f"""
        SELECT date_trunc(?, day)::DATE AS period, coalesce(category, ?) AS category, sum(revenue) AS revenue
        FROM (  -- days first: grouping on a DATE is cheaper than truncating every line
            SELECT order_ts::DATE AS day, category, sum(revenue) AS revenue
            FROM orders WHERE {where} AND {REVENUE_LINE_SQL} AND order_ts IS NOT NULL GROUP BY day, category
        ) GROUP BY ALL ORDER BY period, category
    """
    df = _df(store, sql, [part, UNCATEGORISED, *params])
    df["period"] = pd.to_datetime(df["period"])
    return df


def top_products(store: Store, filters: Filters, n: int = 10, currency: str | None = None) -> pd.DataFrame:
    """The n products with the most revenue in the filtered range, with units sold and order lines."""
    where, params = _where(filters, currency)
    # Sums per product id only (no string aggregates over a million lines); names and categories come from
    # the small products catalogue, and from the order lines only for ids the catalogue does not know.
    sql = f"""
        WITH top AS (
            SELECT product_id, sum(revenue) AS revenue, sum(quantity) AS units,
                   count(*) FILTER (WHERE {PURCHASE_LINE_SQL}) AS order_lines
            FROM orders WHERE {where} AND {REVENUE_LINE_SQL}
            GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT ?
        )
        SELECT t.product_id, p.product_name, p.category, t.revenue, t.units, t.order_lines
        FROM top t LEFT JOIN (
            SELECT product_id, any_value(product_name) AS product_name, any_value(category) AS category
            FROM products WHERE product_id IN (SELECT product_id FROM top) GROUP BY product_id
        ) p USING (product_id)
        ORDER BY t.revenue DESC, t.product_id
    """
    df = _df(store, sql, [*params, int(n)])
    unknown = df.loc[df["product_name"].isna(), "product_id"].dropna().tolist()
    if unknown:
        names = _df(
            store,
            """SELECT product_id, any_value(product_name) AS name, any_value(category) AS cat FROM orders
               WHERE list_contains(?::VARCHAR[], product_id) GROUP BY product_id""",
            [unknown],
        ).set_index("product_id")
        df["product_name"] = df["product_name"].fillna(df["product_id"].map(names["name"]))
        df["category"] = df["category"].fillna(df["product_id"].map(names["cat"]))
    return df


# ------------------------------------------------------------------------------------------- drill-down

# Which lines stand behind each figure (engine-made SQL, no user text): revenue counts every non-cancelled line,
# orders and average order value count purchase lines, customers those of known buyers, repeat rate those of
# buyers with two or more orders in the range.
LINE_SETS: dict[str, str] = {
    "revenue": REVENUE_LINE_SQL,
    "purchases": PURCHASE_LINE_SQL,
    "customers": f"{PURCHASE_LINE_SQL} AND customer_id IS NOT NULL",
    "repeat": f"{PURCHASE_LINE_SQL} AND customer_id IS NOT NULL",
}
_LINE_COLUMNS = ("order_ts, order_id, line_no, customer_id, product_id, product_name, coalesce(category, ?) AS category, "
                 "quantity, unit_price, revenue, currency, country, status, batch_id")


def order_lines(store: Store, filters: Filters, currency: str | None = None, *, lines: str = "revenue",
                category: str | None = None, period: tuple[date, date] | None = None, product_id: str | None = None,
                limit: int = 500) -> tuple[pd.DataFrame, int]:
    """The order lines behind a figure, filtered as the figure is, newest first: (at most `limit` rows, how many).

    `lines` names the figure's line set (LINE_SETS); `category`, the half-open day range `period` and
    `product_id` narrow to one chart point or bar, on top of the page filters and the currency.
    """
    if lines not in LINE_SETS:
        raise ValueError(f"lines must be one of {', '.join(LINE_SETS)}, not '{lines}'")
    where, params = _where(filters, currency, category=category, period=period)
    if product_id is not None:
        where += " AND product_id = ?"
        params.append(str(product_id))
    where += f" AND {LINE_SETS[lines]}"
    if lines == "repeat":  # buyers with at least two different orders among these lines
        where += (f" AND customer_id IN (SELECT customer_id FROM orders WHERE {where} GROUP BY customer_id "
                  "HAVING count(DISTINCT order_id) >= 2)")
        params = [*params, *params]
    total = int(_rows(store, f"SELECT count(*) FROM orders WHERE {where}", params)[0][0])
    df = _df(store, f"SELECT {_LINE_COLUMNS} FROM orders WHERE {where} "
                    "ORDER BY order_ts DESC NULLS LAST, order_id, line_no LIMIT ?",
             [UNCATEGORISED, *params, max(int(limit), 0)])
    return df, total


# Each Overview query as f(store, filters), for the benchmark and anything else that times them.
OVERVIEW_QUERIES: dict[str, Callable[[Store, Filters], object]] = {
    "date_bounds": lambda store, filters: date_bounds(store),
    "categories": lambda store, filters: categories(store),
    "kpis": kpis,
    "revenue_by_category": lambda store, filters: revenue_by_category(store, filters, "W"),
    "top_products": top_products,
}


