"""TF-IDF + class-balanced logistic regression: the yardstick every sentiment model is compared with (internal).

Word n-grams alone are no yardstick in languages written without spaces: on Chinese and Japanese reviews a whole
sentence is one "word", and the word baseline scored 0.28-0.32 macro-F1 where character n-grams score 0.55-0.61,
which made a weak model look strong. The baseline therefore fits both word 1-2-grams and character 1-3-grams and
keeps the one that scores better on a stratified fifth of the training reviews, then refits it on all of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from engine.store import LABELS

_VECTORIZER = {
    "analyzer": "word", "ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "strip_accents": "unicode",
    "dtype": np.float32,
}
# The candidates: (analyzer, n-gram range). Character n-grams do not strip accents (a Vietnamese tone mark or a
# kana's dakuten changes the word).
ANALYZERS: dict[str, dict] = {
    "word 1-2-grams": {"analyzer": "word", "ngram_range": (1, 2)},
    "char 1-3-grams": {"analyzer": "char", "ngram_range": (1, 3), "strip_accents": None},
}
_SELECT_SHARE = 0.2  # share of the training reviews the choice between analyzers is scored on
# The choice is made on a random sample of at most this many training reviews: on 19,000 clothing reviews the two
# candidate fits on all of them took 30-60 s of a 30-s budget on a 2-core machine, and 3,000 (600 scored) tell
# words from characters as clearly (the final fit still uses every training review).
_SELECT_MAX = 3000


def _as_index(labels: Sequence[str] | Sequence[int] | np.ndarray) -> np.ndarray:
    """Accept label names or 0/1/2 indices."""
    arr = np.asarray(labels)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    lookup = {name: i for i, name in enumerate(LABELS)}
    try:
        return np.asarray([lookup[str(v)] for v in arr], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"unknown sentiment label {exc.args[0]!r}; expected one of {LABELS}") from None


class BaselineModel:
    """TF-IDF (word 1–2-grams or character 1–3-grams, whichever fits the shop's languages better) + class-balanced
    logistic regression, with the same fit/predict/save/load contract."""

    family = "sentiment-baseline"

    def __init__(self, C: float = 2.0, max_iter: int = 2000) -> None:
        self.C = C
        self.max_iter = max_iter
        self.analyzer = "word 1-2-grams"
        self.selection: dict[str, float] = {}  # macro-F1 of each analyzer on the selection fifth
        self.vectorizer: TfidfVectorizer | None = None
        self.clf: LogisticRegression | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[str] | Sequence[int] | np.ndarray,
            analyzer: str | None = None) -> "BaselineModel":
        """Learn vocabulary and weights with `analyzer` (one of ANALYZERS; None: the better one on a held-out fifth
        of `texts`); min_df adapts so tiny corpora still get features."""
        y = _as_index(labels)
        texts = [t if isinstance(t, str) else "" for t in texts]
        self.selection = {}
        if analyzer is None:
            analyzer = self._select(texts, y)
        self.analyzer = analyzer
        self.vectorizer, self.clf = self._fit_one(texts, y, analyzer)
        return self

    def _fit_one(self, texts: list[str], y: np.ndarray, analyzer: str) -> tuple[TfidfVectorizer, LogisticRegression]:
        """One vectorizer + classifier pair."""
        params = {**_VECTORIZER, **ANALYZERS[analyzer]}
        if len(texts) < 200:
            params["min_df"] = 1
        vectorizer = TfidfVectorizer(**params)
        x = vectorizer.fit_transform(texts)
        clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=self.max_iter)
        clf.fit(x, y)
        return vectorizer, clf

    def _select(self, texts: list[str], y: np.ndarray) -> str:
        """The analyzer with the better macro-F1 on a stratified fifth of the training reviews (fit on the rest)."""
        from ._decision import macro_f1

        rng = np.random.default_rng(0)
        if len(texts) > _SELECT_MAX:
            keep = np.sort(rng.choice(len(texts), size=_SELECT_MAX, replace=False))
            texts, y = [texts[i] for i in keep], y[keep]
        held = np.zeros(len(texts), dtype=bool)
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            held[members[: int(len(members) * _SELECT_SHARE)]] = True
        if held.sum() < 10 or len(np.unique(y[~held])) < 2:
            return "word 1-2-grams"
        fit_t = [t for t, h in zip(texts, held) if not h]
        val_t = [t for t, h in zip(texts, held) if h]
        for name in ANALYZERS:
            vec, clf = self._fit_one(fit_t, y[~held], name)
            self.selection[name] = round(macro_f1(y[held], clf.predict(vec.transform(val_t))), 4)
        return max(self.selection, key=self.selection.__getitem__)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities in LABELS order (a class unseen in training gets 0)."""
        if self.vectorizer is None or self.clf is None:
            raise RuntimeError("BaselineModel is not fitted")
        x = self.vectorizer.transform([t if isinstance(t, str) else "" for t in texts])
        part = self.clf.predict_proba(x)
        out = np.zeros((len(texts), len(LABELS)))
        out[:, self.clf.classes_.astype(int)] = part
        return out

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Log-probabilities, floored so unseen classes stay finite for ensembling."""
        return np.log(np.clip(self.predict_proba(texts), 1e-6, 1.0))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most probable label per text, in input order."""
        return [LABELS[i] for i in np.argmax(self.predict_proba(texts), axis=1)]

    def save(self, path: str | Path) -> list[Path]:
        """Plain JSON + npz (no pickle), so a saved model never executes code when loaded."""
        if self.vectorizer is None or self.clf is None:
            raise RuntimeError("BaselineModel is not fitted")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        vocab = {term: int(i) for term, i in self.vectorizer.vocabulary_.items()}
        params = {k: v for k, v in self.vectorizer.get_params().items() if k in _VECTORIZER and k != "dtype"}
        classes = self.clf.classes_.astype(int).tolist()
        meta = {"C": self.C, "analyzer": self.analyzer, "selection": self.selection, "vectorizer": params,
                "classes": classes, "vocabulary": vocab}
        (folder / "baseline.json").write_text(json.dumps(meta), encoding="utf-8")
        np.savez(folder / "baseline.npz", idf=self.vectorizer.idf_, coef=self.clf.coef_, intercept=self.clf.intercept_)
        return [folder / "baseline.json", folder / "baseline.npz"]

    @classmethod
    def load(cls, path: str | Path) -> "BaselineModel":
        """Rebuild the fitted vectorizer and classifier from save()'s files."""
        folder = Path(path)
        meta = json.loads((folder / "baseline.json").read_text(encoding="utf-8"))
        arrays = np.load(folder / "baseline.npz", allow_pickle=False)
        model = cls(C=float(meta["C"]))
        model.analyzer = str(meta.get("analyzer", "word 1-2-grams"))
        model.selection = dict(meta.get("selection", {}))
        params = {**_VECTORIZER, **ANALYZERS.get(model.analyzer, {})}
        params.update({k: tuple(v) if isinstance(v, list) else v for k, v in meta["vectorizer"].items()})
        vec = TfidfVectorizer(**params)
        vec.vocabulary_ = {str(k): int(v) for k, v in meta["vocabulary"].items()}
        vec.idf_ = arrays["idf"]
        clf = LogisticRegression(C=model.C, class_weight="balanced")
        clf.classes_ = np.asarray(meta["classes"], dtype=np.int64)
        clf.coef_ = arrays["coef"]
        clf.intercept_ = arrays["intercept"]
        clf.n_features_in_ = arrays["coef"].shape[1]
        model.vectorizer, model.clf = vec, clf
        return model
