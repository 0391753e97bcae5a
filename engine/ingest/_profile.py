"""Column profiles from the head sample: what the values look like (ids, numbers, dates, ratings, flags, free
text), the evidence the mapper weighs beside the header names."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ._parsing import FAMILIES

# Each family's pattern is anchored at both ends, so one alternation matches where any of them does.
_DATE = re.compile("|".join(f"(?:{rx})" for name, rx in FAMILIES.items() if not name.startswith("epoch")))
_ORDER_GUESSED = re.compile("|".join(f"(?:{FAMILIES[name]})" for name in ("slash", "dot", "num_space")))  # d/m inferred
_TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?$")
_SCI = re.compile(r"^[+-]?\d(\.\d+)?[eE]\+?\d+$")
_CURRENCY_WORDS = re.compile(r"(?i)R\$|RM(?=\s*\d)|\b(?:EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN|BRL|INR|CNY|RMB|"
                             r"MYR|KRW|TRY)\b|[$€£¥₩₺₹\s\u00a0']")
_NUMBER_SHAPE = re.compile(r"[-+]?\(?[-+]?[\d.,]*\d[\d.,]*(?:[eE][-+]?\d+)?\)?")
_LETTER = re.compile(r"[^\W\d_]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_CURRENCY = re.compile(r"^([A-Z]{3}|[$€£¥₩₺₹]|R\$|RM)$")
# Codes a payment export writes in lower case ('usd'): known ones only, any three letters would be words.
_CODES = frozenset({"usd", "eur", "gbp", "chf", "cad", "aud", "jpy", "sek", "nok", "dkk", "pln", "brl", "inr", "cny",
                    "myr", "krw", "try", "mxn", "nzd", "sgd", "hkd", "zar", "idr", "php", "thb", "vnd", "czk", "huf"})
_FLAG_WORDS = {"0", "1", "y", "n", "yes", "no", "true", "false", "t", "f", "0.0", "1.0"}


@dataclass
class ColumnProfile:
    """What one column's sample values look like; shares are of the non-empty values."""

    index: int
    header: str
    norm: str
    rows: int  # sample rows
    filled: int  # non-empty values
    distinct: int
    number: float  # share readable as a number (currency signs and separators allowed)
    integer: float  # share that are whole numbers
    date: float  # share written as a date or timestamp
    date_guessed: float  # share whose day/month order has to be inferred ('03/04/2024', '09 16, 2013')
    time_only: float  # share that are a clock time alone ('14:30')
    epoch: float  # share that are whole numbers in the epoch-seconds or -milliseconds range (2001..2033)
    sci: float  # share written like a spreadsheet-mangled id ('1.01E+11')
    letters: float  # share containing a letter
    spaces: float  # share containing a space
    email: float
    currency: float  # share that are a currency code or sign
    flag: bool  # only 0/1 or yes/no style values
    lo: float | None
    hi: float | None
    mean_len: float
    max_len: int
    samples: tuple[str, ...]  # up to three distinct values, for the mapping table
    order_constant: float | None = None  # share of multi-line orders in which the value never changes
    order_sequence: bool = False  # whole numbers that count 1..n within each order
    names: dict[str, float] | None = None  # how strongly the header names each field (the mapper fills it once)

    @property
    def empty(self) -> bool:
        """No value at all in the sample."""
        return self.filled == 0

    @property
    def distinct_ratio(self) -> float:
        """Distinct values per non-empty value (1.0: every value differs)."""
        return self.distinct / self.filled if self.filled else 0.0

    @property
    def numeric(self) -> bool:
        """Nearly every value is a number."""
        return self.filled > 0 and self.number >= 0.7

    @property
    def textual(self) -> bool:
        """Words rather than numbers or dates."""
        return self.filled > 0 and self.letters >= 0.5 and self.number < 0.5 and self.date < 0.5

    @property
    def id_like(self) -> bool:
        """Short tokens without spaces that are not dates, decimals or flags (a 64-digit hex hash is an id too)."""
        if self.filled == 0:
            return False
        decimals = self.numeric and self.integer < 0.9 and self.sci < 0.5
        return (self.date < 0.5 and self.mean_len <= 72 and self.spaces < 0.2 and not self.flag and not decimals
                and self.time_only < 0.5)


def _number(value: str) -> float | None:
    """A number as merchants write it ('R$ 1.234,56', '$2.39 ', '(12.00)', '1,250.50'), or None."""
    v = _CURRENCY_WORDS.sub("", value)
    if not _NUMBER_SHAPE.fullmatch(v):
        return None
    negative = v.startswith("(") and v.endswith(")")
    v = v.strip("()")
    if "," in v and "." in v:
        v = v.replace(".", "").replace(",", ".") if v.rfind(",") > v.rfind(".") else v.replace(",", "")
    elif "," in v:
        head, _, tail = v.rpartition(",")
        v = head.replace(",", "") + ("." + tail if len(tail) != 3 else tail)
    try:
        x = float(v)
    except ValueError:
        return None
    if not math.isfinite(x):
        return None
    return -x if negative else x


def profile_columns(headers: list[str], norms: list[str], columns: list[tuple[str, ...]]) -> list[ColumnProfile]:
    """One profile per column of the sample."""
    return [_profile(i, header, norm, columns[i] if i < len(columns) else ())
            for i, (header, norm) in enumerate(zip(headers, norms))]


def _profile(index: int, header: str, norm: str, column: tuple[str, ...]) -> ColumnProfile:
    """What one column's values look like. Plain digits (quantities, numeric ids) cannot be dates, clock times,
    e-mails, currency codes or words, so only the other values go through those patterns: a POS export with a
    column per product is mostly blanks and small whole numbers."""
    values = [v.strip() for v in column]
    present = [v for v in values if v]
    n = len(present) or 1
    digits, other = [], []
    for v in present:
        (digits if v.isascii() and v.isdigit() else other).append(v)
    nums = [x for x in (_number(v) for v in other) if x is not None]
    nums += [x for x in map(float, digits) if math.isfinite(x)]  # what _number makes of plain digits
    counts = Counter(present)
    lengths = [len(v) for v in present]
    return ColumnProfile(
        index=index, header=header, norm=norm, rows=len(values), filled=len(present), distinct=len(counts),
        number=len(nums) / n,
        integer=sum(1 for x in nums if x == int(x)) / n,
        date=sum(1 for v in other if _DATE.match(v)) / n,
        date_guessed=sum(1 for v in other if _ORDER_GUESSED.match(v)) / n,
        time_only=sum(1 for v in other if _TIME_ONLY.match(v)) / n,
        epoch=sum(1 for v in digits if len(v.lstrip("0")) <= 13 and (1e9 <= int(v) < 2e9 or 1e12 <= int(v) < 2e12)) / n,
        sci=sum(1 for v in other if _SCI.match(v)) / n,
        letters=sum(1 for v in other if _LETTER.search(v)) / n,
        spaces=sum(1 for v in other if " " in v) / n,
        email=sum(1 for v in other if _EMAIL.match(v)) / n,
        currency=sum(1 for v in other if _CURRENCY.match(v) or v.lower() in _CODES) / n,
        flag=bool(present) and {v.lower() for v in counts} <= _FLAG_WORDS and len(counts) <= 2,
        lo=min(nums) if nums else None, hi=max(nums) if nums else None,
        mean_len=sum(lengths) / n, max_len=max(lengths, default=0),
        samples=tuple(list(counts)[:3]),
    )


def add_order_structure(profiles: list[ColumnProfile], columns: list[tuple[str, ...]], order_col: int) -> None:
    """Per column, how it behaves within the orders of `order_col`: constant (order-level) or counting 1..n."""
    groups: dict[str, list[int]] = {}
    for row, key in enumerate(columns[order_col]):
        if key.strip():
            groups.setdefault(key.strip(), []).append(row)
    multi = [rows for rows in groups.values() if len(rows) > 1]
    if not multi:
        return  # one line per order: no column is order-level or counts lines
    for p in profiles:
        if p.index == order_col or p.empty:
            continue
        col = columns[p.index]
        p.order_constant = sum(1 for rows in multi if len({col[r].strip() for r in rows}) == 1) / len(multi)
        if p.numeric and p.integer >= 0.99 and p.lo is not None and p.lo >= 1:
            seq = 0
            for rows in groups.values():
                vals = sorted(_number(col[r]) or 0 for r in rows)
                seq += vals == list(range(1, len(rows) + 1))
            p.order_sequence = seq / len(groups) >= 0.95
