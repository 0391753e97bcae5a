"""Screenshot of the app's Overview page for the README (docs/screenshot.png), taken in headless Chromium.

    python scripts/screenshot.py                    # a fresh database: the app loads the demo store itself
    python scripts/screenshot.py --db storelens.duckdb --page data --out /tmp/data.png

Starts `streamlit run dashboard/app.py` on a free port, waits until the page has drawn its charts, saves the
picture and stops the server.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="database to show (default: a new one, which the app fills with the demo store)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--page", default="overview", choices=["overview", "upload", "data"])
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--chromium", default=os.environ.get("STORELENS_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args(argv)

    from playwright.sync_api import expect, sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="storelens-shot-"))
    db = Path(args.db).resolve() if args.db else workdir / "demo.duckdb"
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
                page = browser.new_page(viewport={"width": args.width, "height": args.height},
                                        device_scale_factor=1)
                page.set_default_timeout(300_000)  # the first open of an empty database imports the demo
                page.goto(url if args.page == "overview" else f"{url}/{args.page}")
                if args.page == "overview":
                    expect(page.locator('[data-testid="stMetricValue"]').first).to_be_visible(timeout=300_000)
                    page.locator(".js-plotly-plot").nth(1).wait_for()
                else:
                    page.locator('[data-testid="stMainBlockContainer"] h1').wait_for()
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)  # let plotly finish its transitions
                out = Path(args.out)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    shutil.rmtree(workdir, ignore_errors=True)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
