"""The login gate under attack (issue 29): X-Forwarded-For is believed only from a named proxy, wrong passwords slow
one address down (doubling, capped) and everyone only a little, so many addresses cannot lock the owner out; a tab
whose login ended can log in again without a script error; and nothing but the health probe answers without login.

The live tests run `storelens serve` with a password on 127.0.0.1 and reach it from other loopback source addresses
(127.0.0.x) to play several clients; all traffic stays on this machine.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, free_port, require_chromium
from test_trust_serve import PASSWORD, _cli, _env, _start

from dashboard.gate import AttemptLimiter, client_address, configured_proxies

WRONG = urllib.parse.urlencode({"password": "not the password"}).encode()
RIGHT = urllib.parse.urlencode({"password": PASSWORD}).encode()


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _http(port: int, path: str, method: str = "GET", body: bytes | None = None, source: str = "127.0.0.1",
          forwarded: str | None = None, cookie: str | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to the server on 127.0.0.1:port from the loopback address `source`; redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    if cookie is not None:
        headers["Cookie"] = cookie
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def _login(port: int, body: bytes, source: str = "127.0.0.1", forwarded: str | None = None) -> int:
    return _http(port, "/login", "POST", body, source, forwarded)[0]


def _in_parallel(calls: list) -> list:
    """Run the calls at once (wrong passwords each take the gate's one-second delay) and return their results."""
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """`storelens serve` on 127.0.0.1 with a password and no trusted proxy; yields the port."""
    tmp = tmp_path_factory.mktemp("plain")
    port = free_port()
    proc = _start(tmp, ["--port", str(port)], _env(tmp, STORELENS_PASSWORD=PASSWORD), f"127.0.0.1:{port}")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """The same, told that a reverse proxy on 127.0.0.1 is in front of it."""
    tmp = tmp_path_factory.mktemp("proxied")
    port = free_port()
    env = _env(tmp, STORELENS_PASSWORD=PASSWORD, STORELENS_TRUSTED_PROXY="127.0.0.1, ::1")
    proc = _start(tmp, ["--port", str(port)], env, f"127.0.0.1:{port}")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


# ------------------------------------------------------------------------ item 6: X-Forwarded-For, unit level


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy_and_only_its_own_entry(monkeypatch):
    def scope(peer: str, *forwarded: str) -> dict:
        return {"client": (peer, 5000), "headers": [(b"x-forwarded-for", f.encode()) for f in forwarded]}

    assert client_address(scope("127.0.0.1", "203.0.113.7")) == "127.0.0.1"  # no proxy named: the peer, always
    monkeypatch.setenv("STORELENS_TRUSTED_PROXY", "10.0.0.2, 10.1.0.0/16")
    proxies = configured_proxies()
    assert client_address(scope("127.0.0.1", "203.0.113.7"), proxies) == "127.0.0.1"  # not the proxy: ignored
    assert client_address(scope("10.0.0.2", "203.0.113.7"), proxies) == "203.0.113.7"
    # what the client wrote itself sits left of what the proxy appended: never believed
    assert client_address(scope("10.0.0.2", "198.51.100.1, 203.0.113.7"), proxies) == "203.0.113.7"
    assert client_address(scope("10.0.0.2", "198.51.100.1", "203.0.113.7, 10.1.4.4"), proxies) == "203.0.113.7"
    assert client_address(scope("10.0.0.2", "[2001:db8::5]:443"), proxies) == "2001:db8::5"
    assert client_address(scope("10.0.0.2"), proxies) == "10.0.0.2"  # no header: the proxy's own address
    assert client_address(scope("10.0.0.2", "198.51.100.1, nonsense"), proxies) == "10.0.0.2"
    monkeypatch.setenv("STORELENS_TRUSTED_PROXY", "10.0.0.2, my-proxy")
    with pytest.raises(ValueError, match="my-proxy"):
        configured_proxies()


def test_a_trusted_proxy_that_is_not_an_address_is_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "never.duckdb"
    r = _cli(["serve", "--db", str(db), "--port", str(free_port())],
             _env(tmp_path, STORELENS_PASSWORD=PASSWORD, STORELENS_TRUSTED_PROXY="proxy.local"))
    assert r.returncode == 2 and "STORELENS_TRUSTED_PROXY" in r.stderr and "proxy.local" in r.stderr
    assert not db.exists()


# ------------------------------------------------------------------------ item 7: backoff and slowdown, unit level


def test_one_address_waits_doubling_up_to_a_cap_and_a_right_password_clears_it():
    clock = _Clock()
    limiter = AttemptLimiter(free_tries=5, first_wait=30, max_wait=900, forget_after=3600, clock=clock)
    for _ in range(5):
        assert limiter.retry_after("192.0.2.1") == 0
        limiter.failed("192.0.2.1")
    waits = []
    for _ in range(8):  # it waits out each wait, then guesses wrong again
        waits.append(limiter.retry_after("192.0.2.1"))
        clock.now += waits[-1]
        assert limiter.retry_after("192.0.2.1") == 0
        limiter.failed("192.0.2.1")
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert limiter.retry_after("192.0.2.2") == 0  # nobody else waits for it
    limiter.succeeded("192.0.2.1")
    assert limiter.retry_after("192.0.2.1") == 0
    for _ in range(6):
        limiter.failed("192.0.2.3")
    clock.now += 3600
    assert limiter.retry_after("192.0.2.3") == 0  # an hour without a wrong try: forgotten


def test_ipv6_clients_count_per_64():
    limiter = AttemptLimiter(free_tries=2, clock=_Clock())
    limiter.failed("2001:db8:1:2::1")
    limiter.failed("2001:db8:1:2:ffff::9")  # another address of the same /64
    assert limiter.retry_after("2001:db8:1:2::77") > 0 and limiter.retry_after("2001:db8:1:3::1") == 0


def test_a_thousand_failing_addresses_slow_everyone_a_little_and_refuse_nobody():
    clock = _Clock()
    limiter = AttemptLimiter(busy_failures=20, busy_window=60, slowdown=2.0, clock=clock)
    assert limiter.slowdown() == 0
    for i in range(1000):
        for _ in range(5):
            limiter.failed(f"10.{i // 250}.{i % 250}.1")
        clock.now += 0.01
    assert limiter.retry_after("192.0.2.200") == 0  # the owner from an address of their own: never refused
    assert limiter.slowdown() == 2.0  # only slowed, by a bounded delay
    clock.now += 61
    assert limiter.slowdown() == 0  # the flood stopped a minute ago


# ------------------------------------------------------------------------ live server


def test_x_forwarded_for_from_loopback_does_not_escape_the_limit(plain):
    # the tester's bypass: every wrong try from 127.0.0.1 claimed another address
    statuses = _in_parallel([lambda i=i: _login(plain, WRONG, forwarded=f"203.0.113.{i}") for i in range(5)])
    assert statuses == [401] * 5
    status, headers, body = _http(plain, "/login", "POST", RIGHT, forwarded="203.0.113.99")
    assert status == 429 and 25 <= int(headers["retry-after"]) <= 31 and b"try again in about" in body
    assert _login(plain, WRONG, source="127.0.0.2", forwarded="203.0.113.1") == 401  # another peer: its own count


def test_a_trusted_proxy_s_forwarded_address_is_what_counts(proxied):
    statuses = _in_parallel([lambda i=i: _login(proxied, WRONG, forwarded=f"198.51.100.{i}, 203.0.113.7")
                             for i in range(5)])
    assert statuses == [401] * 5
    assert _login(proxied, RIGHT, forwarded="198.51.100.77, 203.0.113.7") == 429  # the client's own part is ignored
    assert _login(proxied, RIGHT, forwarded="203.0.113.8") == 303  # another client behind the proxy gets in
    # a peer that is not the proxy cannot claim addresses either
    statuses = _in_parallel([lambda i=i: _login(proxied, WRONG, source="127.0.0.5", forwarded=f"203.0.113.{50 + i}")
                             for i in range(5)])
    assert statuses == [401] * 5
    assert _login(proxied, RIGHT, source="127.0.0.5", forwarded="203.0.113.60") == 429


def test_the_owner_logs_in_within_seconds_while_ten_addresses_guess(plain):
    attackers = [f"127.0.0.{10 + i}" for i in range(10)]
    stop = threading.Event()
    seen: list[tuple[str, int]] = []

    def guess(source: str) -> None:
        while not stop.is_set():
            seen.append((source, _login(plain, WRONG, source=source)))

    threads = [threading.Thread(target=guess, args=(a,)) for a in attackers for _ in range(5)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while Counter(s for _, s in seen)[401] < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Counter(s for _, s in seen)[401] == 50  # 5 wrong tries per address, then each address waits
        start = time.monotonic()
        status, headers, _ = _http(plain, "/login", "POST", RIGHT, source="127.0.0.40")
        took = time.monotonic() - start
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert status == 303 and took < 8, (status, took)  # slowed by the flood, not refused
    cookie = headers["set-cookie"].split(";")[0]
    assert _http(plain, "/", source="127.0.0.40", cookie=cookie)[0] == 200
    by_address = Counter(a for a, s in seen if s == 401)
    assert by_address == {a: 5 for a in attackers}
    assert {a for a, s in seen if s == 429} == set(attackers) and {s for _, s in seen} == {401, 429}


def test_only_the_health_probe_and_streamlit_s_own_files_answer_without_login(plain):
    from streamlit import file_util

    status, _, body = _http(plain, "/_stcore/health")
    assert status == 200 and body == b"ok"
    status, headers, body = _http(plain, "/healthz")
    assert status == 303 and headers["location"] == "/login" and b"<html" not in body.lower()
    assert _http(plain, "/healthz", "POST", b"")[0] == 401
    bundle = next((Path(file_util.get_static_dir()) / "static" / "js").glob("*.js"))
    status, _, body = _http(plain, f"/static/js/{bundle.name}")
    assert status == 200 and body == bundle.read_bytes()  # the same for every installation: no shop data
    for path in ("/static/js/../../index.html", "/static/js/missing.js", "/index.html", "/manifest.json"):
        assert _http(plain, path)[0] in (303, 401), path
    status, _, page = _http(plain, "/login")
    assert status == 200 and b"<script" not in page.lower() and b'src="' not in page
    assert page.count(b'href="') == page.count(b'href="data:')  # the form needs nothing the gate keeps back


# ------------------------------------------------------------------------ item 10: a stale tab, in Chromium


@pytest.fixture()
def browser_server(tmp_path):
    """`storelens serve` with a password on 127.0.0.1 for one browser test; yields its URL."""
    require_chromium()
    port = free_port()
    env = _env(tmp_path, STORELENS_PASSWORD=PASSWORD)
    proc = _start(tmp_path, ["--port", str(port)], env, f"127.0.0.1:{port}")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.browser
def test_a_stale_tab_logs_in_again_without_a_script_error(browser_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    failed: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()  # two tabs sharing one cookie jar, as in one browser window
        context.set_default_timeout(WAIT_MS)
        context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        context.on("weberror", lambda e: errors.append(str(e.error)))
        context.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        first = context.new_page()
        try:
            first.goto(browser_server)
            first.get_by_label("Password").fill(PASSWORD)
            first.get_by_role("button", name="Log in").click()
            logout = first.get_by_role("button", name="Log out")
            expect(logout).to_be_visible()
            stale = context.new_page()
            stale.goto(browser_server)
            expect(stale.get_by_role("button", name="Log out")).to_be_visible()

            logout.click()
            expect(first.get_by_text("You are logged out")).to_be_visible()
            stale.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Data", exact=True).click()
            expect(stale.get_by_text("You are logged out")).to_be_visible()
            log_in = stale.get_by_role("link", name="Log in")
            expect(log_in).to_be_visible()
            with context.expect_page() as opened:  # Streamlit's link button opens a new tab
                log_in.click()
            login = opened.value
            login.wait_for_load_state()
            assert urllib.parse.urlparse(login.url).path == "/login"
            login.get_by_label("Password").fill(PASSWORD)
            login.get_by_role("button", name="Log in").click()
            expect(login.get_by_role("button", name="Log out")).to_be_visible()
            stale.reload()
            expect(stale.get_by_role("button", name="Log out")).to_be_visible()
            login.wait_for_timeout(500)
        except Exception:
            for i, page in enumerate(context.pages):
                page.screenshot(path=str(tmp_path / f"failure-{i}.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert not errors, errors  # no "TypeError: Failed to fetch dynamically imported module", nor anything else
    assert not failed, failed  # no script, style or font refused

