"""What a training run costs before and after its fine-tuning, so that a time budget is kept or refused up front,
and how long labelling every review with a version takes. Light on purpose (no torch): the Training page estimates
the whole job before it starts.

Measured on the 22,642 rated women's clothing reviews on this shared 2-core machine (docs/benchmarks_sentiment.md,
"Training within its budget"): loading the base model ~3 s, tokenising ~0.2 ms and the simple method (TF-IDF + logistic
regression, its analyzer chosen on a sample) ~1.5-2.5 ms per rated review, the decision rule and saving ~3 s. Those
costs come before the first fine-tuning step whatever the budget, so a budget that cannot hold them and leave
MIN_FINE_TUNE_SHARE of itself to fine-tuning is refused with the smallest one that can (90 s for those reviews;
a few seconds for a few hundred reviews).
"""

from __future__ import annotations

import math

from engine.models import InsufficientDataError

FIXED_SECONDS = 1.5  # what does not grow with the reviews beyond the save's own reserve (decision tuning, reports)
PER_REVIEW_SECONDS = 0.0025  # reading, tokenising and the simple method per rated review (the loaded end measured)
MIN_FINE_TUNE_SHARE = 0.3  # the least share of the budget left to fine-tuning: below it the model barely moves
SLACK_SECONDS = 5.0  # what a run may exceed its budget by (a save, a last progress report), plus SLACK_SHARE of it
SLACK_SHARE = 0.1
BUDGET_STEP = 30  # the Training page's slider step: the minimum is rounded up to it
# Reviews per second when a version has no scoring of its own recorded yet: below what the packaged MiniLM (int8,
# in-process) scored here (34/s on 20,000 clothing reviews, 35/s on 31,515 in issue 32), so the estimate is not
# optimistic; the multilingual model reads a larger vocabulary through more layers.
DEFAULT_SCORING_RATE = 25.0
MULTILINGUAL_SCORING_RATE = 12.0


class BudgetTooShortError(InsufficientDataError):
    """The time budget cannot hold the run's fixed costs and some fine-tuning (a user input: the CLI exits 2)."""


def overhead_seconds(n_rated: int) -> float:
    """Seconds a training run spends outside fine-tuning on `n_rated` rated reviews (planned, not measured)."""
    return FIXED_SECONDS + PER_REVIEW_SECONDS * max(int(n_rated), 0)


def minimum_budget(n_rated: int) -> float:
    """The smallest time budget that holds the fixed costs and leaves MIN_FINE_TUNE_SHARE of itself to fine-tuning,
    in whole seconds (rounded up to the page's BUDGET_STEP from one step on)."""
    need = overhead_seconds(n_rated) / (1.0 - MIN_FINE_TUNE_SHARE)
    return float(math.ceil(need / BUDGET_STEP) * BUDGET_STEP) if need > BUDGET_STEP else float(math.ceil(need))


def slack_seconds(time_budget: float) -> float:
    """How much a run may end after its budget (stated in docs/sentiment.md and checked by the tests)."""
    return SLACK_SECONDS + SLACK_SHARE * float(time_budget)


def check_budget(time_budget: float, n_rated: int) -> None:
    """Refuse a budget that cannot hold the fixed costs of `n_rated` reviews and some fine-tuning, saying the least
    that can."""
    least = minimum_budget(n_rated)
    if float(time_budget) < least:
        raise BudgetTooShortError(
            f"a time budget of {time_budget:g} s is too short for {n_rated:,} rated reviews: reading them, counting "
            f"their words for the simple method and saving take about {overhead_seconds(n_rated):.0f} s before the "
            f"model learns anything; give at least {least:g} s")


def scoring_rate(metrics: dict | None, base_model: str | None = None) -> tuple[float, bool]:
    """Reviews per second labelling every review will take: the version's last recorded scoring (its report's
    ``scoring``), else a conservative rate for its kind. Returns (rate, measured)."""
    recorded = ((metrics or {}).get("scoring") or {}).get("reviews_per_second")
    if recorded:
        return float(recorded), True
    name = str(base_model or (metrics or {}).get("base_model") or "")
    return (MULTILINGUAL_SCORING_RATE if "multilingual" in name.lower() else DEFAULT_SCORING_RATE), False
