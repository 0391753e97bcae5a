"""User text made inert before a page shows it: uploads and error messages never become Markdown or HTML."""

from __future__ import annotations

import re

__all__ = ["plain", "first_text", "one_line", "duration", "chance_reading"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=])")
# GitHub-flavoured Markdown links e-mail addresses, www. names and scheme:// URLs found in a text node, escaped or
# not (entities and backslash escapes are decoded before it looks). An empty Streamlit colour directive in front of
# the '@' of an address, inside the 'www' of a name ('w|ww.': a part that starts with 'www.' would be linked again)
# or in front of the ':' of a '://' splits the text node there: nothing is linked, and the page shows and copies
# exactly the original characters (an invisible character, such as the word joiner used before, is copied too).
# Only what could form a link is split, so "NDCG@10" or "10:30" pass through as they are.
_AUTOLINK = re.compile(r"(?<=[\w.+-])(?=@[\w-]+\.[\w-])|(?<=\bw)(?=ww\.)|(?=://)", re.IGNORECASE)
_SPLIT = "\x00"  # marks a split until the markup is escaped (a NUL of the text itself, invisible, is dropped)
_SPLITTER = ":gray[]"


def plain(text: object) -> str:
    """User text made inert for Streamlit's Markdown (labels, errors, captions): every markup character escaped, and
    no address or URL in it becomes a link."""
    text = str(text).replace(_SPLIT, "")
    escaped = _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(_SPLIT, text)).replace("\n", " ")
    return escaped.replace(_SPLIT, _SPLITTER)


def first_text(*values: object, default: str = "") -> str:
    """The first value that is a non-empty string (review fields may be None or NaN)."""
    return next((v for v in values if isinstance(v, str) and v.strip()), default)


def one_line(value: object, n: int = 80) -> str:
    """Text on one line of at most n characters (an ellipsis marks a cut)."""
    s = " ".join(str(value).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def duration(seconds: float) -> str:
    """Seconds as a person reads them: '42 s', '3 min 05 s'."""
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def chance_reading(p: float | None) -> str:
    """A p-value as a shop owner reads it: how likely the difference is to be chance (the p-value itself belongs in
    the help beside it)."""
    if p is None or p != p:  # None or NaN
        return "too little data to tell"
    if p < 0.001:
        return "very unlikely to be chance"
    if p < 0.05:
        return "unlikely to be chance"
    return "could well be chance" if p < 0.5 else "looks like chance"


def trained_at(created_at: object) -> str:
    """A model version's creation time as the version tables show it ('–' when unknown)."""
    import pandas as pd

    return "–" if pd.isna(created_at) else f"{pd.Timestamp(created_at):%Y-%m-%d %H:%M}"


def files_state(broken_reason: object, available: bool) -> str:
    """A model version's files in one word: broken (marked by the registry), ok, or missing."""
    return "broken" if isinstance(broken_reason, str) else "ok" if available else "missing"
