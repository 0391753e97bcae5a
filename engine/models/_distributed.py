"""Row-parallel model jobs on a Ray cluster: one runner for every job that processes each review or customer
(sentiment scoring and prediction, batch attributions, recommendation export, segment inference).

The machine that runs StoreLens owns the database: it reads the rows, cuts them into blocks, and Ray Data maps the
blocks through a pool of actors that each load the model version once from its files (shipped through Ray's object
store; workers never open the database). Results come back to this process in any order and are put back in row
order here, each row exactly once, so the caller writes them in one transaction. Ray is imported only when a job
asks for it: the default install neither needs nor loads it.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._contract import Progress, no_progress

if TYPE_CHECKING:
    import pyarrow as pa

RAY_ENV = "STORELENS_RAY"
LOCAL = "local"
BLOCK = "_block"  # the block a row was read in: each block is worked on as one unit, as the in-process path does
POS = "_pos"  # a result row's place in its block's results: with BLOCK, the order results are put back in
PROBE_SECONDS = 5.0  # how long an address may take to accept a connection before it counts as unreachable
LOCAL_OBJECT_STORE = 1 << 30  # a local Ray's shared memory: blocks beyond it spill to disk rather than fill RAM
INSTALL_HINT = 'pip install -e ".[cluster]"'


class ClusterError(RuntimeError):
    """Ray cannot be used as asked (the `cluster` extra is missing, the address does not answer): the user's input,
    reported as one sentence with exit status 2."""


@dataclass(frozen=True)
class Engine:
    """Where a row-parallel job runs: in this process (`ray` None) or on Ray (`local`, `auto` or an address).

    `workers` sizes the actor pool (with `local` also the local Ray's CPUs; on a cluster, at most what its free
    CPUs or GPUs allow); `threads` is the torch and ONNX Runtime threads per worker, and of the in-process path.
    """

    ray: str | None = None
    workers: int | None = None
    threads: int | None = None

    @property
    def distributed(self) -> bool:
        """True when the job runs on Ray."""
        return self.ray is not None

    def check(self) -> None:
        """Fail before any work when Ray cannot be used as asked: the extra is missing or nobody answers at the
        address (ClusterError, one sentence). In-process there is nothing to check."""
        if self.distributed:
            _import_ray()
            if self.ray != LOCAL:
                _probe(self.ray)

    @property
    def worker_threads(self) -> int:
        """Threads per Ray worker: one unless asked (a worker per core beats threads within one for these models)."""
        return max(1, self.threads or 1)


def engine_from(ray: str | None = None, workers: int | None = None, threads: int | None = None) -> Engine:
    """The engine a command asked for: `--ray`, else $STORELENS_RAY, else in-process; bad counts are ValueError."""
    address = ray if ray is not None else os.environ.get(RAY_ENV)
    address = address.strip() if address else None
    for name, value in (("--workers", workers), ("--threads", threads)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be a positive whole number")
    if workers is not None and address is None:
        raise ValueError("--workers needs --ray (the in-process path takes --threads)")
    return Engine(address or None, workers, threads)


def apply_threads(engine: Engine) -> None:
    """Make `--threads` the in-process thread count: the runtime reads OMP_NUM_THREADS (engine.models
    default_threads) before every torch or ONNX Runtime pass."""
    if engine.threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(engine.threads)


def report(engine: Engine, workers: int | None) -> dict[str, Any]:
    """What `--json` adds for a Ray run: `{"engine": "ray", "workers": N}` (nothing in-process)."""
    return {"engine": "ray", "workers": workers} if engine.distributed else {}


# ------------------------------------------------------------------------------------------------ connecting


def _import_ray() -> Any:
    """Ray, with its usage statistics off; ClusterError naming the extra when it is not installed."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never report to anyone: set before Ray loads
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # its C++ notices would crowd the progress line
    try:
        import ray
        import ray.data  # noqa: F401  (the `data` extra: fails here when only bare `ray` is installed)
    except ImportError as exc:
        raise ClusterError(f"--ray needs Ray, which is not installed; install the cluster extra: {INSTALL_HINT}") \
            from exc
    return ray


def _probe(address: str) -> None:
    """Fail fast on an address nobody answers at: Ray itself retries for minutes before giving up."""
    if address == "auto":
        return  # Ray finds the local cluster's address file, or says at once that there is none
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--ray {address!r} is not a Ray address; use local, auto, HOST:PORT or ray://HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS):
            pass
    except OSError as exc:
        raise ClusterError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head` or check the address") from exc


def _quiet(ray: Any) -> None:
    """Ray Data's own progress bars and banners off: the command's progress line says rows done / rows total."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def ray_session(engine: Engine) -> Iterator[Any]:
    """Ray connected for one job: a local Ray started for it (no dashboard, no usage reports, workers at normal
    priority) or the cluster at the address; a session already open in this process (the app's, a test's) is reused
    and left open."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        common = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,
                  "namespace": "storelens"}
        try:
            if engine.ray == LOCAL:
                # Ray runs workers at nice 15 by default: on a shared machine they would give way to everything,
                # and the job is this command's own work.
                os.environ.setdefault("RAY_worker_niceness", "0")
                workers = engine.workers or max(1, len(os.sched_getaffinity(0)) // engine.worker_threads)
                # address "local": always a new Ray of its own, never one that `ray start` left on this machine
                ray.init(address=LOCAL, num_cpus=workers * engine.worker_threads, num_gpus=0,
                         object_store_memory=LOCAL_OBJECT_STORE, **common)
            else:
                _probe(engine.ray)
                ray.init(address=engine.ray, **common)
        except ClusterError:
            raise
        except ImportError as exc:  # ray:// needs Ray Client's own packages
            raise ClusterError(f"--ray {engine.ray} needs Ray Client: pip install \"ray[client]==2.60.0\"") from exc
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
            first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
            raise ClusterError(f"could not connect to Ray at {engine.ray}: {first.rstrip('.')}") from exc
        started = True
    _quiet(ray)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


@contextmanager
def session(engine: Engine | None) -> Iterator[None]:
    """One Ray connection held across the several `map_blocks` calls of one job (a local Ray starts once); nothing
    in-process."""
    if engine is None or not engine.distributed:
        yield
        return
    with ray_session(engine):
        yield


def pool_size(ray: Any, engine: Engine) -> tuple[int, int]:
    """(actors, GPUs per actor): one GPU each when the cluster has GPUs, else `threads` CPUs each; at most
    `workers` when given, and at most what the cluster holds, so the pool never waits for resources it lacks."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    fits = gpus if gpus else max(1, int(resources.get("CPU", 1)) // engine.worker_threads)
    return max(1, min(engine.workers or fits, fits)), 1 if gpus else 0


# ------------------------------------------------------------------------------------------------ the workers


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file of a model version folder by relative path: what travels to the workers."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class _ModelWorker:
    """One actor of the pool: writes the shipped model files to a private folder, loads the version once, then
    applies `work(model, block)` to every block it is given."""

    def __init__(self, files: list[Any], loader: Callable[[Path], Any], work: Callable[[Any, Any], Any],
                 threads: int) -> None:
        import ray

        os.environ["OMP_NUM_THREADS"] = str(threads)  # read by engine.models.default_threads on every pass
        import torch

        torch.set_num_threads(threads)
        payload = ray.get(files[0])  # a list keeps Ray from resolving the reference before the thread count is set
        self._tmp = tempfile.TemporaryDirectory(prefix="storelens-model-")
        weakref.finalize(self, self._tmp.cleanup)
        folder = Path(self._tmp.name)
        for name, data in payload.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.model = loader(folder)
        self.work = work

    def __call__(self, batch: "pa.Table") -> "pa.Table":
        import pyarrow as pa
        import pyarrow.compute as pc

        parts = []
        ids = batch.column(BLOCK)
        for block in dict.fromkeys(ids.to_pylist()):  # a bundle of several blocks: each one on its own, in order
            rows = batch.filter(pc.equal(ids, block)) if pc.count_distinct(ids).as_py() > 1 else batch
            out = self.work(self.model, rows.drop_columns([BLOCK]))
            table = out if isinstance(out, pa.Table) else pa.Table.from_pandas(out, preserve_index=False)
            parts.append(table.append_column(BLOCK, pa.array([block] * len(table), pa.int64()))
                         .append_column(POS, pa.array(range(len(table)), pa.int64())))
        return pa.concat_tables(parts)


def map_blocks(engine: Engine, model_folder: Path, loader: Callable[[Path], Any], work: Callable[[Any, Any], Any],
               blocks: Iterable["pa.Table"], total: int, progress: Progress = no_progress, what: str = "rows",
               one_to_one: bool = True) -> tuple["pa.Table", int]:
    """Run `work(model, block)` over every block on Ray; returns (the results in block order, workers used).

    Each block is an Arrow table; `work` gets it as it was given and returns its result rows (an Arrow table or
    DataFrame; with `one_to_one`, one per input row, which is then checked) from the model `loader(folder)`
    restores. Each block's result comes back exactly once: a worker that dies is restarted by Ray and its block
    run again, and a result that arrives twice is kept once. Progress reports input `what` done / `total` as
    results arrive.
    """
    import numpy as np
    import pyarrow as pa

    with ray_session(engine) as ray:
        actors, gpus = pool_size(ray, engine)
        refs, size_of = [], {}
        for i, block in enumerate(blocks):
            if len(block):
                refs.append(ray.put(block.append_column(BLOCK, pa.array([i] * len(block), pa.int64()))))
                size_of[i] = len(block)
        if not refs:
            return pa.table({}), 0
        actors = min(actors, len(refs))  # an actor with no block would only load the model
        # One block in flight per actor: a block goes to whichever actor is free, so a slow worker (a busy host, a
        # long block) never holds a queue of blocks while another one idles at the end of the job.
        files = ray.put(folder_files(model_folder))
        threads = engine.worker_threads
        ds = ray.data.from_arrow_refs(refs).map_batches(
            _ModelWorker, fn_constructor_args=([files], loader, work, threads), batch_size=None,
            batch_format="pyarrow", zero_copy_batch=True, compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
            num_cpus=0 if gpus else threads, num_gpus=gpus)
        progress(0.0, f"0/{total:,} {what} on {actors} Ray worker{'s' if actors > 1 else ''}")
        parts, done, seen = [], 0, set()
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
            parts.append(batch)
            for block in set(batch.column(BLOCK).to_pylist()) - seen:
                seen.add(block)
                done += size_of.get(block, 0)
            progress(done / max(total, 1), f"{done:,}/{total:,} {what} on Ray")
    out = pa.concat_tables(parts)
    out = out.take(pa.compute.sort_indices(out, [(BLOCK, "ascending"), (POS, "ascending")]))
    key = np.stack([out.column(BLOCK).to_numpy(), out.column(POS).to_numpy()], axis=1)
    first = np.r_[True, (key[1:] != key[:-1]).any(axis=1)] if len(key) else np.zeros(0, bool)
    if not first.all():  # a block run twice (a retried task whose first result also arrived): keep one copy
        out = out.filter(pa.array(first))
    if one_to_one and len(out) != sum(size_of.values()):
        raise RuntimeError(f"Ray returned {len(out)} results for {sum(size_of.values())} {what}; nothing was "
                           "written")
    return out.drop_columns([BLOCK, POS]), actors
