"""The background job runner (engine.models): one running job per key, progress, results, failures, cancelling,
steps of a multi-step job, and blocks that need no job running; plus the dashboard's one-cache-module rule."""

import re
import threading
import time
from pathlib import Path

import pytest

from engine.models import JobBusyError, JobRegistry, jobs, start_job

ROOT = Path(__file__).resolve().parent.parent


def _until(condition, seconds: float = 10) -> None:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.01)


def test_one_call_starts_a_job_in_the_process_registry_and_returns_its_result():
    job = start_job("test-jobs-one-call", "segments", lambda j: {"n": 3}, {"k": 4})
    assert job.wait(10) and job.status == "done" and job.result == {"n": 3} and job.params == {"k": 4}
    assert jobs().latest("test-jobs-one-call") is job and jobs().current("test-jobs-one-call") is None


def test_steps_of_a_job_share_its_progress_bar_and_it_never_moves_backwards():
    reg, gate, seen = JobRegistry(), threading.Event(), []

    def work(job):
        job.scaled(0.0, 0.5)(1.0, "first step done")
        seen.append(job.fraction)
        job.scaled(0.5, 1.0)(0.5, "second step half way")
        seen.append(job.fraction)
        job.update(0.1, "a late report")
        seen.append(job.fraction)
        gate.wait(10)

    job = reg.start("db", "train", {}, work)
    _until(lambda: len(seen) == 3)
    assert seen == [0.5, 0.75, 0.75] and job.message == "a late report"
    gate.set()
    assert job.wait(10) and job.fraction == 1.0


def test_idle_blocks_refuse_while_a_job_runs_and_hold_new_jobs_off():
    reg, gate = JobRegistry(), threading.Event()
    job = reg.start("db", "score", {}, lambda j: gate.wait(10))
    with pytest.raises(JobBusyError, match="switch later"):
        with reg.idle("db", "switch later"):
            pass
    with pytest.raises(JobBusyError, match="busy here"):
        reg.start("db", "train", {}, lambda j: None, busy_message="busy here")
    gate.set()
    assert job.wait(10)

    started = []
    with reg.idle("db", "unused"):  # while the block runs, a job on this key waits to start
        t = threading.Thread(target=lambda: started.append(reg.start("db", "train", {}, lambda j: None)))
        t.start()
        time.sleep(0.2)
        assert not started
    t.join(10)
    assert started and started[0].wait(10) and started[0].status == "done"


def test_cancel_stops_the_work_at_its_next_progress_report():
    reg = JobRegistry()

    def slow(job):
        for i in range(1000):
            job.update(i / 1000, f"step {i}")
            time.sleep(0.01)

    job = reg.start("db", "train", {}, slow)
    job.cancel()
    assert job.wait(10) and job.status == "cancelled" and job.result is None


def test_only_the_cache_module_uses_streamlit_caching():
    users = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dashboard").rglob("*.py")
             if re.search(r"st\.cache_(data|resource)", p.read_text(encoding="utf-8"))}
    assert users == {"dashboard/services/cache.py"}
    engine_streamlit = [p for p in (ROOT / "engine").rglob("*.py") if "import streamlit" in p.read_text("utf-8")]
    assert engine_streamlit == []
