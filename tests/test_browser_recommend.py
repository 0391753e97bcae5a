"""A real headless Chromium opens Recommendations, searches a customer and expands a recommendation to its
attribution chart and counterfactual (the planted pair: Linen Shirt 0 → Canvas Tote 0)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _recommend_data import PARTNER, PROBE, planted_store
from test_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, _free_port

from dashboard import APP_PATH

pytestmark = pytest.mark.browser

TINY = {"seed": 0, "use_text": False, "lambda_grid": [1.0], "recency_grid": [[None, 1.0, 0.0], [45.0, 0.5, 1.0]]}


@pytest.fixture()
def server(tmp_path):
    """`streamlit run dashboard/app.py` on a generated shop with a trained recommender."""
    from engine import recommend

    db = tmp_path / "shop.duckdb"
    store = planted_store(db)
    try:
        recommend.train(store, TINY)
    finally:
        store.close()
    port = _free_port()
    env = dict(os.environ, STORELENS_DB=str(db), STORELENS_NO_DEMO="1")
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
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


def test_customer_to_expanded_explanation_in_chromium(server, tmp_path):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # expect() has its own 5 s default; a shared machine needs longer
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(WAIT_MS)
            page.goto(server)
            page.locator('[data-testid="stSidebarNav"]').get_by_text("Recommendations", exact=True).click()
            # the first open loads torch and the model in the server: slow on a shared machine
            expect(page.get_by_text("How good are these recommendations?")).to_be_visible(timeout=120_000)

            picker = page.locator('[data-testid="stSelectbox"]', has_text="Customer").first
            picker.click()
            page.keyboard.type(PROBE)
            page.keyboard.press("Enter")
            expect(page.get_by_text("Open a recommendation.")).to_be_visible()

            item = page.locator('[data-testid="stExpander"]', has_text=f"({PARTNER})").first
            item.locator("summary").click()
            expect(item.get_by_text("without Linen Shirt 0", exact=False).first).to_be_visible()
            expect(item.get_by_text("bought Linen Shirt 0", exact=False).first).to_be_visible()
            expect(item.locator(".js-plotly-plot").first).to_be_visible()
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
