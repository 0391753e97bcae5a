"""User text made inert before a page shows it: uploads and error messages never become Markdown or HTML."""

from __future__ import annotations

import re

__all__ = ["plain"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=])")


def plain(text: object) -> str:
    """User text made inert for Streamlit's Markdown (labels, errors, captions): every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
