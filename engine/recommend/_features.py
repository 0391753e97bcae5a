"""Item features the recommender and its explanations use: category, price band, the product name's MiniLM
embedding (the packaged model, loaded offline) and review sentiment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

N_BANDS = 5
BAND_NAMES = ("budget", "low", "mid", "upper", "premium")
SENTIMENT_PRIOR = 5.0  # reviews of shrinkage towards neutral, so 1 glowing review counts little


@dataclass
class ItemFeatures:
    """Index-aligned feature arrays for the catalogue's items."""

    category_codes: np.ndarray  # int, -1 = none
    categories: list[str]
    band: np.ndarray  # int 0..N_BANDS-1, -1 = unknown price
    band_edges: np.ndarray  # N_BANDS + 1 price edges
    text: np.ndarray  # (n, d) unit-norm name embeddings; d = 0 when disabled
    positive_share: np.ndarray  # NaN when unreviewed
    n_reviews: np.ndarray

    def sentiment_feature(self) -> np.ndarray:
        """Positive share minus one half, shrunk towards 0 for few reviews (0 when unreviewed)."""
        share = np.nan_to_num(self.positive_share, nan=0.5)
        return (share - 0.5) * self.n_reviews / (self.n_reviews + SENTIMENT_PRIOR)

    def one_hot(self, codes: np.ndarray, width: int) -> np.ndarray:
        """Rows of a one-hot matrix (all zeros for code -1)."""
        out = np.zeros((len(codes), width), dtype=np.float32)
        ok = codes >= 0
        out[np.flatnonzero(ok), codes[ok]] = 1.0
        return out


def price_bands(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quintile bands of the products' median prices; (band per item, edges)."""
    known = prices[np.isfinite(prices)]
    if known.size == 0:
        return np.full(len(prices), -1, dtype=np.int64), np.zeros(N_BANDS + 1)
    edges = np.quantile(known, np.linspace(0, 1, N_BANDS + 1))
    band = np.clip(np.searchsorted(edges[1:-1], prices, side="right"), 0, N_BANDS - 1).astype(np.int64)
    band[~np.isfinite(prices)] = -1
    return band, edges


def embed_names(names: list[str], batch_size: int = 128, device: str = "cpu") -> np.ndarray:
    """Unit-norm mean-pooled MiniLM embeddings of product names (sentence-transformers' recipe)."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from engine.models import packaged_base_model

    source = packaged_base_model()  # the packaged all-MiniLM-L6-v2 sentiment also starts from: offline
    hf_logging.disable_progress_bar()  # keep weight-loading bars off the CLI's stderr
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        encoder = AutoModel.from_pretrained(source, local_files_only=True).to(device).eval()
    finally:
        hf_logging.set_verbosity(level)
    order = np.argsort([len(n) for n in names], kind="stable")
    out = np.zeros((len(names), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(names), batch_size):
            idx = order[start:start + batch_size]
            enc = tokenizer([names[i] for i in idx], padding=True, truncation=True, max_length=32,
                            return_tensors="pt").to(device)
            hidden = encoder(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
    return out


def build_features(catalogue: "pd.DataFrame", sentiment: "pd.DataFrame", use_text: bool,
                   device: str = "cpu") -> ItemFeatures:
    """Features for the catalogue's rows in order (catalogue: product_id, product_name, category, price)."""
    import pandas as pd

    cats = catalogue["category"]
    categories = sorted(cats.dropna().astype(str).unique().tolist())
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.array([lookup.get(str(c), -1) if pd.notna(c) else -1 for c in cats], dtype=np.int64)
    band, edges = price_bands(catalogue["price"].to_numpy(dtype=float))
    names = [str(n) if pd.notna(n) else str(p)
             for n, p in zip(catalogue["product_name"], catalogue["product_id"])]
    text = embed_names(names, device=device) if use_text else np.zeros((len(names), 0), dtype=np.float32)
    s = sentiment.set_index("product_id") if len(sentiment) else None
    share = np.full(len(catalogue), np.nan)
    n_rev = np.zeros(len(catalogue))
    if s is not None:
        pid = catalogue["product_id"]
        share = pid.map(s["positive_share"]).to_numpy(dtype=float)
        n_rev = pid.map(s["n_reviews"]).fillna(0).to_numpy(dtype=float)
    return ItemFeatures(codes, categories, band, edges, text, share, n_rev)
