"""The built-in demo store: sample exports imported through the real importer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .ingest import IngestReport, ingest
from .store import Store

__all__ = ["SAMPLE_DIR", "DEMO_FILES", "load_demo"]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
# Products first, so orders and reviews get their categories as they arrive.
DEMO_FILES = ("shopify_products_export.csv", "shopify_orders_export.csv", "judgeme_reviews_export.csv")


def _sample_dir() -> Path:
    """sample_data/ of the checkout, generated on first use if an install left it out."""
    if all((SAMPLE_DIR / name).exists() for name in DEMO_FILES):
        return SAMPLE_DIR
    from .sampledata import generate

    generate(SAMPLE_DIR)
    return SAMPLE_DIR


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
