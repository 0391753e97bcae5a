"""The password gate in front of the whole web server (pages, websocket, uploads, media, static files), so a
dashboard served beyond this machine shows nothing but a login form to someone without the password.

Pure ASGI (no Streamlit import): `storelens_server.py` puts `PasswordGate` in front of Streamlit's app, and the
page script asks `session_valid` on every run so a logged-out tab stops at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "COOKIE",
    "PasswordGate",
    "AttemptLimiter",
    "configured_password",
    "password_matches",
    "session_valid",
    "end_session",
]

COOKIE = "storelens_session"
SESSION_SECONDS = 12 * 3600
# Paths that answer without a session: the login form itself and the health probe (it says "ok", nothing more).
_OPEN_PATHS = ("/_stcore/health", "/healthz")
_MAX_FORM_BYTES = 4096

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


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


class AttemptLimiter:
    """Failed logins allowed per client and in total within a window; past either, attempts wait it out."""

    def __init__(self, per_client: int = 5, overall: int = 50, window: float = 900.0) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, now: float) -> None:
        for key in list(self._failures):
            kept = [t for t in self._failures[key] if now - t < self.window]
            if kept:
                self._failures[key] = kept
            else:
                del self._failures[key]

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0 when it may try now)."""
        now = time.time()
        with self._lock:
            self._recent(now)
            mine = self._failures.get(client, [])
            everyone = sorted(t for times in self._failures.values() for t in times)
            waits = [0.0]
            if len(mine) >= self.per_client:
                waits.append(mine[-self.per_client] + self.window - now)
            if len(everyone) >= self.overall:
                waits.append(everyone[-self.overall] + self.window - now)
            return max(waits)

    def failed(self, client: str) -> None:
        """Count a wrong password."""
        with self._lock:
            self._failures.setdefault(client, []).append(time.time())

    def succeeded(self, client: str) -> None:
        """Forget a client's failures after a right password."""
        with self._lock:
            self._failures.pop(client, None)


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


def _client(scope: Scope) -> str:
    """The peer address that attempts are counted against."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _respond(send: Send, status: int, body: str = "", headers: list[tuple[bytes, bytes]] | None = None,
                   content_type: bytes = b"text/html; charset=utf-8") -> None:
    """A complete small HTTP response that is never cached."""
    data = body.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"), (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
        *(headers or []),
    ]})
    await send({"type": "http.response.body", "body": data})


class PasswordGate:
    """ASGI middleware: without a live session cookie, every request but the login form and health probe is
    refused (pages redirect to /login, the websocket is closed, uploads and media get 401)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 password: Callable[[], str | None] = configured_password, limiter: AttemptLimiter | None = None,
                 fail_delay: float = 1.0) -> None:
        self.app = app
        self.password = password
        self.limiter = limiter or LIMITER
        self.fail_delay = fail_delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        expected = self.password()
        if expected is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and path in _OPEN_PATHS:
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
        """GET: the form. POST: check the password (rate-limited), then set the session cookie."""
        if scope.get("method") != "POST":
            await _respond(send, 200, _LOGIN_PAGE.format(message=""))
            return
        client = _client(scope)
        body, more = b"", True
        while more and len(body) <= _MAX_FORM_BYTES:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        wait = self.limiter.retry_after(client)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            await _respond(send, 429, _LOGIN_PAGE.format(message=html.escape(
                f"Too many wrong passwords; try again in about {minutes} minute{'s' if minutes != 1 else ''}.")),
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
