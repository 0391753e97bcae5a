"""What every model family shares: the fit/predict/save/load contract, the version registry, artefact checks,
the torch runtime (device, threads) and background jobs, so a new family adds its model and nothing else."""

from ._artefacts import read_meta, sha256_file, write_meta
from ._contract import ModelFamily, Progress, no_progress
from ._errors import InsufficientDataError, ModelLoadError, ModelNotFoundError
from ._jobs import Job, JobBusyError, JobCancelled, JobRegistry, jobs, start_job
from ._registry import Registry

__all__ = [
    "ModelFamily",
    "Progress",
    "no_progress",
    "Registry",
    "ModelLoadError",
    "ModelNotFoundError",
    "InsufficientDataError",
    "read_meta",
    "write_meta",
    "sha256_file",
    "Job",
    "JobBusyError",
    "JobCancelled",
    "JobRegistry",
    "jobs",
    "start_job",
]
