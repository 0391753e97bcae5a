"""Segments family: exact features on a hand-built store, seeded stability, a planted lapsing segment the churn
model must catch better than any single RFM signal, bounded calibration error, honest refusals, the contract."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _family_contract import FamilyContract
from _shops import insert_lines, line, shop, tiny_config, tiny_store

from engine.cli import main as cli
from engine.models import InsufficientDataError, ModelLoadError
from engine.segments import (
    CSV_COLUMNS,
    REGISTRY,
    SegmentConfig,
    SegmentsModel,
    availability,
    churn_labels,
    customer_features,
    customer_orders,
    previous_assignment,
    quintile_score,
    rfm_scores,
    segment_summary,
    write_segment_csv,
)
from engine.store import Store


def test_features_on_a_hand_built_store(tmp_path):
    store = tiny_store(tmp_path / "tiny.duckdb")
    cutoff = datetime(2024, 3, 1)
    f = customer_features(store, cutoff).set_index("customer_id")
    assert list(f.index) == ["A", "B"] and f.attrs["guest_orders"] == 1
    a, b = f.loc["A"], f.loc["B"]
    # A: purchases on Jan 1, 11, 31; a cancelled order on Feb 5; the order after the cut-off is not seen
    assert a["frequency"] == 3 and a["recency_days"] == pytest.approx(30) and a["tenure_days"] == pytest.approx(60)
    assert a["mean_gap_days"] == pytest.approx(15) and a["gap_trend"] == pytest.approx(10)  # gaps 10 then 20
    assert a["monetary"] == pytest.approx(43) and a["aov"] == pytest.approx(43 / 3)
    assert a["basket_units"] == pytest.approx(5 / 3) and a["orders_90d"] == 3
    assert a["n_orders_all"] == 4 and a["n_returned"] == 1 and a["return_share"] == pytest.approx(0.25)
    assert a["discount_share"] == pytest.approx(0.25) and a["distinct_products"] == 2
    assert a["overdue_ratio"] == pytest.approx(2.0)
    # B: two purchases, the second returned; only one gap, so no trend
    assert b["frequency"] == 2 and b["recency_days"] == pytest.approx(5) and b["tenure_days"] == pytest.approx(10)
    assert b["mean_gap_days"] == pytest.approx(5) and np.isnan(b["gap_trend"])
    assert b["monetary"] == pytest.approx(20) and b["return_share"] == pytest.approx(0.5)
    assert b["discount_share"] == 0 and b["overdue_ratio"] == pytest.approx(1.0)
    labels = churn_labels(store, cutoff, 30, pd.Series(["A", "B"]))
    assert labels.tolist() == [0, 1]
    assert customer_features(store, datetime(2024, 1, 5))["customer_id"].tolist() == ["A"]


def test_review_features_join_when_customers_wrote_reviews(tmp_path):
    store = tiny_store(tmp_path / "tiny.duckdb")
    with store.transaction() as con:
        con.execute("INSERT INTO reviews (review_id, review_ts, customer_id, rating, text, batch_id) VALUES "
                    "('r1', '2024-01-15', 'A', 4, 'nice', 'b'), ('r2', '2024-02-10', 'A', 2, 'meh', 'b'), "
                    "('r3', '2024-03-20', 'A', 1, 'later', 'b')")
        con.execute("INSERT INTO review_sentiment (review_id, label, p_negative, p_neutral, p_positive) VALUES "
                    "('r1', 'positive', 0.1, 0.1, 0.8), ('r2', 'negative', 0.7, 0.2, 0.1)")
    f = customer_features(store, datetime(2024, 3, 1)).set_index("customer_id")
    assert f.loc["A", "n_reviews"] == 2 and f.loc["A", "mean_rating"] == pytest.approx(3.0)
    assert f.loc["A", "mean_sentiment"] == pytest.approx(((0.8 - 0.1) + (0.1 - 0.7)) / 2)
    assert f.loc["B", "n_reviews"] == 0 and np.isnan(f.loc["B", "mean_rating"])


def test_rfm_quintiles_share_ties():
    assert quintile_score(np.array([1, 1, 1, 1, 2, 3, 4, 5, 6, 7])).tolist() == [2, 2, 2, 2, 3, 3, 4, 4, 5, 5]
    feats = pd.DataFrame({"customer_id": list("abcde"), "recency_days": [1, 5, 50, 200, 300],
                          "frequency": [9, 6, 1, 4, 1], "monetary": [900, 500, 300, 100, 10]})
    rfm = rfm_scores(feats).set_index("customer_id")
    assert rfm.loc["a", "rfm_segment"] == "Champions" and rfm.loc["e", "rfm_segment"] == "Hibernating"
    assert rfm.loc["d", "rfm_segment"] == "At risk"  # R 2, F 3: bought often, but long ago
    assert rfm.loc["c", ["r_score", "f_score"]].tolist() == [3, 2]


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict:
    store = shop(tmp_path_factory.mktemp("seg") / "shop.duckdb")
    model = SegmentsModel(tiny_config())
    report = model.fit(store)
    return {"store": store, "model": model, "report": report}


def test_churn_model_beats_every_single_signal_on_the_planted_lapsers(planted):
    churn = planted["report"]["churn"]
    assert churn["available"], churn.get("reason")
    singles = [churn["baselines"][k]["auc"] for k in ("recency_only", "frequency_only", "monetary_only")]
    assert churn["model"]["auc"] > max(singles) + 0.02, (churn["model"], churn["baselines"])
    assert churn["model"]["brier"] < churn["baselines"]["rfm_logistic"]["brier"]
    # the backtest is honest about time: every training and calibration outcome ends by the backtest cut-off
    test_cut = datetime.fromisoformat(churn["cutoffs"]["backtest"])
    for c in churn["cutoffs"]["train"] + [churn["cutoffs"]["calibration"]]:
        assert datetime.fromisoformat(c) + timedelta(days=60) <= test_cut


def test_calibration_error_is_bounded(planted):
    rel = planted["report"]["churn"]["reliability"]
    assert rel["ece"] < 0.1, rel
    assert sum(b["n"] for b in rel["bins"]) == planted["report"]["churn"]["n_backtest"]


def test_reasons_are_sentences_with_values_and_faithful(planted):
    model, report = planted["model"], planted["report"]
    faith = report["churn"]["faithfulness"]
    assert faith["faithful"] and faith["mean_change_top"] > faith["mean_change_random"]
    riskiest = model.customers.sort_values("churn_risk", ascending=False).iloc[0]
    why = json.loads(riskiest["reasons"])
    assert 1 <= len(why) <= 3 and all(r["sentence"] and r["attribution"] != 0 for r in why)
    assert any("days ago" in r["sentence"] or "order" in r["sentence"] for r in why)
    feats = customer_features(planted["store"], spec=model.spec)
    again = model.explain(feats[feats["customer_id"] == riskiest["customer_id"]])
    assert [r["feature"] for r in again[0]] == [r["feature"] for r in why]


def test_segments_have_names_sizes_and_k_in_range(planted):
    report = planted["report"]
    lo, hi = tiny_config().k_range
    assert report["segments_available"] and lo <= report["k"] <= hi
    names = [s["name"] for s in report["segments"]]
    assert len(set(names)) == len(names) and all(s["description"] for s in report["segments"])
    assert sum(s["size"] for s in report["segments"]) == report["n_customers"]


def test_a_version_written_by_another_release_loads_or_fails_clearly(planted, tmp_path):
    folder = planted["model"].save(tmp_path / "v")
    meta_file = folder / "segments.json"
    meta = json.loads(meta_file.read_text())
    meta["config"]["a_setting_from_a_later_release"] = 1  # unknown settings are ignored
    meta_file.write_text(json.dumps(meta))
    again = SegmentsModel.load(folder)
    pd.testing.assert_frame_equal(again.customers, planted["model"].customers)
    meta["config"] = "not a config"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="corrupt"):
        SegmentsModel.load(folder)


def test_segment_table_counts_and_changes(planted):
    model, store = planted["model"], planted["store"]
    prev = previous_assignment(store, model, days=60)
    table = segment_summary(model.customers, prev, [n for n, _ in model.segment_names]).set_index("segment")
    assert table["customers"].sum() == len(model.customers)
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    assert (table["change"] == table["customers"] - table["previous_customers"]).all()
    assert table["mean_churn_risk"].between(0, 1).all()


def test_segment_csv_has_the_contract_columns_and_is_formula_safe(planted, tmp_path):
    customers = planted["model"].customers.head(3).copy()
    customers.loc[customers.index[0], "customer_id"] = "=HYPERLINK(\"http://x\")"
    path = write_segment_csv(customers, tmp_path / "seg.csv")
    back = pd.read_csv(path, dtype={"customer_id": str})
    assert list(back.columns) == CSV_COLUMNS
    assert back["customer_id"].iloc[0] == "'=HYPERLINK(\"http://x\")"
    assert back["churn_risk"].between(0, 1).all() and back["frequency"].dtype.kind == "i"
    orders = customer_orders(planted["store"], customers["customer_id"].iloc[1])
    assert len(orders) == int(customers["frequency"].iloc[1]) and orders["ordered_at"].is_monotonic_decreasing


def test_store_without_customer_identity_is_unavailable(tmp_path):
    store = Store.open(tmp_path / "amazon.duckdb")
    insert_lines(store, [line(f"a{i}", 1, f"2024-01-{i + 1:02d}", None, "p1", 1, 5.0) for i in range(20)])
    assert not availability(store).ok
    with pytest.raises(InsufficientDataError, match="unavailable because none of the 20 orders"):
        SegmentsModel(tiny_config()).fit(store)


def test_small_shop_gets_rfm_and_a_plain_reason_and_stable_segments(tmp_path):
    store = shop(tmp_path / "small.duckdb", n_customers=40, days=200)
    model = SegmentsModel(tiny_config())
    report = model.fit(store)
    assert not report["churn"]["available"] and "needs at least 200 customers" in report["churn"]["reason"]
    assert report["rfm_segments"] and model.customers["churn_risk"].isna().all()
    assert model.customers["rfm_segment"].notna().all() and report["segments_available"]
    again = SegmentsModel(tiny_config())  # the same seed: the same segments, names and map
    assert again.fit(store)["segments"] == report["segments"]
    pd.testing.assert_frame_equal(again.customers, model.customers, check_exact=True)
    other = SegmentsModel(tiny_config(seed=1))
    other.fit(store)
    assert other.customers["rfm_segment"].equals(model.customers["rfm_segment"])


def test_segment_command_writes_the_contract_csv_and_json(planted, tmp_path, capsys):
    db = planted["store"].path
    planted["store"].close()
    out = tmp_path / "segments.csv"
    argv = ["segment", "--db", str(db), "--output", str(out), "--json", "--horizon", "60", "--seed", "0"]
    assert cli(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    table = pd.read_csv(out, dtype={"customer_id": str})
    assert list(table.columns[:6]) == ["customer_id", "segment", "churn_risk", "recency", "frequency", "monetary"]
    assert payload["n_customers"] == len(table) == table["customer_id"].nunique()
    assert {s["name"]: s["size"] for s in payload["segments"]} == table["segment"].value_counts().to_dict()
    assert table["churn_risk"].between(0, 1).all() and payload["churn"]["available"]
    assert REGISTRY.active_version(Store.open(db)) == payload["model_version"]


def test_segment_command_refuses_bad_input_with_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.duckdb"
    assert cli(["segment", "--db", str(empty), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no orders have been uploaded yet" in err
    store = Store.open(tmp_path / "amazon.duckdb")
    insert_lines(store, [line(f"a{i}", 1, f"2024-01-{i + 1:02d}", None, "p1", 1, 5.0) for i in range(5)])
    store.close()
    out = tmp_path / "never.csv"
    assert cli(["segment", "--db", str(tmp_path / "amazon.duckdb"), "--output", str(out)]) == 2
    assert "carries a customer identity" in capsys.readouterr().err and not out.exists()
    assert cli(["segment", "--db", str(empty), "--output", str(tmp_path / "nope" / "x.csv")]) == 2
    assert cli(["segment", "--db", str(empty), "--horizon", "0"]) == 2


class TestSegmentsContract(FamilyContract):
    registry = REGISTRY

    def make_store(self, path: Path) -> Store:
        return shop(path, n_customers=260, seed=1)

    def new_model(self) -> SegmentsModel:
        return SegmentsModel(tiny_config())

    def config(self) -> SegmentConfig:
        return tiny_config()

    def predict_input(self, store: Store) -> pd.DataFrame:
        model = self.registry.load_active(store)
        return customer_features(store, spec=model.spec)
