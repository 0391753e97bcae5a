"""Training internals of the sentiment family: split, time-bounded fine-tuning, decision-rule tuning."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from engine.models import Progress, ThreadTuner, cpu_bf16_native
from engine.store import LABELS, label_index

from ._decision import tune_offsets
from ._network import MeanPoolClassifier, log_softmax, pad, torch_logits

K = len(LABELS)


# --------------------------------------------------------------------------- labels and split


def fine_index(ratings: Sequence[float] | np.ndarray) -> np.ndarray:
    """Ratings -> star class 0..4, always inside the rating's sentiment group."""
    r = np.asarray(ratings, dtype=float)
    lab = label_index(r)
    return np.where(lab == 0, np.where(r < 1.5, 0, 1), np.where(lab == 1, 2, np.where(r < 4.5, 3, 4)))


def split_frame(df: pd.DataFrame, eval_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Held-out rows: the latest `eval_fraction` when most rows are dated, else a seeded stratified sample."""
    n = len(df)
    n_eval = max(1, int(round(n * eval_fraction)))
    ts = pd.to_datetime(df["ts"], errors="coerce", utc=True) if "ts" in df.columns else None
    if ts is not None and ts.notna().mean() >= 0.5 and ts.nunique() > 1:
        # Undated rows sort first, so they land in training; ties broken by position for determinism.
        key = ts.astype("int64").where(ts.notna(), np.iinfo(np.int64).min).to_numpy()
        order = np.lexsort((np.arange(n), key))
        return np.sort(order[: n - n_eval]), np.sort(order[n - n_eval :]), "time"
    rng = np.random.default_rng(seed)
    y = df["label"].to_numpy()
    eval_idx: list[int] = []
    for c in range(K):
        members = np.flatnonzero(y == c)
        rng.shuffle(members)
        take = int(round(len(members) * eval_fraction))
        if len(members) >= 2:
            take = min(max(take, 1), len(members) - 1)
        eval_idx.extend(members[:take].tolist())
    eval_arr = np.sort(np.asarray(eval_idx, dtype=np.int64))
    train_arr = np.setdiff1d(np.arange(n), eval_arr)
    return train_arr, eval_arr, "random"


# --------------------------------------------------------------------------- fine-tuning loop


def _param_groups(
    model: MeanPoolClassifier, lr: float, head_lr: float, decay: float, wd: float, freeze_layers: int = 0
) -> list[dict]:
    """Layer-wise learning rates: the head learns fastest, lower layers move least; word embeddings frozen.

    With `freeze_layers` > 0 the embeddings and the lowest layers are frozen too, so backward stops early (cheaper
    steps on a CPU budget).
    """
    model.get_input_embeddings().weight.requires_grad_(False)
    if freeze_layers > 0:
        for name, p in model.encoder.named_parameters():
            m = re.search(r"\.layer\.(\d+)\.", name)
            if "embeddings" in name or (m and int(m.group(1)) < freeze_layers):
                p.requires_grad_(False)
    names = [n for n, _ in model.encoder.named_parameters()]
    layer_ids = [int(m.group(1)) for n in names if (m := re.search(r"\.layer\.(\d+)\.", n))]
    n_layers = (max(layer_ids) + 1) if layer_ids else 1
    groups: dict[tuple[float, float], list[nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if name.startswith("head."):
            rate = head_lr
        else:
            m = re.search(r"\.layer\.(\d+)\.", name)
            depth = int(m.group(1)) if m else (-1 if "embeddings" in name else n_layers - 1)
            rate = lr * decay ** (n_layers - 1 - depth)
        no_decay = p.ndim < 2 or "LayerNorm" in name or "norm" in name.lower()
        groups.setdefault((rate, 0.0 if no_decay else wd), []).append(p)
    return [{"params": ps, "lr": r, "initial_lr": r, "weight_decay": w} for (r, w), ps in groups.items()]


_ATTENTION_DROPOUT = re.compile(r"(self\.dropout|attn_dropout|attention\.dropout)$")  # BERT/RoBERTa, GPT-style, DistilBERT


def set_dropout(module: nn.Module, hidden: float | None, attention: float | None) -> None:
    """Dropout rates of `module`'s hidden-state and attention-probability dropout layers (None: leave as is).

    On CPU, attention dropout forces scaled-dot-product attention off its fused kernel: with encoder dropout at 0
    a 4-layer MiniLM trained 31-39 instead of 23 reviews/s on the clothing reviews (more reviews per budget), while
    hidden-state dropout alone costs ~13% of a bf16 step.
    """
    for name, m in module.named_modules():
        if isinstance(m, nn.Dropout):
            p = attention if _ATTENTION_DROPOUT.search(name) else hidden
            if p is not None:
                m.p = p


def _balanced_stream(y: np.ndarray, rng: np.random.Generator) -> Iterator[int]:
    """Endless stream drawing the classes in turn; a class reshuffles only after all its rows were used."""
    pools = [np.flatnonzero(y == c) for c in range(K)]
    pools = [p for p in pools if len(p)]
    queues = [rng.permutation(p).tolist() for p in pools]
    while True:
        for i, pool in enumerate(pools):
            if not queues[i]:
                queues[i] = rng.permutation(pool).tolist()
            yield queues[i].pop()


def _batches(
    order: Iterator[int] | Sequence[int], lengths: np.ndarray, batch: int, chunk_batches: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Length-bucketed batches: sort each chunk of rows by length, cut, shuffle the batches."""
    it = iter(order)
    while True:
        chunk = [i for _, i in zip(range(batch * chunk_batches), it)]
        if not chunk:
            return
        chunk_arr = np.asarray(chunk)
        chunk_arr = chunk_arr[np.argsort(lengths[chunk_arr], kind="stable")]
        cut = [chunk_arr[i : i + batch] for i in range(0, len(chunk_arr), batch)]
        for j in rng.permutation(len(cut)):
            yield cut[j]
        if len(chunk) < batch * chunk_batches:
            return


@dataclass
class FitConfig:
    """Knobs of the fine-tuning loop (defaults chosen for a short CPU budget)."""

    lr: float = 1.5e-4
    head_lr: float = 2e-3
    layer_decay: float = 0.85
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch_size: int = 16
    loss: str = "fine"  # "fine": CE over star ratings; "coarse": CE over the 3 labels
    max_epochs: float = 4.0  # draws = max_epochs x training rows (balanced stream: minority rows repeat)
    patience: int = 2
    eval_points: tuple[float, ...] = (0.7, 1.0)
    balanced: bool = True  # CPU: balanced stream; False: natural order with class-weighted loss (CUDA)
    freeze_layers: int = 2  # freeze embeddings + this many lowest layers (cheaper CPU steps)
    keep_layers: int = 0  # >0: fine-tune only the lowest N encoder layers (shallower, faster); 0: all
    ema: float = 0.0  # >0: evaluate and keep an exponential moving average of the weights (this decay per step)
    encoder_dropout: float | None = None  # hidden-state dropout in the encoder; None: the base model's own
    attention_dropout: float | None = None  # None: the base model's own; 0 on CPU keeps attention on the fused path
    cpu_bf16: bool = False  # bf16 autocast on CPUs with native bf16 (CUDA always trains in bf16)


@dataclass
class FitResult:
    """What the loop did, for the metrics file."""

    steps: int = 0
    examples_seen: int = 0
    unique_seen: int = 0
    best_score: float = -1.0
    best_step: int = 0
    history: list[dict] = field(default_factory=list)
    train_rate: float = 0.0  # examples per second
    infer_token_rate: float = 0.0  # tokens per second in inference
    stopped: str = ""
    threads_chosen: list[int] = field(default_factory=list)
    best_sub_logits: np.ndarray | None = None  # early-stopping subset logits of the restored checkpoint
    bf16: bool = False  # whether the training steps ran under bf16 autocast


def fine_tune(
    model: MeanPoolClassifier,
    enc: list[list[int]],
    y3: np.ndarray,
    yfine: np.ndarray,
    sub_enc: list[list[int]],
    sub_y: np.ndarray,
    pad_id: int,
    device: torch.device,
    train_end: Callable[[FitResult], float],
    cfg: FitConfig,
    seed: int = 0,
    progress: Progress | None = None,
    progress_span: tuple[float, float] = (0.1, 0.8),
) -> FitResult:
    """Fine-tune until the planned end (a moving deadline) or early stop; the best checkpoint is restored."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    res = FitResult()
    lengths = np.asarray([len(s) for s in enc])
    cuda = device.type == "cuda"
    bf16 = cuda or (cfg.cpu_bf16 and device.type == "cpu" and cpu_bf16_native())
    res.bf16 = bf16
    model.to(device).train()
    set_dropout(model.encoder, cfg.encoder_dropout, cfg.attention_dropout)
    groups = _param_groups(model, cfg.lr, cfg.head_lr, cfg.layer_decay, cfg.weight_decay, cfg.freeze_layers)
    opt = torch.optim.AdamW(groups, lr=cfg.lr, fused=cuda) if cuda else torch.optim.AdamW(groups, lr=cfg.lr)
    counts = np.bincount(y3, minlength=K).astype(float)
    if cfg.balanced:
        class_w = np.ones(K)
        epochs_order: Iterator[int] = _balanced_stream(y3, rng)
    else:
        class_w = np.where(counts > 0, counts.sum() / (K * np.maximum(counts, 1)), 0.0)

        def natural() -> Iterator[int]:
            for _ in range(max(1, math.ceil(cfg.max_epochs))):
                yield from rng.permutation(len(y3)).tolist()

        epochs_order = natural()
    weight_t = torch.tensor(class_w, dtype=torch.float32, device=device)
    y3_t = torch.from_numpy(y3)
    yf_t = torch.from_numpy(yfine)
    max_steps = max(1, int(cfg.max_epochs * len(y3) / cfg.batch_size))
    best_state: dict[str, torch.Tensor] | None = None
    next_eval = 0
    bad_evals = 0
    seen: set[int] = set()
    tuner = ThreadTuner(torch.get_num_threads()) if not cuda else None
    max_threads = torch.get_num_threads()
    t0 = time.monotonic()
    lo, hi = progress_span
    last_report = 0.0

    def frac_done() -> float:
        total = max(1e-6, train_end(res) - t0)
        return max((time.monotonic() - t0) / total, res.steps / max_steps)

    last_logits: list[np.ndarray] = []

    def evaluate() -> float:
        torch.set_num_threads(max_threads)
        t_eval = time.monotonic()
        logits = torch_logits(model, sub_enc, pad_id, device, bf16=bf16)  # checkpoint choice: bf16 agrees 99.9%
        dt = max(time.monotonic() - t_eval, 1e-6)
        res.infer_token_rate = sum(len(s) for s in sub_enc) / dt
        last_logits[:] = [logits]
        _, f = tune_offsets(log_softmax(logits), sub_y, rounds=2)
        model.train()
        return f

    trainable = [p.detach() for g in opt.param_groups for p in g["params"]]  # views: see every optimiser step
    ema = [p.clone() for p in trainable] if cfg.ema > 0 else None

    def swap_ema() -> None:
        """Exchange the live weights with their moving average (evaluation and checkpoints use the average)."""
        if ema is not None:
            with torch.no_grad():
                for e, p in zip(ema, trainable):
                    tmp = p.clone()
                    p.copy_(e)
                    e.copy_(tmp)

    def checkpoint(seconds: float) -> bool:
        """Score the weights on the early-stopping subset and keep them when best; True when they improved."""
        nonlocal best_state
        swap_ema()
        score = evaluate()
        res.history.append({"step": res.steps, "seconds": round(seconds, 1), "eval_macro_f1": round(score, 4)})
        improved = score > res.best_score + 1e-9
        if improved:
            res.best_score, res.best_step = score, res.steps
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            res.best_sub_logits = last_logits[0]
        swap_ema()
        return improved

    for idx in _batches(epochs_order, lengths, cfg.batch_size, 32 if not cuda else 64, rng):
        frac = frac_done()
        if frac >= 1.0:
            res.stopped = res.stopped or ("planned epochs done" if res.steps >= max_steps else "time budget")
            break
        # LR: linear warmup then linear decay over the (time-based) planned run.
        scale = frac / cfg.warmup if frac < cfg.warmup else max(0.0, (1.0 - frac) / (1.0 - cfg.warmup))
        for g in opt.param_groups:
            g["lr"] = g["initial_lr"] * max(scale, 0.02)
        ids, mask = pad([enc[i] for i in idx], pad_id)
        t_ids = torch.from_numpy(ids).to(device, non_blocking=True)
        t_mask = torch.from_numpy(mask).to(device, non_blocking=True)
        tgt3 = y3_t[idx].to(device)
        if tuner is not None:
            tuner.before_step()
        t_step = time.monotonic()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            fine = model.fine_logits(t_ids, t_mask)
        fine = fine.float()
        if cfg.loss == "fine" and model.n_fine == 5:
            per = nn.functional.cross_entropy(fine, yf_t[idx].to(device), reduction="none")
        else:
            per = nn.functional.cross_entropy(model.fold(fine), tgt3, reduction="none")
        w = weight_t[tgt3]
        loss = (per * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
        opt.step()
        if ema is not None:
            # Warm-up form of the decay, so the average is not dominated by the untrained start.
            decay = min(cfg.ema, (1 + res.steps) / (10 + res.steps))
            torch._foreach_lerp_(ema, trainable, 1.0 - decay)
        if tuner is not None:
            tuner.after_step(time.monotonic() - t_step, int(ids.size), warm=res.steps >= 1)
        res.steps += 1
        res.examples_seen += len(idx)
        seen.update(int(i) for i in idx)
        elapsed = time.monotonic() - t0
        res.train_rate = res.examples_seen / max(elapsed, 1e-6)
        frac = frac_done()
        if progress and (time.monotonic() - last_report > 1.0):
            last_report = time.monotonic()
            progress(lo + (hi - lo) * min(frac, 1.0),
                     f"fine-tuning: step {res.steps}, {res.examples_seen} examples, loss {loss.item():.3f}")
        if next_eval < len(cfg.eval_points) and frac >= cfg.eval_points[next_eval] - 1e-9:
            while next_eval < len(cfg.eval_points) and frac >= cfg.eval_points[next_eval] - 1e-9:
                next_eval += 1
            if checkpoint(elapsed):
                bad_evals = 0
            else:
                bad_evals += 1
                if bad_evals >= cfg.patience:
                    res.stopped = "early stop: held-out macro-F1 stopped improving"
                    break
    else:
        res.stopped = res.stopped or "data exhausted"
    res.unique_seen = len(seen)
    if tuner is not None:
        res.threads_chosen = tuner.chosen
        torch.set_num_threads(max_threads)
    # The last stretch may have ended between evaluation points: score it too, then keep the best.
    if res.steps > 0 and (not res.history or res.history[-1]["step"] != res.steps):
        checkpoint(time.monotonic() - t0)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return res
