"""Known merchant export formats and the header-similarity mapper for everything else."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

__all__ = [
    "FormatSpec",
    "FORMATS",
    "CANONICAL",
    "REQUIRED",
    "match_format",
    "similarity_mapping",
    "guess_kind",
    "normalise_header",
    "missing_required",
    "NOT_SALE",
    "LEDGER_WORDS",
]

# Canonical fields per kind (the contract's columns plus `discount`, a source-only helper for revenue).
CANONICAL: dict[str, tuple[str, ...]] = {
    "orders": (
        "order_id", "line_no", "order_ts", "customer_id", "product_id", "product_name", "category",
        "quantity", "unit_price", "revenue", "discount", "currency", "country", "status", "line_id",
    ),
    "reviews": (
        "review_id", "review_ts", "product_id", "product_name", "category", "customer_id", "author",
        "rating", "title", "text",
    ),
    "products": ("product_id", "product_name", "category", "handle", "sku"),
}

# Each entry is a set of alternatives; one field of each set must be mapped.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # An order line needs its date and an amount; without an order id each line is its own order, and the
    # product may be unknown (an export of order totals).
    "orders": (("order_ts",), ("unit_price", "revenue")),
    "reviews": (("text", "rating"),),
    "products": (("product_id",),),
}

Source = tuple[str, ...]  # header names, coalesced left to right (missing ones are skipped)


@dataclass(frozen=True)
class FormatSpec:
    """How one platform's export maps onto a canonical table."""

    name: str
    kind: str
    signature: frozenset[str]
    mapping: dict[str, Source]
    fill_forward_by: str | None = None  # Shopify: order-level cells are blank on extra line items
    fill_forward: tuple[str, ...] = ()
    status_map: dict[str, str] = field(default_factory=dict)
    cancelled_if_set: str | None = None  # a column whose presence means the order was cancelled
    cancel_prefix: str | None = None  # retail log: 'C' invoice numbers are cancellations
    price_is_total: bool = False  # Amazon: item-price is the line total, not a unit price
    explode: str | None = None  # 'packed_products' (WooCommerce analytics) | 'sku_list' (Etsy)


def normalise_header(name: str) -> str:
    """Header comparison key: BOM, case, surrounding spaces and quotes do not matter."""
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


def _spec(name: str, kind: str, signature: list[str], mapping: dict[str, str | tuple[str, ...]], **kw) -> FormatSpec:
    """Build a spec with normalised header names."""
    norm = {k: tuple(normalise_header(s) for s in ((v,) if isinstance(v, str) else v)) for k, v in mapping.items()}
    if "fill_forward_by" in kw and kw["fill_forward_by"]:
        kw["fill_forward_by"] = normalise_header(kw["fill_forward_by"])
    kw["fill_forward"] = tuple(normalise_header(s) for s in kw.get("fill_forward", ()))
    if kw.get("cancelled_if_set"):
        kw["cancelled_if_set"] = normalise_header(kw["cancelled_if_set"])
    return FormatSpec(name, kind, frozenset(normalise_header(s) for s in signature), norm, **kw)


FORMATS: tuple[FormatSpec, ...] = (
    _spec(
        "shopify_orders", "orders",
        ["Name", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price"],
        {
            "order_id": "Name", "order_ts": "Created at", "customer_id": ("Email", "Phone", "Billing Phone"),
            "product_id": ("Lineitem sku", "Lineitem name"), "product_name": "Lineitem name",
            "quantity": "Lineitem quantity", "unit_price": "Lineitem price", "discount": "Lineitem discount",
            "currency": "Currency", "country": ("Billing Country", "Shipping Country"),
            "status": "Financial Status", "line_id": "Lineitem id",
        },
        fill_forward_by="Name",
        fill_forward=("Email", "Phone", "Billing Phone", "Currency", "Billing Country", "Shipping Country",
                      "Financial Status", "Cancelled at"),
        status_map={"paid": "completed", "partially_paid": "pending", "pending": "pending",
                    "authorized": "pending", "refunded": "refunded", "partially_refunded": "returned",
                    "voided": "cancelled", "expired": "cancelled"},
        cancelled_if_set="Cancelled at",
    ),
    _spec(
        "woocommerce_order_items", "orders",
        ["Order Number", "Order Status", "Order Date", "Item #", "Quantity", "Item Cost"],
        {
            "order_id": "Order Number", "line_no": "Item #", "order_ts": "Order Date",
            "customer_id": ("Email (Billing)", "Phone (Billing)"), "product_id": ("SKU", "Name"),
            "product_name": "Name", "quantity": "Quantity", "unit_price": "Item Cost",
            "revenue": "Order Line (w/o tax)", "country": ("Country Code (Billing)", "Country Code (Shipping)"),
            "status": "Order Status",
        },
        status_map={"wc-completed": "completed", "completed": "completed", "wc-processing": "pending",
                    "processing": "pending", "wc-on-hold": "pending", "wc-pending": "pending",
                    "wc-cancelled": "cancelled", "cancelled": "cancelled", "wc-failed": "cancelled",
                    "wc-refunded": "refunded", "refunded": "refunded"},
    ),
    _spec(
        "woocommerce_analytics_orders", "orders",
        ["Date", "Order #", "Status", "Product(s)", "Items sold"],
        {
            "order_id": "Order #", "order_ts": "Date", "customer_id": "Customer",
            "product_name": "Product(s)",
            "revenue": ("N. Revenue (formatted)", "N. Revenue", "Net Sales"), "status": "Status",
        },
        status_map={"completed": "completed", "processing": "pending", "on hold": "pending",
                    "pending payment": "pending", "pending": "pending", "cancelled": "cancelled",
                    "failed": "cancelled", "refunded": "refunded"},
        explode="packed_products",
    ),
    _spec(
        "amazon_all_orders", "orders",
        ["amazon-order-id", "purchase-date", "quantity", "item-price", "sku"],
        {
            "order_id": "amazon-order-id", "order_ts": "purchase-date", "product_id": ("sku", "asin"),
            "product_name": "product-name", "quantity": "quantity", "unit_price": "item-price",
            "discount": "item-promotion-discount", "currency": "currency", "country": "ship-country",
            "status": ("item-status", "order-status"), "line_id": "order-item-id",
        },
        status_map={"shipped": "completed", "delivered": "completed", "pending": "pending",
                    "unshipped": "pending", "shipping": "pending", "cancelled": "cancelled",
                    "canceled": "cancelled"},
        price_is_total=True,
    ),
    _spec(
        "etsy_sold_orders", "orders",
        ["Sale Date", "Order ID", "Number of Items", "Order Value"],
        {
            "order_id": "Order ID", "order_ts": "Sale Date", "customer_id": "Buyer User ID",
            "product_id": "SKU", "quantity": "Number of Items", "revenue": "Order Value",
            "discount": "Discount Amount", "currency": "Currency", "country": "Ship Country",
            "status": "Status",
        },
        status_map={"": "completed", "completed": "completed", "paid": "completed", "canceled": "cancelled",
                    "cancelled": "cancelled", "refunded": "refunded"},
        explode="sku_list",
    ),
    _spec(
        "retail_transactions", "orders",
        ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"],
        {
            "order_id": "InvoiceNo", "order_ts": "InvoiceDate", "customer_id": "CustomerID",
            "product_id": "StockCode", "product_name": "Description", "quantity": "Quantity",
            "unit_price": "UnitPrice", "country": "Country",
        },
        cancel_prefix="C",
    ),
    _spec(
        "judgeme_reviews", "reviews",
        ["title", "body", "rating", "review_date", "reviewer_name"],
        {
            "review_ts": "review_date", "product_id": "product_handle", "customer_id": "reviewer_email",
            "author": "reviewer_name", "rating": "rating", "title": "title", "text": "body",
        },
    ),
    _spec(
        "shopify_product_reviews", "reviews",
        ["product_handle", "state", "rating", "title", "author", "body", "created_at"],
        {
            "review_ts": "created_at", "product_id": "product_handle", "customer_id": "email",
            "author": "author", "rating": "rating", "title": "title", "text": "body",
        },
    ),
    _spec(
        "yotpo_reviews", "reviews",
        ["Review ID", "Review Creation Date", "Review Score", "Review Content"],
        {
            "review_id": "Review ID", "review_ts": "Review Creation Date",
            "product_id": ("Product SKU", "Product Handle", "Product ID"), "product_name": "Product Title",
            "category": "Product Category", "customer_id": "Reviewer Email", "author": "Reviewer Display Name",
            "rating": "Review Score", "title": "Review Title", "text": "Review Content",
        },
    ),
    _spec(
        "shopify_products", "products",
        ["Handle", "Title", "Variant SKU"],
        {
            "product_id": ("Variant SKU", "Handle"), "product_name": "Title",
            "category": ("Type", "Product Category"), "handle": "Handle", "sku": "Variant SKU",
        },
        fill_forward_by="Handle",
        fill_forward=("Title", "Type", "Product Category"),
    ),
)

# A ledger's row types that are not sales (a payment or a sale is; a refund, fee or transfer is not), as one
# regular expression over the lower-cased type; "LEDGER_WORDS" are what make a type column a ledger's.
NOT_SALE = (r"refund|fee|transfer|withdraw|deposit|payout|authori[sz]ation|hold|reversal|adjustment|chargeback|"
            r"dispute|invoice|conversion|bank|reserve|release|cancel|void|tax|reimburse|debit|top.?up|currency")
LEDGER_WORDS = NOT_SALE + r"|payment|sale|checkout|charge|purchase|order"
# Words a header may use for each canonical field in an unknown export.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "order_id": ("order id", "order", "order number", "order no", "invoice", "invoice no", "invoice number",
                 "transaction id", "order #", "name", "receipt", "receipt no", "receipt number", "transaction",
                 "transaction no", "transaction number", "ticket", "ticket no", "ticket number"),
    "line_no": ("line", "line no", "line number", "item #", "item no", "position"),
    "line_id": ("line item id", "lineitem id", "order item id", "order line id", "order line item id", "line id"),
    "order_ts": ("order date", "date", "created at", "order time", "timestamp", "invoice date",
                 "purchase date", "sale date", "created", "when", "day", "ordered at"),
    "customer_id": ("customer id", "customer", "email", "customer email", "buyer", "buyer id", "client id",
                    "user id"),
    "product_id": ("product id", "sku", "product code", "stock code", "item code", "asin", "article",
                   "product sku", "handle", "product handle", "item id", "item number", "product number",
                   "article number", "style number", "model number", "listing id", "variant id", "part number"),
    "product_name": ("product name", "product", "item", "item name", "description", "title", "product title"),
    "category": ("category", "product category", "type", "product type", "department", "department name",
                 "class", "collection"),
    "quantity": ("quantity", "qty", "units", "items", "count", "amount ordered"),
    "unit_price": ("unit price", "price", "item price", "unit cost", "item cost", "price each", "each",
                   "price per unit"),
    # Goods revenue first: a subtotal leaves out shipping and tax, which the contract's revenue does not hold.
    "revenue": ("revenue", "net sales", "line total", "subtotal", "sales", "total", "amount", "gross",
                "gross sales", "gross amount"),
    "discount": ("discount", "discount amount", "line discount"),
    "currency": ("currency", "currency code"),
    "country": ("country", "shipping country", "billing country", "ship country", "country code"),
    "status": ("status", "order status", "financial status", "state"),
    "review_id": ("review id", "id", "review number"),
    "review_ts": ("review date", "date", "created at", "created", "review time", "submitted at", "timestamp"),
    "author": ("author", "reviewer", "reviewer name", "name", "display name", "nickname", "customer name",
               "username", "buyer name", "full name"),
    "rating": ("rating", "stars", "score", "review score", "star rating", "review rating"),
    "title": ("title", "review title", "headline", "summary", "subject"),
    "text": ("text", "review", "review text", "body", "content", "review content", "comment", "review body",
             "message", "feedback"),
    "handle": ("handle",),
    "sku": ("sku", "variant sku"),
}


def match_format(headers: list[str]) -> FormatSpec | None:
    """The known export whose signature headers are all present (the most specific one wins)."""
    present = {normalise_header(h) for h in headers}
    hits = [spec for spec in FORMATS if spec.signature <= present]
    return max(hits, key=lambda s: len(s.signature)) if hits else None


# Bare words that name nothing on their own: "Clothing ID" is not a review id, "Division Name" is not an author.
# They match only the whole header, never as one word of a longer one.
_BARE = frozenset({"id", "name"})
# First words of "<thing> id/number/code" headers that identify something other than the product.
_NOT_PRODUCT = frozenset({
    "review", "order", "customer", "user", "buyer", "client", "transaction", "invoice", "line", "batch", "session",
    "account", "member", "reviewer", "author", "shop", "store", "seller", "merchant", "tracking", "zip", "postal",
    "phone", "tax", "vat", "payment", "shipment", "shipping", "row", "record", "entry", "unique", "external",
    "internal", "employee", "location", "warehouse", "discount", "coupon", "promo", "gift", "receipt", "cart",
    "card", "charge", "transfer", "payout", "dispute", "refund", "fee", "event", "request", "parent", "reference",
    "business", "company", "domain", "app", "package", "version", "device", "site", "channel", "campaign", "source",
})
_ID_WORDS = frozenset({"id", "number", "no", "code", "#"})
# Fields whose header must say what it is (one of these words) unless it is exactly one of the field's synonyms:
# "Order Number" is not a review id and "Shoe Name" is not an author, however close the spelling.
_NEEDS: dict[str, frozenset[str]] = {
    "review_id": frozenset({"review", "comment", "feedback"}),
    "author": frozenset({"author", "reviewer", "customer", "user", "username", "buyer", "client", "display",
                         "nickname", "nick", "full", "first", "writer", "poster", "by"}),
}


def _score(header: str, synonym: str) -> float:
    """Similarity of a header to one synonym, tolerant of punctuation and word order."""
    a = re.sub(r"[^a-z0-9#]+", " ", header).strip()
    b = synonym
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    words_a, words_b = set(a.split()), set(b.split())
    if words_b <= _BARE:
        return ratio
    overlap = len(words_a & words_b) / max(len(words_b), 1)
    return max(ratio, 0.9 * overlap if words_b <= words_a else 0.75 * overlap)


def _field_score(header: str, canon: str) -> float:
    """Best synonym score; the field's own name wins a tie ("Title" in a reviews file is the review's title)."""
    words = re.sub(r"[^a-z0-9#]+", " ", header).strip()
    if words == canon.replace("_", " "):
        return 1.05
    best = max(_score(header, s) for s in _SYNONYMS.get(canon, (canon.replace("_", " "),)))
    parts = words.split()
    if best < 1.0 and canon in _NEEDS and not _NEEDS[canon] & set(parts):
        return 0.0
    if canon == "product_id" and 2 <= len(parts) <= 3 and parts[-1] in _ID_WORDS:
        # "Clothing ID", "Style Code": an id of some thing that is not a person, order or review is the product's.
        best = 0.0 if parts[0] in _NOT_PRODUCT else max(best, 0.8)
    return best


def similarity_mapping(headers: list[str], kind: str) -> dict[str, tuple[str, ...]]:
    """Greedy best-first assignment of headers to the kind's canonical fields by name similarity."""
    norm = [normalise_header(h) for h in headers]
    candidates = []
    for canon in CANONICAL[kind]:
        for h in norm:
            best = _field_score(h, canon)
            if best >= 0.72:
                candidates.append((best, canon, h))
    mapping: dict[str, tuple[str, ...]] = {}
    used: set[str] = set()
    for score, canon, h in sorted(candidates, key=lambda c: -c[0]):
        if canon not in mapping and h not in used:
            mapping[canon] = (h,)
            used.add(h)
    return mapping


def missing_required(mapping: dict[str, tuple[str, ...]], kind: str) -> list[tuple[str, ...]]:
    """Required field groups with no mapped column."""
    return [group for group in REQUIRED[kind] if not any(mapping.get(f) for f in group)]


def guess_kind(headers: list[str]) -> str | None:
    """orders or reviews by which mapping covers its required fields better; None when it is unclear."""
    scores = {}
    for kind in ("orders", "reviews"):
        mapping = similarity_mapping(headers, kind)
        complete = not missing_required(mapping, kind)
        signal = len(mapping)
        if kind == "reviews":
            signal += 3 * bool(mapping.get("rating")) + 3 * bool(mapping.get("text"))
        else:
            signal += 2 * bool(mapping.get("quantity")) + 2 * bool(mapping.get("unit_price"))
        scores[kind] = (complete, signal)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, (ok, sig)), (_, (ok2, sig2)) = ranked
    if not ok or (ok2 and sig == sig2):
        return None
    return best
