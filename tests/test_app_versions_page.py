"""The Models > Versions page (streamlit.testing AppTest) on a real database with two real segments versions: what
each measured, rolling back to the older one, deleting the newer one and its files; families without versions say
where versions come from."""

from __future__ import annotations

from _helpers import no_exception, open_page, serve_db, texts
from _shops import tiny_config, trained_shop

from engine.segments import REGISTRY, train
from engine.store import Store

PAGE = "views/models/versions.py"


def test_versions_roll_back_and_delete(tmp_path, monkeypatch):
    path = serve_db(monkeypatch, tmp_path / "shop.duckdb")
    trained_shop(path, n_customers=200)
    store = Store.open(path)
    train(store, tiny_config(seed=1))  # a second version, now the active one
    older, newer = REGISTRY.list(store)["version"].tolist()[::-1]
    store.close()

    at = open_page(PAGE)
    assert texts(at.title) == ["Model versions"]
    assert texts(at.subheader) == ["Customer segments and churn risk", "Recommendations", "Forecasts"]
    table = next(d.value for d in at.dataframe if "what it measured" in d.value.columns)
    assert table["version"].tolist() == [newer, older]
    assert all("segments of 200 customers" in s for s in table["what it measured"])
    empty = texts(at.info)
    assert any("No versions yet: Customers > Recommendations" in t for t in empty)
    assert any("No versions yet: Sales > Forecasts" in t for t in empty)

    at.selectbox(key="versions_pick_segments").select(older).run()
    assert at.button(key="versions_activate_segments").label == "Roll back to it"
    at.button(key="versions_activate_segments").click().run()
    no_exception(at)
    assert any(f"Version {older} is the active one now" in t for t in texts(at.success))
    store = Store.open(path)
    assert REGISTRY.active_version(store) == older
    folder = REGISTRY.family_dir(store) / newer
    store.close()
    assert folder.is_dir()

    at.selectbox(key="versions_pick_segments").select(newer).run()
    at.button(key="versions_delete_segments").click().run()
    no_exception(at)
    assert any(f"Version {newer} was deleted" in t and "MB freed" in t for t in texts(at.success))
    store = Store.open(path)
    assert REGISTRY.list(store)["version"].tolist() == [older] and REGISTRY.active_version(store) == older
    store.close()
    assert not folder.exists()


def test_a_single_version_is_the_active_one_with_nothing_to_switch_to(tmp_path, monkeypatch):
    path = serve_db(monkeypatch, tmp_path / "one.duckdb")
    trained_shop(path, n_customers=200)
    at = open_page(PAGE)
    assert at.button(key="versions_activate_segments").disabled  # the only version is the active one
    store = Store.open(path)
    only = REGISTRY.active_version(store)
    store.close()
    assert at.selectbox(key="versions_pick_segments").value == only
