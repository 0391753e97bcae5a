"""Optional int8 CPU runtime for the sentiment transformer via ONNX Runtime (internal).

Eager `torch.ao` dynamic quantisation is deprecated in this torch, so int8 goes through ONNX Runtime: export the
fine-tuned classifier once, fuse attention/LayerNorm/GELU with ORT's transformer optimizer, then quantise the
MatMul weights dynamically. Everything here is optional: without onnxruntime the model scores with torch.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from engine.models import run_data_parallel
from engine.store import LABELS

from ._network import FINE_GROUPS, MeanPoolClassifier, pad, sorted_batches

log = logging.getLogger(__name__)

INT8_FILE = "model.int8.onnx"


def available() -> bool:
    """True when onnxruntime (with its quantisation tools) can be imported."""
    try:
        import onnxruntime  # noqa: F401
        from onnxruntime.quantization import quantize_dynamic  # noqa: F401
    except Exception:
        return False
    return True


class _FineWrapper(torch.nn.Module):
    """Exports the fine (star) logits; folding to 3 labels happens in numpy, outside the graph."""

    def __init__(self, model: MeanPoolClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model.fine_logits(input_ids, attention_mask)


def export_int8(model: MeanPoolClassifier, reduce_range: bool = False) -> bytes:
    """An optimised, dynamically int8-quantised ONNX copy of `model`, as bytes (kept in memory until saved)."""
    import onnx  # noqa: F401  - required by the exporter and the quantiser
    from onnxruntime.quantization import QuantType, quantize_dynamic

    clone = copy.deepcopy(model).cpu().float().eval()
    encoder = clone.encoder
    if hasattr(encoder, "set_attn_implementation"):
        try:  # the eager attention graph is the one ORT's optimizer can fuse
            encoder.set_attn_implementation("eager")
        except Exception:  # pragma: no cover - architecture without eager switch
            pass
    cfg = encoder.config
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        ids = torch.ones(2, 16, dtype=torch.long)
        mask = torch.ones_like(ids)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _FineWrapper(clone),
                (ids, mask),
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=["fine_logits"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "fine_logits": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        source = raw
        try:
            from onnxruntime.transformers import optimizer

            opt = optimizer.optimize_model(
                str(raw),
                model_type="bert",
                num_heads=int(getattr(cfg, "num_attention_heads", 0) or 0),
                hidden_size=int(getattr(cfg, "hidden_size", 0) or 0),
                opt_level=1,
            )
            fused = Path(tmp) / "fused.onnx"
            opt.save_model_to_file(str(fused))
            source = fused
        except Exception as exc:  # fusion is an optimisation, not a requirement
            log.info("ONNX transformer fusion skipped: %s", exc)
        target = Path(tmp) / INT8_FILE
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its root-logger advice on pre-processing would land in the CLI's progress
        try:
            quantize_dynamic(
                str(source),
                str(target),
                weight_type=QuantType.QInt8,
                per_channel=True,  # per-tensor int8 weights lose ~2x more accuracy here at the same speed
                reduce_range=reduce_range,
                extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT for fused ops
            )
        finally:
            root.setLevel(level)
        return target.read_bytes()


class OrtRunner:
    """An ONNX Runtime session that returns 3-class logits in input order.

    The session is single-threaded and shared by one worker thread per core (data parallel over length-sorted
    batches): faster than intra-op threads for this small model, and robust when other processes hold a core.
    """

    def __init__(self, model: Path | bytes, threads: int, n_fine: int = 5) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            model if isinstance(model, bytes) else str(model), opts, providers=["CPUExecutionProvider"]
        )
        self.workers = max(1, threads)
        self.n_fine = n_fine

    def fold(self, fine: np.ndarray) -> np.ndarray:
        """Same folding as MeanPoolClassifier.fold, in numpy."""
        if self.n_fine == len(LABELS):
            return fine
        cols = []
        for group in FINE_GROUPS:
            part = fine[:, list(group)]
            top = part.max(axis=1, keepdims=True)
            cols.append((top + np.log(np.exp(part - top).sum(axis=1, keepdims=True)))[:, 0])
        return np.stack(cols, axis=1)

    def logits(
        self, enc: Sequence[Sequence[int]], pad_id: int, max_batch: int = 16, max_tokens: int = 16 * 128
    ) -> np.ndarray:
        """Length-sorted, dynamically padded batches through the session, spread over the workers."""
        out = np.zeros((len(enc), len(LABELS)), dtype=np.float32)
        if not len(enc):
            return out
        lengths = [max(1, len(s)) for s in enc]

        def work(part: list[np.ndarray]) -> None:
            for idx in part:
                ids, mask = pad([enc[i] for i in idx], pad_id)
                fine = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
                out[idx] = self.fold(fine.astype(np.float32))

        run_data_parallel(sorted_batches(lengths, max_batch, max_tokens), work, self.workers)
        return out
