"""`storelens serve` is private by default: loopback unless told otherwise, a password for anything else (refused
without one), nothing but a login form before it, and SIGTERM/SIGINT stop the whole server and free the port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from _browser import free_port, own_address

from dashboard.gate import AttemptLimiter, PasswordGate, password_matches

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORELENS_")}
    env.update(STORELENS_NO_DEMO="1", PYTHONPATH=str(REPO), **extra)
    return env


def _cli(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO, **kw)


def _start(tmp_path: Path, args: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    """`storelens serve ...` until its health probe answers on `probe` (host:port)."""
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", str(tmp_path / "s.duckdb"), *args],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("serve exited: " + (tmp_path / "serve.log").read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://{probe}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("serve did not answer: " + (tmp_path / "serve.log").read_text()[-2000:])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def _stop_and_check(proc: subprocess.Popen, signum: int, host: str, port: int) -> None:
    """The signal stops `storelens`, the Streamlit child and its group; nobody listens on the port afterwards."""
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert children, "serve should run the server as a child process"
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_group_alive(int(c)) for c in children):
        time.sleep(0.1)
    assert not any(_group_alive(int(c)) for c in children), "the Streamlit child outlived `storelens serve`"
    assert _port_free(host, port), f"port {port} is still taken after the signal"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def _request(url: str, method: str = "GET", data: bytes | None = None, cookie: str | None = None):
    """(status, headers, body) without following redirects."""
    req = urllib.request.Request(url, data=data, method=method)
    if cookie:
        req.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _websocket_opens(url: str, cookie: str | None) -> bool:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Cookie": cookie} if cookie else {}
    try:
        with connect(url, additional_headers=headers, subprotocols=["streamlit"], open_timeout=10):
            return True
    except InvalidStatus:
        return False


# ----------------------------------------------------------------------------------------- refusals (exit 2)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_network_address_without_a_password_is_refused_and_nothing_is_written(tmp_path, how):
    db = tmp_path / "never.duckdb"
    args = ["serve", "--db", str(db), "--port", str(free_port())]
    env = _env(tmp_path)
    if how == "flag":
        args += ["--address", "0.0.0.0"]
    else:
        env["STORELENS_ADDRESS"] = "0.0.0.0"
    r = _cli(args, env)
    assert r.returncode == 2
    assert "without a password" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not db.exists()
    r = _cli(["demo", "--db", str(db), "--address", "::"], _env(tmp_path))
    assert r.returncode == 2 and not db.exists()


def test_weak_or_unreadable_passwords_are_refused(tmp_path):
    db = tmp_path / "never.duckdb"
    base = ["serve", "--db", str(db), "--address", "0.0.0.0"]
    assert _cli(base, _env(tmp_path, STORELENS_PASSWORD="short")).returncode == 2
    r = _cli(base + ["--password-file", str(tmp_path / "missing.txt")], _env(tmp_path))
    assert r.returncode == 2 and "cannot read the password file" in r.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert _cli(base + ["--password-file", str(empty)], _env(tmp_path)).returncode == 2
    assert not db.exists()


# ------------------------------------------------------------------------------------------- gate, unit level


def test_password_comparison_and_attempt_limits():
    assert password_matches(PASSWORD, PASSWORD)
    assert not password_matches(PASSWORD[:-1], PASSWORD) and not password_matches("", PASSWORD)
    limiter = AttemptLimiter(free_tries=3, busy_failures=5)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") > 0 and limiter.retry_after("10.0.0.2") == 0  # that address waits, no other
    limiter.failed("10.0.0.2")
    limiter.failed("10.0.0.3")
    assert limiter.slowdown() > 0 and limiter.retry_after("10.0.0.4") == 0  # many failures: slower, never refused
    limiter.succeeded("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 0


def test_the_gate_answers_429_once_the_attempts_are_spent():
    limiter = AttemptLimiter(free_tries=2)
    gate = PasswordGate(lambda *a: None, password=lambda: PASSWORD, limiter=limiter, fail_delay=0)

    async def post(password: str) -> int:
        sent: list[dict] = []
        body = urllib.parse.urlencode({"password": password}).encode()

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            sent.append(message)

        await gate({"type": "http", "path": "/login", "method": "POST", "headers": [], "client": ("10.0.0.9", 1)},
                   receive, send)
        return sent[0]["status"]

    assert [asyncio.run(post("wrong password")) for _ in range(2)] == [401, 401]
    assert asyncio.run(post(PASSWORD)) == 429  # even the right password waits once the attempts are spent


# ------------------------------------------------------------------------------------------------ live server


def test_default_listens_on_loopback_only_and_sigint_frees_the_port(tmp_path):
    port = free_port()
    proc = _start(tmp_path, ["--port", str(port)], _env(tmp_path), f"127.0.0.1:{port}")
    try:
        own = own_address()
        if own is not None:
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(3)
                s.connect((own, port))
        status, _, body = _request(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"<html" in body.lower()  # no password set: the app itself
        _stop_and_check(proc, signal.SIGINT, "0.0.0.0", port)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_network_address_answers_nothing_without_the_password_and_sigterm_frees_the_port(tmp_path):
    port = free_port()
    host = own_address() or "127.0.0.1"
    bind = host if host != "127.0.0.1" else "0.0.0.0"
    proc = _start(tmp_path, ["--port", str(port), "--address", bind], _env(tmp_path, STORELENS_PASSWORD=PASSWORD),
                  f"{host}:{port}")
    base = f"http://{host}:{port}"
    try:
        for path in ("/", "/Overview", "/Upload", "/Data"):
            status, headers, body = _request(base + path)
            assert status == 303 and headers["location"] == "/login", path
        status, _, body = _request(base + "/login")
        assert status == 200 and b'type="password"' in body and b"<script" not in body.lower()
        for method, path in (("PUT", "/_stcore/upload_file/x/y"), ("GET", "/media/x.csv"),
                             ("GET", "/_stcore/host-config"), ("GET", "/static/js/index.js"),
                             ("OPTIONS", "/_stcore/upload_file/x/y")):
            status, _, body = _request(base + path, method=method, data=b"a,b\n1,2\n" if method == "PUT" else None)
            assert status == 401 and body == b"login required\n", (method, path)
        assert not _websocket_opens(f"ws://{host}:{port}/_stcore/stream", None)

        status, _, body = _request(base + "/login", "POST", b"password=nope")
        assert status == 401 and b"Wrong password" in body
        status, headers, _ = _request(base + "/login", "POST", urllib.parse.urlencode({"password": PASSWORD}).encode())
        assert status == 303 and "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        cookie = headers["set-cookie"].split(";")[0]
        status, _, body = _request(base + "/", cookie=cookie)
        assert status == 200 and b"<html" in body.lower()
        assert _websocket_opens(f"ws://{host}:{port}/_stcore/stream", cookie)

        status, _, _ = _request(base + "/logout", cookie=cookie)
        assert status == 303
        assert _request(base + "/", cookie=cookie)[0] == 303  # the old cookie is worthless after logout
        assert not _websocket_opens(f"ws://{host}:{port}/_stcore/stream", cookie)
        _stop_and_check(proc, signal.SIGTERM, bind, port)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_browsers_get_no_error_details_and_no_toolbar_csv():
    """Both ways the app starts (`storelens serve` flags, the script-level config for `streamlit run`) hide
    exception details from browsers and the table toolbar's CSV (which would bypass the formula-safe writer)."""
    import tomllib

    config = tomllib.loads((REPO / "dashboard" / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none" and config["client"]["disableDataExport"] is True
    source = (REPO / "engine" / "cli" / "_serve.py").read_text()
    assert '"--client.showErrorDetails", "none"' in source and '"--client.disableDataExport", "true"' in source
