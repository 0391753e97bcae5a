"""The demo store: a seeded generator of a small fashion shop written as real platform exports (with three planted
stories for a merchant and the tests to find), and its import through the real importer."""

from ._load import DEMO_FILES, SAMPLE_DIR, load_demo
from ._vocabulary import (
    BIG_ORDERS_HEADER,
    HISTORY_END,
    HISTORY_START,
    ORDERS_FILE,
    ORDERS_HEADER,
    PRODUCTS_FILE,
    PRODUCTS_HEADER,
    REVIEWS_FILE,
    REVIEWS_HEADER,
    STORIES,
)
from ._writers import generate, write_big_orders

__all__ = [
    "generate",
    "write_big_orders",
    "load_demo",
    "SAMPLE_DIR",
    "DEMO_FILES",
    "STORIES",
    "HISTORY_START",
    "HISTORY_END",
    "ORDERS_FILE",
    "REVIEWS_FILE",
    "PRODUCTS_FILE",
    "ORDERS_HEADER",
    "REVIEWS_HEADER",
    "PRODUCTS_HEADER",
    "BIG_ORDERS_HEADER",
]
