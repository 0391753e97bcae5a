"""The probability the product shows, as one differentiable torch function, so explanations explain that number.

A SentimentModel decides with ``softmax(w * log_softmax(transformer logits) + (1 - w) * log p_baseline + offsets)``
(engine.sentiment's Decision), where p_baseline is a logistic regression over the review's TF-IDF vector. Explaining
the transformer alone left a 99.6 %-negative decision "explained" by a 37.5 %-negative network. Here the same rule is
rebuilt in torch from the model's public parts (`.decision`, `.baseline.vectorizer`, `.baseline.clf`): the
TF-IDF vector enters as a dense tensor over the review's active features, so integrated gradients can move the word
embeddings and that vector together, and the attributions of both add up to the change of the shown probability.

The baseline's attributions belong to TF-IDF features (word 1-2-grams or character 1-3-grams); `feature_words`
hands each feature's share to the words of the text its occurrences cover.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

_P_FLOOR = 1e-6  # BaselineModel.log_proba clips probabilities here; the rebuilt rule clips the same way
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's char analyzer collapses these runs to one space


@dataclass
class ShownRule:
    """The decision rule in torch: transformer logits + TF-IDF features -> the probabilities the page shows.

    `weight` 1 (a plain classifier, or a SentimentModel without an ensemble) reduces it to softmax(logits + offsets).
    `coef` (n_labels_fitted x n_features) and `intercept` are the baseline's logistic regression written as a
    softmax over the classes it saw (a two-class fit gets a zero row), placed at `columns` of the label order.
    """

    n_labels: int
    weight: float = 1.0
    offsets: np.ndarray | None = None
    vectorizer: Any = None
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    columns: np.ndarray | None = None

    @property
    def uses_baseline(self) -> bool:
        """True when the baseline's words count in the shown probability."""
        return self.weight < 1.0 and self.vectorizer is not None

    @property
    def uses_transformer(self) -> bool:
        """False for a baseline-only decision (w = 0): the network's words do not change the shown probability."""
        return self.weight > 0.0

    def features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(active feature ids, dense TF-IDF rows over them): the union of the texts' non-zero features."""
        if not self.uses_baseline:
            return np.zeros(0, dtype=np.int64), np.zeros((len(texts), 0))
        x = self.vectorizer.transform([t if isinstance(t, str) else "" for t in texts]).tocsc()
        active = np.flatnonzero(np.diff(x.indptr))
        return active, np.asarray(x[:, active].todense(), dtype=np.float64)

    def proba(self, logits: torch.Tensor, x: torch.Tensor | None, active: np.ndarray | None) -> torch.Tensor:
        """Shown probabilities (float64) from transformer logits (n, K) and TF-IDF rows (n, len(active))."""
        logits = logits.double()
        # w = 0 keeps the logits in the graph with zero weight, so gradients are exact zeros rather than missing
        scores = torch.log_softmax(logits, dim=-1) * self.weight if self.uses_transformer else logits * 0.0
        if self.uses_baseline:
            # a text without any known n-gram gets the empty text's logits (the intercept)
            z = torch.as_tensor(self.intercept, dtype=torch.float64, device=logits.device).expand(len(logits), -1)
            if x is not None and x.shape[1] > 0:
                coef = torch.as_tensor(self.coef[:, active], dtype=torch.float64, device=logits.device)
                z = x.to(logits.device, torch.float64) @ coef.T + z
            seen = torch.log_softmax(z, dim=-1)
            logp = torch.full_like(logits, math.log(_P_FLOOR))
            logp[:, torch.as_tensor(self.columns, device=logits.device)] = seen
            scores = scores + (1.0 - self.weight) * torch.clamp(logp, min=math.log(_P_FLOOR))
        if self.offsets is not None:
            scores = scores + torch.as_tensor(self.offsets, dtype=torch.float64, device=logits.device)
        return torch.softmax(scores, dim=-1)


def shown_rule(model: Any, n_labels: int) -> ShownRule:
    """The model's decision rule (its `.decision` and `.baseline`), or the plain softmax for a bare classifier.

    Mirrors SentimentModel._decide: an ensemble weight below 1 without a loaded baseline falls back to the
    transformer with the offsets.
    """
    decision = getattr(model, "decision", None)
    if decision is None:
        return ShownRule(n_labels)
    offsets = np.asarray(getattr(decision, "offsets", None) or [0.0] * n_labels, dtype=np.float64)
    weight = float(getattr(decision, "transformer_weight", 1.0))
    baseline = getattr(model, "baseline", None)
    clf = getattr(baseline, "clf", None)
    vec = getattr(baseline, "vectorizer", None)
    if weight >= 1.0 or clf is None or vec is None:
        return ShownRule(n_labels, 1.0, offsets)
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:  # two classes: scikit-learn's sigmoid is a softmax over (0, z)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    return ShownRule(n_labels, max(0.0, weight), offsets, vec, coef, intercept,
                     np.asarray(clf.classes_, dtype=np.int64))


# ------------------------------------------------------------------------------------------ features -> words


def _mapped(text: str, per_char: Any) -> tuple[str, list[int]]:
    """The text as the vectorizer preprocesses it, built character by character, with each processed character's
    index in the original text."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        piece = per_char(ch)
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


def _occurrences(rule: ShownRule, text: str) -> dict[int, list[list[list[int]]]]:
    """Feature id -> occurrences, each a list of units (a word n-gram's tokens, a char n-gram's characters), each
    unit the original character indices it covers (found by re-running the vectorizer's tokenisation on the text
    preprocessed character by character, which keeps every character's origin)."""
    vec = rule.vectorizer
    vocab = vec.vocabulary_
    pre = vec.build_preprocessor()
    lo, hi = vec.ngram_range
    proc, where = _mapped(text, pre)
    found: dict[int, list[list[list[int]]]] = {}
    if vec.analyzer == "word":
        toks = [(m.group(), list(range(where[m.start()], where[m.end() - 1] + 1)))
                for m in re.finditer(vec.token_pattern, proc)]
        for n in range(lo, hi + 1):
            for i in range(len(toks) - n + 1):
                j = vocab.get(" ".join(t for t, _ in toks[i:i + n]))
                if j is not None:
                    found.setdefault(j, []).append([chars for _, chars in toks[i:i + n]])
    else:  # "char": n-grams of the text with runs of white space collapsed to one space
        chars: list[str] = []
        idx: list[int] = []
        last = 0
        for m in _WHITE_SPACES.finditer(proc):
            chars.extend(proc[last:m.start()])
            idx.extend(where[last:m.start()])
            chars.append(" ")
            idx.append(where[m.start()])
            last = m.end()
        chars.extend(proc[last:])
        idx.extend(where[last:])
        s = "".join(chars)
        for n in range(lo, hi + 1):
            for i in range(len(s) - n + 1):
                j = vocab.get(s[i:i + n])
                if j is not None:
                    found.setdefault(j, []).append([[idx[k]] for k in range(i, i + n)])
    return found


def feature_words(rule: ShownRule, text: str, spans: Sequence[tuple[int, int]], active: np.ndarray,
                  attr: np.ndarray) -> tuple[np.ndarray, float]:
    """Each active feature's attribution handed to the words (`spans`) its occurrences cover.

    A feature's share is split evenly over its occurrences, an occurrence's evenly over its units (the two words of
    a bigram, the characters of a char n-gram), a unit's over its characters; a character goes to the word it lies
    in, white space to the word before it (the first word when none is before). Returns the per-word attributions
    and the part that found no word (0 unless the text has no words or the vectorizer's text could not be rebuilt).
    """
    out = np.zeros(len(spans), dtype=np.float64)
    if not len(active) or not np.any(attr):
        return out, 0.0
    if not spans:
        return out, float(np.sum(attr))
    owner = np.full(len(text), -1, dtype=np.int64)
    for w, (s, e) in enumerate(spans):
        owner[s:e] = w
    covered = np.flatnonzero(owner >= 0)
    prev = np.maximum.accumulate(np.where(owner >= 0, np.arange(len(text)), -1))  # last covered index so far
    owner = np.where(owner >= 0, owner, np.where(prev >= 0, owner[np.maximum(prev, 0)], owner[covered[0]]))
    found = _occurrences(rule, text)
    lost = 0.0
    for j, a in zip(active.tolist(), attr.tolist()):
        if a == 0.0:
            continue
        occ = found.get(j)
        if not occ:
            lost += a
            continue
        per_occ = a / len(occ)
        for units in occ:
            per_unit = per_occ / len(units)
            for unit in units:
                per_char = per_unit / len(unit)
                for c in unit:
                    out[owner[c]] += per_char
    return out, lost
