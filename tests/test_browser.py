"""A real headless Chromium uploads the Shopify example through the file input and sees its revenue on Overview."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard import APP_PATH

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "formats" / "shopify_orders_export.csv"
CHROMIUM = os.environ.get("STORELENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 30_000


def expected_revenue(path: Path) -> float:
    """Sum of line revenues (quantity x price - line discount) of the orders that were not cancelled.

    Shopify leaves order-level cells (here `Cancelled at`) blank on an order's extra line items, so the
    cancellation is carried from the order's first row.
    """
    total, cancelled = 0.0, {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            order = row["Name"]
            if order not in cancelled:
                cancelled[order] = bool(row["Cancelled at"].strip())
            if not cancelled[order]:
                discount = float(row["Lineitem discount"] or 0)
                total += float(row["Lineitem quantity"]) * float(row["Lineitem price"]) - discount
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    """`streamlit run dashboard/app.py` on an empty database with the demo switched off."""
    port = _free_port()
    env = dict(os.environ, STORELENS_DB=str(tmp_path / "browser.duckdb"), STORELENS_NO_DEMO="1")
    log = (tmp_path / "streamlit.log").open("w")  # closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.maxUploadSize", "50"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("streamlit did not start: " + (tmp_path / "streamlit.log").read_text()[-2000:])
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_expected_revenue_of_the_fixture():
    # #1001: 2 x 19.00 + 1 x 20.00; #1002 was cancelled.
    assert expected_revenue(FIXTURE) == pytest.approx(58.0)


def test_upload_in_chromium_shows_revenue_on_overview(server, tmp_path):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # expect() has its own 5 s default; a shared machine needs longer
    revenue = f"{expected_revenue(FIXTURE):,.2f}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(WAIT_MS)
            page.goto(server)
            expect(page.get_by_text("No orders yet")).to_be_visible()

            page.locator('[data-testid="stSidebarNav"]').get_by_text("Upload", exact=True).click()
            page.locator('input[type="file"]').set_input_files(str(FIXTURE))
            expect(page.get_by_text("shopify_orders", exact=True)).to_be_visible()
            page.get_by_role("button", name="Import", exact=True).click()
            expect(page.get_by_text("3 rows loaded")).to_be_visible()

            page.locator('[data-testid="stSidebarNav"]').get_by_text("Overview", exact=True).click()
            metric = page.locator('[data-testid="stMetric"]', has_text="Revenue").first
            expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(revenue)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
