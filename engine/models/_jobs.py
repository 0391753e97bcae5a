"""Background jobs of this process (training, scoring, fitting any family): a thread each, progress the app can poll,
one running job per key (a database file), kept at process level so jobs outlive page reruns and closed tabs.

Beside it, one low-priority *background* job per key may run (e.g. labelling every review after a training): it is
long, so it must not block the pages' own jobs (drivers, segments, forecasts); it is not what `current`/`latest`
return, a foreground job names the kinds it cannot run beside (`conflicts`), and `idle` (switching or deleting
versions) still waits for it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._contract import Progress

__all__ = ["Job", "JobBusyError", "JobCancelled", "JobRegistry", "jobs", "start_job"]

KEEP_FINISHED = 20  # finished jobs kept per key for the pages; not every run since the process started


class JobBusyError(RuntimeError):
    """A job is already running on this key (database), so another may not start or switch its models."""


class JobCancelled(BaseException):
    """Raised from a job's progress callback to stop it (a BaseException: `except Exception` in work won't eat it)."""


@dataclass
class Job:
    """One background run; its thread updates the fields, pages read them."""

    id: str
    kind: str  # what runs, e.g. 'train', 'score', 'score_new', 'segments'
    key: str  # what it runs on (a database file): one running job per key
    params: dict[str, Any]
    started_at: float
    fraction: float = 0.0
    message: str = "starting"
    status: str = "running"  # running | done | failed | cancelled
    result: Any = None
    error: str | None = None
    finished_at: float | None = None
    cancel_requested: bool = False
    background: bool = False  # low priority: runs beside one foreground job (see JobRegistry.start)
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """True until the work returns, fails or is cancelled."""
        return self.status == "running"

    @property
    def elapsed(self) -> float:
        """Seconds the job has run (until now, or until it finished)."""
        return (self.finished_at or time.time()) - self.started_at

    def update(self, fraction: float, message: str) -> None:
        """The progress callback handed to the engine; raises JobCancelled once a cancel is requested."""
        if self.cancel_requested:
            raise JobCancelled()
        self.fraction = min(max(float(fraction), self.fraction), 1.0)  # never moves backwards
        self.message = str(message)

    def scaled(self, lo: float, hi: float) -> Progress:
        """A progress callback for one step of a multi-step job: its 0..1 lands on lo..hi of the job's bar."""
        return lambda f, m: self.update(lo + (hi - lo) * min(max(float(f), 0.0), 1.0), m)

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report (what it was building is then not kept)."""
        self.cancel_requested = True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (or timeout seconds); True when it has."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running


class JobRegistry:
    """Jobs per key (a database file): at most one running foreground job and one background job per key; the work
    runs in a daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the job lists
        self._start_lock = threading.RLock()  # held while a job starts, or while `idle` work needs no job running
        self._jobs: dict[str, list[Job]] = {}

    def current(self, key: str, background: bool = False) -> Job | None:
        """The running foreground job of a key (with background=True: its running background job), if any."""
        with self._lock:
            return next((j for j in reversed(self._jobs.get(key, [])) if j.running and j.background == background),
                        None)

    def latest(self, key: str, background: bool = False) -> Job | None:
        """The most recent foreground job of a key (with background=True: background job), running or finished."""
        with self._lock:
            return next((j for j in reversed(self._jobs.get(key, [])) if j.background == background), None)

    def start(self, key: str, kind: str, params: dict[str, Any], work: Callable[[Job], Any],
              busy_message: str | None = None, background: bool = False,
              conflicts: Collection[str] = ()) -> Job:
        """Run work(job) in a thread (it reports through job.update).

        JobBusyError if the key has a running job of the same priority (foreground or background), or a running
        background job of one of the kinds in `conflicts` (e.g. a new training while the last one's scoring runs).
        """
        with self._start_lock, self._lock:
            running = [j for j in self._jobs.get(key, []) if j.running]
            if any(j.background == background or (j.background and j.kind in conflicts) for j in running):
                raise JobBusyError(busy_message or "another job is already running; wait for it to finish")
            job = Job(uuid.uuid4().hex[:12], kind, key, dict(params), time.time(), background=background)
            self._jobs.setdefault(key, []).append(job)
            self._forget_finished(key)

        def run() -> None:
            try:
                job.result = work(job)
                job.fraction, job.status = 1.0, "done"
            except JobCancelled:
                job.status, job.message = "cancelled", "cancelled"
            except BaseException as exc:  # the page shows it; the process keeps running
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                job.finished_at = time.time()

        job.thread = threading.Thread(target=run, name=f"storelens-{kind}-{job.id}", daemon=True)
        job.thread.start()
        return job

    def _forget_finished(self, key: str) -> None:
        """Keep the running jobs and the newest KEEP_FINISHED finished ones of a key (called under the lock)."""
        jobs = self._jobs[key]
        finished = [j for j in jobs if not j.running]
        drop = {id(j) for j in finished[:-KEEP_FINISHED]}
        self._jobs[key] = [j for j in jobs if id(j) not in drop]

    @contextmanager
    def idle(self, key: str, busy_message: str) -> Iterator[None]:
        """Run a block while no job, background ones included, runs on key and none can start (e.g. switching or
        deleting model versions)."""
        with self._start_lock:
            if self.current(key) is not None or self.current(key, background=True) is not None:
                raise JobBusyError(busy_message)
            yield


_PROCESS_JOBS = JobRegistry()


def jobs() -> JobRegistry:
    """The one job registry of this process, shared by every page run, CLI call and model family."""
    return _PROCESS_JOBS


def start_job(key: str, kind: str, work: Callable[[Job], Any], params: dict[str, Any] | None = None,
              busy_message: str | None = None, background: bool = False, conflicts: Collection[str] = ()) -> Job:
    """Start a background job in the process registry: the one call a family's fit needs, e.g.
    `start_job(db, "segments", lambda job: segments.train(store, progress=job.update))`; `background=True` for a
    long low-priority job that other pages' jobs may run beside (JobRegistry.start)."""
    return _PROCESS_JOBS.start(key, kind, params or {}, work, busy_message, background, conflicts)
