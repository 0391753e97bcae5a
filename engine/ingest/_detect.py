"""Which format and kind a file is and how its columns map onto the contract's fields."""

from __future__ import annotations

from pathlib import Path

from . import _formats as F
from ._sniff import _sniff
from ._types import FORMAT_NAMES, Detection, IngestError


def detect(
    path: str | Path,
    kind: str | None = None,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    file_name: str | None = None,
) -> Detection:
    """Recognise the export (format, kind, column mapping) from its header; user choices override."""
    path = Path(path)
    file_name = file_name or path.name
    if kind not in (None, "orders", "reviews", "products"):
        raise IngestError(f"--kind must be orders or reviews, not '{kind}'.")
    if fmt not in (None, *FORMAT_NAMES):
        raise IngestError(f"unknown --format '{fmt}'; known formats: {', '.join(FORMAT_NAMES)}.")
    encoding, delimiter, headers, head = _sniff(path, file_name)
    spec = next((s for s in F.FORMATS if s.name == fmt), None) if fmt else F.match_format(headers)
    if spec is not None and kind and spec.kind != kind:
        spec = None if not fmt else spec
    if spec is not None:
        det_kind, det_map, name = spec.kind, dict(spec.mapping), spec.name
    else:
        det_kind = kind or F.guess_kind(headers)
        if det_kind is None and not mapping:
            raise IngestError(
                f"cannot tell whether {file_name} holds orders or reviews from its columns "
                f"({', '.join(headers[:8])}{', ...' if len(headers) > 8 else ''}); "
                "choose whether it holds orders or reviews and confirm the column mapping "
                "(on the command line: --kind and --map)."
            )
        det_kind = det_kind or _kind_from_map(mapping or {})
        det_map, name = F.similarity_mapping(headers, det_kind), "generic"
    if mapping:
        det_map = _apply_user_mapping(det_map, mapping, headers, det_kind, file_name)
    present = {F.normalise_header(h) for h in headers}
    det_map = {k: tuple(s for s in v if s in present) for k, v in det_map.items()}
    det_map = {k: v for k, v in det_map.items() if v}
    missing = [" or ".join(g) for g in F.missing_required(det_map, det_kind)]
    return Detection(path, file_name, name, det_kind, delimiter, encoding, headers, det_map, missing, head=head)


def _kind_from_map(mapping: dict[str, str]) -> str:
    """Kind implied by the canonical names a user mapped."""
    if {"rating", "text", "review_id"} & set(mapping):
        return "reviews"
    return "orders"


def _apply_user_mapping(
    base: dict[str, tuple[str, ...]], user: dict[str, str], headers: list[str], kind: str, file_name: str
) -> dict[str, tuple[str, ...]]:
    """Overlay `canon=source` choices after checking both names exist."""
    present = {F.normalise_header(h) for h in headers}
    out = dict(base)
    for canon, source in user.items():
        if canon not in F.CANONICAL[kind]:
            raise IngestError(
                f"'{canon}' is not a {kind} column; use one of: {', '.join(F.CANONICAL[kind])}."
            )
        if not source:
            out.pop(canon, None)
            continue
        if F.normalise_header(source) not in present:
            raise IngestError(
                f"column '{source}' (mapped to {canon}) is not in {file_name}; its columns are: "
                f"{', '.join(headers)}."
            )
        out[canon] = (F.normalise_header(source),)
    return out
