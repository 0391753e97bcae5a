"""A deletion test that says whether an explanation is faithful: removing the top words must move the
probability more than removing as many random words."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ._attributions import (
    _EPS,
    Faithfulness,
    ReviewExplanation,
    SentimentLike,
    _labels_of,
    _texts_proba,
)
from ._words import is_cjk

# ----------------------------------------------------------------------------------------------------------------
# faithfulness


def _is_word(token: str) -> bool:
    """Deletion candidates are words; lone punctuation is not counted as a word."""
    return any(ch.isalnum() for ch in token)


def _delete_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Removes the given character spans (replaced by a space so neighbours do not fuse, except between Chinese or
    Japanese characters, which never have one)."""
    out, last = [], 0
    for s, e in sorted(spans):
        out.append(text[last:s])
        out.append("" if is_cjk(text[max(s - 1, 0):s] + text[e:e + 1]) else " ")
        last = e
    out.append(text[last:])
    return "".join(out)


def faithfulness(model: SentimentLike, text: str, explanation: ReviewExplanation,
                 fractions: Sequence[float] = (0.1, 0.2, 0.3), n_random: int = 5, seed: int = 0) -> Faithfulness:
    """Deletion test (AOPC): do the most-attributed words lower p(explained class) more than random words do?

    The probability is the shown one (the model's decision: transformer and baseline combined, computed in torch
    as in explain_review), i.e. the function the attributions explain; its value at the untouched text is the
    explanation's `target_probability`.

    For each fraction f, k = max(1, round(f * n_words)) words are deleted from the text: the k with the highest
    attribution toward the explained class (the predicted class by default), and `n_random` random k-sets.
    All perturbed texts go through the model in one batch.
    """
    if text != explanation.text:
        raise ValueError("faithfulness needs the text the explanation was made for")
    labels = _labels_of(model)
    t_idx = labels.index(explanation.target)
    cands = [(t["start"], t["end"], float(t["attribution"])) for t in explanation.tokens if _is_word(t["token"])]
    n = len(cands)
    fractions = tuple(float(f) for f in fractions)
    if n == 0:
        return Faithfulness(float("nan"), float("nan"), float("nan"), False,
                            "not checked: the review has no words to delete", n_words=0, n_random=n_random)
    order = sorted(range(n), key=lambda i: -cands[i][2])
    ks = {f: min(n, max(1, int(f * n + 0.5))) for f in fractions}
    texts = [text]
    for f in fractions:
        texts.append(_delete_spans(text, [cands[i][:2] for i in order[:ks[f]]]))
    for r in range(n_random):
        rng = np.random.default_rng([seed, r])
        for f in fractions:
            pick = rng.choice(n, size=ks[f], replace=False)
            texts.append(_delete_spans(text, [cands[int(i)][:2] for i in pick]))
    p = _texts_proba(model, texts)[:, t_idx]
    p0 = p[0]
    nf = len(fractions)
    drops_top = {f: float(p0 - p[1 + j]) for j, f in enumerate(fractions)}
    rand = (p0 - p[1 + nf:]).reshape(n_random, nf) if n_random else np.zeros((0, nf))
    drops_random = {f: float(rand[:, j].mean()) if n_random else 0.0 for j, f in enumerate(fractions)}
    aopc_top = float(np.mean(list(drops_top.values())))
    aopc_random = float(np.mean(list(drops_random.values())))
    ratio = aopc_top / max(aopc_random, _EPS) if aopc_top > 0 else 0.0
    ok = aopc_top > aopc_random
    if ok and aopc_random > 0.005:
        badge = f"faithful: removing the highlighted words drops confidence {ratio:.1f}× more than random words"
    elif ok:
        badge = (f"faithful: removing the highlighted words drops confidence by {100 * aopc_top:.1f} points; "
                 f"removing random words barely changes it ({100 * aopc_random:+.1f})")
    else:
        badge = (f"warning: removing the highlighted words does not lower confidence more than random words "
                 f"({100 * aopc_top:.1f} vs {100 * aopc_random:.1f} points); treat this explanation with caution")
    return Faithfulness(aopc_top, aopc_random, float(ratio), ok, badge, drops_top, drops_random, ks, n, n_random)
