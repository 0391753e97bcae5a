"""Captum word attributions for one review: Layer Integrated Gradients on the word embeddings of the
probability of the explained class, word pieces merged into words that index the original text."""

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

from ._words import word_spans

DEFAULT_LABELS: tuple[str, ...] = LABELS
ATTRIBUTION_OF = "probability of the explained class (softmax), Layer Integrated Gradients on word embeddings"

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
        return _predict_proba(self, list(texts))


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
    target_probability: float  # softmax(network logits)[target]: the attributed quantity at the review
    baseline_probability: float  # the same on the all-padding baseline
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


def _prob_fn(net: torch.nn.Module) -> Callable[..., torch.Tensor]:
    """Forward to class probabilities: the attributed quantity is a probability, not a logit."""

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(_logits(net(input_ids=input_ids, attention_mask=attention_mask)).float(), dim=-1)

    return forward


def _predict_proba(model: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """One padded forward per batch in inference mode; used for deletion tests and HFClassifier."""
    if not texts:
        return np.zeros((0, len(_labels_of(model))), dtype=np.float64)
    tok, net, dev = model.tokenizer, model.model, _device(model.model)
    out = []
    with _eval(net), torch.inference_mode():
        fwd = _prob_fn(net)
        for i in range(0, len(texts), batch_size):
            enc = tok([t[:_MAX_CHARS] for t in texts[i:i + batch_size]], padding=True, truncation=True,
                      max_length=_max_length(model), return_tensors="pt")
            out.append(fwd(enc["input_ids"].to(dev), enc["attention_mask"].to(dev)).cpu().double().numpy())
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


def _ig(model: Any, ids: torch.Tensor, mask: torch.Tensor, baseline: torch.Tensor, targets: torch.Tensor | int,
        n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One Captum LIG run (Gauss-Legendre nodes), batched by a token budget; returns per-position attributions."""
    from captum.attr import LayerIntegratedGradients

    net = model.model
    per_seq = ids.shape[1]
    n_rows = ids.shape[0]
    # Captum needs at least two steps of every row per internal batch
    ibs = max(2 * n_rows, min(n_steps * n_rows, _TOKEN_BUDGET // max(1, per_seq)))
    lig = LayerIntegratedGradients(_prob_fn(net), _embedding_layer(model))
    with _IG_LOCK, torch.inference_mode(False), torch.enable_grad():
        attr, delta = lig.attribute(ids, baselines=baseline, additional_forward_args=(mask,), target=targets,
                                    n_steps=n_steps, internal_batch_size=ibs, return_convergence_delta=True)
    return attr.sum(dim=-1).detach().double().cpu(), delta.detach().double().cpu()


def _baseline_ids(ids: torch.Tensor, special: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Reference input: padding everywhere except the special tokens, which stay where they are."""
    return torch.where(special, ids, torch.full_like(ids, pad_id))


def _pad_id(model: Any) -> int:
    """Padding id of the tokenizer (0 for BERT when unset)."""
    pid = getattr(model.tokenizer, "pad_token_id", None)
    return int(pid) if pid is not None else 0


def _decided_proba(model: Any, text: str, net_probs: np.ndarray) -> np.ndarray:
    """The product's probabilities: SentimentModel may apply an ensemble/prior correction on top of the network."""
    if isinstance(model, HFClassifier) or not callable(getattr(model, "predict_proba", None)):
        return net_probs
    threads = torch.get_num_threads()
    try:
        p = np.asarray(model.predict_proba([text]), dtype=np.float64).reshape(-1)
    except Exception:  # a decision rule that cannot run here must not cost the explanation
        return net_probs
    finally:
        if torch.get_num_threads() != threads:  # the scorer may pick its own thread count; IG keeps the caller's
            torch.set_num_threads(threads)
    return p if p.shape == net_probs.shape and np.all(np.isfinite(p)) else net_probs


def explain_review(model: SentimentLike, text: str, target: str | None = None, n_steps: int = FIRST_STEPS,
                   max_steps: int = 256, delta_tol: float = 0.05) -> ReviewExplanation:
    """Attributes p(target | review) to the review's words; doubles IG steps until |delta| <= delta_tol.

    `n_steps` is the first try (Gauss-Legendre nodes converge fast: on the clothing reviews 12 steps met the 0.05
    tolerance for 47-48 of 50 reviews, 8 steps for 26, so starting at 12 is cheaper than doubling from 8; 12 steps
    of a 128-token review take ~0.6 s on two idle cores); it doubles up to `max_steps` while Captum's |convergence
    delta| exceeds `delta_tol`, and `steps_used`, `converged`, `step_history` and `note` record what happened.
    Reviews longer than the model window are explained on their first window, with a note saying so.
    `label`/`probability` are the model's decision (its `predict_proba`); the attributed quantity is the network's
    softmax probability of the target (`target_probability`), which is what completeness and the delta refer to.
    """
    t0 = time.perf_counter()
    text = "" if text is None else str(text)
    labels = _labels_of(model)
    if target is not None and target not in labels:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(labels)}")
    net, dev = model.model, _device(model.model)
    enc = _encode(model, text)
    ids = torch.tensor([enc.ids], device=dev)
    mask = torch.ones_like(ids)
    special = torch.tensor([enc.special], device=dev)
    base = _baseline_ids(ids, special, _pad_id(model))

    with _eval(net):
        with torch.inference_mode():
            both = _prob_fn(net)(torch.cat([ids, base]), torch.cat([mask, mask])).double().cpu().numpy()
        net_probs, base_probs = both[0], both[1]
        probs = _decided_proba(model, text, net_probs)
        pred = int(np.argmax(probs))
        t_idx = pred if target is None else labels.index(target)

        notes: list[str] = []
        history: list[tuple[int, float]] = []
        if enc.n_explained == 0:
            attr_pos = torch.zeros(len(enc.ids), dtype=torch.float64)  # input == baseline: nothing to integrate
            delta_f, steps, converged = 0.0, 0, True
            notes.append("empty review: nothing to attribute")
        else:
            steps = max(1, int(n_steps))
            cap = max(steps, int(max_steps))
            while True:
                attr, delta = _ig(model, ids, mask, base, t_idx, steps)
                delta_f = float(delta.reshape(-1)[0])
                history.append((steps, delta_f))
                if abs(delta_f) <= delta_tol or steps >= cap or not math.isfinite(delta_f):
                    break
                steps = min(steps * 2, cap)
            attr_pos = attr[0]
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
                        f"text after character {upto} is not explained")

    spans, piece_word = _word_spans(text, enc.offsets, enc.special)
    word_attr = np.zeros(len(spans), dtype=np.float64)
    for pos, w in enumerate(piece_word):
        if w >= 0:
            word_attr[w] += float(attr_pos[pos])
    tokens = [{"token": text[s:e], "start": int(s), "end": int(e), "attribution": float(a)}
              for (s, e), a in zip(spans, word_attr)]
    return ReviewExplanation(
        text=text, label=labels[pred], probability=float(probs[pred]),
        probabilities={lab: float(p) for lab, p in zip(labels, probs)},
        target=labels[t_idx], target_probability=float(net_probs[t_idx]),
        baseline_probability=float(base_probs[t_idx]),
        model_probabilities={lab: float(p) for lab, p in zip(labels, net_probs)}, tokens=tokens,
        convergence_delta=delta_f,
        steps_used=steps, converged=converged, step_history=history, n_tokens_explained=enc.n_explained,
        n_tokens_total=enc.n_total, note="; ".join(notes) or None, seconds=time.perf_counter() - t0,
    )
