"""Product recommendations that beat the shop's simple baselines or say so, and explain every recommendation
truthfully (exact attributions to past purchases and product features, checked by a counterfactual)."""

from ._data import Columns
from ._errors import UnknownCustomerError, UnknownProductError
from ._explain import also_bought, attributions, explain, rank_of, recommended_to
from ._model import FAMILY, RecommendConfig, RecommendModel
from ._terms import MODES
from ._train import REGISTRY, load_active, top_k_all, train

__all__ = [
    "FAMILY",
    "MODES",
    "REGISTRY",
    "Columns",
    "RecommendConfig",
    "RecommendModel",
    "UnknownCustomerError",
    "UnknownProductError",
    "also_bought",
    "attributions",
    "rank_of",
    "explain",
    "load_active",
    "recommended_to",
    "top_k_all",
    "train",
]
