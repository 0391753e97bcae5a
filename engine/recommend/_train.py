"""Train-and-register and load-active for the recommend family (what the CLI and the app's job call)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models import Progress, Registry, no_progress

from ._model import FAMILY, RecommendModel

if TYPE_CHECKING:
    from engine.store import Store

REGISTRY = Registry(FAMILY, RecommendModel.load, train_hint="storelens recommend train")


def train(store: "Store", config: Any = None, progress: Progress = no_progress) -> RecommendModel:
    """Fit on the store's orders, evaluate on the time split, register the new version as the active one."""
    model = RecommendModel(config)
    report = model.fit(store, progress=progress)

    def save(folder: Path, version: str, _created: datetime) -> None:
        model.version = version
        model.save(folder)

    model.version, model.path = REGISTRY.register(store, save, report)
    return model


def load_active(store: "Store") -> RecommendModel:
    """The active recommender (ModelNotFoundError with the train command when there is none)."""
    return REGISTRY.load_active(store)
