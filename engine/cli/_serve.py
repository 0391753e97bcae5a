"""`storelens serve` and `storelens demo`: the dashboard on a database (the demo's built from the sample exports),
private by default: this machine only, unless an address is given, and then only behind a password."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.ingest import max_upload_bytes, spool_clear

from ._common import UsageError, db_path, open_store, printable, progress

DEFAULT_ADDRESS = "127.0.0.1"
MIN_PASSWORD_LENGTH = 8  # the same rule as dashboard.gate (not imported: the CLI stays free of the dashboard)
_STOP_GRACE = 10.0  # seconds the server gets to stop before it is killed


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `demo` and `serve` to the parser."""
    for name, func, helptext in (
        ("demo", _cmd_demo, "load the sample store (if the database is new) and serve it"),
        ("serve", _cmd_serve, "serve the dashboard on the database"),
    ):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("--port", type=int, default=8501)
        p.add_argument("--address", default=None,
                       help="address to listen on (default: $STORELENS_ADDRESS, else 127.0.0.1 = this machine only); "
                            "any other address needs a password")
        p.add_argument("--password-file", default=None, type=Path, metavar="PATH",
                       help="file holding the password (default: $STORELENS_PASSWORD, else $STORELENS_PASSWORD_FILE)")
        p.set_defaults(func=func)


def is_loopback(address: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _password(args: argparse.Namespace) -> str | None:
    """The password from --password-file, $STORELENS_PASSWORD or $STORELENS_PASSWORD_FILE (exit 2 if unreadable)."""
    file = args.password_file or (Path(os.environ["STORELENS_PASSWORD_FILE"])
                                  if os.environ.get("STORELENS_PASSWORD_FILE") else None)
    if args.password_file is None and os.environ.get("STORELENS_PASSWORD"):
        value: str | None = os.environ["STORELENS_PASSWORD"]
    elif file is not None:
        try:
            value = file.read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the password file {file} ({exc.__class__.__name__}).") from exc
        if not value:
            raise UsageError(f"the password file {file} is empty.")
    else:
        value = None
    if value is not None and len(value) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    return value


def _plan(args: argparse.Namespace) -> tuple[str, str | None]:
    """The address to bind and the password, refusing (exit 2, before anything is written) an open network bind or
    a trusted proxy that is not an address."""
    from dashboard.gate import configured_proxies  # the server's own reading of $STORELENS_TRUSTED_PROXY

    address = (args.address or os.environ.get("STORELENS_ADDRESS") or DEFAULT_ADDRESS).strip()
    if not address:
        raise UsageError("--address is empty.")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number (1-65535).")
    password = _password(args)
    try:
        configured_proxies()
    except ValueError as exc:
        raise UsageError(f"{exc}.") from exc
    if password is None and not is_loopback(address):
        raise UsageError(
            f"refusing to serve on {address} without a password: anyone who can reach it would see the shop's data. "
            "Set STORELENS_PASSWORD (or --password-file), or leave out --address to serve this machine only.")
    return address, password


def _linux_parent_death_signal() -> None:
    """In the child: die with the `storelens` process even if it is killed with SIGKILL (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(db: Path, port: int, address: str, password: str | None) -> int:
    """Run the dashboard on `db` until interrupted; SIGTERM/SIGINT/SIGHUP stop the server's whole process group."""
    from dashboard import SERVER_PATH

    spool_clear(db)  # uploads a stopped server left behind
    env = dict(os.environ, STORELENS_DB=str(db.resolve()))
    env.pop("STORELENS_PASSWORD_FILE", None)
    env.pop("STORELENS_PASSWORD", None)
    if password is not None:
        env["STORELENS_PASSWORD"] = password
    # uvicorn would otherwise take the client's address from X-Forwarded-For whenever the peer is loopback, before
    # the gate sees it; the gate alone decides whom to believe ($STORELENS_TRUSTED_PROXY).
    env["FORWARDED_ALLOW_IPS"] = ""
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(SERVER_PATH),
        "--server.address", address, "--server.port", str(port), "--server.headless", "true",
        "--server.maxUploadSize", str(max(1, max_upload_bytes() // 2**20)),
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--client.showErrorDetails", "none",  # no exception text or traceback ever reaches a browser
        "--client.disableDataExport", "true",  # the table toolbar's CSV bypasses the formula-safe writer
        "--global.developmentMode", "false",
    ]
    shown = f"[{address}]" if ":" in address else address
    where = "this machine only" if is_loopback(address) else "the network, password required"
    sys.stderr.write(printable(f"StoreLens on http://{shown}:{port} ({where}; database {db})") + "\n")
    sys.stderr.flush()
    kwargs = {"preexec_fn": _linux_parent_death_signal} if sys.platform.startswith("linux") else {}
    child = subprocess.Popen(cmd, env=env, start_new_session=True, **kwargs)
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        _signal_group(child, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping and not _wait_group(child, _STOP_GRACE):
                    _signal_group(child, signal.SIGKILL)
                    child.wait()
                    code = 0
                    break
    finally:
        _signal_group(child, signal.SIGKILL)  # anything the server started that outlived it
        for s, handler in previous.items():
            signal.signal(s, handler)
        spool_clear(db)
    return 0 if stopping else code


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    """Send a signal to the server's process group (the server and everything it started)."""
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_group(child: subprocess.Popen, seconds: float) -> bool:
    """Wait for the server to exit after SIGTERM; False if it is still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return True
        time.sleep(0.1)
    return child.poll() is not None


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve the dashboard on an existing or new database."""
    address, password = _plan(args)
    db = db_path(args)
    open_store(args).close()  # create/migrate before the app opens it
    return _serve(db, args.port, address, password)


def _cmd_demo(args: argparse.Namespace) -> int:
    """Create the demo database from the built-in sample data if none exists, then serve it."""
    from engine.demo import load_demo

    address, password = _plan(args)
    db = db_path(args)
    store = open_store(args)
    try:
        if store.is_empty():
            reports = load_demo(store, progress=progress(True))
            for r in reports:
                sys.stderr.write(printable(f"{r.file}: loaded {r.rows_loaded} of {r.rows_read} rows") + "\n")
    finally:
        store.close()
    return _serve(db, args.port, address, password)
