"""Column-level parsers as DuckDB SQL expressions: decide the dialect from the whole column, then parse fast.

Every builder takes a column reference that the engine generated itself (`c0`, `c1`, ...), never a user
string, and returns an SQL expression. Decisions (decimal comma or point, day-first or month-first dates)
are taken once per column from aggregate statistics, so a single ambiguous row cannot flip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

__all__ = [
    "NumberDialect",
    "DateDialect",
    "detect_number_dialect",
    "detect_date_dialect",
    "number_expr",
    "ambiguous_number",
    "timestamp_expr",
]

# Anything that is not a digit, sign, separator or parenthesis: currency symbols, codes, spaces, NBSP.
_NOISE = r"[^0-9,.\-+()eE]"
_STRIP_CURRENCY = r"(?i)\b(EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN)\b"


@dataclass(frozen=True)
class NumberDialect:
    """How numbers in one column are written."""

    plain: bool  # every value already casts to DOUBLE as-is (the fast path)
    decimal_comma: bool  # '1.250,50' / '12,5' rather than '1,250.50'


@dataclass(frozen=True)
class DateDialect:
    """How timestamps in one column are written (a column may mix families: each is tried, commonest first)."""

    # 'iso' | 'iso_offset' | 'slash' | 'dot' | 'ymd' | 'named' | 'num_space' | 'cjk' | 'relative' | 'epoch_s' | 'epoch_ms'
    family: str
    day_first: bool = False
    also: tuple[str, ...] = ()  # further families present in the column, tried after `family`
    anchor: str | None = None  # 'YYYY-MM-DD HH:MM:SS' that relative dates ('3 days ago') count back from
    anchor_is_now: bool = False  # no absolute date in the column: relative dates count back from the import time


def _cleaned(col: str) -> str:
    """Strip currency names and symbols and whitespace, keeping digits, separators and sign."""
    return (
        f"regexp_replace(regexp_replace(trim({col}), '{_STRIP_CURRENCY}', '', 'g'), '{_NOISE}', '', 'g')"
    )


def detect_number_dialect(con: duckdb.DuckDBPyConnection, table: str, col: str, european: bool) -> NumberDialect:
    """Look at the whole column once: plain, decimal point with thousands commas, or decimal comma."""
    c = _cleaned(col)
    row = con.execute(
        f"""
        SELECT
          count(*) FILTER (WHERE {col} IS NOT NULL AND trim({col}) <> ''),
          count(*) FILTER (WHERE try_cast(trim({col}) AS DOUBLE) IS NOT NULL),
          count(*) FILTER (WHERE regexp_matches({c}, ',[0-9]{{1,2}}$|,[0-9]{{4,}}$|\\.[0-9]{{3}},|^[0-9]+,[0-9]+$')
                             AND NOT regexp_matches({c}, '^[0-9]{{1,3}}(,[0-9]{{3}})+$')),
          count(*) FILTER (WHERE regexp_matches({c}, '\\.[0-9]{{1,2}}$|\\.[0-9]{{4,}}$|,[0-9]{{3}}\\.')
                             AND NOT regexp_matches({c}, '^[0-9]{{1,3}}(\\.[0-9]{{3}})+$'))
        FROM {table}
        """
    ).fetchall()[0]
    nonempty, castable, comma_votes, point_votes = row
    if nonempty == castable and comma_votes == 0:
        return NumberDialect(plain=True, decimal_comma=False)
    if comma_votes > point_votes:
        return NumberDialect(plain=False, decimal_comma=True)
    if point_votes > 0:
        return NumberDialect(plain=False, decimal_comma=False)
    return NumberDialect(plain=False, decimal_comma=european)


# A lone separator between 1-3 digits and exactly three more ('1,234', '2.500'): a thousands group or a decimal
# with three places, which only the rest of the column can tell.
_AMBIGUOUS = r"^[+-]?\(?[1-9][0-9]{0,2}[.,][0-9]{3}\)?$"


def ambiguous_number(col: str) -> str:
    """Condition: the value's own separators leave its reading to the column's convention (see `number_expr`)."""
    return f"regexp_matches({_cleaned(col)}, '{_AMBIGUOUS}')"


def number_expr(col: str, dialect: NumberDialect) -> str:
    """DOUBLE expression for a text column; NULL for empty cells and for text that is not a number.

    Each value is read by its own evidence first, so one '1.234,56' among '12.50' prices is 1234.56, not 1.23456:
    with both separators the later one is the decimal mark; a separator that repeats ('1.234.567') groups
    thousands; a lone one is the decimal mark unless the value is ambiguous ('1,234'), which the column's
    convention (`dialect`, from all its values) decides.
    """
    if dialect.plain:
        return f"try_cast(trim({col}) AS DOUBLE)"
    c = _cleaned(col)
    default = "true" if dialect.decimal_comma else "false"
    decimal_comma = (
        f"CASE WHEN contains({c}, ',') AND contains({c}, '.') "
        f"THEN strpos(reverse({c}), ',') < strpos(reverse({c}), '.') "
        f"WHEN regexp_matches({c}, ',.*,') THEN false "
        f"WHEN regexp_matches({c}, '\\..*\\.') THEN true "
        f"WHEN regexp_matches({c}, '{_AMBIGUOUS}') THEN {default} "
        f"ELSE contains({c}, ',') END"
    )
    body = f"CASE WHEN {decimal_comma} THEN replace(replace({c}, '.', ''), ',', '.') ELSE replace({c}, ',', '') END"
    # Accounting negatives: '(12.00)' means -12.00.
    return (
        f"CASE WHEN regexp_matches({c}, '^\\(.*\\)$') "
        f"THEN -try_cast(replace(replace({body}, '(', ''), ')', '') AS DOUBLE) "
        f"ELSE try_cast({body} AS DOUBLE) END"
    )


_ISO = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(UTC|GMT|Z))?$"
_ISO_OFFSET = r"^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)? ?[+-]\d{2}:?\d{2}$"
_SLASH = r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?$"
_DOT = r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?)?$"
_TIME = r"( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?"
# '2020/1/5 12:00', '2020.01.05'
_YMD = r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}" + _TIME + "$"
# A month's name in Latin letters, accented and Turkish ones included ('Des', 'fév', 'Ağustos').
_MONTH_WORD = "[A-Za-zÀ-ÿĞğİıŞş]{3,10}"
# '30-Jul-18', '14 Apr 2023', 'Apr 14, 2023', 'April 14 2023 10:00', '20 Des 2023', '3 de março de 2024'
_NAMED = (rf"^(\d{{1,2}}[- /]((de|di) )?{_MONTH_WORD}\.?( (de|del))?[- /,]+\d{{2,4}}|"
          rf"{_MONTH_WORD}\.? \d{{1,2}}(st|nd|rd|th)?,? \d{{4}})" + _TIME + "$")
# Month names in the languages of the header synonyms (and Indonesian/Malay shops), as strptime's English ones.
_MONTHS = {
    "Jan": "januari janvier janv janeiro enero ene januar jänner ocak",
    "Feb": "februari februar février févr fév fevereiro fev febrero şubat subat",
    "Mar": "maret märz mär mrz mars março marzo mart",
    "Apr": "avril avr abril abr nisan",
    "May": "mei mai maio mayo mayıs mayis",
    "Jun": "juni juin junho junio haziran",
    "Jul": "juli juillet juil julho julio temmuz",
    "Aug": "agustus agu ogos août aout agosto ago ağustos agustos",
    "Sep": "september septembre sept setembro set septiembre eylül eylul",
    "Oct": "oktober okt octobre outubro out octubre ekim",
    "Nov": "november novembre novembro noviembre kasım kasim",
    "Dec": "desember des dis dezember dez décembre déc dezembro diciembre dic aralık aralik",
}
# '3 days ago', '2 weeks ago', 'Lebih dari 1 tahun lalu', 'hace 2 días', 'il y a 3 jours', 'yesterday'
_AGO_UNIT = (r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|detik|menit|jam|hari|minggu|"
             r"bulan|tahun|saniye|dakika|saat|gün|hafta|ay|yıl)")
_BEFORE_UNIT = (r"(segundos?|minutos?|horas?|d[ií]as?|semanas?|mes|meses|años?|anos?|sekunden?|minuten?|stunden?|"
                r"tagen?|wochen?|monaten?|jahren?|secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)")
_RELATIVE = (r"^(?i:((more than|over|about|almost|lebih dari|kurang dari|sekitar|hampir) )?(\d+|an?|one|se|satu|bir) "
             + _AGO_UNIT + r" (ago|lalu|yang lalu|önce)|(hace|há|ha|vor|il y a) (\d+|un|una|um|uma|einem|einer) "
             + _BEFORE_UNIT + r"|today|yesterday|hari ini|kemarin|hoy|ayer|hoje|ontem|heute|gestern|aujourd.hui|"
             r"hier|bugün|dün)$")
# '09 16, 2013' (month day, year)
_NUM_SPACE = r"^(\d{1,2}) (\d{1,2}), (\d{4})$"
# '2020年1月5日', '2020年1月5日 12:30'
_CJK = r"^\d{4}年\d{1,2}月\d{1,2}日 ?(\d{1,2}[:时]\d{2}(分|:\d{2}秒?)?)?$"
_EPOCH_S = r"^1?\d{9}(\.\d+)?$"
_EPOCH_MS = r"^1?\d{12}$"
FAMILIES = {
    "iso": _ISO, "iso_offset": _ISO_OFFSET, "slash": _SLASH, "dot": _DOT, "ymd": _YMD, "named": _NAMED,
    "num_space": _NUM_SPACE, "cjk": _CJK, "relative": _RELATIVE, "epoch_s": _EPOCH_S, "epoch_ms": _EPOCH_MS,
}


def detect_date_dialect(con: duckdb.DuckDBPyConnection, table: str, col: str, european: bool) -> DateDialect:
    """Pick the timestamp families the column uses (commonest first) and, for d/m ambiguity, the order from all
    rows."""
    t = f"trim({col})"
    counts = ", ".join(f"count(*) FILTER (WHERE regexp_matches({t}, '{rx}'))" for rx in FAMILIES.values())
    row = con.execute(
        f"""
        SELECT {counts},
          max(try_cast(regexp_extract({t}, '{_SLASH}', 1) AS INTEGER)),
          max(try_cast(regexp_extract({t}, '{_SLASH}', 2) AS INTEGER)),
          max(try_cast(regexp_extract({t}, '{_NUM_SPACE}', 1) AS INTEGER))
        FROM {table}
        """
    ).fetchall()[0]
    found = {name: n for name, n in zip(FAMILIES, row) if n}
    max_first, max_second, max_num_first = row[len(FAMILIES):]
    if not found:
        return DateDialect(family="iso")
    if "iso" in found and "iso_offset" in found:  # one family: the offset path also reads naive values
        found["iso_offset"] += found.pop("iso")
    ranked = sorted(found, key=lambda k: -found[k])
    best, also = ranked[0], tuple(ranked[1:])
    day_first = best == "dot"
    if "slash" in found:
        if (max_first or 0) > 12:
            day_first = True
        elif (max_second or 0) > 12:
            day_first = False
        else:
            day_first = european
    elif best == "num_space":
        day_first = (max_num_first or 0) > 12
    if "relative" not in found:
        return DateDialect(family=best, day_first=day_first, also=also)
    return _anchored(con, table, col, DateDialect(family=best, day_first=day_first, also=also))


def _anchored(con: duckdb.DuckDBPyConnection, table: str, col: str, dialect: DateDialect) -> DateDialect:
    """A column with relative dates ('3 days ago') counts them back from its own latest absolute date: a scrape
    says '3 days ago' of the day it ran, which the dates beside it show better than today does. With no absolute
    date at all, from the import time (the caller says so in a warning)."""
    absolute = [f for f in (dialect.family, *dialect.also) if f != "relative"]
    latest = None
    if absolute:
        t = f"trim({col})"
        parsed = [_family_expr(t, f, dialect.day_first, None) for f in absolute]
        expr = parsed[0] if len(parsed) == 1 else f"coalesce({', '.join(parsed)})"
        latest = con.execute(f"SELECT max({expr}) FROM {table}").fetchall()[0][0]
    now = latest is None
    when = datetime.now(timezone.utc).replace(tzinfo=None) if now else latest
    return DateDialect(dialect.family, dialect.day_first, dialect.also, when.strftime("%Y-%m-%d %H:%M:%S"), now)


def _slash_formats(sep: str, day_first: bool) -> str:
    """strptime format list (as SQL) for d/m/y-style dates; two-digit years are tried first."""
    first, second = ("%d", "%m") if day_first else ("%m", "%d")
    head = f"{first}{sep}{second}{sep}"
    fmts = []
    for year in ("%y", "%Y"):
        for tail in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"):
            fmts.append(head + year + tail)
    return "[" + ", ".join(f"'{f}'" for f in fmts) + "]"


def _formats(heads: list[str]) -> str:
    """strptime list (as SQL): each date head with no time, minutes, seconds or a 12-hour clock."""
    tails = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
    return "[" + ", ".join(f"'{h}{t}'" for h in heads for t in tails) + "]"


def _month_names(t: str) -> str:
    """`t` with its first word (a month's name in any of `_MONTHS`' languages) written as strptime's English."""
    word = f"regexp_extract({t}, '{_MONTH_WORD}', 0)"
    cases = " ".join(f"WHEN '{name}' THEN '{english}'" for english, names in _MONTHS.items()
                     for name in names.split())
    return f"replace({t}, {word}, CASE lower({word}) {cases} ELSE {word} END)"


def _relative_expr(t: str, anchor: str | None) -> str:
    """TIMESTAMP of a relative date: the anchor less the number of units the text says ('a', 'se', 'un': one)."""
    lo = f"lower({t})"
    n = f"coalesce(try_cast(regexp_extract({lo}, '(\\d+)', 1) AS INTEGER), 1)"
    units = [("7 * INTERVAL 1 DAY", "week|minggu|hafta|semana|woche|semaine"),
             ("INTERVAL 1 SECOND", "sec|detik|saniye|segund|sekund|seconde"),
             ("INTERVAL 1 MINUTE", "min|menit|dakika"),
             ("INTERVAL 1 HOUR", "hour|hr|jam|saat|hora|stunde|heure"),
             ("INTERVAL 1 MONTH", "month|bulan|\\bay\\b|\\bmes|monat|mois"),
             ("INTERVAL 1 YEAR", "year|tahun|yıl|año|\\bano|jahr|\\ban\\b|\\bans\\b"),
             ("INTERVAL 1 DAY", "day|hari|gün|d[ií]a|\\btag|jour")]
    step = "CASE " + " ".join(f"WHEN regexp_matches({lo}, '{rx}') THEN {iv}" for iv, rx in units[:-1])
    step += f" ELSE {units[-1][0]} END"
    # 'today' is 0 days back, 'yesterday' 1; every other form says its number (or 'a', which is 1).
    today = "today|hari ini|hoy|hoje|heute|aujourd|bugün"
    count = f"CASE WHEN regexp_matches({lo}, '^({today})$') THEN 0 ELSE {n} END"
    return (f"CASE WHEN regexp_matches({t}, '{_RELATIVE}') "
            f"THEN CAST('{anchor}' AS TIMESTAMP) - {count} * ({step}) END")


def _family_expr(t: str, family: str, day_first: bool, anchor: str | None) -> str:
    """TIMESTAMP expression for one family over the trimmed text `t` (`anchor`: what relative dates count back
    from)."""
    if family in ("iso", "iso_offset"):
        # '+0100' → '+01:00' so DuckDB's TIMESTAMPTZ cast understands it; ' UTC' is understood as is.
        norm = f"regexp_replace({t}, ' ?([+-][0-9]{{2}}):?([0-9]{{2}})$', '\\1:\\2')"
        return f"try_cast({norm} AS TIMESTAMPTZ)::TIMESTAMP"
    if family in ("slash", "dot"):
        sep = "/" if family == "slash" else "."
        return f"try_strptime(upper({t}), {_slash_formats(sep, day_first)})::TIMESTAMP"
    if family == "ymd":
        return f"try_strptime(upper(replace({t}, '.', '/')), {_formats(['%Y/%m/%d'])})::TIMESTAMP"
    if family == "named":
        # Separators to single spaces ('30-Jul-18' → '30 Jul 18', 'Apr 14, 2023' → 'Apr 14 2023'); ordinals go.
        norm = (f"regexp_replace(regexp_replace(regexp_replace({t}, '(\\d)(st|nd|rd|th)\\b', '\\1'), "
                f"'[-/,.]', ' ', 'g'), '\\s+', ' ', 'g')")
        norm = f"regexp_replace({_month_names(norm)}, ' (de|di|del) ', ' ', 'g')"
        heads = ["%d %b %y", "%d %b %Y", "%d %B %y", "%d %B %Y", "%b %d %Y", "%B %d %Y"]
        return f"try_strptime(upper({norm}), {_formats(heads)})::TIMESTAMP"
    if family == "relative":
        return _relative_expr(t, anchor) if anchor else "NULL::TIMESTAMP"
    if family == "num_space":
        head = "%d %m %Y" if day_first else "%m %d %Y"
        return f"try_strptime(replace({t}, ',', ''), '{head}')::TIMESTAMP"
    if family == "cjk":
        norm = (f"regexp_replace(regexp_replace(regexp_replace({t}, '[年月]', '-', 'g'), '日 ?', ' '), "
                f"'[时点]', ':')")
        return f"try_cast(trim(regexp_replace({norm}, '[分秒]', '', 'g')) AS TIMESTAMP)"
    if family == "epoch_s":
        return f"make_timestamp((try_cast({t} AS DOUBLE) * 1000000)::BIGINT)"
    if family == "epoch_ms":
        return f"make_timestamp((try_cast({t} AS DOUBLE) * 1000)::BIGINT)"
    raise ValueError(family)


def timestamp_expr(col: str, dialect: DateDialect) -> str:
    """TIMESTAMP (UTC) expression: offsets are applied, naive times are taken as UTC; mixed columns try each
    family the column holds."""
    t = f"trim({col})"
    exprs = [_family_expr(t, f, dialect.day_first, dialect.anchor) for f in (dialect.family, *dialect.also)]
    return exprs[0] if len(exprs) == 1 else f"coalesce({', '.join(exprs)})"
