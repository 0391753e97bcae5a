"""Transformer side of the sentiment family: the classifier module, batching and fast inference (internal)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.models import default_threads, run_data_parallel
from engine.store import LABELS

# Fine classes are star ratings 1..5; each maps onto one of LABELS.
FINE_GROUPS: tuple[tuple[int, ...], ...] = ((0, 1), (2,), (3, 4))
DEFAULT_MAX_LENGTH = 128


def _quiet_transformers() -> None:
    """Keep weight-loading progress bars off stderr so CLI progress stays readable."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # pragma: no cover - cosmetic only
        pass


def load_encoder(source: str, local: bool) -> tuple[nn.Module, object]:
    """Pretrained encoder and its fast tokenizer from a folder or hub id."""
    from transformers import AutoModel, AutoTokenizer

    _quiet_transformers()
    from transformers.utils import logging as hf_logging

    kwargs = {"local_files_only": True} if local or os.environ.get("HF_HUB_OFFLINE") == "1" else {}
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "unexpected pooler weights" load report is expected here
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True, **kwargs)
        try:
            encoder = AutoModel.from_pretrained(source, add_pooling_layer=False, **kwargs)
        except TypeError:
            encoder = AutoModel.from_pretrained(source, **kwargs)
    finally:
        hf_logging.set_verbosity(level)
    return encoder, tokenizer


def encoder_from_config(config_dir: Path) -> nn.Module:
    """Architecture only (weights come from the version's safetensors file)."""
    from transformers import AutoConfig, AutoModel

    _quiet_transformers()
    config = AutoConfig.from_pretrained(str(config_dir), local_files_only=True)
    try:
        return AutoModel.from_config(config, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_config(config)


def keep_lower_layers(encoder: nn.Module, n: int) -> bool:
    """Drop all but the lowest `n` transformer layers (BERT-style encoders); False when not applicable.

    On a CPU with a time budget a shallower encoder sees more reviews while training and scores faster; the
    lower layers carry most of what fine-tuning needs (the top ones are the most task-specific).
    """
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList) or not 0 < n < len(layers):
        return False
    encoder.encoder.layer = layers[:n]
    encoder.config.num_hidden_layers = n
    return True


class MeanPoolClassifier(nn.Module):
    """Encoder + masked mean pooling + linear head over star ratings, read out as 3 sentiment logits.

    Predicting the 5 star ratings uses more of the label information than 3 classes; `forward` folds them
    (log-sum-exp per group) into logits over LABELS so callers (Captum included) see a 3-class classifier.
    """

    def __init__(self, encoder: nn.Module, n_fine: int = 5, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_fine)
        self.n_fine = n_fine
        groups = FINE_GROUPS if n_fine == 5 else tuple((i,) for i in range(len(LABELS)))
        member = torch.full((len(LABELS), n_fine), float("-inf"))
        for label, fine in enumerate(groups):
            member[label, list(fine)] = 0.0
        self.register_buffer("group_mask", member, persistent=False)

    @property
    def config(self):  # noqa: ANN201 - mirrors HF models for code that reads model.config
        """The encoder's HF config (hidden size, vocab), like an HF model exposes."""
        return self.encoder.config

    def get_input_embeddings(self) -> nn.Module:
        """Word-embedding layer, the target of layer integrated gradients."""
        return self.encoder.get_input_embeddings()

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Mean of the token states that are not padding."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def fine_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits over the fine classes (star ratings), used by the training loss."""
        return self.head(self.dropout(self.pooled(input_ids, attention_mask)))

    def fold(self, fine: torch.Tensor) -> torch.Tensor:
        """Fine logits -> logits over LABELS (log of the summed group probabilities)."""
        if self.n_fine == len(LABELS):
            return fine
        return torch.logsumexp(fine.float().unsqueeze(1) + self.group_mask, dim=-1)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (n, 3) in LABELS order; softmax gives the transformer's own probabilities."""
        return self.fold(self.fine_logits(input_ids, attention_mask))


def encode(tokenizer: object, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated, unpadded (padding happens per batch)."""
    if len(texts) == 0:
        return []
    out = tokenizer(  # type: ignore[operator]
        [t if isinstance(t, str) else "" for t in texts],
        truncation=True,
        max_length=max_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return list(out["input_ids"])


def pad(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Dynamic padding: a batch is only as wide as its longest member."""
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def sorted_batches(lengths: Sequence[int], max_batch: int, max_tokens: int) -> list[np.ndarray]:
    """Index batches over length-sorted items, capped by count and padded token count."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < max_batch:
            if (end - start + 1) * lengths[order[end]] > max_tokens:
                break
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


def torch_logits(
    model: MeanPoolClassifier,
    enc: Sequence[Sequence[int]],
    pad_id: int,
    device: torch.device | None = None,
    max_batch: int | None = None,
    max_tokens: int | None = None,
    workers: int | None = None,
    bf16: bool = False,
) -> np.ndarray:
    """3-class logits in input order: length-sorted batches, dynamic padding, inference mode.

    bf16 autocast on CUDA, and on CPU when `bf16` (about 1.8x faster where the CPU has native bf16).

    On CPU the batches go to one single-threaded worker per core (data parallel): for a model this small that is
    faster than intra-op threading, and it degrades gracefully when other processes hold a core.
    """
    n = len(enc)
    out = np.zeros((n, len(LABELS)), dtype=np.float32)
    if n == 0:
        return out
    device = device or next(model.parameters()).device
    cuda = device.type == "cuda"
    max_batch = max_batch or (512 if cuda else 16)
    max_tokens = max_tokens or max_batch * 128
    lengths = [max(1, len(s)) for s in enc]
    batches = sorted_batches(lengths, max_batch, max_tokens)
    workers = 1 if cuda else (workers or default_threads())
    was_training = model.training
    threads = torch.get_num_threads()

    def work(part: list[np.ndarray]) -> None:
        with torch.inference_mode():
            for idx in part:
                ids, mask = pad([enc[i] for i in idx], pad_id)
                t_ids = torch.from_numpy(ids).to(device, non_blocking=True)
                t_mask = torch.from_numpy(mask).to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda or bf16):
                    logits = model(t_ids, t_mask)
                out[idx] = logits.float().cpu().numpy()

    model.eval()
    try:
        if workers > 1 and len(batches) > 1:
            torch.set_num_threads(1)
        run_data_parallel(batches, work, workers)
    finally:
        model.train(was_training)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return out


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable row-wise log-softmax."""
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    return np.exp(log_softmax(x))
