"""Explanations you can check: Captum word attributions for a review, a deletion test of their faithfulness,
category drivers aggregated over many reviews (and the SQL that feeds them), and the escaped HTML the app shows.

What is attributed: the probability the product shows for the explained class, i.e. the model's decision (for a
SentimentModel, the transformer and the TF-IDF baseline combined with the ensemble weight and offsets; for a bare
classifier, its softmax), with integrated gradients over the word-embedding layer (reference: padding tokens, the
special tokens kept in place) and the TF-IDF features (reference: the empty text) along one path; attributions sum
to p(class | review) - p(class | reference), and Captum's convergence delta is the error of that sum.
"""

from ._attributions import (
    DEFAULT_LABELS,
    FIRST_STEPS,
    Faithfulness,
    HFClassifier,
    ReviewExplanation,
    SentimentLike,
    explain_review,
)
from ._batch import explain_reviews, word_attributions
from ._driver_data import (
    DRIVER_STEPS,
    count_reviews,
    drivers_for,
    period_reviews,
    previous_period,
    review_bounds,
    review_text,
    reviews_containing,
    term_pattern,
)
from ._drivers import cached_drivers, category_drivers, top_drivers
from ._faithfulness import faithfulness
from ._highlight import highlight_html, highlight_legend

__all__ = [
    "DEFAULT_LABELS",
    "FIRST_STEPS",
    "SentimentLike",
    "HFClassifier",
    "ReviewExplanation",
    "Faithfulness",
    "explain_review",
    "explain_reviews",
    "word_attributions",
    "faithfulness",
    "category_drivers",
    "top_drivers",
    "cached_drivers",
    "highlight_html",
    "highlight_legend",
    "DRIVER_STEPS",
    "review_text",
    "period_reviews",
    "count_reviews",
    "previous_period",
    "review_bounds",
    "drivers_for",
    "reviews_containing",
    "term_pattern",
]
