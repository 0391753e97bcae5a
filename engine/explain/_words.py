"""Words of a review in any language: what explanations highlight, deletion tests delete and drivers count.

Most languages separate words with spaces, and a word is a run of word characters (inner apostrophes kept).
Chinese and Japanese do not: a whole clause is one such run, so explanations highlighted a sentence as one "word"
and drivers found no words at all. Runs that contain Han characters or kana are cut by a word segmenter: jieba
(MIT) for Chinese, MeCab through fugashi with the UniDic-lite dictionary (MIT / BSD) for Japanese, which a review
uses when it contains any kana. Both are loaded on first use (jieba ~1 s, MeCab ~0.1 s).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
_CJK = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_lock = threading.Lock()
_mecab_lock = threading.Lock()  # a MeCab tagger is not thread-safe
_segmenters: dict[str, Any] = {}


def is_cjk(text: str) -> bool:
    """True when `text` has Han characters or kana (its words are not separated by spaces)."""
    return bool(_CJK.search(text))


def _jieba() -> Any:
    """jieba's tokenizer, with its dictionary built once per process and its banner kept off the logs."""
    with _lock:
        if "zh" not in _segmenters:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            _segmenters["zh"] = tok
    return _segmenters["zh"]


def _mecab() -> Any:
    """fugashi's MeCab tagger on the UniDic-lite dictionary (installed as a package, no download)."""
    with _lock:
        if "ja" not in _segmenters:
            import fugashi

            _segmenters["ja"] = fugashi.Tagger()
    return _segmenters["ja"]


def _segment(run: str, japanese: bool) -> list[tuple[int, int]]:
    """Word spans inside one run of word characters that contains CJK."""
    if japanese:
        spans, pos = [], 0
        tagger = _mecab()
        with _mecab_lock:
            surfaces = [w.surface for w in tagger(run)]
        for surface in surfaces:
            at = run.find(surface, pos)
            if not surface or at < 0:
                continue
            spans.append((at, at + len(surface)))
            pos = at + len(surface)
        return spans
    return [(s, e) for _, s, e in _jieba().tokenize(run, HMM=True) if run[s:e].strip()]


def word_spans(text: str, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every word (and lone punctuation mark) in text[:end], in order.

    Runs without CJK are words as they stand; a run with CJK is segmented (Japanese when the review has kana).
    """
    end = len(text) if end is None else end
    japanese = bool(_KANA.search(text, 0, end))
    out: list[tuple[int, int]] = []
    for m in WORD_RE.finditer(text, 0, end):
        if not _CJK.search(m.group()):
            out.append((m.start(), m.end()))
            continue
        out.extend((m.start() + s, m.start() + e) for s, e in _segment(m.group(), japanese))
    return out


def words(text: str) -> list[str]:
    """The words of `text` (no punctuation), e.g. for counting terms."""
    return [text[s:e] for s, e in word_spans(text) if any(c.isalnum() for c in text[s:e])]
