"""In a real headless Chromium: `storelens serve` on a network address shows only the login form until the password
is given, and no page makes a request to any host but the server (no font CDN, no telemetry)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from _browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    free_port,
    own_address,
    require_chromium,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "formats"
PASSWORD = "correct horse battery"
PAGES = ("Overview", "Sentiment", "Explain", "Drivers", "Training", "Upload", "Data")


@pytest.fixture()
def server(tmp_path):
    """`storelens serve` on this machine's network address (else 0.0.0.0, visited on 127.0.0.1), with a password."""
    require_chromium()
    db = tmp_path / "browser.duckdb"
    from engine.ingest import ingest
    from engine.store import Store

    store = Store.open(db)
    for name in ("shopify_orders_export.csv", "judgeme_reviews_export.csv"):
        ingest(store, FIXTURES / name)
    store.close()
    port, host = free_port(), own_address() or "127.0.0.1"
    bind = host if host != "127.0.0.1" else "0.0.0.0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORELENS_")}
    env.update(STORELENS_NO_DEMO="1", STORELENS_PASSWORD=PASSWORD, PYTHONPATH=str(REPO))
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", str(db), "--port", str(port),
                             "--address", bind], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("serve did not start: " + (tmp_path / "serve.log").read_text()[-2000:])
        time.sleep(0.3)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_login_first_then_every_page_without_a_request_elsewhere(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    own = urlparse(server).netloc
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        try:
            page.set_default_timeout(WAIT_MS)
            expect.set_options(timeout=WAIT_MS)
            page.goto(server)
            assert urlparse(page.url).path == "/login"  # the login form comes before any page
            expect(page.get_by_label("Password")).to_be_visible()
            assert "Overview" not in page.content() and "stApp" not in page.content()
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_text("Wrong password.")).to_be_visible()
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Overview")).to_be_visible()
            nav = page.locator('[data-testid="stSidebarNav"]')
            for name in PAGES[1:]:
                nav.get_by_role("link", name=name, exact=True).click()
                expect(page.get_by_role("heading", name=name if name != "Training" else "Sentiment model")
                       .first).to_be_visible()
                page.wait_for_timeout(500)
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_text("You are logged out")).to_be_visible()
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    elsewhere = sorted({u for u in requests if urlparse(u).scheme not in ("data", "blob")
                        and urlparse(u).netloc != own})
    assert not elsewhere, elsewhere
    assert requests, "no requests recorded"
