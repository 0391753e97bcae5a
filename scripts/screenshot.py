"""Screenshots of the app's pages in headless Chromium: the README's picture (docs/screenshot.png, the Overview) and
one picture per page and screen size under docs/screenshots/, to check by eye that nothing is clipped.

    python scripts/screenshot.py                          # README picture: Overview of the demo store
    python scripts/screenshot.py --all                    # every page at 1280x800 and 1920x1080 too
    python scripts/screenshot.py --all --train 150        # ... with the models trained first (150 s sentiment)
    python scripts/screenshot.py --db storelens.duckdb --page data --out /tmp/data.png

A new database is filled with the demo store through the real importer; `--train` trains a sentiment model on
it, finds the drivers the Drivers page opens on, trains the recommender and the customer segments (so every page
has something to show; Forecasts computes its own when opened). Starts `streamlit run dashboard/app.py` on a free port, waits
until each page has drawn, saves the pictures and stops the server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import APP_PATH

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# URL path of each page (st.navigation names them after their files).
PAGES = {"overview": "", "forecasts": "forecasts", "sentiment": "sentiment", "explain": "explain",
         "drivers": "drivers", "segments": "segments", "recommendations": "recommendations", "training": "training",
         "versions": "versions",
         "upload": "upload", "data": "data"}
SIZES = ((1280, 800), (1920, 1080))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("streamlit exited before it served the app")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("streamlit did not start in time")


def _prepare(db: Path, train: float | None) -> None:
    """The demo store in a new database, and a sentiment model trained on it when asked."""
    from engine.demo import load_demo
    from engine.store import Store

    store = Store.open(db)
    try:
        if store.is_empty():
            print("loading the demo store…", file=sys.stderr)
            load_demo(store)
        if train:
            _train(store, train)
    finally:
        store.close()


def _train(store, seconds: float) -> None:
    """A sentiment model (and the drivers the Drivers page opens on: the latest alert's category and week) and a
    recommender, so every page has something to show."""
    from engine import explain, recommend, segments, sentiment
    from engine.analytics import Filters
    from engine.sentiment import trends
    from engine.store import period_bounds

    if not sentiment.has_model(store):
        print(f"training a sentiment model ({seconds:.0f} s)…", file=sys.stderr)
        sentiment.train(store, time_budget=float(seconds), activate=True)
        sentiment.score(store)
    alerts = trends.shift_history(store, Filters(), "W")
    if len(alerts):
        latest = alerts.sort_values("period").iloc[-1]
        start, end = period_bounds(latest["period"], "W")
        print(f"finding the drivers of {latest['category']} in the week of {start}…", file=sys.stderr)
        explain.drivers_for(store, sentiment.load_active(store), latest["category"], start, end, 100)
    if not recommend.REGISTRY.has_model(store):
        print("training the recommender…", file=sys.stderr)
        recommend.train(store)
    if not segments.REGISTRY.has_model(store):
        print("learning customer segments…", file=sys.stderr)
        segments.train(store)


def _shoot(page, url: str, name: str, out: Path, full_page: bool) -> None:
    """Open one page, wait until it has drawn (no 'Running' indicator, charts painted), save the picture."""
    page.goto(f"{url}/{PAGES[name]}")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for()
    if name == "overview":
        page.locator('[data-testid="stMetricValue"]').first.wait_for()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=300_000)
    page.wait_for_timeout(2000)  # let plotly finish its transitions
    out.parent.mkdir(parents=True, exist_ok=True)
    if full_page:  # the app scrolls inside its main block, so the window grows to the page's full height instead
        size = page.viewport_size
        tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(tall))})
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out))
        page.set_viewport_size(size)
    else:
        page.screenshot(path=str(out))
    print(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="database to show (default: a new one holding the demo store)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"), help="the README picture (or --page's)")
    ap.add_argument("--page", default="overview", choices=list(PAGES))
    ap.add_argument("--all", action="store_true", help="also every page at 1280x800 and 1920x1080 (full height) "
                                                       "into docs/screenshots/")
    ap.add_argument("--train", type=float, metavar="SECONDS",
                    help="train a sentiment model for this long first (Explain and Drivers need one)")
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--chromium", default=os.environ.get("STORELENS_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="storelens-shot-"))
    db = Path(args.db).resolve() if args.db else workdir / "demo.duckdb"
    _prepare(db, args.train)
    env = dict(os.environ, STORELENS_DB=str(db))
    env.pop("STORELENS_NO_DEMO", None)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(workdir / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--theme.base", "light", "--client.toolbarMode", "viewer"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
        )
        try:
            _wait_healthy(url, proc)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
                page.set_default_timeout(300_000)
                _shoot(page, url, args.page, Path(args.out), full_page=False)
                page.close()
                if args.all:
                    for width, height in SIZES:
                        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
                        page.set_default_timeout(300_000)
                        for name in PAGES:
                            _shoot(page, url, name, ROOT / "docs" / "screenshots" / f"{name}_{width}x{height}.png",
                                   full_page=True)
                        page.close()
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
