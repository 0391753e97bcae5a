"""The mapping an analyst would choose: every canonical field scored against every column from its header (in
seven languages) and from its values, assigned globally (one column per field), with a confidence per field."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from . import _formats as F
from ._profile import ColumnProfile

# A field is filled by a guess only at this confidence or above; the mapping table shows the rest as suggestions.
THRESHOLD = 0.5
# A guess at this confidence or above is right at least 8 times in 10 on the development corpus (docs/importing.md);
# applied guesses below it are named in the import's warnings.
CONFIDENT = 0.8
# A required field with no guess above the threshold takes the best value-compatible column down to this
# confidence when the user gave no --map, flagged as a low-confidence guess in the table.
REQUIRED_FLOOR = 0.3

# Header words per field in Chinese, Portuguese, Spanish, German, French, Turkish and Indonesian/Malay (accents
# removed), beside
# the English synonyms of `_formats`. Exact matches and word overlaps count as in English.
_WORLD: dict[str, tuple[str, ...]] = {
    "order_id": ("订单号", "订单编号", "订单id", "bestellnummer", "bestell nr", "auftragsnummer", "bestellung",
                 "numero de commande", "n de commande", "id commande", "commande", "numero de pedido", "pedido",
                 "id pedido", "id do pedido", "numero do pedido", "codigo do pedido", "siparis no",
                 "siparis numarasi", "siparis id", "siparis",
                 "no pesanan", "nomor pesanan", "id pesanan", "pesanan"),
    "order_ts": ("下单时间", "订单时间", "下单日期", "创建时间", "日期", "时间", "bestelldatum", "datum", "bestellt am",
                 "date de commande", "fecha", "fecha de pedido", "fecha del pedido", "data", "data do pedido",
                 "data da compra", "tarih", "siparis tarihi", "datetime", "date time", "order datetime",
                 "tanggal", "tanggal pesanan", "waktu pesanan", "tarikh"),
    "customer_id": ("客户", "客户id", "买家", "用户id", "kunde", "kundennummer", "kunden id", "client", "id client",
                    "cliente", "id cliente", "id do cliente", "musteri", "musteri no", "reviewer id",
                    "pelanggan", "pembeli", "id pelanggan"),
    "product_id": ("商品编号", "商品id", "产品编号", "货号", "artikelnummer", "artikel nr", "produkt id", "reference",
                   "ref produit", "id produit", "code produit", "referencia", "id producto", "codigo producto",
                   "codigo do produto", "id do produto", "urun kodu", "urun id", "stok kodu"),
    "product_name": ("商品", "商品名称", "产品名称", "产品", "artikel", "produkt", "artikelname", "produktname",
                     "bezeichnung", "produit", "nom du produit", "article", "designation", "producto",
                     "nombre del producto", "articulo", "produto", "nome do produto", "urun", "urun adi",
                     "variation", "variant",
                     "produk", "nama produk", "barang", "nama barang"),
    "category": ("类别", "分类", "品类", "kategorie", "warengruppe", "categorie", "categoria", "kategori"),
    "quantity": ("数量", "menge", "anzahl", "stuck", "quantite", "qte", "cantidad", "quantidade", "qtd", "qtde",
                 "adet", "miktar",
                 "jumlah", "kuantiti", "kuantitas", "qty"),
    "unit_price": ("单价", "价格", "preis", "einzelpreis", "stuckpreis", "prix", "prix unitaire", "precio",
                   "precio unitario", "preco", "preco unitario", "valor unitario", "fiyat", "birim fiyat",
                   "harga", "harga satuan", "harga seunit"),
    "revenue": ("金额", "总额", "总价", "销售额", "实付金额", "umsatz", "gesamt", "summe", "betrag", "gesamtbetrag",
                "montant", "chiffre d affaires", "importe", "ingresos", "ventas", "valor total", "receita", "valor",
                "toplam", "tutar", "ciro",
                "total harga", "jumlah harga", "pendapatan", "penjualan"),
    "currency": ("币种", "货币", "wahrung", "devise", "monnaie", "moneda", "divisa", "moeda", "para birimi", "doviz"),
    "country": ("国家", "land", "pays", "pais", "ulke"),
    "status": ("状态", "订单状态", "bestellstatus", "statut", "etat", "estado", "situacao", "durum"),
    "review_id": ("评论id", "评价id", "bewertungs id", "id avis", "id resena", "id opinion", "id avaliacao",
                  "yorum id"),
    "review_ts": ("评论时间", "评价时间", "日期", "时间", "datum", "bewertungsdatum", "date de l avis", "fecha", "data",
                  "data da avaliacao", "tarih", "yorum tarihi", "submit time", "submitted", "posted", "datetime",
                  "date time", "review datetime",
                  "tanggal", "waktu", "tarikh", "tanggal ulasan", "masa"),
    "author": ("用户名", "昵称", "作者", "评论人", "买家昵称", "autor", "verfasser", "auteur", "nom", "nombre", "nome",
               "yazar", "kullanici", "kullanici adi",
               "pengguna", "nama pengguna", "pengulas", "usuario", "nombre de usuario", "utilisateur", "pseudo",
               "benutzer", "benutzername"),
    "rating": ("评分", "星级", "评级", "分数", "bewertung", "sterne", "note", "etoiles", "evaluation", "calificacion",
               "puntuacion", "estrellas", "valoracion", "nota", "avaliacao", "estrelas", "classificacao", "puan",
               "yildiz", "degerlendirme", "overall", "rating star", "stars rating", "overall rating",
               "penilaian", "bintang", "nilai", "skor"),
    "title": ("标题", "titel", "uberschrift", "titre", "titulo", "baslik"),
    "text": ("评论", "评价", "内容", "评论内容", "kommentar", "rezension", "bewertungstext", "commentaire", "avis",
             "texte", "comentario", "resena", "opinion", "texto", "resenha", "yorum", "metin",
             "ulasan", "komentar", "isi ulasan", "ulasan produk"),
}
# Qualifiers that make a date another event's date ('Ship Date', 'Date Paid', 'shipping_limit_date').
_OTHER_EVENT = frozenset({"ship", "shipped", "shipping", "shipment", "delivery", "delivered", "deliver", "limit",
                          "due", "paid", "payment", "estimated", "updated", "modified", "expiry", "expires",
                          "birth", "birthday", "return", "returned", "refund", "refunded", "scraped", "crawled",
                          "cancelled", "canceled", "fulfilled", "fulfillment"})
# Amounts that are not the goods' price or revenue.
_NOT_GOODS = frozenset({"tax", "taxes", "vat", "shipping", "shipment", "freight", "fee", "fees", "discount",
                        "discounts", "tip", "refund", "refunded", "handling", "postage", "deposit", "balance"})
_REVIEW_WORDS = frozenset({"review", "reviewed", "rated", "rating", "comment", "feedback"})
_TIME_WORDS = frozenset({"date", "time", "ts", "timestamp", "datetime", "created", "epoch", "unix", "when", "at",
                         "day"})
_FIELD_TIME = {"order_ts", "review_ts"}
_ENCODING_WORDS = frozenset({"unix", "epoch", "utc", "gmt", "iso", "local"})
_MEASURES = {"quantity", "unit_price", "revenue", "discount", "rating"}
_ID_TOKENS = frozenset({"asin", "key", "ref", "uuid", "guid", "id"})
_PLACE = frozenset({"ship", "shipping", "billing", "province", "city", "address", "region", "zip"})
_MONEY = {"unit_price", "revenue"}
# Words of a person: '<person> id' identifies them, not a review or an order.
_PERSON = frozenset({"user", "consumer", "customer", "reviewer", "author", "buyer", "client", "member", "account",
                     "profile", "player"})
# Words that make '<word> type' the goods' sort.
_GOODS = frozenset({"product", "item", "article", "goods", "merchandise", "produkt", "produit", "producto",
                    "produto", "urun", "商品", "产品"})
# Words of free text about a thing.
_NOTE_WORDS = frozenset({"note", "comment", "message", "memo", "remark", "instruction", "description"})
# Header words of a translated copy of the text ('review_en', 'translated comment', 'texto traduzido').
_TRANSLATED = frozenset({"translated", "translation", "translate", "english", "en", "machine", "mt", "auto",
                         "traducao", "traduzido", "traduccion", "traducido", "traduction", "traduit", "ubersetzung",
                         "ubersetzt", "翻译", "译文", "ceviri"})
_PERSON_ATTRIBUTE = frozenset({"gender", "sex", "age", "birth", "year", "state", "city", "country", "region",
                               "location", "address", "zip", "phone", "type", "count", "like", "helpful"})
_IDS = {"order_id", "review_id", "customer_id", "product_id"}
# Fields a header can name with no synonym scoring: '<thing> id' (a product's), 'review key', a time word.
_RISE_FROM_ZERO = frozenset({"order_id", "product_id", "review_id", *_FIELD_TIME})
# One-word headers that name several things ('Type' of order, payment or product; 'Class' of a label; 'Total' of
# tax, fees or goods): even an exact match is a guess, never the evidence that earns a high confidence.
_VAGUE = frozenset({"type", "class", "state", "name", "count", "each", "total", "amount", "item", "items", "order",
                    "customer", "product", "id", "score", "note", "nota", "valor", "data", "value", "sales"})
# Calibrated confidences (see docs/importing.md, reliability table): a header naming the field with values that fit
# keeps its score; a partial or vague header name is right about three times in four; values alone, less often.
_PARTIAL_CAP = 0.75
_VALUES_CAP = 0.6


@lru_cache(maxsize=4096)
def split_header(header: str) -> str:
    """Header as comparable words: camelCase and snake_case split, accents removed, plural 's' dropped."""
    h = re.sub(r"([a-z])([A-Z])", r"\1 \2", header.replace("\ufeff", "").strip())
    h = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", h)
    h = unicodedata.normalize("NFKD", h.lower())
    h = "".join(ch for ch in h if not unicodedata.combining(ch))
    h = re.sub(r"[^\w#]+|_", " ", h).strip()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in h.split())


@lru_cache(maxsize=64)
def _synonyms(canon: str) -> tuple[str, ...]:
    """English synonyms first (their order ranks ties), then the other languages'."""
    base = F._SYNONYMS.get(canon, (canon.replace("_", " "),))
    return tuple(split_header(s) for s in (*base, *_WORLD.get(canon, ())))


@dataclass(frozen=True, eq=False)
class _Synonym:
    """One way of naming a field; `decay` ranks it below the field's earlier (commoner) names."""

    canon: str
    text: str
    words: frozenset[str]
    decay: float


@dataclass(frozen=True)
class _Lexicon:
    """Every field's synonyms indexed by what a header must share with one to score against it, so that scoring a
    header looks up the few synonyms it could match instead of comparing it with all of them (a file with 20,000
    columns took minutes)."""

    fields: tuple[str, ...]
    own_names: dict[str, str]  # field -> its own name as words ('order id'): scores 1.1
    named_by_own: dict[str, tuple[str, ...]]  # the reverse: own name as words -> fields
    synonyms: tuple[_Synonym, ...]
    lengths: tuple[int, ...]  # characters of each synonym
    exact: dict[str, tuple[_Synonym, ...]]  # synonym text -> synonyms with that text
    by_word: dict[str, tuple[_Synonym, ...]]  # word -> synonyms of more than a bare word that hold it
    unspaced: tuple[_Synonym, ...]  # non-ASCII synonyms, found inside a header (Chinese has no spaces)
    by_bigram: dict[str, tuple[tuple[int, int], ...]]  # two characters -> (synonym index, times it holds them)
    pair_counts: tuple[Counter[str], ...]  # each synonym's character pairs
    named: dict[str, frozenset[str]]  # synonym text -> the order and review fields it names exactly


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """The synonym index, built once."""
    fields = tuple(dict.fromkeys(f for kind in F.CANONICAL.values() for f in kind))
    synonyms = tuple(_Synonym(canon, text, frozenset(text.split()), 0.005 * min(rank, 20))
                     for canon in fields for rank, text in enumerate(_synonyms(canon)))
    exact: dict[str, list[_Synonym]] = {}
    by_word: dict[str, list[_Synonym]] = {}
    by_bigram: dict[str, list[tuple[int, int]]] = {}
    named: dict[str, set[str]] = {}
    for i, syn in enumerate(synonyms):
        exact.setdefault(syn.text, []).append(syn)
        if syn.canon in F.CANONICAL["orders"] or syn.canon in F.CANONICAL["reviews"]:
            named.setdefault(syn.text, set()).add(syn.canon)
        if syn.words <= F._BARE:
            continue  # 'id' or 'name' alone only match the whole header
        for w in syn.words:
            by_word.setdefault(w, []).append(syn)
        for bigram, n in Counter(_bigrams(syn.text)).items():
            by_bigram.setdefault(bigram, []).append((i, n))
    own = {f: split_header(f.replace("_", " ")) for f in fields}
    return _Lexicon(
        fields=fields, own_names=own, named_by_own={w: tuple(f for f in fields if own[f] == w) for w in own.values()},
        synonyms=synonyms, lengths=tuple(len(s.text) for s in synonyms),
        exact={k: tuple(v) for k, v in exact.items()}, by_word={k: tuple(v) for k, v in by_word.items()},
        unspaced=tuple(s for s in synonyms if not s.text.isascii()),
        by_bigram={k: tuple(v) for k, v in by_bigram.items()},
        pair_counts=tuple(Counter(_bigrams(s.text)) for s in synonyms),
        named={k: frozenset(v) for k, v in named.items()})


def _bigrams(text: str) -> list[str]:
    """Overlapping pairs of characters."""
    return [text[i:i + 2] for i in range(len(text) - 1)]


def _near_spellings(words: str, lex: _Lexicon) -> list[tuple[_Synonym, float]]:
    """Synonyms spelled like the header (difflib ratio >= 0.85) with their ratio, found without comparing the header
    with every synonym. A ratio of 0.85 needs M >= 0.425 * (la + lb) matched characters in k blocks, with a gap in
    one string or the other between blocks (k - 1 <= la + lb - 2M), so the two share at least M - k >= 3M - la - lb
    - 1 character pairs, and lengths within 0.85 of each other. A synonym that shares none of the header's rarest
    (pairs - needed + 1) pairs shares fewer than needed: only the synonyms holding one of those are counted."""
    la = len(words)
    lo, hi, needed = _length_window(la)
    pairs = _bigrams(words)
    if needed <= 0:  # one- or two-character strings: the length window alone decides
        found: Iterable[int] = (i for i, syn in enumerate(lex.synonyms) if not syn.words <= F._BARE)
    else:
        known = [b for b in pairs if b in lex.by_bigram]
        probes = len(known) - needed + 1  # pairs no synonym holds are the rarest of all
        if probes <= 0:
            return []
        known.sort(key=lambda b: len(lex.by_bigram[b]))
        found = {i for b in known[:probes] for i, _ in lex.by_bigram[b]}
    counts: Counter[str] | None = None
    out = []
    for i in found:
        lb = lex.lengths[i]
        if not lo <= lb <= hi:
            continue
        counts = counts or Counter(pairs)
        if sum(min(n, counts[b]) for b, n in lex.pair_counts[i].items()) < _pairs_needed(la + lb):
            continue
        syn = lex.synonyms[i]
        ratio = SequenceMatcher(None, words, syn.text).ratio()
        if ratio >= 0.85:
            out.append((syn, ratio))
    return out


@lru_cache(maxsize=None)
def _pairs_needed(total: int) -> int:
    """Character pairs two strings of `total` characters must share to reach a difflib ratio of 0.85."""
    return 3 * math.ceil(0.425 * total - 1e-9) - total - 1


@lru_cache(maxsize=256)
def _length_window(la: int) -> tuple[int, int, int]:
    """(shortest, longest, fewest shared pairs) of a string that can reach a difflib ratio of 0.85 with one of `la`
    characters: 2 * min(la, lb) >= 0.85 * (la + lb)."""
    lo = math.ceil(0.85 * la / 1.15 - 1e-9)
    hi = math.floor(1.15 * la / 0.85 + 1e-9)
    return lo, hi, min((_pairs_needed(la + lb) for lb in range(lo, hi + 1)), default=0)


def _meaning(header: str) -> str:
    """The header's words without those that say how a value is written: a time's encoding ('unixReviewTime' is a
    review time) and a parenthesised note of type or unit ('Rating (number)' is a rating, not a '<thing> number'
    id; 'Price (USD)' is a price)."""
    bare = re.sub(r"\([^)]*\)", " ", header).strip()
    words = split_header(bare if re.search(r"\w", bare) else header)
    meaning = " ".join(w for w in words.split() if w not in _ENCODING_WORDS)
    return meaning or words


def name_score(header: str, canon: str) -> float:
    """How strongly a header names a field (0..1.1): exact synonyms, whole-word overlaps, near spellings."""
    return name_scores(header).get(canon, 0.0)


def header_scores(p: ColumnProfile) -> dict[str, float]:
    """The column's `name_scores`, worked out once per column however often the mapper asks (each kind, and again
    once orders are known)."""
    if p.names is None:
        p.names = name_scores(p.header)
    return p.names


def name_scores(header: str) -> dict[str, float]:
    """`name_score` for every field at once, the header split and looked up once."""
    lex = _lexicon()
    words = _meaning(header)
    if not words:
        return {}
    parts = set(words.split())
    best: dict[str, float] = {}

    def offer(syn: _Synonym, value: float) -> None:
        if value > best.get(syn.canon, 0.0):
            best[syn.canon] = value

    for syn in lex.exact.get(words, ()):
        offer(syn, 1.0 - syn.decay)
    inside = {syn for syn in lex.unspaced if syn.text in words}  # found inside: no near spelling for it
    for syn in inside:
        offer(syn, 0.9 - syn.decay)
    for w in parts:
        for syn in lex.by_word.get(w, ()):
            if syn.words <= parts and syn not in inside:
                offer(syn, 0.9 * (len(syn.words) / len(parts)) ** 0.25 - syn.decay)
    for syn, ratio in _near_spellings(words, lex):
        if syn not in inside:
            offer(syn, ratio - 0.05 - syn.decay)
    # A field no synonym scored stays at 0 unless it is named by its own name or by a whole-header rule.
    fields = {*best, *_RISE_FROM_ZERO, *lex.named_by_own.get(words, ())}
    return {f: s for f in fields if (s := _vetted(f, words, parts, best.get(f, 0.0), lex))}


def _vetted(canon: str, words: str, parts: set[str], best: float, lex: _Lexicon) -> float:
    """A field's best synonym score after the rules that read the header as a whole."""
    if words == lex.own_names[canon]:
        return 1.1
    if best < 1.0 - 0.005 * 20 and lex.named.get(words, frozenset()) - {canon}:
        best = 0.0  # 'Review ID' is exactly another field's name: no near match for this one
    if canon in F._NEEDS and best < 1.0 - 0.005 * 20 and not F._NEEDS[canon] & parts:
        return 0.0
    if canon == "product_id":
        plist = words.split()
        if 2 <= len(plist) <= 3 and plist[-1] in F._ID_WORDS:
            # '<thing> id' is a product's id only when nothing says otherwise: a guess, not a name ('Card ID')
            best = 0.0 if plist[0] in F._NOT_PRODUCT else max(best, 0.7)
    if canon in _FIELD_TIME and parts & _OTHER_EVENT:
        return 0.0
    if canon == "order_ts" and parts & _REVIEW_WORDS:
        return 0.0  # a review's date is not when the goods were ordered
    if canon == "order_id" and words in ("id", "#"):
        best = max(best, 0.6)  # the record's own id: in an export of orders (or payments), each order's
    if canon in _MEASURES and words.split()[-1] in F._ID_WORDS | {"key", "ref", "uuid", "guid"}:
        return 0.0  # '<thing> id' identifies; it does not measure
    if canon == "review_id" and "review" in parts and parts & (F._ID_WORDS | _ID_TOKENS) and not parts & _PERSON:
        best = max(best, 0.8)  # 'Review_ASIN', 'review key': the review's own identifier ('Review User Id' is not)
    if canon == "category" and "type" in parts and not parts & _GOODS:
        return 0.0  # 'Payment Type', 'Order Type' sort payments and orders, not the goods
    if canon == "review_id" and parts & _PERSON:
        return 0.0  # 'Review Consumer User Id' identifies the person who wrote it
    if canon in _IDS and parts & _NOTE_WORDS:
        return 0.0  # 'Customer Note', 'Order Comment': free text about the thing, never its identifier
    if canon in ("text", "title") and parts & _TRANSLATED:
        best *= 0.5  # a translation is a reading of the buyer's words, not them: taken only when nothing else is
    if canon == "author" and parts & _PERSON_ATTRIBUTE:
        return 0.0  # 'reviewer_state', 'reviewer_gender' describe the reviewer; they do not name them
    if canon == "status" and parts & _PLACE:
        return 0.0  # 'Ship State' is a region
    if canon in _MONEY and parts & _NOT_GOODS:
        return best * 0.3
    if canon in _FIELD_TIME and best == 0 and parts & _TIME_WORDS:
        best = 0.6
    return best


def value_fit(p: ColumnProfile, canon: str) -> float:
    """How well a column's values fit a field (0: impossible, 1: typical); empty columns get a neutral 0.5 for
    fields that may be blank in an export."""
    if p.rows == 0:
        return 0.7  # no complete row in the sample: the header decides
    if p.empty:
        return 0.5 if canon in ("order_id", "customer_id", "review_id", "product_id", "author", "category",
                                "country", "currency", "status", "title") else 0.0
    if canon in _FIELD_TIME:
        if p.date >= 0.6:
            return 0.9 if p.date_guessed >= 0.5 else 1.0  # an unambiguous form beats one whose order is guessed
        if p.epoch >= 0.9:
            return 1.0  # epoch seconds only count when the header says time (see score)
        return 0.4 if p.date >= 0.3 else 0.0
    if p.date >= 0.6 or p.time_only >= 0.6:
        return 0.0
    if canon == "line_no":
        if p.order_sequence:
            return 1.0
        return 0.4 if p.numeric and p.integer >= 0.99 and (p.lo or 0) >= 0 and (p.hi or 0) <= 1000 else 0.0
    if canon in ("order_id", "review_id", "customer_id", "product_id"):
        if not p.id_like and not (canon == "customer_id" and p.email >= 0.5):
            return 0.3 if canon in ("customer_id", "product_id") and p.mean_len <= 40 and not p.numeric else 0.0
        if canon == "review_id":
            return 1.0 if p.distinct_ratio >= 0.9 else 0.1
        if canon == "order_id" and p.order_constant is not None:
            return 0.9
        if canon == "customer_id" and p.order_constant is not None and p.order_constant < 0.9:
            return 0.2  # a customer does not change within an order
        return 0.8
    if canon in ("quantity", "unit_price", "revenue", "discount"):
        if not p.numeric or p.flag:
            return 0.0
        if p.epoch >= 0.5:
            return 0.2
        if canon == "quantity":
            return 1.0 if p.integer >= 0.8 and abs(p.hi or 0) < 1e5 else 0.4
        return 1.0 if p.integer < 0.95 else 0.8
    if canon == "rating":
        if not p.numeric or p.flag or (p.distinct < 2 and p.filled >= 10) or p.lo is None or p.lo < 0:
            return 0.0
        if p.hi <= 1 and p.integer < 0.99:
            return 0.3  # fractions of one: a model's score or a share, not stars a buyer gave
        if p.hi <= 5:
            return 1.0 if p.lo >= 0.5 or p.integer >= 0.99 else 0.7
        return 0.7 if p.hi <= 10 else 0.5 if p.hi <= 100 else 0.0
    if canon == "currency":
        return 1.0 if p.currency >= 0.8 else 0.0
    if not p.textual:
        return 0.0
    if canon == "text":
        return min(1.0, 0.4 + p.mean_len / 100)
    if canon == "title":
        return 0.9 if 3 <= p.mean_len <= 100 else 0.3
    if canon == "author" and p.distinct <= 5 and p.filled >= 10 * p.distinct:
        return 0.1  # a handful of values over many reviews name no people (a gender, a flag, a placeholder)
    if canon in ("product_name", "author"):
        return 0.9 if p.mean_len <= (200 if canon == "product_name" else 40) else 0.2
    if canon in ("category", "country", "status"):
        few = p.distinct <= 50 or p.distinct_ratio <= 0.3
        return 0.9 if few and p.mean_len <= 40 else 0.2
    return 0.5


def score(p: ColumnProfile, canon: str) -> float:
    """Evidence from the header and from the values together; values can veto a name, never the reverse."""
    v = value_fit(p, canon)
    n = header_scores(p).get(canon, 0.0)
    if canon in _MONEY and set(_meaning(p.header).split()) & _NOT_GOODS:
        return 0.0  # 'Sales Tax', 'Shipping Fee' hold money that is not the goods': their values cannot make them so
    if v == 0 and n >= 1.0 and not (canon in _FIELD_TIME and p.epoch >= 0.9):
        v = 0.2  # the header names exactly this field: odd values are reported per row, not a reason to ignore it
    if v == 0:
        return 0.0
    if canon in _FIELD_TIME and p.date < 0.6 and p.epoch >= 0.9 and n < 0.6:
        return 0.0  # ten-digit numbers are dates only when the header says so (ASINs look alike)
    if canon in _IDS and not p.empty:
        fill = p.filled / max(p.rows, 1)
        # A sparse id column identifies few rows; a sparse order id rejects every row it leaves empty.
        v *= fill * fill if canon == "order_id" else 0.5 + 0.5 * fill
    s = 0.6 * min(n, 1.1) + 0.4 * v
    if n >= 1.1 and p.empty and p.rows:
        s = 0.95  # named exactly as the field, blanked by whoever exported it: still that field
    # Content alone: long free text is review text; a 1..n counter within orders is the line number.
    if n == 0 and canon == "text" and p.mean_len >= 40 and not set(_meaning(p.header).split()) & _TRANSLATED:
        s = 0.55 + min(0.1, p.mean_len / 2000)
    if canon == "line_no" and p.order_sequence:
        s = max(s, 0.75)
    return round(s, 3)


def confidence_of(p: ColumnProfile, canon: str, s: float) -> float:
    """The score as a probability of being right, by the kind of evidence behind it (measured on the development
    corpus): scores rank columns against each other, but a high score earned from values alone or from one word of
    a header is not as often right as one earned from a header that names the field and values that fit it."""
    n = header_scores(p).get(canon, 0.0)
    fits = value_fit(p, canon) >= (0.5 if canon == "text" and not p.empty else 0.7)  # short reviews are reviews
    if n >= 0.9 and _meaning(p.header) not in _VAGUE and fits:
        return min(s, 1.0)
    return min(s, _PARTIAL_CAP if n >= 0.5 else _VALUES_CAP)


@dataclass
class Inference:
    """A kind's mapping with a confidence per field, and the runners-up the mapping table offers."""

    kind: str
    mapping: dict[str, tuple[str, ...]]
    confidence: dict[str, float]
    suggestions: dict[str, tuple[str, float]] = field(default_factory=dict)  # below threshold, not applied
    low: set[str] = field(default_factory=set)  # required fields filled below the threshold

    def strength(self) -> float:
        """How much of what this kind needs the file shows, with confidence (the kind decision)."""
        c = self.confidence
        if self.kind == "reviews":
            return c.get("text", 0) + c.get("rating", 0) + 0.3 * c.get("review_ts", 0)
        amount = max(c.get("unit_price", 0), c.get("revenue", 0))
        return c.get("order_id", 0) + c.get("order_ts", 0) + amount + 0.3 * c.get("quantity", 0)

    def complete(self) -> bool:
        """Every required group has a field above the threshold (a file that truly shows this kind)."""
        def shows(*fields: str) -> bool:
            return any(self.confidence.get(f, 0) >= THRESHOLD and f not in self.low for f in fields)

        if self.kind == "reviews":
            return shows("text", "rating")
        return shows("unit_price", "revenue") or self.basket()

    def basket(self) -> bool:
        """Orders without prices: order ids with the products in them (a basket or point-of-sale log). It loads
        with empty prices, and with empty dates when it has none: recommendations and segments use what is there."""
        c = self.confidence
        return (self.kind == "orders" and c.get("order_id", 0) >= THRESHOLD
                and max(c.get("product_id", 0), c.get("product_name", 0)) >= THRESHOLD)


def infer(profiles: list[ColumnProfile], kind: str, fixed: dict[str, tuple[str, ...]] | None = None,
          fill_required: bool = True, exclude: frozenset[int] = frozenset(),
          blocked: frozenset[str] = frozenset()) -> Inference:
    """Assign columns to the kind's fields by maximum total score (Hungarian algorithm); `fixed` fields (the
    user's --map) are taken as given and their columns are not offered to other fields; `blocked` fields (the user
    said "not in this file") are not guessed."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    fixed = fixed or {}
    taken = {s for sources in fixed.values() for s in sources}
    fields = [f for f in F.CANONICAL[kind] if f not in fixed and f not in blocked and f not in ("handle", "sku")]
    cols = [p for p in profiles if p.norm not in taken and p.index not in exclude]
    seen: set[str] = set()
    cols = [p for p in cols if not (p.norm in seen or seen.add(p.norm))]  # a repeated header maps once
    mapping = dict(fixed)
    confidence = {f: 1.0 for f in fixed}
    inf = Inference(kind, mapping, confidence)
    if not fields or not cols:
        return inf
    m = np.array([[score(p, f) for p in cols] for f in fields])
    required = {f for g in F.REQUIRED[kind] for f in g}
    # Only evidence that could be applied counts towards the best assignment: otherwise a column named 'rating'
    # is given to a field it would not fill (a 0.3 'product id' by its values) so that a 0-1 score column can be
    # the rating, both guesses together outweighing the one that a header and its values agree on.
    floor = np.array([[REQUIRED_FLOOR if fill_required and f in required else THRESHOLD] for f in fields])
    rows, cs = linear_sum_assignment(np.where(m >= floor, m, 0.0), maximize=True)
    for r, c in zip(rows, cs):
        f, p, s = fields[r], cols[c], float(m[r, c])
        if s >= THRESHOLD or (fill_required and f in required and s >= REQUIRED_FLOOR):
            mapping[f] = (p.norm,)
            confidence[f] = round(confidence_of(p, f, s), 3)
            if s < THRESHOLD:
                inf.low.add(f)
        elif s >= 0.2:
            inf.suggestions[f] = (p.norm, s)
    # A required alternative group already satisfied does not need a low-confidence member.
    for group in F.REQUIRED[kind]:
        if len(group) > 1 and any(f in mapping and f not in inf.low for f in group):
            for f in group:
                if f in inf.low:
                    inf.suggestions[f] = (mapping.pop(f)[0], confidence.pop(f))
                    inf.low.discard(f)
    return inf
