"""Turning feature frames into model inputs: log for counts, days and money, store-median imputation,
standardisation; fitted once and stored so every cut-off is transformed the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._features import LOG_FEATURES

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Preprocessor:
    """Column order, medians (raw scale, for imputation and explanations), means and scales (model scale)."""

    columns: list[str]
    medians: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, frame: "pd.DataFrame", columns: list[str]) -> "Preprocessor":
        """Learn imputation and scaling from `frame`."""
        raw = frame[columns].to_numpy(dtype=float)
        med = np.array([np.nanmedian(c) if np.isfinite(c).any() else 0.0 for c in raw.T])
        prep = cls(list(columns), med, np.zeros(len(columns)), np.ones(len(columns)))
        z = prep._logged(prep.impute(raw))
        prep.mean = z.mean(axis=0)
        prep.scale = np.where(z.std(axis=0) > 1e-9, z.std(axis=0), 1.0)
        return prep

    def impute(self, raw: np.ndarray) -> np.ndarray:
        """Missing values (no gap for one-order customers, no rating) become the store median."""
        return np.where(np.isfinite(raw), raw, self.medians)

    def _logged(self, raw: np.ndarray) -> np.ndarray:
        out = raw.copy()
        for j, c in enumerate(self.columns):
            if c in LOG_FEATURES:
                out[:, j] = np.log1p(np.maximum(out[:, j], 0.0))
            elif c == "gap_trend":
                out[:, j] = np.sign(out[:, j]) * np.log1p(np.abs(out[:, j]))
        return out

    def transform_raw(self, raw: np.ndarray) -> np.ndarray:
        """Raw (already imputed or not) values → standardised model inputs."""
        return ((self._logged(self.impute(np.asarray(raw, dtype=float))) - self.mean) / self.scale).astype(np.float32)

    def transform(self, frame: "pd.DataFrame") -> np.ndarray:
        """Feature frame → standardised float32 matrix."""
        return self.transform_raw(frame[self.columns].to_numpy(dtype=float))

    def to_dict(self) -> dict:
        """JSON form."""
        return {"columns": self.columns, "medians": self.medians.tolist(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessor":
        """Inverse of to_dict."""
        return cls(list(d["columns"]), np.array(d["medians"], dtype=float), np.array(d["mean"], dtype=float),
                   np.array(d["scale"], dtype=float))
