"""A generated shop with planted co-purchase pairs (buyers of A_k later buy B_k), returns and a cold-start
customer: what the recommender tests, the page's AppTest and the browser test learn from."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from engine.store import Store

N_PAIRS = 4
FILLERS = [f"F{i}" for i in range(14)]
NAMES = {**{f"A{k}": f"Linen Shirt {k}" for k in range(N_PAIRS)},
         **{f"B{k}": f"Canvas Tote {k}" for k in range(N_PAIRS)},
         **{f: f"Filler Mug {f[1:]}" for f in FILLERS}}
START = datetime(2026, 1, 1)
# The probe customer bought A0 (and fillers) but not its partner B0.
PROBE, PROBE_HISTORY, PARTNER = "C-PROBE", "A0", "B0"
RETURNER, RETURNED = "C-RETURNS", "F3"
COLD = "C-COLD"
CANCELLED_ONLY = "C-CANCELLED"  # their one order was cancelled: known, but with nothing bought
FORMULA = "=HYPERLINK(1)"  # a customer id a spreadsheet would run: exports must neutralise it


def _category(pid: str) -> str:
    return "Mugs" if pid.startswith("F") else "Clothing" if pid.startswith("A") else "Bags"


def _price(pid: str) -> float:
    return 4.0 if pid.startswith("F") else 30.0 if pid.startswith("A") else 22.0


def planted_store(path: Path, n_customers: int = 90, seed: int = 0) -> Store:
    """Orders over 150 days: each customer buys A_k + fillers early and (mostly) B_k later, plus noise."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    n_order = [0]

    def order(cust: str, day: float, items: list[str], qty: float = 1.0, status: str = "completed") -> None:
        n_order[0] += 1
        oid = f"{'C' if qty < 0 else ''}{100000 + n_order[0]}"
        ts = START + timedelta(days=day, hours=rng.randint(8, 18))
        for line, pid in enumerate(items, start=1):
            rows.append((oid, line, ts, cust, pid, NAMES[pid], _category(pid), qty, _price(pid), qty * _price(pid),
                         "GBP", "UK", status, "gen"))

    for c in range(n_customers):
        cust, k = f"C{c:03d}", c % N_PAIRS
        first = rng.uniform(0, 110)
        order(cust, first, [f"A{k}", *rng.sample(FILLERS, 2)])
        if rng.random() < 0.9:
            order(cust, first + rng.uniform(3, 35), [f"B{k}", rng.choice(FILLERS)])
        if rng.random() < 0.5:
            order(cust, rng.uniform(0, 150), rng.sample(FILLERS, 2))
    order(PROBE, 20, [PROBE_HISTORY, "F1", "F2"])
    order(PROBE, 60, ["F5"])
    order(RETURNER, 30, ["A1", RETURNED])
    order(RETURNER, 33, [RETURNED], qty=-1.0, status="returned")
    order(COLD, 40, ["B2"])
    order(COLD, 42, ["B2"], qty=-1.0, status="cancelled")
    order(FORMULA, 50, ["A2", "F4"])
    order(CANCELLED_ONLY, 55, ["F6"], status="cancelled")
    store = Store.open(path)
    with store.transaction() as con:
        con.executemany("INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, product_name, category, quantity, unit_price, revenue, currency, country, status, batch_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return store
