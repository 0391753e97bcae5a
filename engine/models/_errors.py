"""The three errors every family raises the same way, so callers handle all models with one except clause."""

from __future__ import annotations


class ModelNotFoundError(LookupError):
    """No version of a family exists yet (or the named version is unknown)."""


class ModelLoadError(RuntimeError):
    """A version exists but its artefacts are missing or corrupt; the message names the file."""


class InsufficientDataError(ValueError):
    """The store holds too little data to fit (and honestly evaluate) a model of this family."""
