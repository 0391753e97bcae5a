"""Recommender: planted co-purchase pairs are learnt and explained, counterfactuals move the rank, returns and
cold start are handled, unknown ids fail clearly, and the family passes the shared contract."""

from __future__ import annotations

import csv
import json
import time

import pytest
from _family_contract import FamilyContract
from _recommend_data import (
    CANCELLED_ONLY,
    COLD,
    FORMULA,
    PARTNER,
    PROBE,
    PROBE_HISTORY,
    RETURNED,
    RETURNER,
    planted_store,
)

from engine.cli import main as cli
from engine.models import InsufficientDataError
from engine.recommend import (
    REGISTRY,
    RecommendModel,
    UnknownCustomerError,
    UnknownProductError,
    also_bought,
    explain,
    recommended_to,
)
from engine.store import Store

TINY = {"seed": 0, "use_text": False, "lambda_grid": [1.0], "recency_grid": [[None, 1.0, 0.0], [45.0, 0.5, 0.0]]}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    store = planted_store(tmp_path_factory.mktemp("rec") / "shop.duckdb")
    model = RecommendModel(dict(TINY, use_text=True))  # one fit with the packaged MiniLM name embeddings
    model.fit(store)
    return store, model


def test_planted_partner_ranks_high_and_the_explanation_names_its_pair(fitted):
    _, model = fitted
    top = model.recommend([PROBE], k=3)
    assert PARTNER in top["product_id"].tolist()
    assert PROBE_HISTORY not in top["product_id"].tolist()  # discovery leaves out what they bought
    why = explain(model, PROBE, PARTNER)
    assert why["mode"] == "discovery" and why["rank"] == top["product_id"].tolist().index(PARTNER) + 1
    assert why["score"] == pytest.approx(float(top.set_index("product_id").loc[PARTNER, "score"]), rel=1e-4)
    first = next(r for r in why["reasons"] if r["feature"] == "past_purchase")
    assert first["product_id"] == PROBE_HISTORY
    assert "Linen Shirt 0" in why["sentences"][0]
    assert {"feature", "value", "attribution"} <= set(why["reasons"][0])
    assert why["convergence_delta"] < 1e-3


def test_counterfactual_lowers_the_rank(fitted):
    _, model = fitted
    cf = explain(model, PROBE, PARTNER)["counterfactual"]
    assert cf["removed_product_id"] == PROBE_HISTORY
    assert cf["rank_after"] > cf["rank_before"]
    assert cf["smallest_set"] and cf["smallest_set"]["rank_after"] > 10
    assert "#" in cf["sentence"]


def test_also_bought_and_recommended_to(fitted):
    _, model = fitted
    also = also_bought(model, PROBE_HISTORY)
    assert also.iloc[0]["product_id"] == PARTNER and also.iloc[0]["customers"] > 5
    who = recommended_to(model, PARTNER, k=5)
    assert PROBE in who["customer_id"].tolist() and (who["rank"] >= 1).all()


def test_returns_cold_start_and_modes(fitted):
    _, model = fitted
    returner = model.customer_index(RETURNER)
    assert model.product_index(RETURNED) not in set(model.purchased(returner).tolist())
    cold = model.recommend([COLD], k=4)
    assert cold["cold_start"].all() and cold.iloc[0]["product_id"].startswith("B")  # popular in their first category
    cancelled = model.recommend([CANCELLED_ONLY], k=3)
    assert cancelled["cold_start"].all() and cancelled.iloc[0]["product_id"].startswith("F")
    again = model.recommend([PROBE], k=30, mode="replenishment")
    assert PROBE_HISTORY in again["product_id"].tolist()  # repeats allowed
    repeat = explain(model, PROBE, PROBE_HISTORY)  # bought before: explained in replenishment mode
    assert repeat["mode"] == "replenishment"
    assert repeat["rank"] == again["product_id"].tolist().index(PROBE_HISTORY) + 1
    with pytest.raises(ValueError, match="mode"):
        model.recommend([PROBE], mode="sometimes")


def test_evaluation_reports_model_beside_baselines(fitted):
    _, model = fitted
    m = model.metrics
    assert set(m["modes"]["discovery"]) >= {"model", "popularity", "item_knn"}
    assert "previously_bought_popularity" in m["modes"]["replenishment"]
    assert "item-kNN" in m["verdict"] and m["baseline_ndcg_at_10"] >= 0
    assert 0 <= m["ndcg_at_10"] <= 1


def test_unknown_ids_fail_clearly(fitted):
    _, model = fitted
    with pytest.raises(UnknownCustomerError, match="unknown customer 'nobody'"):
        explain(model, "nobody", PARTNER)
    with pytest.raises(UnknownProductError, match="unknown product 'NOPE'"):
        explain(model, PROBE, "NOPE")
    with pytest.raises(UnknownCustomerError):
        model.predict(["nobody"])


def test_explanation_is_fast(fitted):
    _, model = fitted
    started = time.perf_counter()
    explain(model, PROBE, PARTNER)
    assert time.perf_counter() - started < 1.0


def test_too_little_data_is_a_plain_error(tmp_path):
    store = Store.open(tmp_path / "empty.duckdb")
    with pytest.raises(InsufficientDataError, match="too few purchases"):
        RecommendModel(TINY).fit(store)


def test_cli_train_export_explain(tmp_path, capsys):
    db = str(tmp_path / "shop.duckdb")
    planted_store(db).close()
    assert cli(["recommend", "export", "--db", db, "--k", "3", "--output", str(tmp_path / "x.csv")]) == 2
    assert "storelens recommend train" in capsys.readouterr().err
    assert cli(["recommend", "train", "--db", db, "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert {"model_version", "ndcg_at_10", "baseline_ndcg_at_10"} <= set(trained)
    out = tmp_path / "top.csv"
    assert cli(["recommend", "export", "--db", db, "--k", "3", "--exclude-purchased", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["customer_id", "rank", "product_id", "score"]
    assert {r["customer_id"] for r in rows} >= {PROBE, "'" + FORMULA}  # formula-safe
    probe = [r for r in rows if r["customer_id"] == PROBE]
    assert [r["rank"] for r in probe] == ["1", "2", "3"] and PROBE_HISTORY not in {r["product_id"] for r in probe}
    capsys.readouterr()
    assert cli(["explain", "recommendation", "--db", db, "--customer", PROBE, "--product", PARTNER, "--json"]) == 0
    why = json.loads(capsys.readouterr().out)
    assert {"customer_id", "product_id", "rank", "score", "reasons", "counterfactual"} <= set(why)
    assert why["reasons"][0]["value"].startswith("Linen Shirt 0")
    assert cli(["explain", "recommendation", "--db", db, "--customer", "nobody", "--product", PARTNER]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown customer 'nobody'" in err and len(err.splitlines()) == 1
    assert cli(["explain", "recommendation", "--db", db, "--customer", PROBE, "--product", "NOPE"]) == 2
    assert "unknown product 'NOPE'" in capsys.readouterr().err


class TestRecommendContract(FamilyContract):
    registry = REGISTRY

    def make_store(self, path):
        return planted_store(path, n_customers=60, seed=1)

    def new_model(self):
        return RecommendModel(TINY)

    def config(self):
        return TINY

    def predict_input(self, store):
        return {"customers": [PROBE, "C001", COLD], "k": 5}
