"""What every model family shares: the fit/predict/save/load contract, the version registry, artefact checks,
the torch runtime (device, threads), background jobs and the Ray runner of row-parallel jobs, so a new family adds
its model and nothing else."""

from ._artefacts import read_artefact, read_meta, sha256_file, write_meta
from ._contract import ModelFamily, Progress, no_progress
from ._distributed import RAY_ENV, ClusterError, Engine, apply_threads, engine_from, map_blocks, report, session
from ._errors import InsufficientDataError, ModelLoadError, ModelNotFoundError
from ._jobs import Job, JobBusyError, JobCancelled, JobRegistry, jobs, start_job
from ._registry import Registry
from ._runtime import (
    BaseModelError,
    ThreadTuner,
    configure_threads,
    cpu_bf16_native,
    default_threads,
    packaged_base_model,
    pick_device,
    preferred_threads,
    resolve_base_model,
    run_data_parallel,
)

__all__ = [
    "ModelFamily",
    "Progress",
    "no_progress",
    "Registry",
    "ModelLoadError",
    "ModelNotFoundError",
    "InsufficientDataError",
    "read_meta",
    "read_artefact",
    "write_meta",
    "sha256_file",
    "BaseModelError",
    "packaged_base_model",
    "resolve_base_model",
    "pick_device",
    "cpu_bf16_native",
    "default_threads",
    "configure_threads",
    "preferred_threads",
    "ThreadTuner",
    "run_data_parallel",
    "RAY_ENV",
    "ClusterError",
    "Engine",
    "engine_from",
    "apply_threads",
    "map_blocks",
    "report",
    "session",
    "Job",
    "JobBusyError",
    "JobCancelled",
    "JobRegistry",
    "jobs",
    "start_job",
]
