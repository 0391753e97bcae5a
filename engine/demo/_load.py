"""The built-in demo store: sample exports imported through the real importer."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from engine.ingest import IngestReport, ingest
from engine.store import Store

SAMPLE_DIR = Path(__file__).resolve().parent.parent.parent / "sample_data"
# Products first, so orders and reviews get their categories as they arrive.
DEMO_FILES = ("shopify_products_export.csv", "shopify_orders_export.csv", "judgeme_reviews_export.csv")


def _sample_dir() -> Path:
    """sample_data/ of the checkout; an installed package regenerates the same files into a cache folder."""
    if all((SAMPLE_DIR / name).exists() for name in DEMO_FILES):
        return SAMPLE_DIR
    from ._writers import generate

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "storelens" / "sample_data"
    if not all((cache / name).exists() for name in DEMO_FILES):
        generate(cache)
    return cache


def load_demo(store: Store, progress: Callable[[float, str], None] | None = None) -> list[IngestReport]:
    """Import the sample Shopify products, orders and Judge.me reviews exports into `store`."""
    folder = _sample_dir()
    reports = []
    for i, name in enumerate(DEMO_FILES):
        def step(fraction: float, message: str, i: int = i) -> None:
            if progress:
                progress((i + fraction) / len(DEMO_FILES), f"{name}: {message}")

        reports.append(ingest(store, folder / name, progress=step))
    return reports
