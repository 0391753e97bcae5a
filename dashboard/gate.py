"""The password gate in front of the whole web server (pages, websocket, uploads, media, app files), so a dashboard
served beyond this machine shows nothing but a login form to someone without the password.

Pure ASGI (no Streamlit import): `storelens_server.py` puts `PasswordGate` in front of Streamlit's app, and the
page script asks `session_valid` on every run so a logged-out tab stops at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import ipaddress
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "COOKIE",
    "PasswordGate",
    "AttemptLimiter",
    "client_address",
    "configured_password",
    "configured_proxies",
    "password_matches",
    "session_valid",
    "end_session",
]

COOKIE = "storelens_session"
SESSION_SECONDS = 12 * 3600
# The one path that answers without a session besides the login form: the health probe (it says "ok", nothing more).
_OPEN_PATHS = ("/_stcore/health",)
# Where Streamlit serves its own script, style and font files (the same in every installation, nothing of the shop).
_PUBLIC_PREFIX = "/static/"
_MAX_FORM_BYTES = 4096

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def configured_password() -> str | None:
    """The password from $STORELENS_PASSWORD, else from the file named by $STORELENS_PASSWORD_FILE; None if unset.

    A password file that cannot be read raises OSError (the server must not start open by accident).
    """
    value = os.environ.get("STORELENS_PASSWORD")
    if value:
        return value
    file = os.environ.get("STORELENS_PASSWORD_FILE")
    if file:
        text = Path(file).read_text(encoding="utf-8").strip("\r\n")
        return text or None
    return None


def configured_proxies() -> tuple[Network, ...]:
    """The reverse proxies named by $STORELENS_TRUSTED_PROXY (comma-separated addresses or networks); () if unset.

    Only these may say through X-Forwarded-For who the client is; anyone else could write any address there and so
    escape the per-address login limits. An entry that is not an address raises ValueError naming it (the server
    must not start trusting something other than what the operator meant).
    """
    proxies = []
    for entry in os.environ.get("STORELENS_TRUSTED_PROXY", "").split(","):
        if entry.strip():
            try:
                proxies.append(ipaddress.ip_network(entry.strip().strip("[]"), strict=False))
            except ValueError as exc:
                raise ValueError(f"STORELENS_TRUSTED_PROXY: {entry.strip()!r} is not an IP address or network") from exc
    return tuple(proxies)


def password_matches(candidate: str, expected: str) -> bool:
    """Constant-time comparison of digests, so neither content nor length leaks through timing."""
    a = hashlib.sha256(candidate.encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b)


class _Sessions:
    """Logged-in browser sessions: random tokens with an expiry, kept in this server process only."""

    def __init__(self) -> None:
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new session token."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + SESSION_SECONDS
        return token

    def valid(self, token: str | None) -> bool:
        """Whether a token is a live session (compared in constant time)."""
        if not token:
            return False
        now = time.time()
        with self._lock:
            live = [t for t, exp in self._tokens.items() if exp > now]
        return any(hmac.compare_digest(token.encode(), t.encode()) for t in live)

    def revoke(self, token: str | None) -> None:
        """End a session (logout)."""
        if token:
            with self._lock:
                self._tokens.pop(token, None)


SESSIONS = _Sessions()


def session_valid(token: str | None) -> bool:
    """True when no password is configured or `token` is a live login (the page script checks every run)."""
    try:
        if configured_password() is None:
            return True
    except OSError:
        return False
    return SESSIONS.valid(token)


def end_session(token: str | None) -> None:
    """Log a session out (the app's Log out button)."""
    SESSIONS.revoke(token)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as peers and proxies write it (bare, `v4:port` or `[v6]:port`); None if it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:a.b.c.d from a dual-stack socket is the IPv4 client a.b.c.d
    return ip


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None, proxies: Sequence[Network]) -> bool:
    """Whether `ip` is one of the named proxies."""
    return ip is not None and any(ip.version == net.version and ip in net for net in proxies)


def client_address(scope: Scope, proxies: Sequence[Network] = ()) -> str:
    """The address that login attempts are counted against.

    The TCP peer, unless the peer is one of `proxies`: then the right-most X-Forwarded-For entry that is not a trusted
    proxy, i.e. the address the outermost trusted proxy saw. Entries left of it were written by the client and are
    never believed; a missing or unreadable entry leaves the proxy's own address (the safe side: no way out of the
    limits by writing nonsense).
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not proxies or not _trusted(_parse_ip(peer), proxies):
        return peer
    hops = [hop for key, value in scope.get("headers", []) if key == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")]
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            return peer
        if not _trusted(ip, proxies):
            return str(ip)
    return peer


class AttemptLimiter:
    """Slows password guessing without ever locking the owner out.

    Per address: `free_tries` wrong passwords in a row, then each further try waits `first_wait` seconds after the
    last wrong one, doubling with every wrong try up to `max_wait`; a right password, or `forget_after` seconds
    without a wrong one, wipe the slate. IPv6 clients count per /64 (one host usually holds a whole /64).

    Everyone: once `busy_failures` wrong passwords arrived within `busy_window` seconds (from any addresses), every
    try waits `slowdown` seconds before it is checked. That delay is bounded and never a refusal, so many addresses
    guessing at once cannot keep the owner, from an address of their own, out.

    `clock` is injectable so tests can step through hours of backoff in no time.
    """

    def __init__(self, free_tries: int = 5, first_wait: float = 30.0, max_wait: float = 900.0,
                 forget_after: float = 3600.0, busy_failures: int = 20, busy_window: float = 60.0,
                 slowdown: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.free_tries, self.first_wait, self.max_wait = free_tries, first_wait, max_wait
        self.forget_after = max(forget_after, max_wait)  # forgetting sooner than the longest wait would undo it
        self.busy_window, self.slowdown_seconds, self.clock = busy_window, slowdown, clock
        # address -> (wrong tries in a row, time of the last), oldest last-failure first, so pruning stops early
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._recent: deque[float] = deque(maxlen=busy_failures)  # times of the latest wrong tries, any address
        self._lock = threading.Lock()

    @staticmethod
    def _key(client: str) -> str:
        """What counts as one address: an IPv4 address, or an IPv6 /64 (which one host can fill with addresses)."""
        ip = _parse_ip(client)
        if isinstance(ip, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((ip, 64), strict=False))
        return str(ip) if ip is not None else client

    def _prune(self, now: float) -> None:
        """Drop addresses whose last wrong try is `forget_after` old (memory stays bounded under a long flood)."""
        while self._failures:
            key, (_, last) = next(iter(self._failures.items()))
            if now - last < self.forget_after:
                break
            del self._failures[key]

    def _wait(self, count: int) -> float:
        """How long an address waits after its `count`-th wrong try in a row."""
        if count < self.free_tries:
            return 0.0
        doublings = min(count - self.free_tries, 62)  # far past the cap, and 2.0 ** 1100 would overflow
        return min(self.max_wait, self.first_wait * 2.0 ** doublings)

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            count, last = self._failures.get(self._key(client), (0, now))
            return max(0.0, last + self._wait(count) - now)

    def slowdown(self) -> float:
        """Seconds every try waits now: `slowdown` while wrong passwords pour in from anywhere, else 0."""
        now = self.clock()
        with self._lock:
            busy = len(self._recent) == self._recent.maxlen and now - self._recent[0] < self.busy_window
        return self.slowdown_seconds if busy else 0.0

    def failed(self, client: str) -> None:
        """Count a wrong password."""
        now = self.clock()
        key = self._key(client)
        with self._lock:
            count, _ = self._failures.pop(key, (0, now))
            self._failures[key] = (count + 1, now)
            self._recent.append(now)
            self._prune(now)

    def succeeded(self, client: str) -> None:
        """Forget a client's failures after a right password."""
        with self._lock:
            self._failures.pop(self._key(client), None)


LIMITER = AttemptLimiter()

_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>StoreLens: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;display:flex;justify-content:center;margin-top:12vh;color:#262730}}
form{{display:flex;flex-direction:column;gap:.8em;width:18em}}input,button{{font-size:1em;padding:.5em}}
.msg{{color:#b00020}}</style></head>
<body><form method="post" action="/login"><h2>StoreLens</h2>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Log in</button><p class="msg">{message}</p></form></body></html>
"""


def _cookie(scope: Scope, name: str) -> str | None:
    """One cookie of the request."""
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _in_about(seconds: float) -> str:
    """A wait in words, rounded up to what a person reads at a glance."""
    if seconds < 90:
        n, unit = max(1, int(seconds + 0.999)), "second"
    else:
        n, unit = round(seconds / 60), "minute"
    return f"{n} {unit}{'s' if n != 1 else ''}"


async def _respond(send: Send, status: int, body: str = "", headers: list[tuple[bytes, bytes]] | None = None,
                   content_type: bytes = b"text/html; charset=utf-8") -> None:
    """A complete small HTTP response that is never cached."""
    data = body.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"), (b"x-frame-options", b"DENY"),
        (b"content-security-policy",  # img-src: the form's empty data: icon, which keeps browsers off /favicon.ico
         b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"),
        *(headers or []),
    ]})
    await send({"type": "http.response.body", "body": data})


class PasswordGate:
    """ASGI middleware: without a live session cookie, every request but the login form, the health probe and
    Streamlit's own frontend files is refused (pages redirect to /login, the websocket is closed, uploads and media
    get 401).

    `public_dir` is Streamlit's static folder: a file under its `static/` answers /static/... without a login, because
    a tab whose login just ended still needs the app's scripts to show its "Log in" button (they are the same in
    every installation and hold nothing of the shop). `proxies` are the reverse proxies whose X-Forwarded-For is
    believed (see `client_address`).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 password: Callable[[], str | None] = configured_password, limiter: AttemptLimiter | None = None,
                 fail_delay: float = 1.0, proxies: Sequence[Network] = (), public_dir: Path | None = None) -> None:
        self.app = app
        self.password = password
        self.limiter = limiter or LIMITER
        self.fail_delay = fail_delay
        self.proxies = tuple(proxies)
        self.public_dir = public_dir.resolve() if public_dir is not None else None

    def _public_file(self, scope: Scope) -> bool:
        """Whether the request reads one of Streamlit's own frontend files (nothing else, not even its index page)."""
        path = scope.get("path", "")
        if self.public_dir is None or scope.get("method") not in ("GET", "HEAD") or not path.startswith(_PUBLIC_PREFIX):
            return False
        target = (self.public_dir / path.lstrip("/")).resolve()
        return target.is_relative_to(self.public_dir / _PUBLIC_PREFIX.strip("/")) and target.is_file()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        expected = self.password()
        if expected is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and (path in _OPEN_PATHS or self._public_file(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and path == "/login":
            await self._login(scope, receive, send, expected)
            return
        if scope["type"] == "http" and path == "/logout":
            SESSIONS.revoke(_cookie(scope, COOKIE))
            await _respond(send, 303, headers=[(b"location", b"/login"), _clear_cookie()])
            return
        if SESSIONS.valid(_cookie(scope, COOKIE)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401, "reason": "login required"})
            return
        if scope.get("method") == "GET" and not path.startswith(("/_stcore/", "/media/", "/static/", "/component/",
                                                                 "/app/static/")):
            await _respond(send, 303, headers=[(b"location", b"/login")])
            return
        await _respond(send, 401, "login required\n", content_type=b"text/plain; charset=utf-8")

    async def _login(self, scope: Scope, receive: Receive, send: Send, expected: str) -> None:
        """GET: the form. POST: check the password (slowed and rate-limited), then set the session cookie."""
        if scope.get("method") != "POST":
            await _respond(send, 200, _LOGIN_PAGE.format(message=""))
            return
        client = client_address(scope, self.proxies)
        body, more = b"", True
        while more and len(body) <= _MAX_FORM_BYTES:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        slowdown = self.limiter.slowdown()
        if slowdown > 0:
            await asyncio.sleep(slowdown)
        # No await from here to `failed`: concurrent tries from one address cannot all pass the check first.
        wait = self.limiter.retry_after(client)
        if wait > 0:
            await _respond(send, 429, _LOGIN_PAGE.format(message=html.escape(
                f"Too many wrong passwords; try again in about {_in_about(wait)}.")),
                headers=[(b"retry-after", str(int(wait) + 1).encode())])
            return
        fields = parse_qs(body[:_MAX_FORM_BYTES].decode("utf-8", "replace"))
        candidate = (fields.get("password") or [""])[0]
        if not password_matches(candidate, expected):
            self.limiter.failed(client)
            await asyncio.sleep(self.fail_delay)
            await _respond(send, 401, _LOGIN_PAGE.format(message="Wrong password."))
            return
        self.limiter.succeeded(client)
        token = SESSIONS.issue()
        cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}"
        await _respond(send, 303, headers=[(b"location", b"/"), (b"set-cookie", cookie.encode())])


def _clear_cookie() -> tuple[bytes, bytes]:
    """Header that removes the session cookie from the browser."""
    return b"set-cookie", f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0".encode()
