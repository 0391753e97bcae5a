"""The mapping an analyst would choose: every canonical field scored against every column from its header (in
seven languages) and from its values, assigned globally (one column per field), with a confidence per field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from . import _formats as F
from ._profile import ColumnProfile

# A field is filled by a guess only at this confidence or above; the mapping table shows the rest as suggestions.
THRESHOLD = 0.5
# A required field with no guess above the threshold takes the best value-compatible column down to this
# confidence when the user gave no --map, flagged as a low-confidence guess in the table.
REQUIRED_FLOOR = 0.3

# Header words per field in Chinese, Portuguese, Spanish, German, French and Turkish (accents removed), beside
# the English synonyms of `_formats`. Exact matches and word overlaps count as in English.
_WORLD: dict[str, tuple[str, ...]] = {
    "order_id": ("订单号", "订单编号", "订单id", "bestellnummer", "bestell nr", "auftragsnummer", "bestellung",
                 "numero de commande", "n de commande", "id commande", "commande", "numero de pedido", "pedido",
                 "id pedido", "id do pedido", "numero do pedido", "codigo do pedido", "siparis no",
                 "siparis numarasi", "siparis id", "siparis"),
    "order_ts": ("下单时间", "订单时间", "下单日期", "创建时间", "日期", "时间", "bestelldatum", "datum", "bestellt am",
                 "date de commande", "fecha", "fecha de pedido", "fecha del pedido", "data", "data do pedido",
                 "data da compra", "tarih", "siparis tarihi", "datetime", "date time", "order datetime"),
    "customer_id": ("客户", "客户id", "买家", "用户id", "kunde", "kundennummer", "kunden id", "client", "id client",
                    "cliente", "id cliente", "id do cliente", "musteri", "musteri no", "reviewer id"),
    "product_id": ("商品编号", "商品id", "产品编号", "货号", "artikelnummer", "artikel nr", "produkt id", "reference",
                   "ref produit", "id produit", "code produit", "referencia", "id producto", "codigo producto",
                   "codigo do produto", "id do produto", "urun kodu", "urun id", "stok kodu"),
    "product_name": ("商品", "商品名称", "产品名称", "产品", "artikel", "produkt", "artikelname", "produktname",
                     "bezeichnung", "produit", "nom du produit", "article", "designation", "producto",
                     "nombre del producto", "articulo", "produto", "nome do produto", "urun", "urun adi",
                     "variation", "variant"),
    "category": ("类别", "分类", "品类", "kategorie", "warengruppe", "categorie", "categoria", "kategori"),
    "quantity": ("数量", "menge", "anzahl", "stuck", "quantite", "qte", "cantidad", "quantidade", "qtd", "qtde",
                 "adet", "miktar"),
    "unit_price": ("单价", "价格", "preis", "einzelpreis", "stuckpreis", "prix", "prix unitaire", "precio",
                   "precio unitario", "preco", "preco unitario", "valor unitario", "fiyat", "birim fiyat"),
    "revenue": ("金额", "总额", "总价", "销售额", "实付金额", "umsatz", "gesamt", "summe", "betrag", "gesamtbetrag",
                "montant", "chiffre d affaires", "importe", "ingresos", "ventas", "valor total", "receita", "valor",
                "toplam", "tutar", "ciro"),
    "currency": ("币种", "货币", "wahrung", "devise", "monnaie", "moneda", "divisa", "moeda", "para birimi", "doviz"),
    "country": ("国家", "land", "pays", "pais", "ulke"),
    "status": ("状态", "订单状态", "bestellstatus", "statut", "etat", "estado", "situacao", "durum"),
    "review_id": ("评论id", "评价id", "bewertungs id", "id avis", "id resena", "id opinion", "id avaliacao",
                  "yorum id"),
    "review_ts": ("评论时间", "评价时间", "日期", "时间", "datum", "bewertungsdatum", "date de l avis", "fecha", "data",
                  "data da avaliacao", "tarih", "yorum tarihi", "submit time", "submitted", "posted", "datetime",
                  "date time", "review datetime"),
    "author": ("用户名", "昵称", "作者", "评论人", "买家昵称", "autor", "verfasser", "auteur", "nom", "nombre", "nome",
               "yazar", "kullanici", "kullanici adi"),
    "rating": ("评分", "星级", "评级", "分数", "bewertung", "sterne", "note", "etoiles", "evaluation", "calificacion",
               "puntuacion", "estrellas", "valoracion", "nota", "avaliacao", "estrelas", "classificacao", "puan",
               "yildiz", "degerlendirme", "overall", "rating star", "stars rating", "overall rating"),
    "title": ("标题", "titel", "uberschrift", "titre", "titulo", "baslik"),
    "text": ("评论", "评价", "内容", "评论内容", "kommentar", "rezension", "bewertungstext", "commentaire", "avis",
             "texte", "comentario", "resena", "opinion", "texto", "resenha", "yorum", "metin"),
}
# Qualifiers that make a date another event's date ('Ship Date', 'Date Paid', 'shipping_limit_date').
_OTHER_EVENT = frozenset({"ship", "shipped", "shipping", "shipment", "delivery", "delivered", "deliver", "limit",
                          "due", "paid", "payment", "estimated", "updated", "modified", "expiry", "expires",
                          "birth", "birthday", "return", "returned", "refund", "refunded", "scraped", "crawled",
                          "cancelled", "canceled", "fulfilled", "fulfillment"})
# Amounts that are not the goods' price or revenue.
_NOT_GOODS = frozenset({"tax", "taxes", "vat", "shipping", "shipment", "freight", "fee", "fees", "discount",
                        "discounts", "tip", "refund", "refunded", "handling", "postage", "deposit", "balance"})
_TIME_WORDS = frozenset({"date", "time", "ts", "timestamp", "datetime", "created", "epoch", "unix", "when", "at",
                         "day"})
_FIELD_TIME = {"order_ts", "review_ts"}
_ENCODING_WORDS = frozenset({"unix", "epoch", "utc", "gmt", "iso", "local"})
_MEASURES = {"quantity", "unit_price", "revenue", "discount", "rating"}
_ID_TOKENS = frozenset({"asin", "key", "ref", "uuid", "guid", "id"})
_PLACE = frozenset({"ship", "shipping", "billing", "province", "city", "address", "region", "zip"})
_MONEY = {"unit_price", "revenue"}
_IDS = {"order_id", "review_id", "customer_id", "product_id"}


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


def name_score(header: str, canon: str) -> float:
    """How strongly a header names a field (0..1.1): exact synonyms, whole-word overlaps, near spellings."""
    words = split_header(header)
    # How a time is encoded says nothing of what it is: 'unixReviewTime' is a review time.
    meaning = " ".join(w for w in words.split() if w not in _ENCODING_WORDS)
    words = meaning or words
    if not words:
        return 0.0
    if words == split_header(canon.replace("_", " ")):
        return 1.1
    syns = _synonyms(canon)
    parts = set(words.split())
    best = 0.0
    for rank, syn in enumerate(syns):
        decay = 0.005 * min(rank, 20)
        if words == syn:
            best = max(best, 1.0 - decay)
            continue
        if not syn.isascii() and syn in words:  # Chinese headers have no spaces between words
            best = max(best, 0.9 - decay)
            continue
        syn_words = set(syn.split())
        if syn_words <= F._BARE:
            continue  # 'id' or 'name' alone only match the whole header
        if syn_words <= parts:
            best = max(best, 0.9 * (len(syn_words) / len(parts)) ** 0.25 - decay)
        ratio = SequenceMatcher(None, words, syn).ratio()
        if ratio >= 0.85:
            best = max(best, ratio - 0.05 - decay)
    if best < 1.0 - 0.005 * 20 and _exact_elsewhere(words, canon):
        best = 0.0  # 'Review ID' is exactly another field's name: no near match for this one
    if canon in F._NEEDS and best < 1.0 - 0.005 * 20 and not F._NEEDS[canon] & parts:
        return 0.0
    if canon == "product_id":
        plist = words.split()
        if 2 <= len(plist) <= 3 and plist[-1] in F._ID_WORDS:
            best = 0.0 if plist[0] in F._NOT_PRODUCT else max(best, 0.8)
    if canon in _FIELD_TIME and parts & _OTHER_EVENT:
        return 0.0
    if canon in _MEASURES and words.split()[-1] in F._ID_WORDS | {"key", "ref", "uuid", "guid"}:
        return 0.0  # '<thing> id' identifies; it does not measure
    if canon == "review_id" and "review" in parts and parts & (F._ID_WORDS | _ID_TOKENS):
        best = max(best, 0.8)  # 'Review_ASIN', 'review key': the review's own identifier
    if canon == "status" and parts & _PLACE:
        return 0.0  # 'Ship State' is a region
    if canon in _MONEY and parts & _NOT_GOODS:
        return best * 0.3
    if canon in _FIELD_TIME and best == 0 and parts & _TIME_WORDS:
        best = 0.6
    return best


def _exact_elsewhere(words: str, canon: str) -> bool:
    """The header is exactly a synonym of another field."""
    for other in F.CANONICAL["orders"] + F.CANONICAL["reviews"]:
        if other != canon and words in _synonyms(other):
            return True
    return False


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
    if canon in ("product_name", "author"):
        return 0.9 if p.mean_len <= (200 if canon == "product_name" else 40) else 0.2
    if canon in ("category", "country", "status"):
        few = p.distinct <= 50 or p.distinct_ratio <= 0.3
        return 0.9 if few and p.mean_len <= 40 else 0.2
    return 0.5


def score(p: ColumnProfile, canon: str) -> float:
    """Evidence from the header and from the values together; values can veto a name, never the reverse."""
    v = value_fit(p, canon)
    n = name_score(p.header, canon)
    if v == 0 and n >= 1.0 and not (canon in _FIELD_TIME and p.epoch >= 0.9):
        v = 0.2  # the header names exactly this field: odd values are reported per row, not a reason to ignore it
    if v == 0:
        return 0.0
    if canon in _FIELD_TIME and p.date < 0.6 and p.epoch >= 0.9 and n < 0.6:
        return 0.0  # ten-digit numbers are dates only when the header says so (ASINs look alike)
    if canon in _IDS and not p.empty:
        v *= 0.5 + 0.5 * p.filled / max(p.rows, 1)  # a sparse id column identifies few rows
    s = 0.6 * min(n, 1.1) + 0.4 * v
    if n >= 1.1 and p.empty and p.rows:
        s = 0.95  # named exactly as the field, blanked by whoever exported it: still that field
    # Content alone: long free text is review text; a 1..n counter within orders is the line number.
    if n == 0 and canon == "text" and p.mean_len >= 40:
        s = 0.55 + min(0.1, p.mean_len / 2000)
    if canon == "line_no" and p.order_sequence:
        s = max(s, 0.75)
    return round(s, 3)


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
        key = {"reviews": (("text", "rating"),),
               "orders": (("unit_price", "revenue"),)}[self.kind]
        return all(any(self.confidence.get(f, 0) >= THRESHOLD and f not in self.low for f in g) for g in key)


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
    rows, cs = linear_sum_assignment(m, maximize=True)
    required = {f for g in F.REQUIRED[kind] for f in g}
    for r, c in zip(rows, cs):
        f, p, s = fields[r], cols[c], float(m[r, c])
        if s >= THRESHOLD or (fill_required and f in required and s >= REQUIRED_FLOOR):
            mapping[f] = (p.norm,)
            confidence[f] = min(s, 1.0)  # an exact header name scores above 1 only to win ties
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
