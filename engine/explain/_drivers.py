"""Category drivers: word attributions aggregated over a sample of reviews, cached per model version, so a
merchant sees which words drive negative reviews in a category and period."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch

from engine.models import Engine, session

from ._attributions import (
    ATTRIBUTION_OF,
    SentimentLike,
    _baseline_ids,
    _device,
    _encode,
    _eval,
    _joint_ig,
    _labels_of,
    _pad_id,
    _Progress,
    word_tokens,
)
from ._shown import shown_rule
from ._batch import word_attributions
from ._faithfulness import _is_word

# ----------------------------------------------------------------------------------------------------------------
# drivers

_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each even ever every few for from further get got had has
have having he her here hers herself him himself his how i if in into is it its itself just let me more most my
myself now of off on once only or other our ours ourselves out over own really same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up upon us
very was we were what when where which while who whom why will with would you your yours yourself yourselves
im ive id its it's i'm i've i'd you're that's there's one two also lot lots much many bit still though although
since went go going gets made make makes way well back us thing things something anything bought buy ordered order
""".split())
# Function words of the other languages StoreLens sees most, so their drivers are content words too. One set for all:
# a word that is a function word in one language and a sentiment word in another (Spanish "mal") is left out.
_STOP_OTHER = frozenset("""
der die das den dem des ein eine einen einem einer und oder aber ist sind war waren hat haben habe ich es wir sie
er mit von zu im auf für nicht auch sehr noch nur schon wie bei aus als nach wenn dass so man
el la los las un una unos unas y o pero es son fue era del al lo le les se que en con por para su sus muy mi yo
le la les un une des et ou mais est sont était du au aux ce cette ces je il elle nous vous ils pour dans sur avec pas
ne qui que très mon ma mes
o a os as um uma e ou mas é são foi era do da dos das no na nos nas em com por para que muito meu minha eu ele ela
yang dan di ke dari ini itu dengan untuk tidak ada saya aku sudah juga sangat tapi karena atau akan bisa
il lo gli e è di da in con su per che non sono mi molto
de het een en van is zijn was ik je dat niet met voor op te
的 了 是 我 也 都 就 还 在 有 和 很 这 那 个 吧 啊 呢 吗 着 过 给 又 一个 这个 那个 我们 你们 他们 自己 就是 还是 但是 因为 所以 然后
は が を に で と も の へ や か な ね よ です ます した して する ます いる ある これ それ あの この その
でし まし ませ でした ました という ので から けど だっ だ た て
""".split())
_NEGATORS = frozenset({"not", "no", "never", "nothing", "nor", "without", "hardly", "barely",
                       "nicht", "kein", "keine", "nie", "ne", "pas", "jamais", "nunca", "não", "nao", "tidak", "bukan",
                       "non", "niet", "不", "没", "没有", "别", "无", "ない", "なし", "ません"})


def _norm(word: str) -> str:
    """Lower-cases and unifies apostrophes so "Didn’t" and "didn't" are one term."""
    return word.lower().replace("’", "'")


def _is_negator(w: str) -> bool:
    """Negations are not drivers by themselves but head useful bigrams ("not flattering")."""
    return w in _NEGATORS or w.endswith("n't")


def _content(w: str) -> bool:
    """A driver-worthy word: letters, not a stop word or a negation, longer than one character."""
    return (len(w) > 1 and any(c.isalpha() for c in w) and w not in _STOP and w not in _STOP_OTHER
            and not _is_negator(w))


def _terms(text: str, tokens: Sequence[dict[str, Any]], bigrams: bool) -> dict[str, float]:
    """Per-review term scores: unigram = summed word attributions; bigram = sum of its two adjacent words."""
    out: dict[str, float] = {}
    prev: tuple[str, float, int] | None = None
    for t in tokens:
        w = _norm(t["token"])
        a = float(t["attribution"])
        if not _is_word(w):
            prev = None
            continue
        if _content(w):
            out[w] = out.get(w, 0.0) + a
        if bigrams and prev is not None and _content(w) and (_content(prev[0]) or _is_negator(prev[0])):
            if text[prev[2]:t["start"]].strip() == "":
                key = f"{prev[0]} {w}"
                out[key] = out.get(key, 0.0) + prev[1] + a
        prev = (w, a, int(t["end"]))
    return out


def _batch_word_attributions(model: Any, texts: Sequence[str], target_names: Sequence[str], n_steps: int,
                             batch_size: int, progress: _Progress | None = None
                             ) -> tuple[list[dict[str, list[dict[str, Any]]]], np.ndarray]:
    """IG of the shown probability (the model's decision, as explain_review) for several reviews and targets per
    forward batch; returns per-review word tokens per target and the deltas (reviews x targets)."""
    labels = _labels_of(model)
    t_ids = [labels.index(t) for t in target_names]
    rule = shown_rule(model, len(labels))
    dev = _device(model.model)
    pad = _pad_id(model)
    encs = [_encode(model, t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))  # similar lengths share a batch
    results: list[dict[str, list[dict[str, Any]]]] = [{} for _ in texts]
    deltas = np.zeros((len(texts), len(t_ids)))
    with _eval(model.model):
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            spec = torch.ones_like(ids, dtype=torch.bool)  # padding positions equal the baseline: zero attribution
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n] = torch.tensor(encs[i].ids)
                mask[r, :n] = 1
                spec[r, :n] = torch.tensor(encs[i].special)
            base = _baseline_ids(ids, spec, pad)
            active, x = rule.features([texts[i] for i in idx])
            k = len(t_ids)
            tgt = torch.tensor([t for t in t_ids for _ in idx], device=dev)
            attr, feats, delta = _joint_ig(model, rule, ids.repeat(k, 1).to(dev), mask.repeat(k, 1).to(dev),
                                           base.repeat(k, 1).to(dev), torch.as_tensor(x).repeat(k, 1), active,
                                           tgt, n_steps)
            for j, name in enumerate(target_names):
                for r, i in enumerate(idx):
                    row = j * len(idx) + r
                    deltas[i, j] = float(delta[row])
                    results[i][name], _ = word_tokens(rule, texts[i], encs[i], attr[row].tolist(), active,
                                                      feats[row].numpy())
            if progress is not None:
                done = min(len(order), b + batch_size)
                progress(done / max(1, len(order)), f"attributed {done} of {len(order)} reviews")
    return results, deltas


def _aggregate(model: Any, texts: list[str], ids: list[str], sample_size: int, seed: int, n_steps: int,
               batch_size: int, bigrams: bool, progress: _Progress | None = None, engine: Engine | None = None
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Samples, attributes toward negative and positive, and folds word scores into one row per term."""
    n_available = len(texts)
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(n_available, size=sample_size, replace=False).tolist()) \
        if n_available > sample_size else list(range(n_available))
    s_texts = [("" if texts[i] is None else str(texts[i])) for i in pick]
    s_ids = [str(ids[i]) for i in pick]
    t0 = time.perf_counter()
    per_review, deltas = word_attributions(model, s_texts, ("negative", "positive"), n_steps, batch_size, progress,
                                           engine)
    acc: dict[str, dict[str, Any]] = {}
    for rid, text, res in zip(s_ids, s_texts, per_review):
        neg = _terms(text, res.get("negative", []), bigrams)
        pos = _terms(text, res.get("positive", []), bigrams)
        for term in neg:
            row = acc.setdefault(term, {"neg": 0.0, "pos": 0.0, "ids": []})
            row["neg"] += neg[term]
            row["pos"] += pos.get(term, 0.0)
            row["ids"].append(rid)
    n = len(s_texts)
    rows = [{
        "term": term, "is_bigram": " " in term, "n_reviews": len(v["ids"]),
        "share_reviews": len(v["ids"]) / n if n else 0.0,
        "mean_toward_negative": v["neg"] / len(v["ids"]), "mean_toward_positive": v["pos"] / len(v["ids"]),
        "total_toward_negative": v["neg"], "total_toward_positive": v["pos"], "review_ids": v["ids"],
    } for term, v in acc.items()]
    df = pd.DataFrame(rows, columns=["term", "is_bigram", "n_reviews", "share_reviews", "mean_toward_negative",
                                     "mean_toward_positive", "total_toward_negative", "total_toward_positive",
                                     "review_ids"])
    meta = {
        "sample_size": n, "n_available": n_available, "n_steps": n_steps, "seed": seed,
        "mean_abs_delta": float(np.abs(deltas).mean()) if deltas.size else 0.0,
        "max_abs_delta": float(np.abs(deltas).max()) if deltas.size else 0.0,
        "seconds": time.perf_counter() - t0, "attribution_of": ATTRIBUTION_OF,
    }
    return df, meta


def category_drivers(model: SentimentLike, texts: Sequence[str], review_ids: Sequence[str], sample_size: int = 200,
                     seed: int = 0, prev_texts: Sequence[str] | None = None,
                     prev_review_ids: Sequence[str] | None = None, n_steps: int = 16, batch_size: int = 8,
                     bigrams: bool = True, progress: _Progress | None = None,
                     engine: Engine | None = None) -> pd.DataFrame:
    """Which words push a category's reviews toward negative / positive, with review links and period change.

    Word attributions of the shown probability (the model's decision: transformer and word-count baseline
    combined, as on the Explain page; probability units, IG with a fixed `n_steps`, default 16, no step doubling)
    toward the "negative" and toward the "positive" class are summed per term per review (lower-cased; stop words,
    negations-alone and punctuation dropped; adjacent-word bigrams too), then averaged over the sampled reviews
    that contain the term.  At most `sample_size` reviews are used (seeded sample); `df.attrs` and the
    `sample_size`/`n_available` columns state it.  Cost: 2 × n_steps forward+backward passes per review
    (about 2.4 CPU-seconds for a 90-token review at 16 steps: some 2 minutes per 100 reviews on two idle cores,
    longer on a busy machine), hence `cached_drivers`.  With `prev_texts`, the same is computed for the previous
    period and `change_*` columns give current minus previous (NaN where the term is new).  Sort with
    `top_drivers`.  With a Ray `engine` the reviews are attributed on its workers (one Ray start for both periods).
    """
    texts, review_ids = list(texts), list(review_ids)
    if len(texts) != len(review_ids):
        raise ValueError("texts and review_ids must have the same length")
    labels = _labels_of(model)
    for need in ("negative", "positive"):
        if need not in labels:
            raise ValueError(f"the model has no {need!r} class (labels: {labels})")
    with session(engine):
        return _category_drivers(model, texts, review_ids, sample_size, seed, prev_texts, prev_review_ids, n_steps,
                                 batch_size, bigrams, progress, engine)


def _category_drivers(model: SentimentLike, texts: list[str], review_ids: list[str], sample_size: int, seed: int,
                      prev_texts: Sequence[str] | None, prev_review_ids: Sequence[str] | None, n_steps: int,
                      batch_size: int, bigrams: bool, progress: _Progress | None, engine: Engine | None
                      ) -> pd.DataFrame:
    """category_drivers once its inputs are checked (inside the job's Ray session, when it has one)."""
    cur = None if progress is None or prev_texts is None else (lambda f, m: progress(0.5 * f, m))
    df, meta = _aggregate(model, texts, review_ids, sample_size, seed, n_steps, batch_size, bigrams,
                          cur if cur is not None else progress, engine)
    if prev_texts is not None:
        prev_texts = list(prev_texts)
        p_ids = list(prev_review_ids) if prev_review_ids is not None else [f"prev-{i}" for i in
                                                                            range(len(prev_texts))]
        prev_progress = None if progress is None else (lambda f, m: progress(0.5 + 0.5 * f, f"previous period: {m}"))
        pdf, pmeta = _aggregate(model, prev_texts, p_ids, sample_size, seed, n_steps, batch_size, bigrams,
                                prev_progress, engine)
        pdf = pdf[["term", "n_reviews", "share_reviews", "mean_toward_negative", "mean_toward_positive"]].rename(
            columns=lambda c: c if c == "term" else f"prev_{c}")
        df = df.merge(pdf, on="term", how="left")
        # An empty previous period merges as object columns of NaN: made numeric first (pandas deprecates the
        # silent downcast fillna would do).
        df["prev_n_reviews"] = pd.to_numeric(df["prev_n_reviews"]).fillna(0).astype(int)
        df["prev_share_reviews"] = pd.to_numeric(df["prev_share_reviews"]).fillna(0.0)
        df["change_toward_negative"] = df["mean_toward_negative"] - df["prev_mean_toward_negative"]
        df["change_toward_positive"] = df["mean_toward_positive"] - df["prev_mean_toward_positive"]
        df["change_share_reviews"] = df["share_reviews"] - df["prev_share_reviews"]
        meta["prev_sample_size"] = pmeta["sample_size"]
        meta["prev_n_available"] = pmeta["n_available"]
    df["sample_size"] = meta["sample_size"]
    df["n_available"] = meta["n_available"]
    df = df.sort_values(["total_toward_negative", "term"], ascending=[False, True], ignore_index=True)
    df.attrs.update(meta)
    return df


def top_drivers(df: pd.DataFrame, toward: str = "negative", k: int = 10, min_reviews: int = 2) -> pd.DataFrame:
    """Top terms for one direction, ranked by total attribution (strength × how many reviews say it)."""
    if toward not in ("negative", "positive"):
        raise ValueError("toward must be 'negative' or 'positive'")
    col = f"total_toward_{toward}"
    sub = df[(df["n_reviews"] >= min_reviews) & (df[col] > 0)]
    out = sub.sort_values([col, "term"], ascending=[False, True]).head(k).reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out


def cached_drivers(store_dir: str | os.PathLike[str], model_version: str, key: str | dict[str, Any],
                   fn: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Computes drivers once per (model version, key): parquet under <store_dir>/<model_version>/explain_cache/.

    `store_dir` is the model family folder (e.g. `<db>.models/sentiment`); `key` names the category, period and
    sample settings (a dict is hashed as sorted JSON).
    """
    raw = key if isinstance(key, str) else json.dumps(key, sort_keys=True, default=str)
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]
    folder = Path(store_dir) / str(model_version) / "explain_cache"
    path = folder / f"drivers-{digest}.parquet"
    if path.exists():
        try:
            df = pd.read_parquet(path)
            df["review_ids"] = df["review_ids"].map(lambda v: [str(x) for x in v])
            return df
        except Exception:  # corrupt cache: recompute below
            pass
    df = fn()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return df
