"""The demo store generator: real export headers, sizes, determinism and the planted stories."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.demo import (
    BIG_ORDERS_HEADER,
    ORDERS_HEADER,
    PRODUCTS_HEADER,
    REVIEWS_HEADER,
    STORIES,
    generate,
    write_big_orders,
)

REPO = Path(__file__).resolve().parents[1]
FORMATS = REPO.parent / "shared" / "formats"
_SECOND_RUN = ("import sys; from pathlib import Path; from engine.demo import generate; "
               "generate(Path(sys.argv[1]))")


@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """Two independent runs with the same seed; the second in a subprocess (other hash seed), concurrently."""
    first, second = tmp_path_factory.mktemp("demo"), tmp_path_factory.mktemp("again")
    proc = subprocess.Popen([sys.executable, "-c", _SECOND_RUN, str(second)], cwd=REPO)
    try:
        paths = generate(first)
        assert proc.wait(timeout=300) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    return paths, [second / p.name for p in paths]


@pytest.fixture(scope="module")
def demo(demo_pair: tuple[list[Path], list[Path]]) -> list[Path]:
    return demo_pair[0]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def data(demo: list[Path]) -> dict[str, list[dict[str, str]]]:
    orders, reviews, products = demo
    return {"orders": _rows(orders), "reviews": _rows(reviews), "products": _rows(products)}


def test_writes_three_named_files(demo: list[Path]) -> None:
    assert [p.name for p in demo] == [
        "shopify_orders_export.csv", "judgeme_reviews_export.csv", "shopify_products_export.csv"]
    assert all(p.stat().st_size > 0 for p in demo)


def test_same_seed_gives_identical_bytes(demo_pair: tuple[list[Path], list[Path]]) -> None:
    for a, b in zip(*demo_pair):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_headers_match_platform_exports(demo: list[Path]) -> None:
    orders, reviews, products = demo
    assert _header(orders) == list(ORDERS_HEADER)
    assert _header(reviews) == list(REVIEWS_HEADER)
    assert _header(products)[: len(PRODUCTS_HEADER)] == list(PRODUCTS_HEADER)
    for name, ours in (("shopify_orders_export.csv", orders), ("judgeme_reviews_export.csv", reviews)):
        example = FORMATS / name
        if example.exists():  # the shared examples sit beside the repository, not inside a fresh clone
            assert _header(ours) == _header(example)


def test_crlf_line_endings_and_multiline_notes(demo: list[Path]) -> None:
    raw = demo[0].read_bytes()
    assert raw.startswith(b"Name,Email,")
    assert raw.count(b"\r\n") > 30_000
    assert re.search(rb'"[^"\r\n]+\n[^"\r\n]+"', raw)  # quoted multi-line Notes keep a bare LF


def test_rough_sizes(data: dict[str, list[dict[str, str]]]) -> None:
    orders, reviews, products = data["orders"], data["reviews"], data["products"]
    assert 36_000 <= len(orders) <= 44_000
    assert 7_200 <= len(reviews) <= 8_800
    assert 180 <= len(products) <= 220
    assert len({p["Type"] for p in products}) == 8
    firsts = [r for r in orders if r["Financial Status"]]
    customers = {r["Email"] or r["Phone"] for r in firsts} - {""}
    assert 4_500 <= len(customers) <= 5_500
    guests = sum(1 for r in firsts if not r["Email"] and not r["Phone"])
    assert 0.01 < guests / len(firsts) < 0.06
    ratings = [int(r["rating"]) for r in reviews]
    assert set(ratings) <= {1, 2, 3, 4, 5}
    assert 0.62 <= sum(r >= 4 for r in ratings) / len(ratings) <= 0.80


def test_order_rows_follow_shopify_layout(data: dict[str, list[dict[str, str]]]) -> None:
    orders = data["orders"]
    seen: set[str] = set()
    for row in orders:
        if row["Name"] in seen:  # extra line items leave order-level columns blank
            assert row["Financial Status"] == row["Total"] == row["Email"] == row["Id"] == ""
            assert row["Created at"] and row["Lineitem sku"]
        else:
            seen.add(row["Name"])
            assert row["Financial Status"] in {"paid", "refunded", "partially_refunded", "pending", "voided"}
            assert row["Currency"] == "EUR" and row["Id"].isdigit()
        assert row["Created at"][-5:] in {"+0100", "+0200"}
    names = [int(r["Name"][1:]) for r in orders if r["Financial Status"]]
    assert names == sorted(names) and names[0] == 1001
    stamps = [r["Created at"] for r in orders]
    assert min(stamps) >= "2024-11-01" and max(stamps) < "2026-11-01"
    winter = [s for s in stamps if s.startswith("2026-01-15")]
    summer = [s for s in stamps if s.startswith("2026-07-15")]
    assert winter and all(s.endswith("+0100") for s in winter)
    assert summer and all(s.endswith("+0200") for s in summer)
    skus = {p["Variant SKU"] for p in data["products"]}
    assert {r["Lineitem sku"] for r in orders} <= skus


def test_reviewers_bought_the_product_before_reviewing(data: dict[str, list[dict[str, str]]]) -> None:
    handle_sku = {p["Handle"]: p["Variant SKU"] for p in data["products"]}
    first_buy: dict[tuple[str, str], datetime] = {}
    email = ""
    for row in data["orders"]:
        if row["Financial Status"]:
            email = row["Email"]
        if email:
            ts = datetime.fromisoformat(row["Created at"].replace(" +", "+"))
            key = (email, row["Lineitem sku"])
            first_buy[key] = min(first_buy.get(key, ts), ts)
    for r in data["reviews"]:
        key = (r["reviewer_email"], handle_sku[r["product_handle"]])
        assert key in first_buy
        assert r["review_date"].endswith(" UTC") and r["product_id"].isdigit()
        reviewed = datetime.fromisoformat(r["review_date"].replace(" UTC", "+00:00"))
        assert reviewed > first_buy[key]


def test_quality_problem_is_visible_in_reviews(data: dict[str, list[dict[str, str]]]) -> None:
    story = STORIES["quality_problem"]
    category = {p["Handle"]: p["Type"] for p in data["products"]}
    start, end = date.fromisoformat(str(story["start"])), date(2026, 7, 5)
    inside, outside = [], []
    for r in data["reviews"]:
        if category[r["product_handle"]] != story["category"]:
            continue
        day = date.fromisoformat(r["review_date"][:10])
        (inside if start <= day <= end else outside).append(int(r["rating"]))
    share_in = sum(x <= 2 for x in inside) / len(inside)
    share_out = sum(x <= 2 for x in outside) / len(outside)
    assert len(inside) >= 40
    assert share_in > 0.45 and share_in > 3 * share_out
    defect_words = ("zipper", "strap", "stitching")
    bad_bag_texts = [r["body"].lower() for r in data["reviews"]
                     if category[r["product_handle"]] == story["category"]
                     and start <= date.fromisoformat(r["review_date"][:10]) <= end and int(r["rating"]) <= 2]
    assert sum(any(w in t for w in defect_words) for t in bad_bag_texts) > len(bad_bag_texts) / 2


def test_takeoff_and_churn_stories(data: dict[str, list[dict[str, str]]]) -> None:
    sku = STORIES["takeoff_product"]["sku"]
    before = sum(1 for r in data["orders"] if r["Lineitem sku"] == sku and "2025-03" <= r["Created at"] < "2025-09")
    after = sum(1 for r in data["orders"] if r["Lineitem sku"] == sku and "2026-03" <= r["Created at"] < "2026-09")
    assert after > 3 * before > 0
    churn = STORIES["churned_segment"]
    cutoff = str(churn["cutoff"])
    per_customer: dict[str, list[str]] = {}
    for r in data["orders"]:
        if r["Financial Status"] and r["Billing Country"] == churn["country"] and (r["Email"] or r["Phone"]):
            per_customer.setdefault(r["Email"] or r["Phone"], []).append(r["Created at"])
    loyal = [ts for ts in per_customer.values() if sum(t < cutoff for t in ts) >= int(churn["min_orders_before"])]
    assert len(loyal) >= 50
    assert all(t < cutoff for ts in loyal for t in ts)
    assert any(t >= cutoff for ts in per_customer.values() for t in ts)  # other AT customers keep buying


def test_reviews_exercise_escaping_and_languages(data: dict[str, list[dict[str, str]]]) -> None:
    bodies = [r["body"] for r in data["reviews"]]
    assert any("<script>" in b for b in bodies)
    assert any("&amp;" in b for b in bodies)
    assert any("<b>" in b for b in bodies)
    assert any("Reißverschluss" in b or "Qualität" in b for b in bodies)
    assert len(set(bodies)) > 0.6 * len(bodies)


def test_write_big_orders_line_count(tmp_path: Path) -> None:
    path = write_big_orders(tmp_path / "big.csv", 2_500)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == BIG_ORDERS_HEADER
    assert len(rows) == 2_501
    cancelled = [r for r in rows[1:] if r[0].startswith("C")]
    assert all(int(r[3]) < 0 for r in cancelled)
    assert all(int(r[3]) > 0 for r in rows[1:] if not r[0].startswith("C"))
    assert 0.1 < sum(1 for r in rows[1:] if r[6] == "") / 2_500 < 0.4
    assert write_big_orders(tmp_path / "again.csv", 2_500).read_bytes() == path.read_bytes()
