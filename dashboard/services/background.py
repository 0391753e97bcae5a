"""The background jobs of this app's database as the pages see them (the running or last one, its wording,
cancelling it); the jobs themselves live in engine.models' process-wide registry, so they outlive page reruns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from engine.models import Engine, Job, JobBusyError, JobRegistry, engine_from, jobs

from .display import duration, plain
from .session import db_path

__all__ = ["JOB_TEXT", "job_title", "job_progress_text", "ended_unfinished", "Job", "JobBusyError", "JobRegistry", "jobs", "current_job",
           "latest_job", "current_background_job", "latest_background_job", "cancel_job", "start_job",
           "no_job_running", "cluster_engine", "engine_note"]

JOB_TEXT: dict[str, str] = {"train": "Training", "score": "Scoring every review",
                             "score_after_train": "Labelling every review with the new version",
                             "score_new": "Scoring the reviews the active model has not scored",
                             "drivers": "Finding the words that drive a category's reviews",
                             "recommend_train": "Training recommendations", "forecast": "Forecasting",
                             "segments": "Learning customer segments and churn risk"}
_BUSY = "a training, scoring or forecast job is already running; wait for it to finish"


def job_title(job: Job) -> str:
    """What a job does, in words ('Training', 'Scoring every review', ...; a new kind shows its own name)."""
    return JOB_TEXT.get(job.kind, job.kind)


def ended_unfinished(job: Job, what: str | None = None) -> tuple[str, str] | None:
    """The (level, Markdown-safe sentence) of a job that failed or was cancelled, worded alike on every page; None
    for any other state."""
    what = what or job_title(job)
    if job.status == "failed":
        return "error", f"{what} failed: {plain(job.error)}"
    if job.status == "cancelled":
        return "info", f"{what} was cancelled; nothing was kept from it."
    return None


def job_progress_text(job: Job) -> str:
    """The progress bar's text of a running job (Markdown-safe): what, its latest message, how long so far."""
    return f"{job_title(job)}: {plain(job.message)} · {duration(job.elapsed)}"


def current_job() -> Job | None:
    """The job running on this app's database, if any."""
    return jobs().current(db_path())


def latest_job() -> Job | None:
    """The most recent job on this app's database (running or finished)."""
    return jobs().latest(db_path())


def current_background_job() -> Job | None:
    """The low-priority job (labelling every review after a training) running beside the pages' own jobs, if any."""
    return jobs().current(db_path(), background=True)


def latest_background_job() -> Job | None:
    """The most recent low-priority job on this app's database (running or finished)."""
    return jobs().latest(db_path(), background=True)


def cancel_job(job: Job) -> None:
    """Ask a running job to stop at its next progress report (a training run then keeps no version)."""
    job.cancel()


def start_job(kind: str, params: dict[str, Any], work: Callable[[Job], Any], background: bool = False,
              conflicts: tuple[str, ...] = (), busy_message: str | None = None, key: str | None = None) -> Job:
    """Run work(job) in the background on this app's database (or `key`, when a job starts another from its own
    thread); JobBusyError while another job runs there (JobRegistry.start: a `background` job runs beside one
    foreground job, `conflicts` are the background kinds this one cannot run beside)."""
    return jobs().start(key or db_path(), kind, params, work, busy_message=busy_message or _BUSY,
                        background=background, conflicts=conflicts)


@contextmanager
def no_job_running(busy_message: str) -> Iterator[None]:
    """Run a block (switching or deleting versions) while no job, background labelling included, runs on this
    database and none can start."""
    with jobs().idle(db_path(), busy_message):
        yield


def cluster_engine() -> Engine:
    """Where the pages' jobs over every review run: on the Ray cluster named by STORELENS_RAY when the app was
    started with it (docs/cluster.md), else in this process; read per job, so the pages follow the setting."""
    return engine_from()


def engine_note() -> str | None:
    """One Markdown-safe sentence saying that the pages' scoring and drivers run on Ray, or None in-process."""
    engine = cluster_engine()
    if not engine.distributed:
        return None
    where = "a local Ray on this machine" if engine.ray == "local" else f"the Ray cluster at {plain(engine.ray)}"
    return f"Scoring and drivers run on {where} (STORELENS_RAY); the bar counts the rows done."

