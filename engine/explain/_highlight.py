"""The only HTML the app renders from review text: every user-supplied character goes through html.escape."""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

# ----------------------------------------------------------------------------------------------------------------
# HTML (the only HTML the app renders from review text: everything user-supplied goes through html.escape)

_NEG_RGB = (215, 48, 39)  # red: pushes toward negative sentiment (or against the explained class for neutral)
_POS_RGB = (69, 117, 180)  # blue: pushes toward positive sentiment (or toward the explained class for neutral)


def highlight_legend(target: str | None = None) -> str:
    """Plain-text legend matching highlight_html's colours for the explained class."""
    if target in ("negative", "positive"):
        return ("red = pushes toward negative, blue = pushes toward positive; stronger colour = larger "
                f"attribution (explaining the '{target}' probability)")
    name = target or "predicted"
    return (f"blue = pushes toward '{name}', red = pushes away from '{name}'; stronger colour = larger "
            "attribution")


def _valid_tokens(text: str, tokens: Sequence[Any]) -> list[tuple[int, int, float]]:
    """Keeps well-formed, in-range, non-overlapping spans; anything else is shown as plain text."""
    out: list[tuple[int, int, float]] = []
    for t in tokens or []:
        try:
            s, e, a = int(t["start"]), int(t["end"]), float(t["attribution"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= s < e <= len(text) and math.isfinite(a):
            out.append((s, e, a))
    out.sort()
    clean: list[tuple[int, int, float]] = []
    for s, e, a in out:
        if not clean or s >= clean[-1][1]:
            clean.append((s, e, a))
    return clean


def highlight_html(text: str, tokens: Sequence[Any], target: str | None = None, legend: bool = True) -> str:
    """Review with words shaded by attribution; every character of user text is html.escape'd.

    Colours: with target "negative", positive attributions are red (toward negative); with target "positive",
    positive attributions are blue (toward positive); otherwise blue supports the explained class and red opposes
    it.  Opacity is |attribution| / max |attribution| in this review.
    """
    text = "" if text is None else str(text)
    spans = _valid_tokens(text, tokens)
    scale = max((abs(a) for _, _, a in spans), default=0.0)
    sign = -1.0 if target == "negative" else 1.0  # >0 after this means "blue"
    parts = ['<div class="storelens-explain" style="white-space:pre-wrap;line-height:1.9">']
    last = 0
    for s, e, a in spans:
        parts.append(html.escape(text[last:s], quote=True))
        word = html.escape(text[s:e], quote=True)
        v = sign * a
        alpha = 0.0 if scale <= 0 else min(1.0, abs(a) / scale) * 0.75
        if alpha < 0.02:
            parts.append(f'<span title="attribution {a:+.4f}">{word}</span>')
        else:
            r, g, b = _POS_RGB if v > 0 else _NEG_RGB
            parts.append(f'<span style="background-color:rgba({r},{g},{b},{alpha:.2f});border-radius:3px;'
                         f'padding:0 1px" title="attribution {a:+.4f}">{word}</span>')
        last = e
    parts.append(html.escape(text[last:], quote=True))
    parts.append("</div>")
    if legend:
        parts.append(f'<div class="storelens-legend" style="font-size:0.85em;opacity:0.8">'
                     f'<span style="background-color:rgba({",".join(map(str, _NEG_RGB))},0.6)">&nbsp;&nbsp;&nbsp;'
                     f'</span> <span style="background-color:rgba({",".join(map(str, _POS_RGB))},0.6)">'
                     f'&nbsp;&nbsp;&nbsp;</span> {html.escape(highlight_legend(target))}</div>')
    return "".join(parts)
