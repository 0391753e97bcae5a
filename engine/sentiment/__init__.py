"""The sentiment family: a transformer fine-tuned on the shop's own rated reviews (star ratings are the labels),
its versions, int8 scoring of every review, and the trends and shifts the Reviews pages show.

The registry functions are light; the model, training and scoring load torch only when first used (module
`__getattr__`), so `storelens ingest` can ask `has_model` without paying for torch.
"""

from importlib import import_module
from typing import Any

from engine.models import (
    BaseModelError,
    InsufficientDataError,
    ModelLoadError,
    ModelNotFoundError,
)
from engine.store import LABELS, compose_text, labels_from_ratings

from ._budget import (
    BudgetTooShortError,
    check_budget,
    minimum_budget,
    overhead_seconds,
    scoring_rate,
    slack_seconds,
)
from ._data import MIN_PER_CLASS, MIN_REVIEWS, read_training_frame, training_shortfall
from ._language import NAMES as LANGUAGE_NAMES
from ._language import detect_languages, fill_languages, fill_missing_languages, language_name
from ._registry import (
    FAMILY,
    REGISTRY,
    activate,
    active_version,
    check_active,
    delete_version,
    fallback_notice,
    has_model,
    list_versions,
    load_active,
    record_scoring,
    version_count,
    version_metrics,
)

_LAZY = {
    "SentimentModel": "._model",
    "SentimentConfig": "._model",
    "train": "._model",
    "activation_decision": "._model",
    "train_frame": "._model",
    "choose_base_model": "._model",
    "language_mix": "._model",
    "prepare_frame": "._model",
    "EVAL_FRACTION": "._model",
    "device_config": "._model",
    "CROSSFIT_REPEATS": "._decision",
    "BaselineModel": "._baseline",
    "score": "._scoring",
    "score_new": "._scoring",
    "predict_frame": "._scoring",
    "FitConfig": "._training",
    "fine_index": "._training",
    "fine_tune": "._training",
    "Decision": "._decision",
    "confusion": "._decision",
    "macro_f1": "._decision",
    "macro_f1_interval": "._decision",
    "fit_decision": "._decision",
    "tune_offsets": "._decision",
    "grid_confusions": "._decision",
    "split_frame": "._training",
    "export_int8": "._int8",
    "MeanPoolClassifier": "._network",
    "keep_lower_layers": "._network",
    "log_softmax": "._network",
    "torch_logits": "._network",
    "int8_available": "._int8",
}

__all__ = [
    "LABELS",
    "FAMILY",
    "REGISTRY",
    "ModelNotFoundError",
    "ModelLoadError",
    "InsufficientDataError",
    "BaseModelError",
    "labels_from_ratings",
    "compose_text",
    "list_versions",
    "activate",
    "delete_version",
    "load_active",
    "has_model",
    "MIN_REVIEWS",
    "MIN_PER_CLASS",
    "training_shortfall",
    "read_training_frame",
    "detect_languages",
    "fill_languages",
    "fill_missing_languages",
    "language_name",
    "LANGUAGE_NAMES",
    "active_version",
    "check_active",
    "fallback_notice",
    "version_count",
    "version_metrics",
    "record_scoring",
    "BudgetTooShortError",
    "check_budget",
    "minimum_budget",
    "overhead_seconds",
    "scoring_rate",
    "slack_seconds",
    "trends",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    """Load the torch-backed parts on first use."""
    if name == "trends":  # the public submodule of sentiment shares and shifts (loads scipy)
        return import_module(".trends", __name__)
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), "available" if name == "int8_available" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
