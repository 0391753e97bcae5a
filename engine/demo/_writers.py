"""The simulated shop written as real platform exports (Shopify orders and products, Judge.me reviews), and the big
retail-format transaction log the import benchmark reads."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ._simulation import (
    _TARGET_CUSTOMERS,
    _black_friday,
    _calendar,
    _customers,
    _fill_lines,
    _fmt_local,
    _money,
    _order_rows,
    _order_skeleton,
    _OrderMoney,
    _Product,
    _products,
    _reviews,
    _settle,
)
from ._vocabulary import (
    _SPECS,
    _STYLES,
    HISTORY_END,
    HISTORY_START,
    ORDERS_FILE,
    ORDERS_HEADER,
    PRODUCTS_FILE,
    PRODUCTS_HEADER,
    REVIEWS_FILE,
    REVIEWS_HEADER,
)

# ----------------------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------------------


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def _product_rows(products: list[_Product]) -> list[list[str]]:
    rows = []
    for p in products:
        spec = _SPECS[p.category]
        body = (f"<p>The {p.title} in {', '.join(c.lower() for c in p.colours)}: a {_STYLES[p.style]} "
                f"{p.noun} from {p.vendor}, designed to last.</p>"
                f"<ul><li>Colours: {', '.join(p.colours)}</li><li>Free returns within 30 days</li></ul>")
        status = "archived" if p.end_month < (HISTORY_END.year - HISTORY_START.year) * 12 + HISTORY_END.month \
            - HISTORY_START.month else "active"
        price = p.price + (5.0 if p.price_up else 0.0)
        compare = _money(round(price * 1.3) - 0.1) if p.on_sale_now and status == "active" else ""
        rows.append([p.handle, p.title, body, p.vendor, spec.taxonomy, p.category, p.tags,
                     "true" if status == "active" else "false", "Title", "Default Title", p.sku, str(p.grams),
                     str(p.inventory if status == "active" else 0), _money(price), compare, "true", "true",
                     f"https://cdn.shopify.com/s/files/1/0612/3456/7890/products/{p.handle}.jpg", status])
    return rows


def generate(out_dir: Path, seed: int = 7) -> list[Path]:
    """Write the demo store (orders, reviews, products exports) so a fresh install has realistic data."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pyr = random.Random(seed * 7919 + 17)
    cal = _calendar(rng)
    products = _products(rng)
    cust = _customers(rng, _TARGET_CUSTOMERS)
    orders = _order_skeleton(rng, cal, cust)
    _fill_lines(rng, pyr, cal, cust, products, orders)
    orders = [o for o in orders if o.lines]
    end_local = datetime(2026, 10, 31, 23, 59, 59)
    bf_days = {_black_friday(y) + timedelta(days=k) for y in (2024, 2025, 2026) for k in range(-2, 4)}
    order_rows: list[list[str]] = []
    money: list[_OrderMoney] = []
    oid = 6_012_345_000_000
    for i, o in enumerate(orders):
        o.created, o.utc = _fmt_local(o.local)
        oid += pyr.randint(40_000, 4_000_000)
        m = _settle(pyr, o, cust, products, end_local, bf_days)
        money.append(m)
        order_rows.extend(_order_rows(pyr, o, f"#{1001 + i}", oid, m, cust, products))
    review_rows = _reviews(rng, pyr, orders, cust, products, money)
    paths = [out_dir / ORDERS_FILE, out_dir / REVIEWS_FILE, out_dir / PRODUCTS_FILE]
    _write_csv(paths[0], ORDERS_HEADER, order_rows)
    _write_csv(paths[1], REVIEWS_HEADER, review_rows)
    _write_csv(paths[2], PRODUCTS_HEADER, _product_rows(products))
    return paths


# ----------------------------------------------------------------------------------------------------------
# Big transaction log for benchmarks
# ----------------------------------------------------------------------------------------------------------

_BIG_WORDS_A = ("WHITE", "RED", "PINK", "BLUE", "GREEN", "VINTAGE", "RETRO", "SET OF 3", "SET OF 6", "JUMBO",
                "MINI", "REGENCY", "HEART", "STAR", "FLORAL", "POLKADOT", "WOODEN", "GLASS", "ENAMEL", "PAPER")
_BIG_WORDS_B = ("HANGING", "DOORSTOP", "CAKE", "TEA", "CHRISTMAS", "GARDEN", "KITCHEN", "PARTY", "LUNCH",
                "BIRTHDAY", "CERAMIC", "METAL", "LACE", "SPOTTY", "STRIPE", "CHALKBOARD", "PICNIC")
_BIG_WORDS_C = ("T-LIGHT HOLDER", "LANTERN", "MUG", "BAG", "BOX", "CUSHION COVER", "TIN", "CANDLE", "FRAME",
                "BUNTING", "SIGN", "NAPKINS", "CUPS", "PLATE", "JAR", "CLOCK", "BOTTLE", "DOORMAT", "PURSE",
                "NOTEBOOK")
_BIG_COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium",
                  "Switzerland", "Portugal", "Australia", "Norway", "Italy")
_BIG_COUNTRY_P = (0.89, 0.025, 0.022, 0.018, 0.008, 0.008, 0.006, 0.005, 0.004, 0.004, 0.005, 0.005)


def write_big_orders(path: Path, n_lines: int, seed: int = 7) -> Path:
    """Write n_lines data rows (plus a header) of a retail transaction log, fast, for import benchmarks."""
    import duckdb
    import pandas as pd

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = int(n_lines)
    # catalogue
    n_items = 3800
    codes = np.char.add(rng.choice(np.arange(20000, 90000), size=n_items, replace=False).astype(str),
                        np.where(rng.random(n_items) < 0.25, rng.choice(list("ABCDEFGLMNPRSW"), size=n_items), ""))
    desc = [f"{_BIG_WORDS_A[a]} {_BIG_WORDS_B[b]} {_BIG_WORDS_C[c]}" for a, b, c in zip(
        rng.integers(0, len(_BIG_WORDS_A), n_items), rng.integers(0, len(_BIG_WORDS_B), n_items),
        rng.integers(0, len(_BIG_WORDS_C), n_items))]
    desc = [d + (", ASSORTED" if k % 37 == 0 else "") for k, d in enumerate(desc)]
    price = np.round(np.exp(rng.normal(np.log(2.5), 0.8, n_items)), 2).clip(0.19, 295.0)
    pop = rng.zipf(1.6, n_items).astype(float).clip(1, 5000)
    item_cdf = np.cumsum(pop) / pop.sum()
    # invoices
    n_inv_max = n // 5 + 10
    lens = rng.geometric(1 / 18.0, size=n_inv_max)
    cum = np.cumsum(lens)
    k = int(np.searchsorted(cum, n)) + 1
    lens = lens[:k].copy()
    lens[-1] -= int(cum[k - 1]) - n
    cancel = rng.random(k) < 0.02
    inv_no = (536365 + np.arange(k)).astype(str)
    inv_no = np.where(cancel, np.char.add("C", inv_no), inv_no)
    # invoices arrive during opening hours (08:00-20:00) on Sunday to Friday, about 100 a day
    business = np.cumsum(rng.exponential(7.0, size=k)).astype(np.int64) + 26
    day_k = business // 720 + 2  # business day number; day 2 is Wednesday 2010-12-01
    cal_day = (day_k // 6) * 7 + np.array([0, 1, 2, 3, 4, 6])[day_k % 6]
    minutes = cal_day * 1440 + 480 + business % 720  # minutes since Monday 2010-11-29 00:00
    cust_ids = np.where(rng.random(k) < 0.25, -1, rng.integers(12346, 18288, size=k))
    country = rng.choice(len(_BIG_COUNTRIES), size=k, p=np.array(_BIG_COUNTRY_P) / sum(_BIG_COUNTRY_P))
    inv = np.repeat(np.arange(k), lens)
    item = np.minimum(np.searchsorted(item_cdf, rng.random(n)), n_items - 1)
    qty = rng.choice(np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 48]), size=n,
                     p=[0.30, 0.16, 0.08, 0.08, 0.10, 0.04, 0.06, 0.12, 0.04, 0.02])
    qty = np.where(cancel[inv], -qty, qty)
    df = pd.DataFrame({
        "rn": np.arange(n, dtype=np.int64), "inv": inv_no[inv], "item": item.astype(np.int32),
        "qty": qty.astype(np.int32),
        "minute": minutes[inv], "price": price[item], "cust": cust_ids[inv].astype(np.int32),
        "country": country[inv].astype(np.int8),
    })
    cat = pd.DataFrame({"item": np.arange(n_items, dtype=np.int32), "code": codes, "descr": desc})
    ctry = pd.DataFrame({"country": np.arange(len(_BIG_COUNTRIES), dtype=np.int8),
                         "cname": list(_BIG_COUNTRIES)})
    con = duckdb.connect()
    try:
        con.execute("SET threads=2")
        con.execute("SET preserve_insertion_order=true")
        con.register("lines", df)
        con.register("cat", cat)
        con.register("ctry", ctry)
        target = str(path).replace("'", "''")
        con.execute(f"""
            COPY (
              SELECT l.inv AS InvoiceNo, c.code AS StockCode, c.descr AS Description, l.qty AS Quantity,
                     strftime(TIMESTAMP '2010-11-29 00:00:00' + to_minutes(l.minute), '%Y-%m-%d %H:%M:%S')
                       AS InvoiceDate,
                     l.price AS UnitPrice,
                     CASE WHEN l.cust < 0 THEN NULL ELSE l.cust END AS CustomerID,
                     k.cname AS Country
              FROM lines l
              JOIN cat c USING (item)
              JOIN ctry k USING (country)
              ORDER BY l.rn
            ) TO '{target}' (HEADER, DELIMITER ',')
        """)
    finally:
        con.close()
    return path
