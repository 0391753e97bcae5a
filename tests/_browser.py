"""What every browser and server test shares (pytest puts this folder on sys.path): Debian's chromium, the flags that
keep it off the network, a page in it, free ports and this machine's own address, and the app served by
`streamlit run` on a database of the test's own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard import APP_PATH

CHROMIUM = os.environ.get("STORELENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 30_000


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_address() -> str | None:
    """This machine's non-loopback IPv4 address, if it has one (a UDP 'connect' sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("198.51.100.1", 9))  # a documentation address: nothing is sent
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


def require_chromium() -> None:
    """Skip where chromium is missing, but fail in CI, where .ci/run installs it."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM}")


@contextmanager
def chromium_page(tmp_path: Path, width: int = 1400, height: int = 1000) -> Iterator:
    """A page in headless Chromium with the shared waits; a failing test leaves tmp_path/failure.png behind."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # expect() has its own 5 s default; a shared machine needs longer
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(WAIT_MS)
        try:
            yield page
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float, what: str) -> None:
    """Poll the app's health endpoint until it answers; fail with the log's tail (the process killed) if it exits or
    `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start: " + log.read_text()[-2000:])
        time.sleep(0.2)


@contextmanager
def serving(db: Path, workdir: Path, max_upload_mb: int | None = None) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on `db` with the demo switched off; yields its URL, stops it after."""
    port = free_port()
    env = dict(os.environ, STORELENS_DB=str(db), STORELENS_NO_DEMO="1")
    extra = ["--server.maxUploadSize", str(max_upload_mb)] if max_upload_mb else []
    log = (workdir / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *extra],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc, workdir / "streamlit.log", 30, "streamlit")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# ---- what the journeys do on a page (shared by the browser tests)


def nav(page, name: str) -> None:
    """Open a page by its name in the sidebar's navigation."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()


def upload(page, path: Path, expect_text: str) -> None:
    """Import one file on the Upload page as a merchant does, and wait for the sentence that says it loaded."""
    from playwright.sync_api import expect

    nav(page, "Upload")
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(expect_text).first).to_be_visible()


def click_bar(page, chart, index: int = 0) -> None:
    """Hover then click the middle of a plotly bar (plotly hit-tests on its drag layer, not on the bar's path)."""
    from playwright.sync_api import Error

    bar = chart.locator(".barlayer .point path").nth(index)
    box = None
    for _ in range(20):  # plotly redraws the chart after its first paint (and after a rerun): the path is replaced
        try:
            bar.wait_for()
            bar.scroll_into_view_if_needed(timeout=2_000)
            box = bar.bounding_box()
        except Error:  # detached by a redraw between finding it and scrolling to it: find it again
            box = None
        if box:
            break
        page.wait_for_timeout(250)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)


def select_first_row(page, frame) -> None:
    """Tick the first row of a selectable st.dataframe (a canvas grid: its row-marker column is at the left)."""
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)


def opens_in_view(page, rows) -> None:
    """The rows a click opened start inside the window (the page scrolled to them), not under the fold."""
    page.wait_for_function("""el => { const r = el.getBoundingClientRect();
                                      return r.top >= 0 && r.top < window.innerHeight / 2; }""",
                           arg=rows.element_handle(), timeout=10_000)
