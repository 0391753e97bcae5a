"""In a real headless Chromium: `storelens serve` on a network address shows only the login form until the password
is given, and no page makes a request to any host but the server (no font CDN, no telemetry)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from _browser import chromium_page, free_port, own_address, require_chromium, wait_until_up

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
    wait_until_up(url, proc, tmp_path / "serve.log", 60, "serve")
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_login_first_then_every_page_without_a_request_elsewhere(server, tmp_path):
    from playwright.sync_api import expect

    own = urlparse(server).netloc
    requests: list[str] = []
    with chromium_page(tmp_path) as page:
        page.on("request", lambda r: requests.append(r.url))
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
    elsewhere = sorted({u for u in requests if urlparse(u).scheme not in ("data", "blob")
                        and urlparse(u).netloc != own})
    assert not elsewhere, elsewhere
    assert requests, "no requests recorded"
