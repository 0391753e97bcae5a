"""Helpers shared by test modules (pytest puts this folder on sys.path); fixtures live in conftest.py."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

DECISIVE = {0: "the strap broke", 1: "the strap is okay", 2: "the strap is perfect"}


def planted_reviews(n: int, seed: int, filler: list[str], n_filler: tuple[int, int]) -> tuple[list[str], list[int]]:
    """Filler sentences around one decisive clause; label = which clause (what a tiny model must learn)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % 3
        parts = rng.sample(filler, rng.randint(*n_filler))
        parts.insert(rng.randint(0, len(parts)), DECISIVE[y])
        texts.append(". ".join(parts) + ".")
        labels.append(y)
    return texts, labels


def serve_db(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    """Point the app at `path` with the demo switched off, as a merchant's own database."""
    monkeypatch.setenv("STORELENS_DB", str(path))
    monkeypatch.setenv("STORELENS_NO_DEMO", "1")
    return path


def no_exception(at: AppTest) -> None:
    """The page ran without an uncaught exception (the message lists them when it did not)."""
    assert not at.exception, [e.value for e in at.exception]


PAGE_TIMEOUT = 90  # seconds an AppTest run may take: generous, the machine is shared


def open_page(page: str, **state) -> AppTest:
    """The app run once (router, sidebar), then switched to `page` with `state` in the session, without exception."""
    from dashboard import APP_PATH

    at = AppTest.from_file(str(APP_PATH), default_timeout=PAGE_TIMEOUT).run()
    no_exception(at)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    no_exception(at)
    return at


def texts(elements) -> list[str]:
    """Element texts with the pages' Markdown escapes (services.plain) taken out."""
    return [str(e.value).replace("\\", "") for e in elements]


REVIEW_POOLS = {
    1: ["the zipper broke", "poor quality", "strap came loose", "returned it at once"],
    3: ["it is okay", "nothing special", "does the job", "average colour"],
    5: ["love it", "beautiful and well made", "great quality", "would buy again"],
}


def judgeme_reviews_csv(path: Path, n: int) -> None:
    """A Judge.me export of `n` seeded reviews whose words carry their rating, for the CLI's model commands."""
    rng = random.Random(1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "body", "rating", "review_date", "reviewer_name", "product_handle"])
        for i in range(n):
            rating = rng.choice([1, 2, 3, 4, 5, 5])
            pool = REVIEW_POOLS[1] if rating <= 2 else REVIEW_POOLS[3] if rating == 3 else REVIEW_POOLS[5]
            w.writerow(["", f"{rng.choice(pool).capitalize()}, {rng.choice(pool)} (#{i}).", rating,
                        f"2026-0{1 + i % 8}-{1 + i % 27:02d} 10:00:00 UTC", f"A{i}", "tote"])


def cli_json(capsys: pytest.CaptureFixture[str]) -> dict:
    """The one JSON object a `--json` command printed."""
    return json.loads(capsys.readouterr().out)


def q(store, sql: str, params=None) -> list[tuple]:
    """Rows of a query on a store's connection, as tuples."""
    return store.con.execute(sql, params or []).fetchall()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """A generated upload: `text` with its line ends as given, in `encoding`."""
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path
