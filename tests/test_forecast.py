"""Forecasts: series built from a real DuckDB store by the Overview's rules, a real tiny network trained on
generated series with known seasonality and trend, baselines measured in the same run, reconciliation, anomalies
and the sentiment-leads-sales test, plus the shared family contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from _family_contract import FamilyContract

from engine.analytics import Filters, kpis
from engine.forecast import (
    OTHER,
    REGISTRY,
    TOTAL,
    ForecastConfig,
    ForecastModel,
    SeriesSet,
    build_series,
    cross_correlation,
    reconcile,
    rows_behind,
    sentiment_leads_sales,
)
from engine.models import InsufficientDataError
from engine.store import Store

START = date(2024, 1, 1)  # a Monday
FAST = dict(steps=150, hidden=32, layers=2, batch_size=128, baselines=("seasonal_naive",))


def seasonal_series(n_days: int = 210, seed: int = 0) -> SeriesSet:
    """Three additive daily series (weekly pattern x level + trend + noise) and their total."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    week = np.array([1.0, 1.2, 1.1, 1.0, 1.4, 0.5, 0.3])
    parts = []
    for level, slope in ((100.0, 0.3), (60.0, -0.1), (30.0, 0.15)):
        parts.append((level + slope * t) * week[t % 7] + rng.normal(0, 0.12 * level, n_days))
    values = np.vstack([np.sum(parts, axis=0), *parts])
    periods = pd.date_range(START, periods=n_days, freq="D")
    return SeriesSet([TOTAL, "a", "b", "c"], periods, values, "D", "revenue", "category", ["a", "b", "c"])


def _orders(n_days: int, seed: int = 0) -> pd.DataFrame:
    """Order lines for three categories (one category is small), with a cancellation and a return."""
    rng = np.random.default_rng(seed)
    rows = []
    week = [1.0, 1.2, 1.1, 1.0, 1.4, 0.5, 0.3]
    for d in range(n_days):
        day = datetime.combine(START + timedelta(days=d), datetime.min.time()) + timedelta(hours=10)
        for c, level in (("shoes", 50.0), ("bags", 30.0), ("hats", 5.0)):
            if c == "hats" and d % 3:
                continue  # a sparse category: sales on every third day only
            price = round(level * week[d % 7] * (1 + d / 400) + rng.normal(0, 2), 2)
            rows.append((f"o{d}-{c}", 1, day, f"p-{c}", c, 1.0, price, "GB" if c != "bags" else "DE", "completed"))
    # a cancelled order (never counts) and a return (a negative line counts, reducing revenue)
    day9 = datetime.combine(START + timedelta(days=9), datetime.min.time())
    rows.append(("cx", 1, day9, "p-shoes", "shoes", 3.0, 100.0, "GB", "cancelled"))
    rows.append(("rx", 1, day9, "p-shoes", "shoes", -1.0, 40.0, "GB", "returned"))
    df = pd.DataFrame(rows, columns=["order_id", "line_no", "order_ts", "product_id", "category", "quantity",
                                     "unit_price", "country", "status"])
    df["revenue"] = df["quantity"] * df["unit_price"]
    df["product_name"] = df["product_id"]
    df["batch_id"] = "b1"
    return df


def make_orders_store(path, n_days: int = 120, reviews: pd.DataFrame | None = None) -> Store:
    """A real DuckDB store holding generated order lines (and optionally reviews)."""
    store = Store.open(path)
    df = _orders(n_days)
    with store.transaction() as con:
        con.register("new_orders", df)
        con.execute("INSERT INTO orders BY NAME SELECT * FROM new_orders")
        con.execute("INSERT INTO uploads (batch_id, file_name, kind, uploaded_at) VALUES ('b1', 'gen.csv', "
                    "'orders', now()::TIMESTAMP)")
        if reviews is not None:
            con.register("new_reviews", reviews)
            con.execute("INSERT INTO reviews BY NAME SELECT * FROM new_reviews")
    return store


# ------------------------------------------------------------------------------------------------ series


def test_series_follow_the_overview_revenue_rules(tmp_path):
    store = make_orders_store(tmp_path / "s.duckdb")
    total = build_series(store, ForecastConfig(metric="revenue", by=TOTAL, freq="D"))
    assert total.names == [TOTAL] and len(total.periods) == 120
    overview = next(k for k in kpis(store, Filters(START, START + timedelta(days=119))) if k.key == "revenue")
    assert total.values.sum() == pytest.approx(overview.value)
    split = build_series(store, ForecastConfig(metric="revenue", by="category", freq="D", top_n=2))
    assert split.names == [TOTAL, "shoes", "bags", OTHER]  # hats pooled beyond the top 2
    np.testing.assert_allclose(split.values[1:].sum(axis=0), split.values[0])
    assert split.additive()
    assert (split.values[3][1::3] == 0).all()  # missing sales days are zeros
    assert list(split.sparse) == [False, False, False, True]  # hats sell on a third of the days
    orders = build_series(store, ForecastConfig(metric="orders", freq="D"))
    assert orders.values[0][9] == 3  # the cancelled order is not an order; the return line is no purchase


def test_weekly_series_keep_whole_weeks_only(tmp_path):
    store = make_orders_store(tmp_path / "w.duckdb", n_days=60)  # Monday .. a Tuesday: the last week is partial
    weekly = build_series(store, ForecastConfig(metric="units", freq="W"))
    assert len(weekly.periods) == 8 and weekly.periods[0] == pd.Timestamp(START)
    daily = build_series(store, ForecastConfig(metric="units", freq="D"))
    assert weekly.values[0].sum() == pytest.approx(daily.values[0][:56].sum())


def test_review_series_are_missing_not_zero_without_reviews(tmp_path):
    reviews = pd.DataFrame({"review_id": ["r1", "r2", "r3"], "review_ts": [datetime(2024, 1, 1, 9)] * 2 + [
        datetime(2024, 1, 3, 9)], "category": ["shoes"] * 3, "rating": [1.0, 5.0, 2.0], "batch_id": "b2"})
    store = make_orders_store(tmp_path / "r.duckdb", n_days=10, reviews=reviews)
    neg = build_series(store, ForecastConfig(metric="negative_share", freq="D"))
    assert neg.values[0][0] == pytest.approx(0.5) and np.isnan(neg.values[0][1]) and neg.values[0][2] == 1.0
    senti = build_series(store, ForecastConfig(metric="sentiment", by="category", freq="D"))
    assert senti.values[1][0] == pytest.approx(0.0)  # mean of (1-3)/2 and (5-3)/2


def test_rows_behind_a_period_list_its_lines(tmp_path):
    store = make_orders_store(tmp_path / "d.duckdb", n_days=20)
    cfg = ForecastConfig(metric="revenue", by="category", freq="D", top_n=2)
    rows = rows_behind(store, cfg, "shoes", START + timedelta(days=9))
    assert set(rows["order_id"]) == {"o9-shoes", "cx", "rx"}
    other = rows_behind(store, cfg, OTHER, START + timedelta(days=9))
    assert set(other["category"]) == {"hats"}
    assert len(rows_behind(store, cfg, TOTAL, START + timedelta(days=9))) == 5


# ------------------------------------------------------------------------------------------------ model


@pytest.fixture(scope="module")
def seasonal_fit():
    model = ForecastModel(ForecastConfig(horizon=14, origins=3, seed=0, **{**FAST, "steps": 200, "hidden": 64}))
    report = model.fit_series(seasonal_series())
    return model, report


def test_model_beats_seasonal_naive_on_known_seasonality_and_trend(seasonal_fit):
    _, report = seasonal_fit
    assert report["mase_model"] < 0.95 * report["mase_seasonal_naive"], report
    assert 0.5 <= report["coverage_80"] <= 1.0
    assert len(report["origins"]) == 3 and len(report["series"]) == 4
    assert {"series", "mase", "baseline_mase", "coverage_80"} <= set(report["series"][0])


def test_quantiles_are_ordered_and_the_split_adds_up(seasonal_fit):
    model, _ = seasonal_fit
    fc = model.result.forecast
    assert list(fc.columns)[:6] == ["series", "ts", "p10", "p50", "p90", "mean"] and len(fc) == 4 * 14
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    wide = fc.pivot(index="ts", columns="series", values="mean")  # expected values add up; medians need not
    np.testing.assert_allclose(wide[["a", "b", "c"]].sum(axis=1), wide[TOTAL], rtol=1e-9)
    assert fc["ts"].min() == pd.Timestamp(START) + pd.Timedelta(days=210)
    # the table says who wins per series and the expected change; anomalies come from the last window only
    table = model.result.table
    assert set(table["winner"]) <= {"network", "seasonal_naive"} and set(table["method"]) == {"network"}
    assert table["expected_change"].notna().all()
    last = model.result.points["origin"].max()
    assert set(model.result.anomalies["ts"]) <= set(model.result.points.loc[model.result.points["origin"] == last, "ts"])


def test_reconcile_moves_the_split_onto_the_total():
    rng = np.random.default_rng(1)
    f = np.sort(rng.normal(10, 3, (4, 5, 3)), axis=-1)
    f = np.concatenate([f, f[..., 1:2]], axis=-1)
    out = reconcile(f, np.array([1.0, 4.0, 1.0, 0.0]))
    np.testing.assert_allclose(out[1:, :, 1].sum(axis=0), out[0, :, 1])
    # a closed cell stays put and a non-negative series stops at zero (the total is then what the parts became)
    fixed = np.zeros((4, 5), dtype=bool)
    fixed[2, 0] = True
    low = f.copy()
    low[0] -= 100.0
    kept = reconcile(low, np.array([1.0, 4.0, 1.0, 1.0]), nonneg=np.array([False, True, True, True]), fixed=fixed)
    assert kept[2, 0, 1] == low[2, 0, 1] and (kept[1:, :, 1] >= 0).all() and (kept[1:, :, 0] >= 0).all()
    np.testing.assert_allclose(kept[1:, :, 1].sum(axis=0), kept[0, :, 1])
    np.testing.assert_allclose(out[1:, :, 3].sum(axis=0), out[0, :, 3])
    assert (np.diff(out[..., :3], axis=-1) >= 0).all()
    np.testing.assert_allclose(out[1, :, 2] - out[1, :, 0], f[1, :, 2] - f[1, :, 0])  # widths are kept
    moved = np.abs(out[1:, :, 1] - f[1:, :, 1]).sum(axis=1)
    assert moved[0] > moved[1]  # the noisier series moves more


SHOP_START = date(2023, 10, 2)  # a Monday; 206 days end on Tue 2024-04-24, so 28 days ahead hold 6 May's holiday


def shop_series(n_days: int = 206, seed: int = 0) -> SeriesSet:
    """A GB shop closed on Saturdays and on every bank holiday, one busy and one intermittent category."""
    from engine.forecast._calendar import holidays_between

    rng = np.random.default_rng(seed)
    periods = pd.date_range(SHOP_START, periods=n_days, freq="D")
    hols = holidays_between(periods[0].date(), periods[-1].date(), "United Kingdom")
    shut = (periods.dayofweek == 5) | np.isin(periods.date, list(hols))
    week = np.array([1.0, 1.2, 1.1, 1.0, 1.4, 0.0, 0.6])[periods.dayofweek]
    busy = np.where(shut, 0.0, 100 * week * rng.lognormal(0, 0.25, n_days))
    rare = np.where(shut | (rng.random(n_days) < 0.6), 0.0, rng.lognormal(3, 0.5, n_days))
    return SeriesSet([TOTAL, "busy", "rare"], periods, np.vstack([busy + rare, busy, rare]), "D", "revenue",
                     "category", ["busy", "rare"], {}, "United Kingdom")


@pytest.fixture(scope="module")
def shop_fit():
    config = ForecastConfig(by="category", horizon=28, origins=2, seed=0,
                            **{**FAST, "baselines": ("seasonal_naive", "weekday_median", "croston")})
    model = ForecastModel(config)
    return model, model.fit_series(shop_series())


def test_closed_days_and_holidays_are_learned_and_forecast_as_zero(shop_fit):
    model, report = shop_fit
    fc = model.result.forecast.set_index(["series", "ts"])
    saturdays = [t for t in fc.loc[TOTAL].index if t.dayofweek == 5]
    for name in (TOTAL, "busy"):
        for t in [*saturdays, pd.Timestamp("2024-05-06")]:  # Saturdays and the Early May bank holiday
            assert tuple(fc.loc[(name, t), ["p10", "p50", "p90", "mean"]]) == (0.0, 0.0, 0.0, 0.0), (name, t)
            assert fc.loc[(name, t), "closed"]
        assert fc.loc[(name, pd.Timestamp("2024-05-07")), "p50"] > 0  # the Tuesday after is open
    notes = model.result.table.set_index("series")["closed"]
    assert notes["busy"].startswith("closed on Saturdays") and "learned from your orders" in notes["busy"]
    assert "May Day" in notes["busy"] or "Early May" in notes["busy"]
    assert notes["rare"] is None  # an intermittent series' empty days are no closure
    hol = model.result.holidays
    assert {"Christmas Day", "Easter Monday"} <= set(hol.loc[hol["series"] == TOTAL, "name"])
    assert {s["series"]: s["closed"] for s in report["series"]}["busy"] == notes["busy"]


def test_bands_never_go_below_zero_where_the_series_never_did(shop_fit):
    model, report = shop_fit
    fc, points = model.result.forecast, model.result.points
    assert (fc["p10"] >= 0).all() and (points["p10"] >= 0).all()
    assert model.result.table["never_negative"].all()
    rare = fc[(fc["series"] == "rare") & ~fc["closed"]]
    assert (rare["p10"] == 0).all()  # 6 in 10 days empty: the hurdle puts the band's foot at zero
    assert 0.6 <= report["coverage_80"] <= 0.95, report["coverage_80"]


def test_weekday_median_and_croston_are_measured_beside_the_network(shop_fit):
    from engine.forecast._baselines import REGISTRY as BASELINE_REGISTRY

    y = np.array([float(d % 7) + 10 * (w == 3) for w in range(8) for d in range(7)])
    out = BASELINE_REGISTRY["weekday_median"].forecast(y, 9, 7)
    np.testing.assert_allclose(out[:7, 1], np.arange(7.0))  # one spiky week does not move the median
    assert (out[:, 0] <= out[:, 1]).all() and (out[:, 1] <= out[:, 2]).all()
    _, report = shop_fit
    for key in ("mase_model", "mase_network", "mase_weekday_median", "mase_croston", "mase_ensemble"):
        assert report[key] is not None, key
    assert report["mase_model"] < report["mase_seasonal_naive"], report


def test_a_break_at_this_time_last_year_is_forecast_closed():
    from engine.forecast._closed import learn_closed

    periods = pd.date_range("2022-12-05", "2023-12-10", freq="D")  # last year's Christmas break, then a year open
    y = np.where((periods >= "2022-12-23") & (periods <= "2023-01-03"), 0.0, 100.0)
    y[periods.dayofweek == 6] = 0.0  # closed on Sundays
    ahead = pd.date_range("2023-12-11", periods=28, freq="D")
    closed = learn_closed(y[None, :], periods, len(periods), ahead, [{}])
    shut = set(ahead[closed.mask[0]].date)
    breaks = {d.date() for d in pd.date_range("2023-12-22", "2024-01-02")}  # 52 weeks after 23 Dec .. 3 Jan
    sundays = {d.date() for d in ahead if d.dayofweek == 6}
    assert shut == breaks | sundays
    assert closed.reason(0).startswith("closed on Sundays; 22 Dec – 02 Jan (closed then a year ago)")
    # nothing is closed from an intermittent series' empty days, nor for a metric that is not sales
    assert not learn_closed(y[None, :], periods, len(periods), ahead, [{}], sales=False).mask.any()


def test_fracast_forecasts_from_the_weights_inside_its_wheel():
    from engine.forecast._baselines import baseline_forecasts

    t = np.arange(140)
    y = 100 + 40 * np.sin(2 * np.pi * t / 7)
    out = baseline_forecasts("fracast", np.stack([y, 2 * y]), 14, 7)
    assert out.shape == (2, 14, 3) and np.isfinite(out).all()
    assert (np.diff(out, axis=-1) >= -1e-6).all()  # p10 <= p50 <= p90
    truth = 100 + 40 * np.sin(2 * np.pi * (t[-1] + 1 + np.arange(14)) / 7)
    assert np.abs(out[0, :, 1] - truth).mean() < 20  # it follows the weekly cycle, not a flat line (40 off)


@pytest.mark.parametrize("kwargs, message", [
    ({"metric": "profit"}, "unknown metric 'profit'"),
    ({"by": "colour"}, "cannot split revenue by 'colour'"),
    ({"metric": "sentiment", "by": "country"}, "cannot split sentiment by 'country'"),
    ({"horizon": 0}, "horizon must be a whole number above 0"),
    ({"freq": "M"}, "unknown frequency 'M'"),
])
def test_bad_requests_are_refused_plainly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ForecastConfig(**kwargs).validate()


def test_too_short_history_says_what_it_needs(tmp_path):
    store = make_orders_store(tmp_path / "short.duckdb", n_days=40)
    with pytest.raises(InsufficientDataError, match="too short to backtest: 40 days"):
        ForecastModel(ForecastConfig(horizon=28, **FAST)).fit(store)
    empty = Store.open(tmp_path / "empty.duckdb")
    with pytest.raises(InsufficientDataError, match="no orders"):
        ForecastModel().fit(empty)


# ------------------------------------------------------------------------------------------------ lead/lag


def test_negative_reviews_leading_sales_are_found_at_their_lag(tmp_path):
    rng = np.random.default_rng(3)
    n_weeks, lag = 60, 2
    share = np.clip(0.2 + 0.1 * rng.standard_normal(n_weeks), 0, 1)
    rows, revs = [], []
    for w in range(n_weeks):
        day = datetime.combine(START + timedelta(weeks=w), datetime.min.time()) + timedelta(hours=12)
        lead = share[w - lag] if w >= lag else 0.2
        rows.append((f"w{w}", 1, day, "p1", "shoes", 1.0, 1000 * (1.5 - 2 * lead) + rng.normal(0, 10), "GB",
                     "completed"))
        n_neg = round(share[w] * 50)
        revs += [(f"r{w}-{k}", day, "shoes", 1.0 if k < n_neg else 5.0) for k in range(50)]
    orders = pd.DataFrame(rows, columns=["order_id", "line_no", "order_ts", "product_id", "category", "quantity",
                                         "unit_price", "country", "status"])
    orders["revenue"], orders["batch_id"] = orders["unit_price"], "b1"
    reviews = pd.DataFrame(revs, columns=["review_id", "review_ts", "category", "rating"])
    reviews["batch_id"] = "b2"
    store = Store.open(tmp_path / "ll.duckdb")
    with store.transaction() as con:
        con.register("new_orders", orders)
        con.register("new_reviews", reviews)
        con.execute("INSERT INTO orders BY NAME SELECT * FROM new_orders")
        con.execute("INSERT INTO reviews BY NAME SELECT * FROM new_reviews")
    out = sentiment_leads_sales(store, max_lag=6).set_index("category")
    assert "(all categories)" in out.index  # the shop as a whole beside its categories
    row = out.loc["shoes"]
    assert row["peak_lag_weeks"] == lag and row["correlation"] < -0.5 and row["significant"]
    assert row["p_adjusted"] == pytest.approx(min(1.0, row["p_value"] * 7))
    noise = cross_correlation(rng.standard_normal(60), rng.standard_normal(60), 4)
    assert (noise["p_value"] * 5 > 0.05).all()


# ------------------------------------------------------------------------------------------------ contract


class TestForecastContract(FamilyContract):
    registry = REGISTRY

    def make_store(self, path):
        return make_orders_store(path, n_days=100)

    def config(self):
        return ForecastConfig(by="category", horizon=7, origins=3, seed=0, **FAST)

    def new_model(self):
        return ForecastModel(self.config())

    def predict_input(self, store):
        return build_series(store, self.config())

    def test_predict_takes_a_long_frame_with_its_own_column_names(self, fitted):
        model, store = fitted["first"], fitted["store"]
        series = self.predict_input(store)
        frame = series.to_frame().rename(columns={"series": "key", "ts": "day", "y": "revenue"})
        again = SeriesSet.from_frame(frame, "D", series_col="key", ts_col="day", y_col="revenue")
        pd.testing.assert_frame_equal(model.predict(again), model.predict(series))
        with pytest.raises(ValueError, match="no column 'series'"):
            SeriesSet.from_frame(frame, "D")

    def test_load_restores_the_run(self, fitted, tmp_path):
        model = fitted["first"]
        again = ForecastModel.load(model.save(tmp_path / "copy"))
        pd.testing.assert_frame_equal(again.result.forecast, model.result.forecast, check_dtype=False)
        assert again.result.table["winner"].tolist() == model.result.table["winner"].tolist()


# ------------------------------------------------------------------------------------------------ command line


@pytest.mark.parametrize("argv, message", [
    (["--metric", "profit", "--horizon", "7"], "unknown metric 'profit'"),
    (["--metric", "revenue", "--by", "colour", "--horizon", "7"], "cannot split revenue by 'colour'"),
    (["--metric", "revenue", "--horizon", "0"], "--horizon must be a whole number above 0"),
    (["--metric", "revenue", "--horizon", "soon"], "--horizon must be a whole number"),
    (["--metric", "revenue", "--freq", "M", "--horizon", "7"], "unknown frequency 'M'"),
    (["--metric", "revenue", "--horizon", "60"], "too short to backtest"),
])
def test_cli_refuses_bad_input_with_exit_2_and_one_line(tmp_path, capsys, argv, message):
    from engine.cli import main

    db = tmp_path / "cli.duckdb"
    make_orders_store(db, n_days=100).close()
    out = tmp_path / "out.csv"
    assert main(["forecast", "--db", str(db), *argv, "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("storelens: ") and message in err[-1]
    assert not out.exists()


def test_cli_writes_the_contract_csv_and_json(tmp_path, capsys):
    import json

    from engine.cli import main

    db = tmp_path / "cli.duckdb"
    store = make_orders_store(db, n_days=100)
    store.con.execute("UPDATE orders SET category = '=hats' WHERE category = 'hats'")  # a formula-like name
    store.close()
    out = tmp_path / "fc.csv"
    code = main(["forecast", "--db", str(db), "--metric", "revenue", "--by", "category", "--freq", "D",
                 "--horizon", "7", "--origins", "3", "--output", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert {"series", "mase", "baseline_mase", "coverage_80"} <= set(report["series"][0])
    assert [s["series"] for s in report["series"]] == [TOTAL, "shoes", "bags", "=hats"]
    csv = pd.read_csv(out)
    assert "'=hats" in set(csv["series"]) and "=hats" not in set(csv["series"])  # formula-safe CSV
    assert list(csv.columns) == ["series", "ts", "p10", "p50", "p90", "mean"] and len(csv) == 4 * 7
    assert csv["ts"].iloc[0] == str(START + timedelta(days=100))
    assert REGISTRY.has_model(Store.open(db))


def test_repeated_forecasts_of_one_request_keep_the_newest_three(tmp_path, seasonal_fit):
    from engine.forecast import KEEP_PER_REQUEST, register_forecast

    model, report = seasonal_fit
    store = Store.open(tmp_path / "prune.duckdb")
    other = register_forecast(store, model, {**report, "horizon": report["horizon"] + 1})
    mine = [register_forecast(store, model, report) for _ in range(5)]
    versions = REGISTRY.list(store)
    assert set(versions["version"]) == {other, *mine[-KEEP_PER_REQUEST:]}
    assert versions.set_index("version").loc[mine[-1], "active"]
    assert sorted(p.name for p in REGISTRY.family_dir(store).iterdir()) == sorted(versions["version"])


def test_the_same_data_always_has_the_same_fingerprint(tmp_path):
    # Enough lines for DuckDB to add them up in parallel: double sums would differ in their last bits between
    # reads, and a forecast just made would call itself "made on older data".
    store = Store.open(tmp_path / "big.duckdb")
    store.con.execute("""INSERT INTO orders (order_id, line_no, order_ts, product_id, country, quantity, unit_price,
                                             revenue, status, batch_id)
        SELECT 'O' || (i // 3), i % 3 + 1, TIMESTAMP '2024-01-01' + to_seconds(i * 37 % 15552000), 'P' || (i % 50),
               'C' || (i % 7), 1 + i % 3, 0.1 + (i % 97) / 7.0, (1 + i % 3) * (0.1 + (i % 97) / 7.0), 'completed', 'b'
        FROM range(600000) t(i)""")
    config = dict(metric="revenue", by="country", freq="D", horizon=7)
    assert len({build_series(store, ForecastConfig(**config)).data_hash() for _ in range(5)}) == 1
    store.close()
