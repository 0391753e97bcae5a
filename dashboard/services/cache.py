"""The one place the app caches: the Store per database file and the loaded model as resources, and every query
result as bounded data keyed by database, data version and arguments, so results never go stale nor grow unbounded.

Domain modules call these with the current versions; no other module uses st.cache_*. engine.explain and
engine.explain (torch, Captum) are imported on first use.
"""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import streamlit as st

from engine import analytics
from engine.analytics import Filters, Kpi
from engine.sentiment import trends as sentiment_trends
from engine.sentiment.trends import Coverage
from engine.store import Store

__all__ = [
    "MODEL_LOCK",
    "APP_DB_WAIT",
    "model_state",
    "DriversNotComputed",
    "store",
    "model",
    "date_bounds",
    "latest_upload_span",
    "unpriced_lines",
    "categories",
    "currencies",
    "implausible_dates",
    "kpis",
    "order_lines",
    "revenue_by_category",
    "top_products",
    "browse",
    "count_rows",
    "uploads",
    "rejected_rows",
    "earlier_uploads",
    "undo_preview",
    "sentiment_coverage",
    "undated_reviews",
    "sentiment_by_period",
    "sentiment_categories",
    "sentiment_shifts",
    "sentiment_history",
    "sentiment_reviews",
    "sentiment_review_count",
    "sentiment_training_data",
    "explanation",
    "review_row",
    "driver_review_counts",
    "review_bounds",
    "drivers",
    "driver_reviews",
    "forecast_model",
    "forecast_data_hash",
    "forecast_shape",
    "forecast_rows",
    "sentiment_leads_sales",
    "recommend_model",
    "recommendations",
    "recommendation_explanations",
    "purchase_history",
    "also_bought",
    "recommended_to",
    "top_k_csv",
    "segments_model",
    "segment_availability",
    "segment_customers",
    "segment_summary",
    "customer_orders",
    "customer_reviews",
]

# A page waits this long for a shell command (an import, a training run) to let go of the database, then says so.
APP_DB_WAIT = 5.0
_DATA = {"max_entries": 64, "ttl": 3600, "show_spinner": False}
_EXPLANATIONS = {"max_entries": 128, "ttl": 3600, "show_spinner": False}

# Captum hooks the model's embedding layer while it integrates, so no other forward pass may run on that module
# object meanwhile: every computation on a cached model holds this lock.
MODEL_LOCK = threading.Lock()


class DriversNotComputed(Exception):
    """Raised (so st.cache_data keeps nothing) when drivers are not on disk yet."""


# ------------------------------------------------------------------------------------------------ resources


@st.cache_resource(show_spinner=False)
def store(db: str) -> Store:
    """One Store per database file, shared by every session and rerun. It holds the file only while a query runs,
    and a query waits at most APP_DB_WAIT seconds for a command that has it (then the page says it is busy)."""
    return Store.open(db, release_when_idle=True, wait=APP_DB_WAIT)


@st.cache_resource(show_spinner=False, max_entries=2)
def model(db: str, version: str):
    """The loaded sentiment model of a database's active version (falls back to the previous good version)."""
    from engine import sentiment

    return sentiment.load_active(store(db))


@st.cache_data(**_DATA)
def model_state(db: str, fingerprint: str) -> dict | None:
    """The sentiment registry's verified state (a broken active version is marked and replaced); None: no model."""
    from engine import sentiment
    from engine.models import ModelLoadError, ModelNotFoundError

    try:
        return sentiment.check_active(store(db))
    except ModelNotFoundError:
        return None
    except ModelLoadError as exc:
        return {"active_version": None, "fell_back_from": None, "reason": str(exc)}


# --------------------------------------------------------------------------------------------- sales, data


@st.cache_data(**_DATA)
def date_bounds(db: str, version: int) -> tuple[date, date] | None:
    """First and last order day."""
    return analytics.date_bounds(store(db))


@st.cache_data(**_DATA)
def unpriced_lines(db: str, version: int) -> tuple[int, int]:
    """(order lines, lines without any amount)."""
    return analytics.unpriced_lines(store(db))


@st.cache_data(**_DATA)
def latest_upload_span(db: str, version: int) -> analytics.UploadSpan | None:
    """The newest orders upload and the days it covers."""
    return analytics.latest_upload_span(store(db))


@st.cache_data(**_DATA)
def implausible_dates(db: str, version: int) -> dict[str, int]:
    """Orders and reviews dated outside the plausible range."""
    return analytics.implausible_dates(store(db))


@st.cache_data(**_DATA)
def categories(db: str, version: int) -> list[str]:
    """Categories to filter by."""
    return analytics.categories(store(db))


@st.cache_data(**_DATA)
def currencies(db: str, version: int) -> list[str]:
    """Currencies of the orders, the most revenue first ("" = none given)."""
    return analytics.currencies(store(db))


@st.cache_data(**_DATA)
def kpis(db: str, version: int, f: Filters, currency: str | None) -> list[Kpi]:
    """Headline numbers with their previous-period values."""
    return analytics.kpis(store(db), f, currency)


@st.cache_data(**_DATA)
def revenue_by_category(db: str, version: int, f: Filters, freq: str, currency: str | None) -> pd.DataFrame:
    """Revenue per period and category."""
    return analytics.revenue_by_category(store(db), f, freq, currency)


@st.cache_data(**_DATA)
def top_products(db: str, version: int, f: Filters, n: int, currency: str | None) -> pd.DataFrame:
    """Best-selling products by revenue."""
    return analytics.top_products(store(db), f, n, currency)


@st.cache_data(**_DATA)
def order_lines(db: str, version: int, f: Filters, currency: str | None, lines: str, category: str | None,
                period: tuple[date, date] | None, product_id: str | None, limit: int) -> tuple[pd.DataFrame, int]:
    """The order lines behind a figure, and how many there are."""
    return analytics.order_lines(store(db), f, currency, lines=lines, category=category, period=period,
                                 product_id=product_id, limit=limit)


@st.cache_data(**_DATA)
def browse(db: str, version: int, table: str, limit: int, offset: int, search: str | None) -> pd.DataFrame:
    """One page of a table."""
    return analytics.browse(store(db), table, limit, offset, search)


@st.cache_data(**_DATA)
def count_rows(db: str, version: int, table: str, search: str | None) -> int:
    """Rows of a table (matching a search)."""
    return analytics.count_rows(store(db), table, search)


@st.cache_data(**_DATA)
def uploads(db: str, version: int) -> pd.DataFrame:
    """Upload history."""
    return analytics.uploads(store(db))


@st.cache_data(**_DATA)
def rejected_rows(db: str, version: int, batch_id: str | None) -> pd.DataFrame:
    """Rejected rows of one upload (or all)."""
    return analytics.rejected_rows(store(db), batch_id)


@st.cache_data(**_DATA)
def missing_lines(db: str, version: int, batch_id: str) -> pd.DataFrame:
    """Stored order lines that one upload's orders lacked ("missing from this export")."""
    from engine.ingest import MISSING_COLUMNS, missing_lines as lines

    return pd.DataFrame(lines(store(db), batch_id), columns=list(MISSING_COLUMNS))


@st.cache_data(**_DATA)
def undo_preview(db: str, version: int, scores_version: str, batch_id: str):
    """What undoing an upload would take out (counted in a rolled-back transaction); scores_version keys the count
    of sentiment scores, which scoring changes without an upload."""
    from engine.ingest import undo_upload

    return undo_upload(store(db), batch_id, dry_run=True)


@st.cache_data(**_DATA)
def earlier_uploads(db: str, version: int, path: str, size: int, mtime_ns: int) -> list:
    """Earlier uploads of the same file (size and mtime key the file's sha256, computed once per file)."""
    from engine.ingest import earlier_uploads as find

    return find(store(db), path)


# ------------------------------------------------------------------------------------------------ sentiment


@st.cache_data(**_DATA)
def sentiment_coverage(db: str, version: str, f: Filters) -> Coverage:
    """Reviews labelled by the model, by their rating, or by nobody."""
    return sentiment_trends.coverage(store(db), f)


@st.cache_data(**_DATA)
def undated_reviews(db: str, version: str, f: Filters) -> int:
    """Reviews of the chosen categories without a date."""
    return sentiment_trends.undated_reviews(store(db), f)


@st.cache_data(**_DATA)
def sentiment_by_period(db: str, version: str, f: Filters, freq: str) -> pd.DataFrame:
    """Label counts and shares per period and category."""
    return sentiment_trends.sentiment_by_period(store(db), f, freq)


@st.cache_data(**_DATA)
def sentiment_categories(db: str, version: str, f: Filters) -> pd.DataFrame:
    """Per-category shares and averages over the whole range."""
    return sentiment_trends.category_comparison(store(db), f)


@st.cache_data(**_DATA)
def sentiment_shifts(db: str, version: str, f: Filters, freq: str, alpha: float, min_reviews: int) -> pd.DataFrame:
    """The last complete period's negative share per category against the periods before it."""
    return sentiment_trends.significant_shifts(store(db), f, freq, alpha=alpha, min_reviews=min_reviews)


@st.cache_data(**_DATA)
def sentiment_history(db: str, version: str, f: Filters, freq: str, alpha: float, min_reviews: int) -> pd.DataFrame:
    """Every significantly negative (category, period)."""
    return sentiment_trends.shift_history(store(db), f, freq, alpha=alpha, min_reviews=min_reviews)


@st.cache_data(**_DATA)
def sentiment_reviews(db: str, version: str, f: Filters, category: str | None, period: date | None, freq: str,
                      label: str | None, search: str | None, limit: int, language: str | None = None) -> pd.DataFrame:
    """The reviews behind a chart point."""
    return sentiment_trends.reviews_for(store(db), f, category, period, freq, label, search, limit, language)


@st.cache_data(**_DATA)
def sentiment_review_count(db: str, version: str, f: Filters, category: str | None, period: date | None, freq: str,
                           label: str | None, search: str | None, language: str | None = None) -> int:
    """How many reviews sentiment_reviews would list without its limit."""
    return sentiment_trends.count_reviews_for(store(db), f, category, period, freq, label, search, language)


@st.cache_data(**_DATA)
def sentiment_languages(db: str, version: str, f: Filters, freq: str | None) -> pd.DataFrame:
    """The language mix and each language's label shares (per period when `freq` is given)."""
    return sentiment_trends.language_shares(store(db), f, freq)


@st.cache_data(**_DATA)
def sentiment_training_data(db: str, version: str) -> dict:
    """Rated reviews with text per label."""
    return sentiment_trends.training_data(store(db))


# ---------------------------------------------------------------------------------------------- explanations


@st.cache_data(**_EXPLANATIONS)
def explanation(db: str, version: str, text: str, target: str | None) -> tuple[object, object, str | None, str]:
    """(ReviewExplanation, Faithfulness, model version, escaped highlight HTML) of a text under a model version."""
    from engine import explain

    m = model(db, version)
    with MODEL_LOCK:
        e = explain.explain_review(m, text, target=target)
        f = explain.faithfulness(m, text, e)
    return e, f, getattr(m, "version", None), explain.highlight_html(text, e.tokens, e.target)


@st.cache_data(**_DATA)
def review_row(db: str, version: str, review_id: str) -> dict | None:
    """One stored review with the text the model reads."""
    from engine import explain

    return explain.review_text(store(db), review_id)


@st.cache_data(**_DATA)
def driver_review_counts(db: str, version: str, category: str | None, start: date, end: date) -> tuple[int, int]:
    """Reviews with text in [start, end) and in the period of the same length before it."""
    from engine import explain

    prev_start, prev_end = explain.previous_period(start, end)
    s = store(db)
    return explain.count_reviews(s, category, start, end), explain.count_reviews(s, category, prev_start, prev_end)


@st.cache_data(**_DATA)
def review_bounds(db: str, version: int, category: str | None) -> tuple[date, date] | None:
    """First and last review day of a category."""
    from engine import explain

    return explain.review_bounds(store(db), category)


@st.cache_data(**_DATA)
def drivers(db: str, version: str, model_version: str, category: str | None, start: date, end: date,
            sample_size: int) -> pd.DataFrame:
    """Stored category drivers of a period (DriversNotComputed when they are not on disk yet)."""
    from engine import explain

    df = explain.drivers_for(store(db), model(db, model_version), category, start, end, sample_size,
                                    cached_only=True)
    if df is None:
        raise DriversNotComputed()
    return df


@st.cache_data(**_DATA)
def driver_reviews(db: str, version: str, category: str | None, start: date, end: date, term: str,
                   limit: int) -> pd.DataFrame:
    """Reviews of a period containing a driver term."""
    from engine import explain

    return explain.reviews_containing(store(db), category, start, end, term, limit)


# ---------------------------------------------------------------------------------------------- recommendations


@st.cache_resource(show_spinner=False, max_entries=2)
def recommend_model(db: str, version: str):
    """The loaded recommender of a database's active version (falls back to the previous good version)."""
    from engine import recommend

    return recommend.load_active(store(db))


@st.cache_data(**_EXPLANATIONS)
def recommendations(db: str, version: str, customer: str, k: int, mode: str) -> pd.DataFrame:
    """Top-k of one customer."""
    return recommend_model(db, version).recommend([customer], k, mode)


@st.cache_data(**_EXPLANATIONS)
def recommendation_explanations(db: str, version: str, customer: str, products: tuple[str, ...],
                                mode: str) -> list[dict]:
    """Why each of these products is recommended (attributions, sentences, counterfactual)."""
    from engine import recommend

    m = recommend_model(db, version)
    return [recommend.explain(m, customer, p, mode=mode) for p in products]


@st.cache_data(**_DATA)
def purchase_history(db: str, version: str, customer: str) -> pd.DataFrame:
    """What the customer bought (net of returns), as the model saw it."""
    return recommend_model(db, version).history(customer)


@st.cache_data(**_DATA)
def also_bought(db: str, version: str, product: str, k: int) -> pd.DataFrame:
    """Customers who bought this also bought, with counts."""
    from engine import recommend

    return recommend.also_bought(recommend_model(db, version), product, k)


@st.cache_data(**_DATA)
def recommended_to(db: str, version: str, product: str, k: int, mode: str) -> pd.DataFrame:
    """Customers who get this product highest."""
    from engine import recommend

    return recommend.recommended_to(recommend_model(db, version), product, k, mode)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def top_k_csv(db: str, version: str, k: int, mode: str) -> bytes:
    """Every customer's top-k as formula-safe CSV bytes (customer_id, rank, product_id, score)."""
    from engine import recommend
    from engine.store import safe_csv_bytes

    top = recommend.top_k_all(recommend_model(db, version), k, mode)
    return safe_csv_bytes(top[["customer_id", "rank", "product_id", "score"]])


# ------------------------------------------------------------------------------------------------- forecasts


@st.cache_resource(show_spinner=False, max_entries=8)
def forecast_model(db: str, version: str):
    """A registered forecast version with its run (forecasts, backtest, anomalies), loaded once."""
    from engine.forecast import REGISTRY

    return REGISTRY.load(store(db), version)


@st.cache_data(**_DATA)
def forecast_data_hash(db: str, version: int | str, request: dict) -> str:
    """Fingerprint of a request's series on the current data (raises the engine's error when there are none)."""
    from engine.forecast import ForecastConfig, build_series

    return build_series(store(db), ForecastConfig(**request)).data_hash()


@st.cache_data(**_DATA)
def forecast_shape(db: str, version: int | str, request: dict) -> tuple[int, int]:
    """(series, periods) of a request on the current data: what a run's time grows with."""
    from engine.forecast import ForecastConfig, build_series

    series = build_series(store(db), ForecastConfig(**request))
    return len(series.names), len(series.periods)


@st.cache_data(**_DATA)
def forecast_rows(db: str, version: int | str, request: dict, top_keys: tuple[str, ...], series: str,
                  period: date, limit: int) -> pd.DataFrame:
    """The order lines (or reviews) behind one series in one period."""
    from engine.forecast import ForecastConfig, rows_behind

    return rows_behind(store(db), ForecastConfig(**request), series, period, list(top_keys), limit)


@st.cache_data(**_DATA)
def sentiment_leads_sales(db: str, version: str, max_lag: int) -> pd.DataFrame:
    """Per category: does the weekly negative-review share lead revenue, at which lag, how significantly."""
    from engine.forecast import sentiment_leads_sales as lead_lag

    return lead_lag(store(db), max_lag=max_lag)


# ------------------------------------------------------------------------------------------------ segments


@st.cache_resource(show_spinner=False, max_entries=2)
def segments_model(db: str, version: str):
    """The loaded segments model of a database's active version (falls back to the previous good version)."""
    from engine.segments import REGISTRY

    return REGISTRY.load_active(store(db))


@st.cache_data(**_DATA)
def segment_availability(db: str, version: int):
    """Whether the orders carry customer identities at all, with the counts behind the answer."""
    from engine.segments import availability

    return availability(store(db))


@st.cache_data(**_DATA)
def segment_customers(db: str, version: str) -> pd.DataFrame:
    """The model's scored customers (features, segment, RFM, churn risk, reasons, map point) with their risk band."""
    from engine.segments import risk_band

    customers = segments_model(db, version).customers.copy()
    customers["risk_band"] = risk_band(customers["churn_risk"])
    return customers


@st.cache_data(**_DATA)
def segment_summary(db: str, version: str, data: int, days: int) -> pd.DataFrame:
    """The segment table, with each segment's size `days` before the model's score date beside it."""
    from engine.segments import previous_assignment, segment_summary as summary

    model = segments_model(db, version)
    with MODEL_LOCK:
        previous = previous_assignment(store(db), model, days)
    names = [n for n, _ in model.segment_names] or None
    return summary(segment_customers(db, version), previous, names)


@st.cache_data(**_DATA)
def customer_orders(db: str, version: int, customer_id: str) -> pd.DataFrame:
    """One customer's orders, newest first."""
    from engine.segments import customer_orders as orders

    return orders(store(db), customer_id)


@st.cache_data(**_DATA)
def customer_reviews(db: str, version: int, customer_id: str) -> pd.DataFrame:
    """One customer's reviews, newest first."""
    from engine.segments import customer_reviews as reviews

    return reviews(store(db), customer_id)
