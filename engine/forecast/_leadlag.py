"""Does sentiment lead sales? Per category, the cross-correlation of the weekly share of negative reviews with the
category's revenue in the same and later weeks, the lag where it peaks, and whether that is significant.

Both series are differenced week over week first (levels share trends and seasons, which would correlate
anything with anything); the test is the Pearson correlation t-test at the peak lag, Bonferroni-corrected for the
number of lags tried."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.store import Store

from ._config import TOTAL, ForecastConfig
from ._series import build_series

TEST_NAME = ("Pearson correlation t-test on week-over-week changes, Bonferroni-corrected across the lags tried "
             "(two-sided)")
COLUMNS = ["category", "peak_lag_weeks", "correlation", "p_value", "p_adjusted", "significant", "n_weeks",
           "direction", "note"]
MIN_PAIRS = 10
ALL_CATEGORIES = "(all categories)"  # the shop as a whole, listed beside its categories


def cross_correlation(leader: np.ndarray, follower: np.ndarray, max_lag: int) -> pd.DataFrame:
    """r(leader[t], follower[t + lag]) for lag 0..max_lag on differenced series, with n and the t-test p-value."""
    from scipy import stats

    a, b = np.diff(np.asarray(leader, dtype=float)), np.diff(np.asarray(follower, dtype=float))
    rows = []
    for lag in range(max_lag + 1):
        x, y = a[: len(a) - lag] if lag else a, b[lag:]
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        if len(x) < MIN_PAIRS or np.std(x) == 0 or np.std(y) == 0:
            rows.append({"lag": lag, "r": np.nan, "n": len(x), "p_value": np.nan})
            continue
        r, p = stats.pearsonr(x, y)
        rows.append({"lag": lag, "r": float(r), "n": len(x), "p_value": float(p)})
    return pd.DataFrame(rows)


def sentiment_leads_sales(store: Store, max_lag: int = 8, alpha: float = 0.05, top_n: int = 20) -> pd.DataFrame:
    """One row per category found in both reviews and orders (and one for the shop as a whole): peak lag, r, p (raw
    and Bonferroni-adjusted over the lags; categories are separate questions, not corrected across)."""
    if max_lag < 0:
        raise ValueError(f"max_lag must be 0 or more, not {max_lag}")
    try:
        neg = build_series(store, ForecastConfig(metric="negative_share", by="category", freq="W", top_n=top_n))
        sales = build_series(store, ForecastConfig(metric="revenue", by="category", freq="W", top_n=top_n))
    except ValueError:  # no reviews or no orders: nothing to compare
        return pd.DataFrame(columns=COLUMNS)
    common = neg.periods.intersection(sales.periods)
    rows = []
    for name in neg.names:
        if name not in sales.names or name == "(other)":
            continue
        x = pd.Series(neg.values[neg.names.index(name)], index=neg.periods).reindex(common).to_numpy()
        y = pd.Series(sales.values[sales.names.index(name)], index=sales.periods).reindex(common).to_numpy()
        cc = cross_correlation(x, y, max_lag)
        label = ALL_CATEGORIES if name == TOTAL else name
        tried = cc.dropna(subset=["r"])
        if tried.empty:
            rows.append({"category": label, "peak_lag_weeks": None, "correlation": np.nan, "p_value": np.nan,
                         "p_adjusted": np.nan, "significant": False, "n_weeks": int(np.isfinite(x).sum()),
                         "direction": "", "note": f"fewer than {MIN_PAIRS} weeks with reviews and sales"})
            continue
        best = tried.loc[tried["r"].abs().idxmax()]
        p_adj = min(1.0, float(best["p_value"]) * len(tried))
        sig = p_adj < alpha
        direction = ("more negative reviews, lower sales later" if best["r"] < 0
                     else "more negative reviews, higher sales later")
        rows.append({"category": label, "peak_lag_weeks": int(best["lag"]), "correlation": float(best["r"]),
                     "p_value": float(best["p_value"]), "p_adjusted": p_adj, "significant": bool(sig),
                     "n_weeks": int(best["n"]), "direction": direction,
                     "note": "" if sig else "not significant: no evidence that sentiment leads sales here"})
    return pd.DataFrame(rows, columns=COLUMNS)
