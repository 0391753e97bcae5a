"""What a forecast request is (metric, split, frequency, horizon, model knobs), validated once at the boundary so
every later step can trust it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ._baselines import BASELINES, DEFAULT_BASELINES

# metric -> source table; the CLI's `sentiment` is the mean sentiment score of reviews.
METRICS: dict[str, str] = {
    "revenue": "orders",
    "units": "orders",
    "orders": "orders",
    "negative_share": "reviews",
    "sentiment": "reviews",
}
# split columns per table (identifiers only ever come from here, never from user text).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "orders": ("category", "country", "product_id", "product_name", "currency", "status"),
    "reviews": ("category", "product_id", "product_name"),
}
FREQS: dict[str, str] = {"D": "day", "W": "week"}
SEASON: dict[str, int] = {"D": 7, "W": 52}
TOTAL = "total"
OTHER = "(other)"


@dataclass(frozen=True)
class ForecastConfig:
    """One forecast request plus the model's knobs; `validate()` raises ValueError with a plain sentence."""

    metric: str = "revenue"
    by: str = TOTAL
    freq: str = "D"
    horizon: int = 28
    top_n: int = 10
    origins: int = 3
    seed: int = 0
    window: int | None = None  # input length; None = 8 seasons daily (56), 26 weeks weekly
    hidden: int = 128
    layers: int = 3
    steps: int = 1200  # at most; small requests stop after max_epochs passes over their windows
    max_epochs: float = 60.0
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.1
    baselines: tuple[str, ...] = DEFAULT_BASELINES

    @property
    def table(self) -> str:
        """The table the metric is read from."""
        return METRICS[self.metric]

    @property
    def season(self) -> int:
        """Season length of the frequency (a week of days, a year of weeks)."""
        return SEASON[self.freq]

    @property
    def input_size(self) -> int:
        """Periods of history the network sees."""
        if self.window is not None:
            return int(self.window)
        return 56 if self.freq == "D" else 26

    def validate(self) -> ForecastConfig:
        """Reject what cannot be forecast, naming the allowed values."""
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric '{self.metric}'; choose one of: {', '.join(METRICS)}")
        if self.by != TOTAL and self.by not in DIMENSIONS[self.table]:
            raise ValueError(f"cannot split {self.metric} by '{self.by}'; choose one of: "
                             f"{', '.join((TOTAL, *DIMENSIONS[self.table]))}")
        if self.freq not in FREQS:
            raise ValueError(f"unknown frequency '{self.freq}'; choose one of: {', '.join(FREQS)}")
        if not isinstance(self.horizon, int) or self.horizon <= 0:
            raise ValueError(f"horizon must be a whole number above 0, not {self.horizon!r}")
        if self.top_n < 1:
            raise ValueError(f"top_n must be at least 1, not {self.top_n}")
        if self.origins < 1:
            raise ValueError(f"origins must be at least 1, not {self.origins}")
        unknown = set(self.baselines) - set(BASELINES)
        if unknown:
            raise ValueError(f"unknown baseline(s): {', '.join(sorted(unknown))}")
        if "seasonal_naive" not in self.baselines:
            raise ValueError("seasonal_naive is the reference baseline and cannot be left out")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, saved beside the weights."""
        d = asdict(self)
        d["baselines"] = list(self.baselines)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ForecastConfig:
        """Inverse of to_dict (unknown keys ignored, so older artefacts still load)."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "baselines" in known:
            known["baselines"] = tuple(known["baselines"])
        return cls(**known)
