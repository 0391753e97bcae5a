"""Train-and-register, load-active and the all-customers export of the recommend family (what the CLI and the
app call)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models import Progress, Registry, no_progress

from ._model import FAMILY, RecommendModel

if TYPE_CHECKING:
    import pandas as pd

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


def top_k_all(model: RecommendModel, k: int, mode: str = "discovery", progress: Progress = no_progress,
              chunk: int = 512) -> "pd.DataFrame":
    """Top-k for every customer the model knows (customer_id, rank, product_id, score, product_name, cold_start)."""
    import pandas as pd

    customers = model.customer_ids
    parts = []
    for start in range(0, len(customers), chunk):
        progress(start / max(len(customers), 1), f"scoring customers {start + 1}-{min(start + chunk, len(customers))}")
        parts.append(model.recommend(customers[start:start + chunk], k, mode))
    progress(1.0, "done")
    return pd.concat(parts, ignore_index=True)
