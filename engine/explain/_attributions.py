"""Captum word attributions for one review of the probability the product shows (the model's decision: transformer
and TF-IDF baseline combined, engine.explain._shown): integrated gradients on the word embeddings and the TF-IDF
features along one path, word pieces and n-gram features merged into words that index the original text."""

from __future__ import annotations

import bisect
import math
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

import numpy as np
import torch

from engine.store import LABELS

from ._shown import ShownRule, feature_words, shown_rule
from ._words import word_spans

DEFAULT_LABELS: tuple[str, ...] = LABELS
ATTRIBUTION_OF = ("shown probability of the explained class (the model's decision: transformer and word-count baseline "
                  "combined with the ensemble weight), integrated gradients on word embeddings and TF-IDF features")

FIRST_STEPS = 12  # integration steps of the first try (see explain_review)
_TOKEN_BUDGET = 4096  # tokens per internal IG batch: keeps memory bounded (max_steps x 512 tokens would not be)
_MAX_CHARS = 200_000  # longer inputs are cut before tokenising; far beyond any model's window anyway
_EPS = 1e-6
# Captum hooks the embedding layer while it integrates: two explanations on one model must not interleave.
# (Other forward passes on the same model object should not run concurrently with an explanation either.)
_IG_LOCK = threading.RLock()
_Progress = Callable[[float, str], None]  # (fraction done, message), e.g. a Streamlit progress bar


@runtime_checkable
class SentimentLike(Protocol):
    """What explanations need from a sentiment model (engine.sentiment.SentimentModel fits; so does HFClassifier).

    Labels are read from `labels`, else `LABELS`, else the model config's id2label, else DEFAULT_LABELS.
    """

    tokenizer: Any
    model: torch.nn.Module
    max_length: int


@dataclass
class HFClassifier:
    """Adapter so a plain Hugging Face sequence classifier + fast tokenizer can be explained like SentimentModel."""

    tokenizer: Any
    model: torch.nn.Module
    max_length: int = 256
    labels: tuple[str, ...] = DEFAULT_LABELS

    @classmethod
    def load(cls, path: str | os.PathLike[str], max_length: int = 256) -> "HFClassifier":
        """Loads a saved HF folder offline, taking label names from its config when they are meaningful."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(path))
        net = AutoModelForSequenceClassification.from_pretrained(str(path)).eval()
        return cls(tok, net, max_length, _labels_from_config(net) or DEFAULT_LABELS)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, rows in input order; same numbers the explanations start from."""
        return _texts_proba(self, list(texts))


# ----------------------------------------------------------------------------------------------------------------
# results


@dataclass
class ReviewExplanation:
    """One explained review; `as_dict()` gives the contract's JSON keys first, then extras."""

    text: str
    label: str  # predicted label (the model's own decision rule, as `sentiment predict` reports it)
    probability: float  # probability of the predicted label
    probabilities: dict[str, float]
    target: str  # class whose probability was attributed (== label unless chosen)
    target_probability: float  # the shown probability of the target at the review: the attributed quantity
    baseline_probability: float  # the same at the reference (padding for the transformer, empty text for TF-IDF)
    model_probabilities: dict[str, float]  # softmax of the network alone (== probabilities without a decision rule)
    tokens: list[dict[str, Any]]  # [{token, start, end, attribution}], words in text order
    convergence_delta: float  # Captum's delta of the final run: sum(attr) - (p(x) - p(baseline))
    steps_used: int
    converged: bool
    step_history: list[tuple[int, float]]
    n_tokens_explained: int  # word pieces inside the window (special tokens excluded)
    n_tokens_total: int
    note: str | None = None
    seconds: float = 0.0
    ensemble_weight: float = 1.0  # the transformer's weight in the explained decision (1: the transformer alone)

    @property
    def truncated(self) -> bool:
        """True when only the first part of the review fitted the model window."""
        return self.n_tokens_explained < self.n_tokens_total

    def as_dict(self) -> dict[str, Any]:
        """Contract keys (label, probability, tokens, convergence_delta) plus diagnostics; JSON-safe."""
        return {
            "label": self.label,
            "probability": _f(self.probability),
            "tokens": [
                {"token": t["token"], "start": int(t["start"]), "end": int(t["end"]),
                 "attribution": _f(t["attribution"])}
                for t in self.tokens
            ],
            "convergence_delta": _f(self.convergence_delta),
            "target": self.target,
            "target_probability": _f(self.target_probability),
            "baseline_probability": _f(self.baseline_probability),
            "probabilities": {k: _f(v) for k, v in self.probabilities.items()},
            "model_probabilities": {k: _f(v) for k, v in self.model_probabilities.items()},
            "attribution_of": ATTRIBUTION_OF,
            "ensemble_weight": _f(self.ensemble_weight),
            "steps_used": int(self.steps_used),
            "converged": bool(self.converged),
            "step_history": [[int(s), _f(d)] for s, d in self.step_history],
            "truncated": self.truncated,
            "n_tokens_explained": int(self.n_tokens_explained),
            "n_tokens_total": int(self.n_tokens_total),
            "note": self.note,
            "seconds": round(float(self.seconds), 4),
        }


@dataclass(frozen=True)
class Faithfulness:
    """Deletion test result: how much more the highlighted words matter than random ones."""

    aopc_top: float  # mean drop of p(target) when deleting the top-k attributed words, over fractions
    aopc_random: float  # same for random word sets, averaged over seeds
    ratio: float  # aopc_top / max(aopc_random, eps)
    faithful: bool  # aopc_top > aopc_random
    badge: str
    drops_top: dict[float, float] = field(default_factory=dict)
    drops_random: dict[float, float] = field(default_factory=dict)
    k_words: dict[float, int] = field(default_factory=dict)
    n_words: int = 0
    n_random: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form for the CLI and the app."""
        return {
            "aopc_top": _f(self.aopc_top), "aopc_random": _f(self.aopc_random), "ratio": _f(self.ratio),
            "faithful": bool(self.faithful), "badge": self.badge,
            "drops_top": {str(k): _f(v) for k, v in self.drops_top.items()},
            "drops_random": {str(k): _f(v) for k, v in self.drops_random.items()},
            "k_words": {str(k): int(v) for k, v in self.k_words.items()},
            "n_words": int(self.n_words), "n_random": int(self.n_random),
        }


# ----------------------------------------------------------------------------------------------------------------
# model plumbing


def _f(x: float) -> float | None:
    """JSON has no NaN/inf: map them to null rather than emitting invalid JSON."""
    x = float(x)
    return x if math.isfinite(x) else None


def _labels_from_config(net: torch.nn.Module) -> tuple[str, ...] | None:
    """Uses id2label only when it names real classes (HF fills LABEL_0... by default)."""
    id2label = getattr(getattr(net, "config", None), "id2label", None) or {}
    names = tuple(str(id2label[i]) for i in sorted(id2label))
    if names and not all(n.upper().startswith("LABEL_") for n in names):
        return tuple(n.lower() for n in names)
    return None


def _labels_of(model: Any) -> tuple[str, ...]:
    """Label order of the model's output columns; every attribution target is looked up here."""
    for attr in ("labels", "LABELS"):
        val = getattr(model, attr, None)
        if val:
            return tuple(str(v) for v in val)
    module_labels = getattr(sys.modules.get(type(model).__module__), "LABELS", None)  # engine.sentiment.LABELS
    if module_labels:
        return tuple(str(v) for v in module_labels)
    return _labels_from_config(model.model) or DEFAULT_LABELS


def _max_length(model: Any) -> int:
    """Model window in tokens including special tokens, capped by the position table."""
    n = int(getattr(model, "max_length", 0) or getattr(model.tokenizer, "model_max_length", 512) or 512)
    cfg = getattr(model.model, "config", None)
    pos = getattr(cfg, "max_position_embeddings", None)
    return max(4, min(n, int(pos)) if pos else n)


def _logits(out: Any) -> torch.Tensor:
    """SentimentModel may return a tensor, HF returns an output object or a tuple."""
    if hasattr(out, "logits"):
        return out.logits
    if isinstance(out, (tuple, list)):
        return out[0]
    return out


def _embedding_layer(model: Any) -> torch.nn.Module:
    """The word-embedding table (not position/type embeddings) that IG interpolates."""
    net = model.model
    getter = getattr(net, "get_input_embeddings", None)
    if callable(getter):
        try:
            layer = getter()
            if isinstance(layer, torch.nn.Module):
                return layer
        except (NotImplementedError, AttributeError):
            pass
    named = [m for n, m in net.named_modules() if n.endswith("word_embeddings")]
    if named:
        return named[0]
    embs = [m for m in net.modules() if isinstance(m, torch.nn.Embedding)]
    if embs:
        return max(embs, key=lambda m: m.num_embeddings)
    raise TypeError("cannot find a word-embedding layer to attribute to")


def _device(net: torch.nn.Module) -> torch.device:
    """Inputs go where the weights are."""
    for p in net.parameters():
        return p.device
    return torch.device("cpu")


@contextmanager
def _eval(net: torch.nn.Module) -> Iterator[None]:
    """Dropout would make attributions random; restore the caller's mode afterwards."""
    was_training = net.training
    net.eval()
    try:
        yield
    finally:
        if was_training:
            net.train()


def _texts_proba(model: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """The shown probabilities of many texts through the explained torch function (network + decision rule), one
    padded forward per batch in inference mode; used for deletion tests and HFClassifier.predict_proba."""
    labels = _labels_of(model)
    if not texts:
        return np.zeros((0, len(labels)), dtype=np.float64)
    rule = shown_rule(model, len(labels))
    tok, net, dev = model.tokenizer, model.model, _device(model.model)
    out = []
    with _eval(net), torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            chunk = texts[i:i + batch_size]
            enc = tok([t[:_MAX_CHARS] for t in chunk], padding=True, truncation=True, max_length=_max_length(model),
                      return_tensors="pt")
            logits = _logits(net(input_ids=enc["input_ids"].to(dev), attention_mask=enc["attention_mask"].to(dev)))
            active, x = rule.features(chunk)
            out.append(rule.proba(logits.float(), torch.as_tensor(x), active).cpu().numpy())
    return np.concatenate(out)


@dataclass
class _Encoded:
    """One review cut to the model window, with the offsets and special-token positions needed later."""

    ids: list[int]
    offsets: list[tuple[int, int]]  # per position; (0, 0) for special tokens
    special: list[bool]
    n_explained: int
    n_total: int
    total_is_lower_bound: bool


def _encode(model: Any, text: str) -> _Encoded:
    """Tokenises without truncation (to count the whole review) and keeps the first window that fits."""
    tok = model.tokenizer
    clipped = text[:_MAX_CHARS]
    enc = tok(clipped, truncation=True, max_length=_max_length(model), return_offsets_mapping=True,
              return_special_tokens_mask=True, verbose=False)
    ids = list(enc["input_ids"])
    # the mask marks only the template's [CLS]/[SEP]: a literal "[SEP]" typed in a review counts as text
    special = [bool(x) for x in enc["special_tokens_mask"]]
    offsets = [(0, 0) if sp else (int(o[0]), int(o[1])) for o, sp in zip(enc["offset_mapping"], special)]
    n_explained = sum(not sp for sp in special)
    n_total = len(tok(clipped, add_special_tokens=False, verbose=False)["input_ids"])
    return _Encoded(ids, offsets, special, n_explained, max(n_total, n_explained), len(text) > _MAX_CHARS)


def _word_spans(text: str, offsets: Sequence[tuple[int, int]], special: Sequence[bool]
                ) -> tuple[list[tuple[int, int]], list[int]]:
    """Merges word pieces into words of the original text; returns word spans and each position's word (-1: none).

    A word is a run of word characters (inner apostrophes kept, so "isn't" stays whole), a word of a Chinese or
    Japanese run as the segmenter cuts it (engine.explain._words), or one punctuation character; a piece that
    straddles such words (e.g. one [UNK] covering an emoji pair, or a sub-word piece across a segmenter's cut) merges
    them. Attributions of the pieces are summed per word.
    """
    cover_end = max((e for (s, e), sp in zip(offsets, special) if not sp and e > s), default=0)
    runs = word_spans(text, cover_end)
    ends = [r[1] for r in runs]
    groups: list[list[int]] = []
    piece_word: list[int] = []
    for (s, e), sp in zip(offsets, special):
        if sp or e <= s:
            piece_word.append(-1)
            continue
        lo, hi = s, e
        j = bisect.bisect_right(ends, s)  # first run ending after the piece starts
        while j < len(runs) and runs[j][0] < e:
            lo, hi = min(lo, runs[j][0]), max(hi, runs[j][1])
            j += 1
        if groups and lo < groups[-1][1]:
            groups[-1][0], groups[-1][1] = min(groups[-1][0], lo), max(groups[-1][1], hi)
        else:
            groups.append([lo, hi])
        piece_word.append(len(groups) - 1)
    return [(a, b) for a, b in groups], piece_word


# ----------------------------------------------------------------------------------------------------------------
# integrated gradients


def _joint_ig(model: Any, rule: ShownRule, ids: torch.Tensor, mask: torch.Tensor, baseline: torch.Tensor,
              x: torch.Tensor, active: np.ndarray, targets: torch.Tensor | int, n_steps: int
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One integrated-gradients path of the shown probability (Gauss-Legendre nodes, batched by a token budget).

    Along one path the word embeddings go from the padding reference to the review's and the TF-IDF rows `x` from 0
    (the empty text) to the review's, through `rule` (the model's decision). Returns per-position attributions
    (rows, seq), per-feature attributions (rows, len(active)) and the convergence deltas; everything in probability
    units, summing to p(review) - p(reference).
    """
    from captum.attr import IntegratedGradients

    net = model.model
    layer = _embedding_layer(model)
    per_seq, n_rows = ids.shape[1], ids.shape[0]
    # Captum needs at least two steps of every row per internal batch
    ibs = max(2 * n_rows, min(n_steps * n_rows, _TOKEN_BUDGET // max(1, per_seq)))
    with_x = rule.uses_baseline and x.shape[1] > 0

    def forward(emb: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        feats, ids_, mask_ = (rest if with_x else (None, *rest))
        handle = layer.register_forward_hook(lambda _m, _i, _o: emb)  # the interpolated embeddings replace the layer's
        try:
            logits = _logits(net(input_ids=ids_, attention_mask=mask_))
        finally:
            handle.remove()
        return rule.proba(logits.float(), feats, active)

    with _IG_LOCK, torch.inference_mode(False), torch.enable_grad():
        with torch.no_grad():
            emb, emb_base = layer(ids).detach(), layer(baseline).detach()
        inputs = (emb, x) if with_x else (emb,)
        refs = (emb_base, torch.zeros_like(x)) if with_x else (emb_base,)
        ig = IntegratedGradients(forward)
        attr, delta = ig.attribute(inputs, baselines=refs, additional_forward_args=(ids, mask), target=targets,
                                   n_steps=n_steps, internal_batch_size=ibs, return_convergence_delta=True)
    pos = attr[0].sum(dim=-1).detach().double().cpu()
    feat = attr[1].detach().double().cpu() if with_x else torch.zeros((n_rows, x.shape[1]), dtype=torch.float64)
    return pos, feat, delta.detach().double().cpu()


def _baseline_ids(ids: torch.Tensor, special: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Reference input: padding everywhere except the special tokens, which stay where they are."""
    return torch.where(special, ids, torch.full_like(ids, pad_id))


def _pad_id(model: Any) -> int:
    """Padding id of the tokenizer (0 for BERT when unset)."""
    pid = getattr(model.tokenizer, "pad_token_id", None)
    return int(pid) if pid is not None else 0


def word_tokens(rule: ShownRule, text: str, enc: _Encoded, pos_attr: Sequence[float],
                active: np.ndarray, feat_attr: np.ndarray) -> tuple[list[dict[str, Any]], float]:
    """One review's attributions as words of its text: word pieces summed per word, and the baseline's TF-IDF
    features handed to the words they cover (engine.explain._shown.feature_words). When the baseline counts, words
    after the transformer's window are listed too (the baseline reads the whole review). Returns the tokens and the
    attribution that found no word (0 unless the review has no words)."""
    spans, piece_word = _word_spans(text, enc.offsets, enc.special)
    word_attr = np.zeros(len(spans), dtype=np.float64)
    for pos, w in enumerate(piece_word):
        if w >= 0:
            word_attr[w] += float(pos_attr[pos])
    lost = 0.0
    if rule.uses_baseline:
        after = spans[-1][1] if spans else 0
        extra = [r for r in word_spans(text) if r[0] >= after] if after < len(text.rstrip()) else []
        spans = spans + extra
        word_attr = np.concatenate([word_attr, np.zeros(len(extra))])
        from_features, lost = feature_words(rule, text, spans, active, np.asarray(feat_attr, dtype=np.float64))
        word_attr += from_features
    return [{"token": text[s:e], "start": int(s), "end": int(e), "attribution": float(a)}
            for (s, e), a in zip(spans, word_attr)], lost


def explain_review(model: SentimentLike, text: str, target: str | None = None, n_steps: int = FIRST_STEPS,
                   max_steps: int = 256, delta_tol: float = 0.05) -> ReviewExplanation:
    """Attributes the shown p(target | review) to the review's words; doubles IG steps until |delta| <= delta_tol.

    The attributed function is the model's decision (engine.explain._shown.ShownRule: for a SentimentModel the
    transformer and the TF-IDF baseline combined with the ensemble weight and offsets; for a bare classifier its
    softmax), computed in torch; `probabilities`, `label` and `probability` are that function at the review, so the
    page's figure and the explained one are the same number. One integrated-gradients path moves the word embeddings
    from padding to the review and the TF-IDF vector from the empty text's (0) to the review's, so both models'
    attributions are in the same probability units and add up to p(review) - p(reference) within the delta.
    `n_steps` is the first try (Gauss-Legendre nodes converge fast: on the clothing reviews 12 steps met the 0.05
    tolerance for 47-48 of 50 reviews, 8 steps for 26, so starting at 12 is cheaper than doubling from 8; 12 steps
    of a 128-token review take ~0.6 s on two idle cores); it doubles up to `max_steps` while Captum's |convergence
    delta| exceeds `delta_tol`, and `steps_used`, `converged`, `step_history` and `note` record what happened.
    Reviews longer than the model window are explained on their first window (the baseline reads all of it), with
    a note saying so. `model_probabilities` keep the transformer's own softmax for comparison.
    """
    t0 = time.perf_counter()
    text = "" if text is None else str(text)
    labels = _labels_of(model)
    if target is not None and target not in labels:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(labels)}")
    rule = shown_rule(model, len(labels))
    net, dev = model.model, _device(model.model)
    enc = _encode(model, text)
    ids = torch.tensor([enc.ids], device=dev)
    mask = torch.ones_like(ids)
    special = torch.tensor([enc.special], device=dev)
    base = _baseline_ids(ids, special, _pad_id(model))
    active, x_np = rule.features([text])
    x = torch.as_tensor(x_np)

    with _eval(net):
        with torch.inference_mode():
            logits = _logits(net(input_ids=torch.cat([ids, base]), attention_mask=torch.cat([mask, mask]))).float()
            both = rule.proba(logits, torch.cat([x, torch.zeros_like(x)]), active).cpu().numpy()
            net_probs = torch.softmax(logits[0], dim=-1).double().cpu().numpy()
        probs, base_probs = both[0], both[1]
        pred = int(np.argmax(probs))
        t_idx = pred if target is None else labels.index(target)

        notes: list[str] = []
        history: list[tuple[int, float]] = []
        feat_attr = np.zeros(len(active))
        if enc.n_explained == 0 and not len(active):
            attr_pos = torch.zeros(len(enc.ids), dtype=torch.float64)  # input == baseline: nothing to integrate
            delta_f, steps, converged = 0.0, 0, True
            notes.append("empty review: nothing to attribute")
        else:
            steps = max(1, int(n_steps))
            cap = max(steps, int(max_steps))
            while True:
                attr, feats, delta = _joint_ig(model, rule, ids, mask, base, x, active, t_idx, steps)
                delta_f = float(delta.reshape(-1)[0])
                history.append((steps, delta_f))
                if abs(delta_f) <= delta_tol or steps >= cap or not math.isfinite(delta_f):
                    break
                steps = min(steps * 2, cap)
            attr_pos, feat_attr = attr[0], feats[0].numpy()
            converged = abs(delta_f) <= delta_tol
            if len(history) > 1 and converged:
                notes.append(f"raised integration steps to {steps} to bring |delta| to {abs(delta_f):.3f} "
                             f"(≤ {delta_tol})")
            elif not converged:
                notes.append(f"not converged: |delta| = {abs(delta_f):.3f} > {delta_tol} after {steps} steps; "
                             "attributions are approximate")

    if enc.n_explained < enc.n_total or enc.total_is_lower_bound:
        more = "more than " if enc.total_is_lower_bound else ""
        upto = max((e for e in (o[1] for o in enc.offsets)), default=0)
        notes.insert(0, f"explained the first {enc.n_explained} of {more}{enc.n_total} tokens "
                        f"(the model reads at most {_max_length(model)}, special tokens included); "
                        f"text after character {upto} is not explained"
                     + (" by the language model (the word-count model reads all of it)" if rule.uses_baseline
                        else ""))

    tokens, lost = word_tokens(rule, text, enc, attr_pos.tolist(), active, feat_attr)
    if abs(lost) > 1e-6:
        notes.append(f"{lost:+.3f} of the attribution belongs to no word of the text")
    return ReviewExplanation(
        text=text, label=labels[pred], probability=float(probs[pred]),
        probabilities={lab: float(p) for lab, p in zip(labels, probs)},
        target=labels[t_idx], target_probability=float(probs[t_idx]),
        baseline_probability=float(base_probs[t_idx]),
        model_probabilities={lab: float(p) for lab, p in zip(labels, net_probs)}, tokens=tokens,
        convergence_delta=delta_f,
        steps_used=steps, converged=converged, step_history=history, n_tokens_explained=enc.n_explained,
        n_tokens_total=enc.n_total, note="; ".join(notes) or None, seconds=time.perf_counter() - t0,
        ensemble_weight=rule.weight if rule.uses_baseline else 1.0,
    )
