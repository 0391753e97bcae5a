"""A segments version whose artefact cannot be read falls back like every model family: it is marked broken, the
previous version answers and becomes the active one, and the Segments page says so in one sentence instead of
failing; with no readable version left the page says why and still offers to learn again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _helpers import no_exception, open_page, serve_db, texts
from _shops import trained_shop

from engine.models import sha256_file
from engine.segments import REGISTRY
from engine.store import Store

PAGE = "views/customers/segments.py"


@pytest.fixture
def two_versions(tmp_path) -> tuple[Path, str, str]:
    """A shop with two segments versions, the newer one active (registered from the older one's files)."""
    db = tmp_path / "shop.duckdb"
    trained_shop(db)
    store = Store.open(db)
    try:
        first = REGISTRY.active_version(store)
        older = REGISTRY.family_dir(store) / first
        second, _ = REGISTRY.register(store, lambda folder, _v, _c: shutil.copytree(older, folder),
                                      REGISTRY.metrics(store, first))
    finally:
        store.close()
    return db, first, second


def corrupt(db: Path, version: str, name: str = "autoencoder.pt", keep_checksum: bool = True) -> None:
    """Overwrite one artefact of a version with bytes no reader accepts. With `keep_checksum` the recorded sha256
    is of the new bytes (a file written corrupt: the checksum cannot tell), so only unpickling finds it."""
    folder = db.with_suffix(".models") / "segments" / version
    (folder / name).write_bytes(b"\x80\x02not a pickle or a zip archive")
    if keep_checksum:
        meta = json.loads((folder / "segments.json").read_text(encoding="utf-8"))
        meta["files"][name] = sha256_file(folder / name)
        (folder / "segments.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("name,keep_checksum,says", [
    ("autoencoder.pt", True, "file autoencoder.pt is unreadable (UnpicklingError"),
    ("churn.pt", True, "file churn.pt is unreadable"),
    ("customers.parquet", True, "file customers.parquet is unreadable"),
    ("clusters.npz", False, "file clusters.npz fails its checksum"),
])
def test_a_corrupt_newest_version_is_marked_broken_and_the_previous_answers(two_versions, name, keep_checksum, says):
    db, first, second = two_versions
    corrupt(db, second, name, keep_checksum)
    store = Store.open(db)
    try:
        for _ in range(2):  # told every time, not only by the load that found it
            model = REGISTRY.load_active(store)
            assert model.version == first and model.fallback_from == second
            assert len(model.customers) and model.segment_names
        assert REGISTRY.active_version(store) == first
        versions = REGISTRY.list(store).set_index("version")
        assert says in versions.loc[second, "broken_reason"] and not versions.loc[second, "active"]
        assert versions.loc[first, "broken_reason"] is None
        assert REGISTRY.fallback_notice(store)["fell_back_from"] == second
    finally:
        store.close()


def test_the_segments_page_falls_back_with_one_sentence(two_versions, monkeypatch):
    db, first, second = two_versions
    corrupt(db, second)
    serve_db(monkeypatch, db)
    at = open_page(PAGE)
    no_exception(at)
    assert not at.error
    assert texts(at.warning)[0] == (
        f"Segments version {second} is broken (missing or corrupt files), so the previous good version {first} is "
        "shown and is now the active one; learn segments again, or delete the broken version on the Models > "
        "Versions page.")
    assert int(at.metric[0].value) > 0 and len(at.dataframe(key="segments_table").value) > 0


def test_with_no_readable_version_the_page_says_why_and_offers_to_learn_again(two_versions, monkeypatch):
    db, first, second = two_versions
    corrupt(db, first)
    corrupt(db, second, "churn.pt")
    serve_db(monkeypatch, db)
    at = open_page(PAGE)
    no_exception(at)
    [error] = texts(at.error)
    assert error.startswith("The segments model could not be loaded: no usable segments model") and first in error
    assert at.button(key="FormSubmitter:segments_form-Learn segments")
