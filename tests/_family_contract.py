"""The shared contract test every model family passes (as implicit's RecommenderBaseTestMixin): subclass
`FamilyContract` in a `Test<Family>Contract` class and fill in the four hooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.models import ModelFamily, ModelLoadError, Registry, sha256_file
from engine.store import Store


class FamilyContract:
    """fit on tiny generated data → deterministic predict → save/load identical → registry round trip → a
    truncated artefact raises the family's clear error."""

    registry: Registry

    # ---- hooks a family fills in

    def make_store(self, path: Path) -> Store:
        """A store holding tiny generated data the family can learn from."""
        raise NotImplementedError

    def new_model(self) -> ModelFamily:
        """An unfitted model with a fixed seed and a tiny configuration."""
        raise NotImplementedError

    def config(self) -> Any:
        """The configuration passed to fit (None for the family's default)."""
        return None

    def predict_input(self, store: Store) -> Any:
        """What predict is asked in the checks."""
        raise NotImplementedError

    # ---- helpers

    def same(self, a: Any, b: Any) -> None:
        """Predictions are identical (arrays, frames, lists and dicts of them)."""
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
        elif isinstance(a, dict):
            assert a.keys() == b.keys()
            for k in a:
                self.same(a[k], b[k])
        elif isinstance(a, (list, tuple)) and a and not np.isscalar(a[0]):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                self.same(x, y)
        else:
            np.testing.assert_allclose(np.asarray(a, dtype=float) if _numeric(a) else 0,
                                       np.asarray(b, dtype=float) if _numeric(b) else 0, rtol=1e-5, atol=1e-6)
            if not _numeric(a):
                assert list(a) == list(b)

    def fit_register(self, store: Store) -> ModelFamily:
        """Fit a new model and register it as the active version."""
        model = self.new_model()
        report = model.fit(store, self.config())

        def save(folder: Path, version: str, _created: object) -> None:
            model.version = version
            model.save(folder)

        model.version, model.path = self.registry.register(store, save, report)
        return model

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, tmp_path_factory) -> dict[str, Any]:
        self = cls()
        store = self.make_store(tmp_path_factory.mktemp(self.registry.family) / "contract.duckdb")
        first = self.fit_register(store)
        second = self.fit_register(store)
        return {"store": store, "first": first, "second": second}

    # ---- the checks

    def test_fit_reports_metrics(self, fitted):
        assert isinstance(fitted["first"].metrics, dict) and fitted["first"].metrics

    def test_predict_is_deterministic_for_a_seed(self, fitted):
        store = fitted["store"]
        x = self.predict_input(store)
        self.same(fitted["first"].predict(x), fitted["second"].predict(x))

    def test_save_load_gives_identical_predictions(self, fitted, tmp_path):
        model = fitted["second"]
        x = self.predict_input(fitted["store"])
        folder = model.save(tmp_path / "copy")
        again = type(model).load(folder)
        self.same(model.predict(x), again.predict(x))
        assert again.metrics == json.loads(json.dumps(model.metrics, default=str))  # what was recorded

    def test_registry_round_trip(self, fitted):
        store, reg = fitted["store"], self.registry
        first, second = fitted["first"].version, fitted["second"].version
        assert reg.has_model(store)
        assert reg.active_version(store) == second
        assert reg.rollback(store) == first
        assert reg.load_active(store).version == first
        reg.activate(store, second)
        assert reg.load_active(store).version == second
        listed = reg.list(store).set_index("version")
        assert listed.loc[second, "active"] and not listed.loc[first, "active"]
        assert listed["available"].all()

    def test_truncated_artefact_gives_the_clear_error(self, fitted, tmp_path):
        model = fitted["first"]
        folder = model.save(tmp_path / "broken")
        biggest = max((p for p in folder.rglob("*") if p.is_file() and p.name != f"{self.registry.family}.json"),
                      key=lambda p: p.stat().st_size)
        data = biggest.read_bytes()
        biggest.write_bytes(data[: len(data) // 2])
        with pytest.raises(ModelLoadError, match="corrupt"):
            type(model).load(folder)
        biggest.unlink()
        with pytest.raises(ModelLoadError, match="missing"):
            type(model).load(folder)

    def test_every_artefact_written_corrupt_gives_the_clear_error(self, fitted, tmp_path):
        """A file written corrupt carries a checksum of its bad bytes, so only reading it can tell: every artefact
        must still fail as ModelLoadError (what makes the registry fall back), never as a raw unpickler or zip
        error that breaks a page."""
        model = fitted["first"]
        meta_name = f"{self.registry.family}.json"
        names = [p.relative_to(model.save(tmp_path / "names")).as_posix()
                 for p in (tmp_path / "names").rglob("*") if p.is_file() and p.name != meta_name]
        for i, name in enumerate(names):
            folder = model.save(tmp_path / f"corrupt{i}")
            (folder / name).write_bytes(b"\x80\x02not a pickle, zip, parquet or json file")
            meta = json.loads((folder / meta_name).read_text(encoding="utf-8"))
            if name in meta.get("files", {}):
                meta["files"][name] = sha256_file(folder / name)
                (folder / meta_name).write_text(json.dumps(meta), encoding="utf-8")
            with pytest.raises(ModelLoadError):
                type(model).load(folder)


def _numeric(x: Any) -> bool:
    """Whether x converts to a float array."""
    try:
        np.asarray(x, dtype=float)
        return True
    except (TypeError, ValueError):
        return False
