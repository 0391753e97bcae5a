"""The contract every model family implements, so the registry, the CLI, the jobs and the contract test treat
sentiment, segments, forecasts and recommendations alike."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from engine.store import Store

Progress = Callable[[float, str], None]


def no_progress(_: float, __: str) -> None:
    """Default progress sink."""


class ModelFamily(ABC):
    """One fitted model of a family.

    `fit` learns from the store and returns the report the registry records as the version's metrics; `predict`
    answers the family's question; `save(dir)` writes every artefact and `<family>.json` (via `write_meta`) last;
    `load(dir)` restores an identical model or raises `ModelLoadError`.
    """

    family: ClassVar[str]
    version: str | None = None
    path: Path | None = None

    @abstractmethod
    def fit(self, store: "Store", config: Any = None, progress: Progress = no_progress) -> dict[str, Any]:
        """Learn from the store's data; return the metrics to record (held-out figures beside their baselines)."""

    @abstractmethod
    def predict(self, inputs: Any) -> Any:
        """Answer the family's question for `inputs` (texts, customers, series requests, ...)."""

    @abstractmethod
    def save(self, path: str | Path) -> Path:
        """Write the artefacts into `path` and return it."""

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path) -> "ModelFamily":
        """Restore a saved model; missing or corrupt artefacts raise ModelLoadError."""

    @property
    @abstractmethod
    def metrics(self) -> dict[str, Any]:
        """The report of the fit that produced this model (restored by load)."""
