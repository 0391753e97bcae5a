"""Seeded generator of the StoreLens demo store, written as real platform export files.

The demo is the first thing a merchant sees and the data every model is judged on, so it is generated
to look like a real small fashion shop: two years of Shopify orders (one row per line item, European
time zone with daylight-saving switches), Judge.me reviews tied to real purchases, and a Shopify
products export mapping SKUs and handles to categories. Three stories are planted for a merchant (and
the tests) to discover; they are described in `STORIES` and are the same for every seed.

`write_big_orders` writes a large transaction log in the classic retail format for import benchmarks.
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

__all__ = [
    "generate",
    "write_big_orders",
    "STORIES",
    "HISTORY_START",
    "HISTORY_END",
    "ORDERS_FILE",
    "REVIEWS_FILE",
    "PRODUCTS_FILE",
    "ORDERS_HEADER",
    "REVIEWS_HEADER",
    "PRODUCTS_HEADER",
    "BIG_ORDERS_HEADER",
]

# ----------------------------------------------------------------------------------------------------------
# Public constants: file names, headers, planted stories
# ----------------------------------------------------------------------------------------------------------

ORDERS_FILE = "shopify_orders_export.csv"
REVIEWS_FILE = "judgeme_reviews_export.csv"
PRODUCTS_FILE = "shopify_products_export.csv"

ORDERS_HEADER: tuple[str, ...] = tuple(
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,"
    "Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,"
    "Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,"
    "Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,"
    "Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,"
    "Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,"
    "Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,"
    "Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,"
    "Payment References".split(",")
)
REVIEWS_HEADER: tuple[str, ...] = tuple(
    "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,"
    "reply,reply_date,picture_urls,ip_address,location,metaobject_handle".split(",")
)
PRODUCTS_HEADER: tuple[str, ...] = tuple(
    "Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,"
    "Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,"
    "Variant Requires Shipping,Variant Taxable,Image Src,Status".split(",")
)
BIG_ORDERS_HEADER: tuple[str, ...] = (
    "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
)

HISTORY_START = date(2024, 11, 1)
HISTORY_END = date(2026, 10, 31)  # inclusive, shop-local dates

_QUALITY_CATEGORY = "Bags"
_QUALITY_START = date(2026, 6, 1)
_QUALITY_END = date(2026, 6, 28)  # inclusive
_TAKEOFF_TITLE = "Cloud Knit Sneakers"
_TAKEOFF_HANDLE = "cloud-knit-sneakers"
_TAKEOFF_SKU = "SHO-1006"
_TAKEOFF_FROM = date(2026, 1, 1)
_CHURN_COUNTRY = "AT"
_CHURN_CUTOFF = date(2026, 4, 1)
_CHURN_MIN_ORDERS = 3

STORIES: dict[str, dict[str, object]] = {
    "quality_problem": {
        "category": _QUALITY_CATEGORY,
        "start": _QUALITY_START.isoformat(),
        "end": _QUALITY_END.isoformat(),
        "what": "Bags ordered in the window come from a defective batch (zippers, straps, stitching): "
        "returns/refunds of orders with Bags rise several-fold and reviews of them (posted 1-10 days "
        "after purchase, so until early July) are mostly 1-2 stars mentioning 'zipper broke', "
        "'strap snapped', 'stitching came apart'.",
    },
    "takeoff_product": {
        "title": _TAKEOFF_TITLE,
        "handle": _TAKEOFF_HANDLE,
        "sku": _TAKEOFF_SKU,
        "category": "Shoes",
        "from": _TAKEOFF_FROM.isoformat(),
        "what": "Ordinary seller until 2025; from January 2026 its demand ramps up to about 8x by May "
        "2026 and stays there.",
    },
    "churned_segment": {
        "country": _CHURN_COUNTRY,
        "cutoff": _CHURN_CUTOFF.isoformat(),
        "min_orders_before": _CHURN_MIN_ORDERS,
        "what": "Every customer with billing country AT who placed at least 3 orders before 2026-04-01 "
        "places no order on or after 2026-04-01 (other AT customers keep buying).",
    },
}

# ----------------------------------------------------------------------------------------------------------
# Store model: categories, products, countries, names
# ----------------------------------------------------------------------------------------------------------

_CATEGORIES = ("Dresses", "Tops", "Knitwear", "Outerwear", "Shoes", "Bags", "Accessories", "Home")


@dataclass(frozen=True)
class _CatSpec:
    n: int
    prefix: str
    group: str  # apparel | shoes | bags | accessories | home
    share: float
    taxonomy: str
    ladder: tuple[float, ...]
    grams: tuple[int, int]
    returns: float
    season: tuple[float, ...]  # Jan..Dec demand multiplier
    adjectives: tuple[str, ...]
    nouns: tuple[tuple[str, str], ...]  # (title noun, noun used in reviews)


_SPECS: dict[str, _CatSpec] = {
    "Dresses": _CatSpec(
        28, "DRS", "apparel", 0.14, "Apparel & Accessories > Clothing > Dresses",
        (49.90, 59.90, 69.90, 79.90, 89.90, 99.00, 119.00, 139.00), (250, 650), 0.15,
        (0.6, 0.7, 0.95, 1.2, 1.35, 1.4, 1.3, 1.1, 0.9, 0.75, 0.8, 1.0),
        ("Linen", "Poplin", "Satin", "Jersey", "Broderie", "Floral", "Smocked", "Pleated", "Ribbed", "Tencel",
         "Seersucker", "Gingham", "Crinkle", "Polka Dot"),
        (("Midi Dress", "dress"), ("Maxi Dress", "dress"), ("Wrap Dress", "dress"), ("Shirt Dress", "dress"),
         ("Slip Dress", "dress"), ("Tiered Dress", "dress"), ("Mini Dress", "dress"), ("Sundress", "dress")),
    ),
    "Tops": _CatSpec(
        34, "TOP", "apparel", 0.20, "Apparel & Accessories > Clothing > Shirts & Tops",
        (19.90, 24.90, 29.90, 34.90, 39.90, 45.00, 49.90), (120, 300), 0.08,
        (0.7, 0.75, 0.95, 1.1, 1.25, 1.35, 1.35, 1.2, 0.95, 0.8, 0.8, 0.85),
        ("Organic Cotton", "Linen", "Striped", "Boxy", "Ribbed", "Silk", "Poplin", "Oversized", "Cropped",
         "Pima Cotton", "Waffle", "Lace Trim"),
        (("Tee", "tee"), ("Blouse", "blouse"), ("Shirt", "shirt"), ("Tank Top", "top"), ("Camisole", "cami"),
         ("Polo", "polo"), ("Overshirt", "overshirt"), ("Bodysuit", "bodysuit")),
    ),
    "Knitwear": _CatSpec(
        24, "KNT", "apparel", 0.12, "Apparel & Accessories > Clothing > Sweaters",
        (49.90, 59.90, 69.90, 79.90, 89.90, 109.00, 129.00), (300, 700), 0.09,
        (1.3, 1.1, 0.9, 0.7, 0.5, 0.4, 0.4, 0.55, 0.95, 1.35, 1.5, 1.5),
        ("Merino", "Cashmere Blend", "Cable Knit", "Mohair", "Alpaca", "Chunky", "Fine Knit", "Lambswool",
         "Cotton Knit", "Brushed"),
        (("Cardigan", "cardigan"), ("Jumper", "jumper"), ("Sweater", "sweater"), ("Vest", "vest"),
         ("Turtleneck", "turtleneck"), ("Knit Polo", "polo")),
    ),
    "Outerwear": _CatSpec(
        20, "OUT", "apparel", 0.08, "Apparel & Accessories > Clothing > Outerwear > Coats & Jackets",
        (89.00, 119.00, 149.00, 169.00, 199.00, 229.00, 249.00), (600, 1600), 0.10,
        (1.2, 0.9, 0.9, 0.8, 0.5, 0.35, 0.3, 0.5, 1.0, 1.5, 1.6, 1.4),
        ("Wool", "Waxed Cotton", "Quilted", "Recycled Down", "Boiled Wool", "Corduroy", "Denim", "Teddy",
         "Waterproof", "Double-Breasted"),
        (("Coat", "coat"), ("Trench Coat", "trench"), ("Puffer Jacket", "jacket"), ("Rain Jacket", "jacket"),
         ("Blazer", "blazer"), ("Parka", "parka"), ("Shacket", "jacket")),
    ),
    "Shoes": _CatSpec(
        24, "SHO", "shoes", 0.12, "Apparel & Accessories > Shoes",
        (59.90, 69.90, 79.90, 89.90, 109.00, 129.00, 149.00, 159.00), (500, 1200), 0.13,
        (0.9, 0.9, 1.05, 1.1, 1.1, 1.05, 0.95, 0.95, 1.0, 1.0, 1.0, 1.0),
        ("Leather", "Suede", "Canvas", "Platform", "Chunky", "Woven", "Vegan Leather", "Patent", "Retro"),
        (("Sneakers", "sneakers"), ("Loafers", "loafers"), ("Ankle Boots", "boots"),
         ("Chelsea Boots", "boots"), ("Ballet Flats", "flats"), ("Sandals", "sandals"), ("Mules", "mules"),
         ("Espadrilles", "espadrilles")),
    ),
    "Bags": _CatSpec(
        20, "BAG", "bags", 0.10, "Apparel & Accessories > Handbags, Wallets & Cases > Handbags",
        (39.90, 49.90, 59.90, 79.90, 99.00, 129.00, 149.00), (300, 1100), 0.05,
        (0.9, 0.9, 1.0, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 1.0, 1.1, 1.3),
        ("Leather", "Canvas", "Woven", "Nylon", "Suede", "Quilted", "Recycled", "Croc-Effect", "Raffia"),
        (("Tote", "tote"), ("Crossbody Bag", "bag"), ("Shoulder Bag", "bag"), ("Backpack", "backpack"),
         ("Bucket Bag", "bag"), ("Clutch", "clutch"), ("Weekender", "bag"), ("Belt Bag", "belt bag")),
    ),
    "Accessories": _CatSpec(
        28, "ACC", "accessories", 0.14, "Apparel & Accessories > Clothing Accessories",
        (9.90, 14.90, 19.90, 24.90, 29.90, 39.90, 49.90), (20, 250), 0.03,
        (0.9, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 1.2, 1.6),
        ("Silk", "Wool", "Gold-Plated", "Leather", "Cashmere", "Tortoiseshell", "Pearl", "Cotton", "Sterling"),
        (("Scarf", "scarf"), ("Beanie", "beanie"), ("Belt", "belt"), ("Hair Clip", "clip"),
         ("Hoop Earrings", "earrings"), ("Necklace", "necklace"), ("Sunglasses", "sunglasses"),
         ("Gloves", "gloves"), ("Cap", "cap"), ("Socks 3-Pack", "socks")),
    ),
    "Home": _CatSpec(
        22, "HOM", "home", 0.10, "Home & Garden > Decor",
        (14.90, 19.90, 24.90, 29.90, 39.90, 49.90, 59.90, 79.00), (200, 1800), 0.03,
        (0.85, 0.8, 0.85, 0.85, 0.85, 0.8, 0.8, 0.85, 0.95, 1.1, 1.4, 1.7),
        ("Linen", "Ceramic", "Stoneware", "Waffle", "Wool", "Soy Wax", "Boucle", "Recycled Glass", "Jute"),
        (("Throw", "throw"), ("Cushion Cover", "cushion cover"), ("Candle", "candle"), ("Vase", "vase"),
         ("Mug Set", "mugs"), ("Tea Towels", "tea towels"), ("Table Runner", "table runner"),
         ("Bath Towel", "towel"), ("Planter", "planter")),
    ),
}
_PLURAL_NOUNS = {"sneakers", "loafers", "boots", "flats", "sandals", "mules", "espadrilles", "earrings",
                 "sunglasses", "gloves", "socks", "mugs", "tea towels"}
_COLLECTIONS = ("Frida", "Marlene", "Ines", "Alma", "Nora", "Greta", "Lou", "Ida", "Juna", "Elin", "Mira",
                "Thea", "Romy", "Vera", "Lotta", "Smilla")
_COLOURS = ("Black", "Ecru", "Sand", "Navy", "Olive", "Rust", "Sage", "Burgundy", "Camel", "Grey Melange",
            "Ivory", "Dusty Rose", "Cobalt", "Chocolate", "Lilac", "Terracotta")
_VENDORS = ("North Loom", "Atelier Brume", "Kiefer & Co", "Studio Sandvik", "Maison Pell", "Hafen Goods")
_STYLES = ("classic", "minimal", "boho", "sporty")
_CLOTHING_SIZES = ("XS", "S", "M", "L", "XL")
_SHOE_SIZES = ("36", "37", "38", "39", "40", "41", "42")

_COUNTRIES = ("DE", "AT", "CH", "NL", "FR", "BE", "IT", "ES", "PL", "LU")
_COUNTRY_P = (0.60, 0.12, 0.06, 0.05, 0.05, 0.03, 0.03, 0.03, 0.02, 0.01)
_COUNTRY_NAMES = {"DE": "Germany", "AT": "Austria", "CH": "Switzerland", "NL": "the Netherlands",
                  "FR": "France", "BE": "Belgium", "IT": "Italy", "ES": "Spain", "PL": "Poland",
                  "LU": "Luxembourg"}
_VAT = {"DE": ("DE MwSt 19%", 19), "AT": ("AT USt 20%", 20), "CH": ("", 0), "NL": ("NL BTW 21%", 21),
        "FR": ("FR TVA 20%", 20), "BE": ("BE BTW 21%", 21), "IT": ("IT IVA 22%", 22),
        "ES": ("ES IVA 21%", 21), "PL": ("PL VAT 23%", 23), "LU": ("LU TVA 17%", 17)}
_PHONE_PREFIX = {"DE": "+49 30 0000", "AT": "+43 1 0000", "CH": "+41 44 0000", "NL": "+31 20 0000",
                 "FR": "+33 1 0000", "BE": "+32 2 0000", "IT": "+39 02 0000", "ES": "+34 91 0000",
                 "PL": "+48 22 0000", "LU": "+352 0000"}
_CITIES: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    # (city, first zip, last zip, zip format)
    "DE": (("Berlin", 10115, 14199, "{:05d}"), ("Hamburg", 20095, 22769, "{:05d}"),
           ("München", 80331, 81929, "{:05d}"), ("Köln", 50667, 51149, "{:05d}"),
           ("Frankfurt am Main", 60306, 60599, "{:05d}"), ("Stuttgart", 70173, 70629, "{:05d}"),
           ("Düsseldorf", 40210, 40629, "{:05d}"), ("Leipzig", 4103, 4357, "{:05d}"),
           ("Dresden", 1067, 1328, "{:05d}"), ("Hannover", 30159, 30669, "{:05d}"),
           ("Nürnberg", 90402, 90491, "{:05d}"), ("Bremen", 28195, 28779, "{:05d}"),
           ("Freiburg im Breisgau", 79098, 79117, "{:05d}"), ("Münster", 48143, 48167, "{:05d}")),
    "AT": (("Wien", 1010, 1230, "{:04d}"), ("Graz", 8010, 8054, "{:04d}"), ("Linz", 4020, 4040, "{:04d}"),
           ("Salzburg", 5020, 5026, "{:04d}"), ("Innsbruck", 6020, 6020, "{:04d}")),
    "CH": (("Zürich", 8001, 8064, "{:04d}"), ("Bern", 3011, 3027, "{:04d}"), ("Basel", 4001, 4059, "{:04d}"),
           ("Luzern", 6003, 6006, "{:04d}")),
    "NL": (("Amsterdam", 1011, 1109, "{:04d} AB"), ("Utrecht", 3511, 3585, "{:04d} CD"),
           ("Rotterdam", 3011, 3089, "{:04d} EK")),
    "FR": (("Paris", 75001, 75020, "{:05d}"), ("Lyon", 69001, 69009, "{:05d}"),
           ("Marseille", 13001, 13016, "{:05d}"), ("Strasbourg", 67000, 67200, "{:05d}")),
    "BE": (("Bruxelles", 1000, 1210, "{:04d}"), ("Antwerpen", 2000, 2060, "{:04d}"), ("Gent", 9000, 9052, "{:04d}")),
    "IT": (("Milano", 20121, 20162, "{:05d}"), ("Roma", 118, 199, "{:05d}"), ("Torino", 10121, 10156, "{:05d}")),
    "ES": (("Madrid", 28001, 28055, "{:05d}"), ("Barcelona", 8001, 8042, "{:05d}"),
           ("Valencia", 46001, 46026, "{:05d}")),
    "PL": (("Warszawa", 0, 4, "{:02d}"), ("Kraków", 30, 31, "{:02d}")),  # plus "-NNN" below
    "LU": (("Luxembourg", 1111, 2999, "{:04d}"), ("Esch-sur-Alzette", 4001, 4399, "{:04d}")),
}
_STREETS = {
    "de": ("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Goethestraße", "Lindenstraße",
           "Bergstraße", "Kirchweg", "Am Markt", "Rosenweg", "Mühlenweg", "Parkstraße", "Schulstraße",
           "Mariahilfer Straße", "Seestraße"),
    "nl": ("Kerkstraat", "Dorpsstraat", "Molenweg", "Prinsengracht", "Stationsweg"),
    "fr": ("Rue de la Paix", "Rue Victor Hugo", "Avenue Jean Jaurès", "Rue du Moulin", "Rue de l'Église",
           "Boulevard Pasteur"),
    "it": ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante"),
    "es": ("Calle Mayor", "Calle del Sol", "Avenida de la Constitución", "Calle Real"),
    "pl": ("ul. Długa", "ul. Polna", "ul. Lipowa", "ul. Ogrodowa"),
}
_STREET_LANG = {"DE": "de", "AT": "de", "CH": "de", "NL": "nl", "FR": "fr", "BE": "fr", "LU": "fr",
                "IT": "it", "ES": "es", "PL": "pl"}
_NAMES = {
    "de": (("Anna", "Lena", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Sophie", "Marie", "Johanna",
            "Hannah", "Leonie", "Clara", "Nina", "Miriam", "Sandra", "Sabine", "Petra", "Claudia", "Melanie",
            "Franziska", "Carolin", "Jana", "Vanessa", "Theresa", "Paula", "Emma", "Mia", "Lea", "Charlotte",
            "Frieda", "Ida", "Greta", "Luisa", "Jasmin", "Verena", "Maximilian", "Lukas", "Felix", "Jonas",
            "Tobias", "Daniel", "Thomas", "Michael", "Stefan", "Jan", "Florian", "Sebastian"),
           ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
            "Hoffmann", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
            "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier",
            "Lehmann", "Huber", "Gruber", "Steiner", "Moser", "Mayer", "Egger", "Keller", "Brunner",
            "Baumann", "Frei", "Vogel", "Pichler", "Wimmer", "Kaiser")),
    "nl": (("Sanne", "Lotte", "Fleur", "Eva", "Anouk", "Femke", "Lieke", "Noor", "Daan", "Sem"),
           ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Mulder", "Peeters")),
    "fr": (("Camille", "Léa", "Chloé", "Manon", "Juliette", "Inès", "Louise", "Élodie", "Margaux", "Hugo",
            "Lucas"),
           ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau",
            "Lefèvre", "Janssens", "Lambert")),
    "it": (("Giulia", "Chiara", "Francesca", "Sara", "Martina", "Alessia", "Marco"),
           ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo")),
    "es": (("Lucía", "María", "Paula", "Carmen", "Laura", "Sofía", "Javier"),
           ("García", "Martínez", "López", "Sánchez", "González", "Fernández", "Ruiz")),
    "pl": (("Zuzanna", "Julia", "Maja", "Zofia", "Katarzyna", "Agnieszka", "Piotr"),
           ("Nowak", "Kowalska", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowska", "Zielińska")),
}
_MAIL_DOMAINS = ("mail.example", "example.com", "post.example", "example.org", "inbox.example",
                 "example.net", "webmail.example", "posteo.example")

_NOTES = (
    "Please leave at the door,\nthanks!",
    "Gift wrap please!\nIt's for my sister's birthday.",
    "Bitte beim Nachbarn abgeben.\nDanke!",
    "Can you ship before Friday?\nI need it for a wedding on Saturday.",
    "Please remove the price tags,\nit's a present.",
    "Klingel ist defekt,\nbitte anrufen.",
    "Exchange for order #{prev}:\nsize M instead of S, thank you!",
    "Delivery to my office please:\n3rd floor, reception.",
    "Happy birthday Lena!\nLove, Mama",
    "Bitte ohne Rechnung im Paket,\nes ist ein Geschenk.",
)

# ----------------------------------------------------------------------------------------------------------
# Review phrase pools. Placeholders: {item} {It} {it} {sub} {this} {This} {is} {was} {fits} {runs} {feels} {looks} {has}
# {size} {colour} {price} {country} {days} {ship_days}
# ----------------------------------------------------------------------------------------------------------

_ASPECT_WEIGHTS = {
    "apparel": {"fit": 0.25, "quality": 0.22, "comfort": 0.13, "colour": 0.13, "price": 0.12,
                "delivery": 0.10, "service": 0.05},
    "shoes": {"fit": 0.22, "comfort": 0.25, "quality": 0.20, "colour": 0.07, "price": 0.12,
              "delivery": 0.09, "service": 0.05},
    "bags": {"quality": 0.34, "colour": 0.14, "price": 0.18, "delivery": 0.12, "comfort": 0.10,
             "service": 0.12},
    "accessories": {"quality": 0.35, "colour": 0.20, "price": 0.20, "delivery": 0.15, "service": 0.10},
    "home": {"quality": 0.35, "colour": 0.18, "price": 0.15, "delivery": 0.22, "service": 0.10},
}

_P, _N, _U = "pos", "neg", "neu"

_POOLS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "fit": {
        "apparel": {
            _P: ("{It} {fits} perfectly.", "True to size, I took my usual {size}.", "The fit is spot on.",
                 "Fits like a glove.", "The cut is really flattering.",
                 "Great fit, not too tight and not too loose.",
                 "I ordered my normal size {size} and {sub} {fits} just right.",
                 "The length is perfect for me (I'm 1.68m).", "Flattering shape, nips in at the waist nicely.",
                 "Sizing is accurate, no need to size up or down.", "Drapes beautifully.",
                 "Finally something that fits my shoulders properly."),
            _N: ("{It} {runs} really small, I had to size up.", "Way too big, even in size {size}.",
                 "The sizing is all over the place.", "The sleeves are far too short.",
                 "{It} {runs} large, order a size down.", "Tight across the shoulders and chest.",
                 "The fit is boxy and unflattering.", "Much too short in the body for me.",
                 "The size chart is completely off.", "Had to send {it} back, the fit was just wrong.",
                 "I'm always a size {size} but this one was tiny.", "Gapes at the neckline."),
            _U: ("{It} {runs} slightly large, so consider sizing down.", "Fit is okay, a bit roomy.",
                 "I sized up and {sub} {fits} fine now.", "A bit long for me but I'm petite.",
                 "The fit is as described.", "Relaxed fit, as shown on the model."),
        },
        "shoes": {
            _P: ("True to size, my usual {size} fits perfectly.", "{It} {fits} perfectly, even on my wide feet.",
                 "Perfect fit from day one.", "Sizing is spot on.", "Snug at the heel, roomy at the toes. Perfect."),
            _N: ("{It} {runs} a full size small.", "Way too narrow for me.",
                 "Sizing is off, my usual {size} is at least half a size too small.",
                 "My heel slips out with every step.", "Had to return {it}, the size just isn't right.",
                 "Far too big, even with thick socks."),
            _U: ("{It} {runs} half a size big.", "Bit narrow at first but {sub} stretched.",
                 "I went half a size up and {sub} {fits} fine."),
        },
    },
    "quality": {
        "apparel": {
            _P: ("The fabric is lovely and soft.", "Really good quality for the price.",
                 "Feels well made, the stitching is neat.", "Nice thick fabric, not see-through at all.",
                 "Washed {it} several times and {sub} still {looks} new.", "Beautiful material, feels expensive.",
                 "The quality is outstanding.", "Heavy, substantial fabric.",
                 "Lovely details on the buttons and seams."),
            _N: ("The fabric feels cheap and thin.", "Started pilling after the first wash.",
                 "Shrank in the wash even on cold.", "See-through, I need to wear something underneath.",
                 "A seam came loose after two wears.", "The material is scratchy and synthetic-feeling.",
                 "Lost its shape after a couple of washes.", "A button fell off the first time I wore {it}.",
                 "Loose threads everywhere."),
            _U: ("Fabric is fine, nothing special.", "Decent quality, though thinner than I expected.",
                 "Quality is okay for everyday wear.", "The fabric creases quite easily."),
        },
        "shoes": {
            _P: ("The leather is soft and well finished.", "Sturdy soles, these will last.",
                 "Beautifully made, the stitching is perfect.", "Still look new after months of wear.",
                 "Great quality for the price."),
            _N: ("The sole started coming off after a month.", "The leather creased and cracked quickly.",
                 "Glue marks everywhere.", "The heel cap wore through in weeks.", "Cheap plastic feel."),
            _U: ("Quality is okay, not amazing.", "Decent quality but the insole is thin."),
        },
        "bags": {
            _P: ("Solid hardware and sturdy stitching.", "The leather is thick and smells amazing.",
                 "Lots of pockets and everything fits.", "Holds my laptop and still has room for more.",
                 "Beautifully made, feels like a designer bag.", "The zipper runs smoothly and feels solid.",
                 "Feels like it will last for years."),
            _N: ("The hardware feels flimsy.", "The lining tore after a few weeks.",
                 "Corners are already scuffed.", "The zipper feels cheap.", "The strap is thin and flimsy.",
                 "The leather smells of chemicals."),
            _U: ("Smaller inside than it looks.", "Quality is fine for the price.",
                 "Nice bag, although the lining could be better."),
        },
        "accessories": {
            _P: ("Well made and feels high end.", "Beautiful quality.", "Looks much more expensive than it was.",
                 "Been wearing {it} every day since {sub} arrived.", "Lovely soft material."),
            _N: ("The plating rubbed off quickly.", "Broke within a week.", "The clasp is flimsy.",
                 "Feels cheap.", "Lost its shape after one wash."),
            _U: ("Quality is okay.", "Nice, but a bit thinner than expected."),
        },
        "home": {
            _P: ("Beautiful craftsmanship.", "Good weight and nicely finished.",
                 "Lovely quality, looks great in our living room.",
                 "Exactly the quality I hoped for.", "Sturdy and well made."),
            _N: ("Arrived with a chip in the glaze.", "The colour ran in the first wash.",
                 "Smaller than expected and feels cheap.", "Frayed after two washes.",
                 "There is a crack at the bottom."),
            _U: ("Quality is decent.", "Fine for the price, nothing special.", "Smaller than I imagined but nice."),
        },
    },
    "comfort": {
        "apparel": {
            _P: ("So comfortable I wear {it} all day.", "Soft and cosy.", "Breathable, great for warm days.",
                 "Comfortable enough to sleep in.", "Super comfy and easy to move in.", "Warm without being bulky."),
            _N: ("Really uncomfortable, the seams rub.", "Itchy around the neck.", "Too warm, I sweat in {it}.",
                 "Restrictive when you move your arms.", "Scratchy against the skin."),
            _U: ("Comfortable enough.", "A bit stiff at first but softens with washing."),
        },
        "shoes": {
            _P: ("Comfortable straight out of the box.", "I walked 15,000 steps in them with no blisters.",
                 "Great arch support.", "Like walking on clouds.", "Comfy enough for a full day on my feet."),
            _N: ("Gave me blisters on the first day.", "Very stiff, impossible to break in.",
                 "My feet hurt after an hour.", "No support at all.", "They rub at the back of the heel."),
            _U: ("Needed a few days to break in.", "Comfortable once broken in."),
        },
        "bags": {
            _P: ("Comfortable to carry even when full.", "The strap sits nicely on the shoulder.",
                 "Light and easy to carry."),
            _N: ("The strap digs into my shoulder.", "Heavy even when empty.", "Awkward to carry."),
            _U: ("A bit heavy, but fine.",),
        },
    },
    "colour": {
        "any": {
            _P: ("The colour is exactly like the photos.", "Gorgeous {colour}, even nicer in person.",
                 "The colour is rich and true to the pictures.", "Love the {colour}, goes with everything.",
                 "Colour is beautiful and hasn't faded."),
            _N: ("The colour looks nothing like the photos.", "Much darker than pictured.",
                 "The {colour} is more of a muddy brown in real life.", "The colour faded after one wash.",
                 "Looks cheap compared to the pictures.", "Not the {colour} I expected at all."),
            _U: ("Colour is slightly different from the website but still nice.",
                 "The {colour} is a bit lighter than I thought.", "Colour is as shown, more or less."),
        },
    },
    "price": {
        "any": {
            _P: ("Great value for money.", "Worth every cent.", "Got {it} in the sale, an absolute bargain.",
                 "Pricey but worth it.", "For this price the quality is excellent.", "Good value for €{price}."),
            _N: ("Way overpriced for what you get.", "Not worth the money.",
                 "You can get the same thing for half the price elsewhere.", "For €{price} I expected much better.",
                 "Far too expensive for this quality."),
            _U: ("A bit expensive, but okay.", "Price is fair I guess.", "I'd wait for a sale."),
        },
    },
    "delivery": {
        "any": {
            _P: ("Arrived in two days, well packaged.", "Super fast shipping!",
                 "Delivery was quick and the packaging was lovely.", "Came a day earlier than expected.",
                 "Shipped to {country} in under a week.", "Fast delivery and plastic-free packaging."),
            _N: ("Took almost three weeks to arrive.", "The parcel got lost and I had to chase it.",
                 "Delivery was delayed twice with no update.", "Arrived in a crushed box.",
                 "The tracking link never worked.", "Took {ship_days} days to get to {country}."),
            _U: ("Delivery took about a week, which is okay.", "Shipping was standard, nothing to complain about.",
                 "Delivery was a bit slow but fine."),
        },
    },
    "service": {
        "any": {
            _P: ("Customer service was super helpful with my exchange.", "The team replied within hours.",
                 "Returns were easy and the refund came quickly.", "Lovely handwritten note in the parcel.",
                 "Great customer service, they sorted everything out."),
            _N: ("Customer service never answered my emails.", "Still waiting for my refund after three weeks.",
                 "The return process is a nightmare.", "Support was rude and unhelpful.",
                 "Nobody replies to emails or messages."),
            _U: ("Had to contact support once, it was fine.", "Customer service was okay."),
        },
    },
}
_DEFECT_SENTENCES = (
    "The zipper broke after {days} days.", "Zipper broke the first time I opened it fully.",
    "The strap snapped while I was walking to work.", "The strap snapped off at the buckle.",
    "Stitching came apart at the handle.", "The stitching came apart along the side seam after a week.",
    "The zip pull came off in my hand.", "The strap ring bent and the strap fell off.",
    "Handle ripped off completely.", "The zipper keeps getting stuck and now the teeth are separating.",
    "Zipper broke within a week, really poor quality.", "Strap snapped on day {days}, everything fell out.",
)
_DEFECT_TITLES = ("Zipper broke", "Strap snapped", "Fell apart", "Broke within a week", "Stitching came apart",
                  "Poor quality zipper", "Defective", "Broken after {days} days", "Strap broke")
_OPENERS = {
    _P: ("Absolutely love {this} {item}!", "Love love love!", "{This} {is} my new favourite {item}.",
         "So happy with this purchase.", "Bought this for my mum and she loves {it}.",
         "Second one I've bought, that says it all.", "Wow.", "Beautiful {item}.",
         "I was hesitant at first but I'm glad I ordered.", "Exactly what I was looking for.",
         "Couldn't be happier.", "Stunning."),
    _U: ("Mixed feelings about this one.", "It's okay.", "Not bad, not great.", "Ordered this in {colour}.",
         "I wanted to like this more.", "Took a chance on {this} {item}.", "Bought this as a gift."),
    _N: ("Really disappointed.", "Not what I expected at all.", "What a shame.",
         "I had high hopes for {this} {item}.", "Very disappointing purchase.", "Don't buy this.",
         "I rarely write reviews but this needs saying."),
}
_CLOSERS = {
    _P: ("Would definitely buy again.", "Highly recommend!", "Already eyeing another colour.",
         "10/10 would recommend.", "Will be ordering more from this shop.", "Thank you!",
         "Buy it, you won't regret it.", "Five stars from me."),
    _U: ("Keeping {it} for now.", "Might exchange for another size.", "Would buy again if it's on sale.",
         "Not sure yet if I'll keep {it}."),
    _N: ("Returning {it}.", "Would not recommend.", "Save your money.", "Won't be ordering again.",
         "Sent {it} straight back.", "Requested a refund.", "Very disappointed."),
}
_ONE_LINERS = {
    5: ("Love it!", "Perfect.", "Absolutely gorgeous!", "Obsessed.", "Best purchase this year.",
        "Amazing quality.", "Great!", "Beautiful, thank you!", "So pretty", "Perfect gift."),
    4: ("Really nice.", "Very pretty, happy with it.", "Good quality, nice fit.", "Nice, would buy again.",
        "Lovely, just a little pricey.", "Pretty good!"),
    3: ("It's okay.", "Fine.", "Average.", "Meh, it's alright.", "Nothing special.", "Okay for the price."),
    2: ("Not great.", "Disappointing.", "Expected more.", "Not for me.", "Poor quality."),
    1: ("Terrible.", "Rubbish.", "Complete waste of money.", "Awful.", "Broke immediately.",
        "Never again."),
}
_BUT_TITLES = {
    "fit": ("Nice but runs small", "Lovely, but sizing is off", "Good but size up"),
    "quality": ("Pretty, but quality could be better", "Nice but thin fabric"),
    "delivery": ("Great item, slow delivery", "Love it, delivery took ages"),
    "price": ("Nice but pricey", "Good but overpriced"),
    "colour": ("Nice, colour differs", "Pretty but darker than shown"),
    "comfort": ("Pretty but not the comfiest", "Nice but needs breaking in"),
    "service": ("Good product, poor service",),
}
_CONNECT_TO_NEG = ("But", "However,", "Unfortunately,", "Only downside:", "That said,", "Sadly")
_CONNECT_TO_POS = ("On the plus side,", "That said,", "To be fair,", "At least", "Still,")
_HEDGES = ("Honestly,", "I have to say", "Overall", "To be honest,", "tbh", "Generally")
_TITLES = {
    _P: {"fit": ("Perfect fit", "Fits great", "True to size"), "quality": ("Great quality", "Beautifully made"),
         "delivery": ("Fast delivery", "Quick shipping"), "price": ("Great value", "Bargain"),
         "colour": ("Gorgeous colour", "Lovely colour"), "comfort": ("So comfy", "Super comfortable"),
         "service": ("Great service",),
         "": ("Love it", "Beautiful", "Perfect", "Obsessed", "Amazing", "Five stars", "Gorgeous!", "Very happy",
              "Love it!!")},
    _U: {"fit": ("Nice but runs small", "Sizing a bit off"), "quality": ("Okay quality",),
         "delivery": ("Slow delivery",), "price": ("Nice but pricey",), "colour": ("Colour differs",),
         "comfort": ("Not the comfiest",), "service": ("Okay",),
         "": ("Okay", "Decent", "Good, not great", "It's fine", "Average", "Mixed feelings")},
    _N: {"fit": ("Runs small", "Too big", "Sizing is off"), "quality": ("Poor quality", "Cheap material", "Fell apart"),
         "delivery": ("Slow delivery", "Arrived damaged"), "price": ("Overpriced", "Not worth it"),
         "colour": ("Not as pictured", "Wrong colour"), "comfort": ("Uncomfortable", "Not comfy at all"),
         "service": ("Terrible service",),
         "": ("Disappointed", "Meh", "Returned", "Not for me", "Don't bother", "Very disappointed")},
}
_FOREIGN = {
    "de": {
        _P: ("Passt perfekt und die Qualität ist super.", "Sehr schöner Stoff, schnelle Lieferung.",
             "Bin total begeistert, gerne wieder!", "Die Farbe ist genau wie auf den Fotos.",
             "Toller Schnitt, sitzt wie angegossen.", "Super bequem, trage es jeden Tag."),
        _U: ("Ganz okay, aber nicht überragend.", "Fällt etwas groß aus.", "Lieferung hat etwas gedauert."),
        _N: ("Leider viel zu klein.", "Die Qualität ist enttäuschend, der Stoff ist sehr dünn.",
             "Lieferung hat fast drei Wochen gedauert.", "Geht zurück.", "Farbe ganz anders als auf dem Foto."),
        "defect": ("Der Reißverschluss ist nach einer Woche kaputt gegangen.", "Der Riemen ist gerissen.",
                   "Die Naht hat sich nach ein paar Tagen aufgelöst."),
        "titles": {_P: ("Super schön", "Tolle Qualität", "Passt perfekt"), _U: ("Ganz okay",),
                   _N: ("Enttäuscht", "Schlechte Qualität", "Leider nicht gut")},
    },
    "es": {
        _P: ("Me encanta, la calidad es muy buena.", "Llegó rápido y bien empaquetado.", "Queda perfecto.",
             "El color es precioso."),
        _U: ("Está bien, pero el color es diferente.", "Talla un poco grande."),
        _N: ("La talla es muy pequeña.", "Muy mala calidad, no lo recomiendo.", "Tardó casi un mes en llegar."),
        "defect": ("La cremallera se rompió a los pocos días.", "La correa se rompió.",),
        "titles": {_P: ("Precioso", "Me encanta", "Muy bonito"), _U: ("Normal",), _N: ("Decepcionada", "Mala calidad")},
    },
    "fr": {
        _P: ("Très belle qualité, je recommande.", "Taille parfaitement.", "Livraison rapide, merci !",
             "Couleur magnifique, conforme aux photos."),
        _U: ("Correct, sans plus.", "Taille un peu grand."),
        _N: ("Taille beaucoup trop petit.", "Qualité décevante.", "Couleur très différente des photos."),
        "defect": ("La fermeture éclair a cassé au bout d'une semaine.", "La bandoulière a lâché.",),
        "titles": {_P: ("Superbe", "Très joli", "Parfait"), _U: ("Correct",), _N: ("Déçue", "Mauvaise qualité")},
    },
}
_MISSPELL = (("received", "recieved"), ("definitely", "definately"), ("quality", "qualtiy"),
             ("because", "becuase"), ("really", "realy"), ("comfortable", "comfortabel"),
             ("beautiful", "beautifull"), ("disappointed", "dissapointed"), ("recommend", "reccomend"),
             ("material", "materiel"), ("colour", "color"), ("perfectly", "perfectley"), ("though", "tho"),
             ("you", "u"), ("expected", "expcted"), ("delivery", "delivary"), ("which", "wich"))
_SHOUT = ("love", "perfect", "never", "terrible", "so", "not", "broke", "amazing", "worst", "best", "waste",
          "really", "too", "very")
_REPLIES_NEG = (
    "Hi {name}, we're so sorry to hear this. Please reply to your order email and we'll make it right.",
    "Dear {name}, thank you for your honest feedback. Our team will contact you about a free exchange.",
    "Hi {name}, sorry it didn't work out! Returns are free within 30 days.",
)
_REPLIES_DEFECT = (
    "Hi {name}, we're very sorry. We found a faulty batch of zippers and straps from June and will replace "
    "your bag free of charge - our team has emailed you.",
    "Dear {name}, thank you for letting us know. A batch of bags from June has a manufacturing fault; "
    "you'll get a full refund or a replacement, whichever you prefer.",
)
_REPLIES_POS = ("Thank you so much, {name}!", "Thanks {name}, enjoy your new {item}!",
                "We're so happy you love it, {name}!")


# ----------------------------------------------------------------------------------------------------------
# Calendar and time zone
# ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _last_sunday(year: int, month: int) -> date:
    """The EU daylight-saving switches happen on the last Sunday of March and October."""
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


@lru_cache(maxsize=None)
def _dst_bounds(year: int) -> tuple[datetime, datetime, datetime]:
    """Wall-clock start of the skipped March hour, start and end of summer time (ambiguous hour = summer)."""
    march = datetime.combine(_last_sunday(year, 3), datetime.min.time())
    october = datetime.combine(_last_sunday(year, 10), datetime.min.time())
    return march + timedelta(hours=2), march + timedelta(hours=3), october + timedelta(hours=3)


def _fmt_local(local: datetime) -> tuple[str, datetime]:
    """Shopify's `YYYY-MM-DD HH:MM:SS +0100` plus the UTC instant; wall times skipped by DST move forward."""
    gap, start, end = _dst_bounds(local.year)
    if gap <= local < start:
        local = local + timedelta(hours=1)
    off = 2 if start <= local < end else 1
    text = (f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} +0{off}00")
    return text, local - timedelta(hours=off)


def _black_friday(year: int) -> date:
    """Fourth Friday of November."""
    d = date(year, 11, 1)
    first_friday = d + timedelta(days=(4 - d.weekday()) % 7)
    return first_friday + timedelta(days=21)


@dataclass
class _Calendar:
    days: list[date]
    month_idx: np.ndarray  # 0.. for each day (calendar months since start)
    month_of_year: np.ndarray  # 0..11
    lam: np.ndarray  # relative daily demand
    cum: np.ndarray  # cumulative demand, for sampling days


def _calendar(rng: np.random.Generator) -> _Calendar:
    """Daily demand: yearly and weekly seasonality, Black Friday and Christmas, slow growth, day noise."""
    n = (HISTORY_END - HISTORY_START).days + 1
    days = [HISTORY_START + timedelta(days=i) for i in range(n)]
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    dow = np.array([d.weekday() for d in days])
    moy = np.array([d.month - 1 for d in days])
    midx = np.array([(d.year - HISTORY_START.year) * 12 + d.month - HISTORY_START.month for d in days])
    monthly = np.array([0.86, 0.80, 0.92, 0.97, 1.0, 0.90, 0.80, 0.82, 0.95, 1.04, 1.30, 1.42])
    mids = np.array([15.5 + 30.4 * m for m in range(12)])
    yearly = np.interp(doy, np.concatenate([mids - 365, mids, mids + 365]), np.tile(monthly, 3))
    weekly = np.array([0.97, 0.90, 0.92, 0.94, 0.98, 1.12, 1.22])[dow]
    t_years = np.arange(n) / 365.0
    trend = 1.0 + 0.12 * t_years
    event = np.ones(n)
    for i, d in enumerate(days):
        bf = _black_friday(d.year)
        delta = (d - bf).days
        if delta == 0:
            event[i] = 2.6
        elif 1 <= delta <= 3:
            event[i] = 2.0 if delta == 3 else 1.7  # weekend and Cyber Monday
        elif -6 <= delta < 0:
            event[i] = 1.25
        if d.month == 12 and 24 <= d.day <= 26:
            event[i] = 0.45
        elif d.month == 12 and d.day >= 27:
            event[i] = 0.75
        elif d.month == 12 and 19 <= d.day <= 23:
            event[i] = 1.15
    # a handful of newsletter campaign days per year
    campaign = rng.choice(n, size=10, replace=False)
    event[campaign] *= 1.45
    noise = rng.gamma(40.0, 1 / 40.0, size=n)
    lam = yearly * weekly * trend * event * noise
    return _Calendar(days, midx, moy, lam, np.cumsum(lam))


def _sample_days(cal: _Calendar, lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Days in [lo, hi] (inclusive) drawn with probability proportional to daily demand."""
    c0 = np.where(lo > 0, cal.cum[np.maximum(lo - 1, 0)], 0.0)
    c1 = cal.cum[hi]
    target = c0 + u * (c1 - c0)
    d = np.searchsorted(cal.cum, target, side="left")
    return np.clip(d, lo, hi)


# ----------------------------------------------------------------------------------------------------------
# Products
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Product:
    idx: int
    title: str
    handle: str
    sku: str
    shopify_id: int
    category: str
    group: str
    noun: str
    vendor: str
    price: float
    colours: tuple[str, ...]
    style: int
    popularity: float
    quality: float
    weak: str
    strong: str
    launch_month: int  # first month index on sale
    end_month: int  # last month index on sale
    price_up: bool
    sale_jan: bool
    sale_jul: bool
    tags: str = ""
    grams: int = 0
    inventory: int = 0
    on_sale_now: bool = False


def _slug(text: str) -> str:
    """Shopify-style handle: ASCII, lowercase, hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _products(rng: np.random.Generator) -> list[_Product]:
    """About 200 products in 8 categories with popularity, quality and style; the take-off product fixed."""
    products: list[_Product] = []
    titles_seen: set[str] = set()
    n_months = (HISTORY_END.year - HISTORY_START.year) * 12 + HISTORY_END.month - HISTORY_START.month + 1
    pid = 7_412_300_000_000
    for cat in _CATEGORIES:
        spec = _SPECS[cat]
        aspects = list(_ASPECT_WEIGHTS[spec.group])
        for k in range(spec.n):
            if cat == "Shoes" and k == 6:
                title, noun = _TAKEOFF_TITLE, "sneakers"
            else:
                while True:
                    adj = spec.adjectives[rng.integers(len(spec.adjectives))]
                    noun_title, noun = spec.nouns[rng.integers(len(spec.nouns))]
                    title = f"{adj} {noun_title}"
                    if rng.random() < 0.45:
                        title = f"{_COLLECTIONS[rng.integers(len(_COLLECTIONS))]} {title}"
                    if title not in titles_seen and title != _TAKEOFF_TITLE:
                        break
            titles_seen.add(title)
            pid += int(rng.integers(10_000, 900_000))
            n_col = int(rng.choice([1, 2, 3, 4], p=[0.2, 0.35, 0.3, 0.15]))
            colours = tuple(_COLOURS[i] for i in rng.choice(len(_COLOURS), size=n_col, replace=False))
            launch = -1 if rng.random() < 0.8 else int(rng.integers(1, n_months - 4))
            end = n_months if rng.random() < 0.92 else int(rng.integers(max(launch, 0) + 8, n_months))
            weak, strong = rng.choice(aspects, size=2, replace=False)
            quality = float(rng.normal(0.0, 0.45))
            if rng.random() < 0.06:
                quality -= 1.0  # a few genuinely bad products
            popularity = float(rng.lognormal(0.0, 0.75))
            sku = f"{spec.prefix}-{1000 + k}"
            if title == _TAKEOFF_TITLE:
                launch, end, popularity, quality, weak, strong = -1, n_months, 0.9, 0.5, "price", "comfort"
                colours = ("Ecru", "Black", "Sage")
                assert sku == _TAKEOFF_SKU
            if cat == _QUALITY_CATEGORY:
                launch, end = -1, n_months  # bags are all on sale during the quality problem
            products.append(_Product(
                idx=len(products), title=title, handle=_slug(title), sku=sku, shopify_id=pid, category=cat,
                group=spec.group, noun=noun, vendor=_VENDORS[int(rng.integers(len(_VENDORS)))],
                price=float(spec.ladder[int(rng.integers(len(spec.ladder)))]), colours=colours,
                style=int(rng.choice(4, p=[0.35, 0.28, 0.22, 0.15])), popularity=popularity, quality=quality,
                weak=str(weak), strong=str(strong), launch_month=launch, end_month=end,
                price_up=bool(rng.random() < 0.3), sale_jan=bool(rng.random() < 0.35),
                sale_jul=bool(rng.random() < 0.35),
                grams=int(rng.integers(spec.grams[0], spec.grams[1] + 1)) // 10 * 10,
                inventory=int(rng.integers(0, 240)) if rng.random() < 0.9 else 0,
                on_sale_now=bool(rng.random() < 0.12),
            ))
            p = products[-1]
            words = [w.lower() for w in title.replace("-", " ").split() if w not in _COLLECTIONS]
            p.tags = ", ".join(dict.fromkeys([_STYLES[p.style], cat.lower(), *words[:2]]))
    return products


def _product_tables(products: list[_Product],
                    n_months: int) -> dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]]:
    """Per (category, month, customer style): product indices and cumulative choice probabilities."""
    tables = {}
    takeoff_curve = {0: 1.4, 1: 2.3, 2: 3.6, 3: 5.2, 4: 6.8}
    t0 = (_TAKEOFF_FROM.year - HISTORY_START.year) * 12 + _TAKEOFF_FROM.month - HISTORY_START.month
    for c, cat in enumerate(_CATEGORIES):
        members = [p for p in products if p.category == cat]
        idx = np.array([p.idx for p in members])
        pop = np.array([p.popularity for p in members])
        styles = np.array([p.style for p in members])
        for m in range(n_months):
            avail = np.array([p.launch_month <= m <= p.end_month for p in members], dtype=float)
            # new products get a launch boost for three months
            boost = np.array([1.8 if 0 <= m - p.launch_month < 3 and p.launch_month >= 0 else 1.0 for p in members])
            take = np.array([(takeoff_curve.get(m - t0, 8.0) if m >= t0 else 1.0) if p.title == _TAKEOFF_TITLE
                             else 1.0 for p in members])
            for s in range(4):
                w = pop * avail * boost * take * np.where(styles == s, 3.0, 1.0)
                tables[(c, m, s)] = (idx, np.cumsum(w) / w.sum())
    return tables


# ----------------------------------------------------------------------------------------------------------
# Customers
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Customers:
    n: int
    country: list[str]
    first: list[str]
    last: list[str]
    email: list[str]  # "" for phone-only customers
    phone: list[str]
    marketing: np.ndarray
    city: list[str]
    zip: list[str]
    street: list[str]
    pref: np.ndarray  # n x 8 category preference
    style: np.ndarray
    csize: np.ndarray
    ssize: np.ndarray
    leniency: np.ndarray
    lang: list[str]  # review language


def _ascii(text: str) -> str:
    """Email-safe transliteration (ü -> ue, é -> e)."""
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"),
                 ("ł", "l"), ("Ł", "L")):
        text = text.replace(a, b)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _customers(rng: np.random.Generator, n: int) -> _Customers:
    """Customers with a country, contact details, sizes and category/style preferences."""
    country = [_COUNTRIES[i] for i in rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)]
    first, last, email, phone, city, zips, street, lang = [], [], [], [], [], [], [], []
    used: set[str] = set()
    for i in range(n):
        cc = country[i]
        lg = _STREET_LANG[cc]
        pool = _NAMES.get("fr" if cc in ("BE", "LU") and rng.random() < 0.5 else lg, _NAMES["de"])
        if cc == "BE" and rng.random() < 0.5:
            pool = _NAMES["nl"]
        f = pool[0][rng.integers(len(pool[0]))]
        la = pool[1][rng.integers(len(pool[1]))]
        first.append(f)
        last.append(la)
        fa, la_a = _ascii(f).lower(), _ascii(la).lower().replace(" ", "")
        pattern = rng.integers(6)
        local = (f"{fa}.{la_a}", f"{fa}{la_a}", f"{fa[0]}{la_a}", f"{fa}.{la_a}{rng.integers(70, 100)}",
                 f"{fa}_{la_a[0]}", f"{la_a}.{fa}")[pattern]
        domain = _MAIL_DOMAINS[rng.integers(len(_MAIL_DOMAINS))]
        addr = f"{local}@{domain}"
        k = 2
        while addr in used:
            addr = f"{local}{k}@{domain}"
            k += 1
        used.add(addr)
        phone_only = rng.random() < 0.045
        email.append("" if phone_only else addr)
        ph = f"{_PHONE_PREFIX[cc]}{rng.integers(0, 10_000_000):07d}"
        phone.append(ph)
        cname, z0, z1, zf = _CITIES[cc][rng.integers(len(_CITIES[cc]))]
        city.append(cname)
        zip_code = zf.format(int(rng.integers(z0, z1 + 1)))
        zips.append(f"{zip_code}-{rng.integers(1, 999):03d}" if cc == "PL" else zip_code)
        streets = _STREETS[lg]
        st = streets[rng.integers(len(streets))]
        num = int(rng.integers(1, 140))
        street.append(f"{num} {st}" if lg == "fr" else f"{st} {num}")
        r = rng.random()
        if cc == "FR" or (cc in ("BE", "LU") and pool is _NAMES["fr"]):
            lang.append("fr" if r < 0.2 else "en")
        elif cc == "ES":
            lang.append("es" if r < 0.25 else "en")
        elif cc in ("DE", "AT", "CH"):
            lang.append("de" if r < 0.01 else "en")
        else:
            lang.append("en")
    base = np.array([_SPECS[c].share for c in _CATEGORIES])
    pref = rng.dirichlet(base * 8 * 0.3, size=n)
    return _Customers(
        n=n, country=country, first=first, last=last, email=email, phone=phone,
        marketing=rng.random(n) < 0.55, city=city, zip=zips, street=street, pref=pref,
        style=rng.choice(4, size=n, p=[0.35, 0.28, 0.22, 0.15]),
        csize=rng.choice(5, size=n, p=[0.08, 0.24, 0.34, 0.22, 0.12]),
        ssize=rng.choice(7, size=n, p=[0.05, 0.12, 0.2, 0.24, 0.2, 0.12, 0.07]),
        leniency=rng.normal(0.0, 0.45, size=n), lang=lang,
    )


# ----------------------------------------------------------------------------------------------------------
# Orders
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Line:
    product: int
    qty: int
    price: float
    compare_at: float | None
    size: str
    colour: str
    discount: float = 0.0
    returned: bool = False
    defect: bool = False


@dataclass
class _Order:
    cust: int  # -1 for a guest (point-of-sale) order
    day: int
    local: datetime
    created: str = ""
    utc: datetime | None = None
    lines: list[_Line] = field(default_factory=list)
    first: bool = False


_TARGET_CUSTOMERS = 5000
_TARGET_ORDERS = 21_500
_TARGET_REVIEWS = 8_000


def _order_skeleton(rng: np.random.Generator, cal: _Calendar, cust: _Customers) -> list[_Order]:
    """Which customer orders on which day: acquisition, heavy-tailed repeat rates, churn, and the AT story."""
    n = cust.n
    n_days = len(cal.days)
    existing = rng.random(n) < 0.22
    # new customers are acquired in proportion to demand (with a little extra growth)
    acq = _sample_days(cal, np.zeros(n, dtype=int), np.full(n, n_days - 1), rng.random(n))
    acq = np.where(existing, 0, acq)
    one_off = rng.random(n) < 0.36
    rate = np.where(one_off, 0.0, np.minimum(rng.lognormal(np.log(2.0), 0.85, size=n), 16.0))  # orders / year
    lifetime = rng.exponential(520.0, size=n)
    w_end = np.minimum(n_days - 1, acq + lifetime).astype(int)
    w_len = (cal.cum[w_end] - np.where(acq > 0, cal.cum[np.maximum(acq - 1, 0)], 0.0)) / cal.lam.mean() / 365.0
    n_guest = int(_TARGET_ORDERS * 0.03)
    firsts = int((~existing).sum())
    scale = (_TARGET_ORDERS * 1.035 - n_guest - firsts) / float((rate * w_len).sum())
    n_rep = rng.poisson(rate * scale * w_len)
    n_rep = np.where(existing & (n_rep == 0), 1, n_rep)  # everybody appears at least once
    cust_ids = np.repeat(np.arange(n), n_rep)
    rep_days = _sample_days(cal, np.repeat(acq, n_rep), np.repeat(w_end, n_rep), rng.random(cust_ids.size))
    first_ids = np.flatnonzero(~existing)
    all_cust = np.concatenate([first_ids, cust_ids])
    all_days = np.concatenate([acq[first_ids], rep_days])
    is_first = np.concatenate([np.ones(first_ids.size, bool), np.zeros(cust_ids.size, bool)])
    # story (c): loyal buyers in Austria stop buying after the cutoff
    cut = (_CHURN_CUTOFF - HISTORY_START).days
    before = np.bincount(all_cust[all_days < cut], minlength=n)
    churned = np.array([c == _CHURN_COUNTRY for c in cust.country]) & (before >= _CHURN_MIN_ORDERS)
    keep = ~(churned[all_cust] & (all_days >= cut))
    all_cust, all_days, is_first = all_cust[keep], all_days[keep], is_first[keep]
    # guests: point-of-sale orders at the pop-up store, no customer identity
    g_days = _sample_days(cal, np.zeros(n_guest, dtype=int), np.full(n_guest, n_days - 1), rng.random(n_guest))
    all_cust = np.concatenate([all_cust, np.full(n_guest, -1)])
    all_days = np.concatenate([all_days, g_days])
    is_first = np.concatenate([is_first, np.zeros(n_guest, bool)])
    # time of day: quiet nights, lunch bump, evening peak
    hour_w = np.array([1.2, 0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 1.6, 2.6, 3.2, 3.6, 3.8, 4.4, 4.2, 3.8, 3.7, 3.8,
                       4.1, 4.6, 5.4, 6.0, 5.7, 4.3, 2.4])
    hour_w_pos = hour_w.copy()
    hour_w_pos[:9] = 0
    hour_w_pos[20:] = 0
    hours = rng.choice(24, size=all_cust.size, p=hour_w / hour_w.sum())
    pos_hours = rng.choice(24, size=all_cust.size, p=hour_w_pos / hour_w_pos.sum())
    hours = np.where(all_cust < 0, pos_hours, hours)
    secs = hours * 3600 + rng.integers(0, 3600, size=all_cust.size)
    order = np.lexsort((secs, all_days))
    out = []
    for i in order:
        d = cal.days[int(all_days[i])]
        local = datetime(d.year, d.month, d.day) + timedelta(seconds=int(secs[i]))
        out.append(_Order(cust=int(all_cust[i]), day=int(all_days[i]), local=local, first=bool(is_first[i])))
    return out


def _in_quality_window(day: date) -> bool:
    return _QUALITY_START <= day <= _QUALITY_END


def _fill_lines(rng: np.random.Generator, pyr: random.Random, cal: _Calendar, cust: _Customers,
                products: list[_Product], orders: list[_Order]) -> None:
    """Line items: category from preference x season, product from popularity x style x story curves."""
    n_months = int(cal.month_idx[-1]) + 1
    tables = _product_tables(products, n_months)
    n_lines = rng.choice([1, 2, 3, 4, 5], size=len(orders), p=[0.53, 0.26, 0.12, 0.06, 0.03])
    o_cust = np.array([o.cust for o in orders])
    o_day = np.array([o.day for o in orders])
    l_order = np.repeat(np.arange(len(orders)), n_lines)
    l_cust = o_cust[l_order]
    l_day = o_day[l_order]
    l_month = cal.month_idx[l_day]
    base = np.array([_SPECS[c].share for c in _CATEGORIES])
    season = np.array([_SPECS[c].season for c in _CATEGORIES])  # 8 x 12
    pref = np.where(l_cust[:, None] >= 0, cust.pref[np.maximum(l_cust, 0)], base[None, :])
    w = (0.3 * base[None, :] + 0.7 * pref) * season[:, cal.month_of_year[l_day]].T
    cdf = np.cumsum(w, axis=1)
    u = rng.random(l_order.size) * cdf[:, -1]
    l_cat = np.minimum((cdf < u[:, None]).sum(axis=1), len(_CATEGORIES) - 1)
    l_style = np.where(l_cust >= 0, cust.style[np.maximum(l_cust, 0)], rng.integers(0, 4, size=l_order.size))
    l_prod = np.empty(l_order.size, dtype=int)
    u2 = rng.random(l_order.size)
    keys = l_cat * 10_000 + l_month * 10 + l_style
    for key in np.unique(keys):
        mask = keys == key
        idx, c = tables[(int(key // 10_000), int(key % 10_000 // 10), int(key % 10))]
        l_prod[mask] = idx[np.minimum(np.searchsorted(c, u2[mask]), idx.size - 1)]
    qty_u = rng.random(l_order.size)
    size_dev = rng.random(l_order.size)
    col_u = rng.random(l_order.size)
    colour_cdf = []
    for p in products:
        cw = np.array([0.5 ** k for k in range(len(p.colours))])
        colour_cdf.append(np.cumsum(cw) / cw.sum())
    for li in range(l_order.size):
        o = orders[l_order[li]]
        p = products[l_prod[li]]
        if any(x.product == p.idx for x in o.lines):
            idx, c = tables[(int(l_cat[li]), int(l_month[li]), int(l_style[li]))]
            for _ in range(4):
                cand = int(idx[min(int(np.searchsorted(c, pyr.random())), idx.size - 1)])
                if all(x.product != cand for x in o.lines):
                    p = products[cand]
                    break
            else:
                continue
        heavy = p.group in ("accessories", "home")
        q = qty_u[li]
        qty = 1 if q < (0.80 if heavy else 0.91) else (2 if q < (0.96 if heavy else 0.985) else 3)
        size = ""
        if p.group == "apparel":
            s = int(cust.csize[o.cust]) if o.cust >= 0 else 2
            if size_dev[li] < 0.12:
                s = min(4, max(0, s + pyr.choice((-1, 1))))
            size = _CLOTHING_SIZES[s]
        elif p.group == "shoes":
            s = int(cust.ssize[o.cust]) if o.cust >= 0 else 3
            if size_dev[li] < 0.1:
                s = min(6, max(0, s + pyr.choice((-1, 1))))
            size = _SHOE_SIZES[s]
        colour = p.colours[int(np.searchsorted(colour_cdf[p.idx], col_u[li]))]
        price, compare = _price_on(p, cal.days[o.day])
        o.lines.append(_Line(product=p.idx, qty=qty, price=price, compare_at=compare, size=size, colour=colour))


def _price_on(p: _Product, day: date) -> tuple[float, float | None]:
    """List price on a day: a 2026 price rise for some products, January and July sales."""
    price = p.price + (5.0 if p.price_up and day >= date(2026, 3, 1) else 0.0)
    if (day.month == 1 and day.day >= 2 and p.sale_jan) or (day.month == 7 and p.sale_jul):
        sale = np.floor(price * 0.7) + 0.9 if price >= 10 else round(price * 0.7, 2)
        return float(round(sale, 2)), price
    return price, None


# ----------------------------------------------------------------------------------------------------------
# Order statuses, money, rows
# ----------------------------------------------------------------------------------------------------------


def _money(x: float) -> str:
    return f"{x + 0.0:.2f}" if abs(x) >= 0.005 else "0.00"


@dataclass
class _OrderMoney:
    code: str = ""
    discount: float = 0.0
    subtotal: float = 0.0
    shipping: float = 0.0
    total: float = 0.0
    taxes: float = 0.0
    financial: str = "paid"
    fulfillment: str = "fulfilled"
    paid_at: str = ""
    fulfilled_at: str = ""
    cancelled_at: str = ""
    refunded: float = 0.0
    method: str = ""
    payment: str = ""
    ship_method: str = ""


def _settle(rng: random.Random, o: _Order, cust: _Customers, products: list[_Product], end_local: datetime,
            bf_days: set[date]) -> _OrderMoney:
    """Discounts, shipping, VAT, payment, cancellation, returns and refunds for one order."""
    m = _OrderMoney()
    day = o.local.date()
    gross = sum(ln.qty * ln.price for ln in o.lines)
    country = cust.country[o.cust] if o.cust >= 0 else "DE"
    r = rng.random()
    if o.cust >= 0:
        if day in bf_days and r < 0.55:
            m.code, pct = "BLACKFRIDAY20", 0.20
        elif o.first and r < 0.25:
            m.code, pct = "WELCOME10", 0.10
        elif day.month == 7 and r < 0.12:
            m.code, pct = "SUMMER15", 0.15
        elif r < 0.04:
            m.code, pct = "NEWSLETTER10", 0.10
        else:
            pct = 0.0
        if pct:
            m.discount = round(gross * pct, 2)
            left = m.discount
            for k, ln in enumerate(o.lines):
                share = left if k == len(o.lines) - 1 else round(m.discount * ln.qty * ln.price / gross, 2)
                ln.discount = share
                left = round(left - share, 2)
    m.subtotal = round(gross - m.discount, 2)
    if o.cust < 0:
        m.shipping, m.ship_method = 0.0, ""
        m.method = "Cash" if rng.random() < 0.3 else "Shopify Payments"
    else:
        free_from, fee = (50.0, 4.90) if country == "DE" else ((0.0, 14.90) if country == "CH" else (80.0, 7.90))
        m.shipping = 0.0 if (free_from and m.subtotal >= free_from) else fee
        m.ship_method = "Standard"
        if rng.random() < 0.07:
            m.shipping = round(m.shipping + 5.0, 2)
            m.ship_method = "Express"
        elif m.shipping == 0.0:
            m.ship_method = "Free shipping"
        x = rng.random()
        m.method = ("Shopify Payments" if x < 0.55 else "PayPal Express Checkout" if x < 0.80 else
                    "Klarna" if x < 0.93 else "Manual" if x < 0.975 else "Gift Card")
    m.total = round(m.subtotal + m.shipping, 2)
    vat = _VAT[country][1]
    m.taxes = round(m.total * vat / (100 + vat), 2)
    created = o.local
    age_days = (end_local - created).total_seconds() / 86400
    manual = m.method == "Manual"
    if manual and age_days < 10:
        m.financial = "pending"
    elif rng.random() < 0.003 and o.cust >= 0:
        m.financial = "pending"
    cancelled = o.cust >= 0 and m.financial != "pending" and rng.random() < (0.10 if manual else 0.021)
    paid_local = created + timedelta(seconds=rng.randint(5, 120) if not manual else rng.randint(3600, 4 * 86400))
    if m.financial == "pending":
        m.fulfillment = "unfulfilled"
    elif cancelled:
        cancel_local = created + timedelta(seconds=rng.randint(1800, 36 * 3600))
        m.cancelled_at = _fmt_local(min(cancel_local, end_local))[0]
        m.fulfillment = "unfulfilled"
        if manual or (m.method == "Klarna" and rng.random() < 0.5):
            m.financial = "voided"
        else:
            m.financial = "refunded"
            m.refunded = m.total
            m.paid_at = _fmt_local(paid_local)[0]
    else:
        m.paid_at = _fmt_local(min(paid_local, end_local))[0]
        if o.cust < 0:
            m.fulfilled_at = o.created
        else:
            ship_day = created.date() + timedelta(days=1 if created.hour < 14 else 2)
            while ship_day.weekday() >= 5:  # the warehouse ships Monday to Friday
                ship_day += timedelta(days=1)
            ful = datetime(ship_day.year, ship_day.month, ship_day.day, 8) + timedelta(
                seconds=rng.randint(0, 9 * 3600))
            if ful <= end_local:
                m.fulfilled_at = _fmt_local(ful)[0]
            else:
                m.fulfillment = "unfulfilled"
        # returns: per line, higher for fit-sensitive categories, poor products and the defective batch
        if m.fulfillment == "fulfilled" and o.cust >= 0 and age_days > 10:
            for ln in o.lines:
                p = products[ln.product]
                pr = _SPECS[p.category].returns
                if p.weak == "fit":
                    pr += 0.05
                if p.quality < -0.7:
                    pr += 0.08
                if p.category == _QUALITY_CATEGORY and _in_quality_window(day) and rng.random() < 0.62:
                    ln.defect = True
                    pr = 0.62
                ln.returned = rng.random() < pr
            returned = [ln for ln in o.lines if ln.returned]
            if returned and len(returned) == len(o.lines):
                m.financial, m.refunded = "refunded", m.subtotal
            elif returned:
                m.financial = "partially_refunded"
                m.refunded = round(sum(ln.qty * ln.price - ln.discount for ln in returned), 2)
            elif rng.random() < 0.008:
                m.financial, m.refunded = "partially_refunded", float(rng.choice((5.0, 10.0, 15.0)))
    return m


_ORDER_COL = {c: i for i, c in enumerate(ORDERS_HEADER)}


def _order_rows(rng: random.Random, o: _Order, name: str, oid: int, m: _OrderMoney, cust: _Customers,
                products: list[_Product]) -> list[list[str]]:
    """One CSV row per line item; order-level columns only on the first row, as Shopify exports them."""
    col = _ORDER_COL
    rows = []
    for k, ln in enumerate(o.lines):
        p = products[ln.product]
        row = [""] * len(ORDERS_HEADER)
        row[col["Name"]] = name
        row[col["Created at"]] = o.created
        row[col["Lineitem quantity"]] = str(ln.qty)
        if p.group in ("apparel", "shoes"):
            row[col["Lineitem name"]] = f"{p.title} - {ln.size} / {ln.colour}"
        else:
            row[col["Lineitem name"]] = p.title
        row[col["Lineitem price"]] = _money(ln.price)
        if ln.compare_at is not None:
            row[col["Lineitem compare at price"]] = _money(ln.compare_at)
        row[col["Lineitem sku"]] = p.sku
        row[col["Lineitem requires shipping"]] = "false" if o.cust < 0 else "true"
        row[col["Lineitem taxable"]] = "true"
        row[col["Lineitem fulfillment status"]] = "fulfilled" if m.fulfillment == "fulfilled" else "pending"
        row[col["Vendor"]] = p.vendor
        row[col["Lineitem discount"]] = _money(ln.discount)
        if k == 0:
            c = o.cust
            country = cust.country[c] if c >= 0 else "DE"
            row[col["Email"]] = cust.email[c] if c >= 0 else ""
            row[col["Financial Status"]] = m.financial
            row[col["Paid at"]] = m.paid_at
            row[col["Fulfillment Status"]] = m.fulfillment
            row[col["Fulfilled at"]] = m.fulfilled_at
            row[col["Accepts Marketing"]] = "yes" if c >= 0 and cust.marketing[c] else "no"
            row[col["Currency"]] = "EUR"
            row[col["Subtotal"]] = _money(m.subtotal)
            row[col["Shipping"]] = _money(m.shipping)
            row[col["Taxes"]] = _money(m.taxes)
            row[col["Total"]] = _money(m.total)
            row[col["Discount Code"]] = m.code
            row[col["Discount Amount"]] = _money(m.discount) if m.code else ""
            row[col["Shipping Method"]] = m.ship_method
            row[col["Cancelled at"]] = m.cancelled_at
            row[col["Payment Method"]] = m.method
            row[col["Refunded Amount"]] = _money(m.refunded)
            row[col["Outstanding Balance"]] = _money(m.total if m.financial == "pending" else 0.0)
            row[col["Id"]] = str(oid)
            row[col["Risk Level"]] = "Low" if rng.random() < 0.97 else ("Medium" if rng.random() < 0.8 else "High")
            tax_name, vat = _VAT[country]
            if vat:
                row[col["Tax 1 Name"]] = tax_name
                row[col["Tax 1 Value"]] = _money(m.taxes)
            if m.financial != "voided" and m.method not in ("Cash", "Manual"):
                ref = f"c{oid}.1"
                row[col["Payment Reference"]] = ref
                row[col["Payment ID"]] = ref
                row[col["Payment References"]] = ref
            if c >= 0:
                full = f"{cust.first[c]} {cust.last[c]}"
                ship_name = full if rng.random() > 0.05 else f"{rng.choice(_NAMES['de'][0])} {cust.last[c]}"
                for side, nm in (("Billing", full), ("Shipping", ship_name)):
                    row[col[f"{side} Name"]] = nm
                    row[col[f"{side} Street"]] = cust.street[c]
                    row[col[f"{side} Address1"]] = cust.street[c]
                    row[col[f"{side} City"]] = cust.city[c]
                    row[col[f"{side} Zip"]] = cust.zip[c]
                    row[col[f"{side} Country"]] = country
                if not cust.email[c]:
                    row[col["Phone"]] = cust.phone[c]
                    row[col["Billing Phone"]] = cust.phone[c]
                elif rng.random() < 0.3:
                    row[col["Billing Phone"]] = cust.phone[c]
                x = rng.random()
                row[col["Source"]] = ("web" if x < 0.90 else "iphone" if x < 0.95 else "android" if x < 0.98
                                      else "shopify_draft_order")
                if rng.random() < 0.012:
                    note = rng.choice(_NOTES).replace("{prev}", str(max(1001, int(name[1:]) - rng.randint(5, 300))))
                    row[col["Notes"]] = note
                    if "ift" in note or "present" in note or "Geschenk" in note or "birthday" in note:
                        row[col["Note Attributes"]] = "gift_wrap: true"
                        row[col["Tags"]] = "gift"
            else:
                row[col["Billing Country"]] = "DE"
                row[col["Source"]] = "pos"
                row[col["Location"]] = "Berlin Pop-up Store"
                row[col["Employee"]] = rng.choice(("Mara K.", "Jonas B.", "Elif S."))
                row[col["Device ID"]] = "1"
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------------------
# Reviews
# ----------------------------------------------------------------------------------------------------------


def _grammar(p: _Product) -> dict[str, str]:
    plural = p.noun in _PLURAL_NOUNS
    return {"item": p.noun, "It": "They" if plural else "It", "it": "them" if plural else "it",
            "sub": "they" if plural else "it", "this": "these" if plural else "this",
            "This": "These" if plural else "This",
            "is": "are" if plural else "is", "was": "were" if plural else "was",
            "fits": "fit" if plural else "fits", "runs": "run" if plural else "runs",
            "feels": "feel" if plural else "feels", "looks": "look" if plural else "looks",
            "has": "have" if plural else "has"}


def _pool(aspect: str, group: str, pol: str) -> tuple[str, ...]:
    pools = _POOLS[aspect]
    return (pools.get(group) or pools.get("any") or pools["apparel"])[pol]


def _pick_pol(rng: random.Random, rating: int) -> str:
    x = rng.random()
    probs = {5: (0.92, 0.06), 4: (0.70, 0.15), 3: (0.35, 0.30), 2: (0.14, 0.14), 1: (0.04, 0.06)}[rating]
    return _P if x < probs[0] else (_U if x < probs[0] + probs[1] else _N)


def _noise(rng: random.Random, text: str, rating: int) -> str:
    """Typos, lowercase typing, shouting and extra punctuation, as real reviewers write."""
    if rng.random() < 0.10:
        cands = [pair for pair in _MISSPELL if re.search(rf"\b{pair[0]}\b", text)]
        if cands:
            a, b = rng.choice(cands)
            text = re.sub(rf"\b{a}\b", b, text, count=1)
    if rng.random() < 0.06:
        words = text.split(" ")
        j = rng.randrange(len(words))
        w = words[j]
        if len(w) > 4 and w.isalpha():
            i = rng.randrange(1, len(w) - 2)
            words[j] = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            text = " ".join(words)
    if rng.random() < 0.05:
        cands = [w for w in _SHOUT if re.search(rf"\b{w}\b", text, flags=re.I)]
        if cands:
            w = rng.choice(cands)
            text = re.sub(rf"\b{w}\b", w.upper(), text, count=1, flags=re.I)
    if rng.random() < 0.07:
        text = text.lower()
    if rating >= 4 and rng.random() < 0.05:
        text = text.rstrip(".!") + "!!!"
    if rng.random() < 0.02:
        text = text.replace(". ", ".. ", 1)
    return text


def _compose(rng: random.Random, p: _Product, rating: int, defect: bool, returned: bool, ctx: dict[str, str],
             lang: str) -> tuple[str, str]:
    """Title and body for one review: aspects with polarity consistent with the rating, plus noise."""
    g = {**_grammar(p), **ctx}

    def fmt(s: str) -> str:
        return s.format_map(g)

    if lang != "en":
        pools = _FOREIGN[lang]
        pol = _P if rating >= 4 else (_U if rating == 3 else _N)
        sents = []
        if defect:
            sents.append(rng.choice(pools["defect"]))
        sents += rng.sample(pools[pol], k=min(len(pools[pol]), rng.choice((1, 1, 2))))
        return rng.choice(pools["titles"][pol]), " ".join(sents)

    weights = _ASPECT_WEIGHTS[p.group]
    aspects = list(weights)
    wts = [weights[a] for a in aspects]
    r = rng.random()
    length = "one" if r < 0.17 else "short" if r < 0.55 else "medium" if r < 0.87 else "long"
    if defect:
        length = "short" if length == "one" else length
    if length == "one":
        body = rng.choice(_ONE_LINERS[rating])
        title = rng.choice(_TITLES[_P if rating >= 4 else (_U if rating == 3 else _N)][""])
        return title, _noise(rng, body, rating)
    k = {"short": rng.choice((1, 1, 2)), "medium": rng.choice((2, 2, 3)), "long": rng.choice((3, 4, 4, 5))}[length]
    main_pol = _P if rating >= 4 else (_N if rating <= 2 else rng.choice((_P, _U, _N)))
    chosen: list[tuple[str, str]] = []
    used_aspects: set[str] = set()
    for j in range(k):
        pol = main_pol if j == 0 else _pick_pol(rng, rating)
        if pol == _N and p.weak in weights and p.weak not in used_aspects and rng.random() < 0.5:
            a = p.weak
        elif pol == _P and p.strong in weights and p.strong not in used_aspects and rng.random() < 0.4:
            a = p.strong
        elif pol == _N and returned and "fit" in weights and "fit" not in used_aspects and rng.random() < 0.5:
            a = "fit"
        else:
            free = [(x, w) for x, w in zip(aspects, wts) if x not in used_aspects]
            if not free:
                break
            a = rng.choices([x for x, _ in free], weights=[w for _, w in free])[0]
        used_aspects.add(a)
        chosen.append((a, pol))
    sents: list[tuple[str, str]] = []
    if defect:
        sents.append((rng.choice(_DEFECT_SENTENCES), _N))
    for a, pol in chosen:
        if defect and a == "quality" and pol == _N:
            continue
        sents.append((rng.choice(_pool(a, p.group, pol)), pol))
    opener = closer = None
    overall = _P if rating >= 4 else (_U if rating == 3 else _N)
    if length in ("medium", "long") and rng.random() < 0.65 or length == "short" and rng.random() < 0.3:
        opener = rng.choice(_OPENERS[overall])
    if length in ("medium", "long") and rng.random() < 0.55 or length == "short" and rng.random() < 0.15:
        closer = rng.choice(_CLOSERS[overall])
    # Pros/Cons style for a few long mixed reviews
    pros = [s for s, pol in sents if pol == _P]
    cons = [s for s, pol in sents if pol == _N]
    if length == "long" and pros and cons and rng.random() < 0.15:
        body = "Pros: " + " ".join(fmt(s) for s in pros) + "\nCons: " + " ".join(fmt(s) for s in cons)
    else:
        parts = [fmt(opener)] if opener else []
        prev = None
        for s, pol in sents:
            s = fmt(s)
            if prev is not None and pol != prev and pol != _U and rng.random() < 0.7:
                conn = rng.choice(_CONNECT_TO_NEG if pol == _N else _CONNECT_TO_POS)
                s = f"{conn} {s[0].lower()}{s[1:]}" if not s.startswith("I ") else f"{conn} {s}"
            elif rng.random() < 0.08:
                h = rng.choice(_HEDGES)
                s = f"{h} {s[0].lower()}{s[1:]}" if not s.startswith("I ") else f"{h} {s}"
            parts.append(s)
            prev = pol
        if closer:
            parts.append(fmt(closer))
        sep = "\n" if length == "long" and rng.random() < 0.12 else " "
        body = sep.join(parts)
    # title from the leading aspect, sometimes a generic one
    if defect:
        title = fmt(rng.choice(_DEFECT_TITLES))
    else:
        lead_a, lead_pol = chosen[0] if chosen else ("", overall)
        tpol = overall if lead_pol != overall and overall != _U else lead_pol
        pool = _TITLES[tpol].get(lead_a) if rng.random() < 0.55 else None
        title = rng.choice(pool or _TITLES[tpol][""])
        con_aspects = [a for a, pol in chosen if pol == _N]
        if rating == 4 and con_aspects and rng.random() < 0.3:
            title = rng.choice(_BUT_TITLES[con_aspects[0]])
    return title, _noise(rng, body, rating)


def _markup(rng: random.Random, body: str, title: str, kind: int) -> tuple[str, str, str]:
    """A few reviews carry entities, tags or a script so the app's escaping gets exercised."""
    curated = "ok"
    if kind == 0:
        body = body.replace(" and ", " &amp; ", 1) if " and " in body else body + " Fit &amp; finish are great."
    elif kind == 1:
        words = body.split(" ")
        j = rng.randrange(len(words))
        words[j] = f"<b>{words[j]}</b>"
        body = " ".join(words)
    elif kind == 2:
        body = body.replace(". ", ".<br>", 1) + " &quot;10/10&quot;"
    elif kind == 3:
        body = body + ' <script>alert("xss")</script>'
        curated = "spam"
    else:
        title = title + " &#x27;"
        body = "I &lt;3 it. " + body
    return title, body, curated


def _reviews(rng: np.random.Generator, pyr: random.Random, orders: list[_Order], cust: _Customers,
             products: list[_Product], money: list[_OrderMoney]) -> list[list[str]]:
    """About 8,000 Judge.me reviews from buyers with an email, some days after their purchase."""
    end_utc = datetime(2026, 10, 31, 22, 59, 59)  # 23:59:59 +0100
    cands = []  # (order index, line)
    seen: set[tuple[int, int]] = set()
    for oi, o in enumerate(orders):
        if o.cust < 0 or not cust.email[o.cust] or money[oi].financial in ("voided", "pending") \
                or money[oi].cancelled_at:
            continue
        for ln in o.lines:
            key = (o.cust, ln.product)
            if key in seen:
                continue
            seen.add(key)
            cands.append((oi, ln))
    w = np.array([(3.6 if ln.defect else 1.8 if ln.returned else 1.0)
                  * (1.3 if products[ln.product].title == _TAKEOFF_TITLE else 1.0) for _, ln in cands])
    delay = np.where([ln.defect for _, ln in cands], rng.uniform(1.0, 10.0, len(cands)),
                     rng.lognormal(np.log(12.0), 0.55, len(cands)))
    ts = [orders[oi].utc + timedelta(days=float(d)) for (oi, _), d in zip(cands, delay)]
    ok = np.array([t <= end_utc for t in ts])
    scale = _TARGET_REVIEWS / float((w * ok).sum())
    take = (rng.random(len(cands)) < np.minimum(w * scale, 0.95)) & ok
    # latent satisfaction -> rating, thresholds from target shares of 1..5 stars
    sat = np.array([products[ln.product].quality + cust.leniency[orders[oi].cust]
                    - (1.5 if ln.returned else 0.0) for oi, ln in cands]) + rng.normal(0, 0.9, len(cands))
    normal = take & ~np.array([ln.defect for _, ln in cands])
    qs = np.quantile(sat[normal], np.cumsum([0.085, 0.065, 0.11, 0.21])) if normal.any() else np.zeros(4)
    ratings = 1 + np.searchsorted(qs, sat)
    rows: list[tuple[datetime, list[str]]] = []
    for ci in np.flatnonzero(take):
        oi, ln = cands[ci]
        o = orders[oi]
        p = products[ln.product]
        c = o.cust
        rating = int(ratings[ci])
        if ln.defect:
            rating = pyr.choices((1, 2, 3, 4), weights=(0.62, 0.25, 0.09, 0.04))[0]
        text_rating = 6 - rating if pyr.random() < 0.015 and not ln.defect else rating  # wrong-star clicks
        when = ts[ci].replace(microsecond=0)
        ctx = {"size": ln.size or "M", "colour": ln.colour.lower(), "price": f"{ln.price:.0f}",
               "country": _COUNTRY_NAMES[cust.country[c]], "days": str(pyr.randint(3, 12)),
               "ship_days": str(pyr.randint(10, 21))}
        lang = cust.lang[c]
        title, body = _compose(pyr, p, text_rating, ln.defect, ln.returned, ctx, lang)
        curated = "ok"
        x = pyr.random()
        if x < 0.006:
            title, body, curated = _markup(pyr, body, title, pyr.randrange(5))
        f, la = cust.first[c], cust.last[c]
        y = pyr.random()
        name = f"{f} {la[0]}." if y < 0.65 else f if y < 0.9 else f"{f} {la}"
        reply = reply_date = ""
        if ln.defect and rating <= 2 and pyr.random() < 0.8:
            reply = pyr.choice(_REPLIES_DEFECT)
        elif rating <= 2 and pyr.random() < 0.45:
            reply = pyr.choice(_REPLIES_NEG)
        elif rating == 5 and pyr.random() < 0.06:
            reply = pyr.choice(_REPLIES_POS)
        if reply:
            reply = reply.format(name=f, item=p.noun)
            rd = when + timedelta(hours=pyr.uniform(2, 70))
            reply_date = f"{rd:%Y-%m-%d %H:%M:%S} UTC"
        pics = ""
        if (ln.defect and pyr.random() < 0.3) or (rating >= 4 and pyr.random() < 0.05):
            pics = f"https://judgeme.imgix.net/storelens-demo/reviews/{p.handle}-{ci}.jpg"
        z = pyr.random()
        source = "web" if z < 0.55 else "email" if z < 0.95 else "shop_app"
        rows.append((when, [title, body, str(rating), f"{when:%Y-%m-%d %H:%M:%S} UTC", source, curated, name,
                            cust.email[c], str(p.shopify_id), p.handle, reply, reply_date, pics, "",
                            cust.country[c], ""]))
    rows.sort(key=lambda r: (r[0], r[1][9], r[1][7]))
    return [r for _, r in rows]


# ----------------------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------------------


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def _product_rows(products: list[_Product]) -> list[list[str]]:
    rows = []
    for p in products:
        spec = _SPECS[p.category]
        body = (f"<p>The {p.title} in {', '.join(c.lower() for c in p.colours)}: a {_STYLES[p.style]} "
                f"{p.noun} from {p.vendor}, designed to last.</p>"
                f"<ul><li>Colours: {', '.join(p.colours)}</li><li>Free returns within 30 days</li></ul>")
        status = "archived" if p.end_month < (HISTORY_END.year - HISTORY_START.year) * 12 + HISTORY_END.month \
            - HISTORY_START.month else "active"
        price = p.price + (5.0 if p.price_up else 0.0)
        compare = _money(round(price * 1.3) - 0.1) if p.on_sale_now and status == "active" else ""
        rows.append([p.handle, p.title, body, p.vendor, spec.taxonomy, p.category, p.tags,
                     "true" if status == "active" else "false", "Title", "Default Title", p.sku, str(p.grams),
                     str(p.inventory if status == "active" else 0), _money(price), compare, "true", "true",
                     f"https://cdn.shopify.com/s/files/1/0612/3456/7890/products/{p.handle}.jpg", status])
    return rows


def generate(out_dir: Path, seed: int = 7) -> list[Path]:
    """Write the demo store (orders, reviews, products exports) so a fresh install has realistic data."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pyr = random.Random(seed * 7919 + 17)
    cal = _calendar(rng)
    products = _products(rng)
    cust = _customers(rng, _TARGET_CUSTOMERS)
    orders = _order_skeleton(rng, cal, cust)
    _fill_lines(rng, pyr, cal, cust, products, orders)
    orders = [o for o in orders if o.lines]
    end_local = datetime(2026, 10, 31, 23, 59, 59)
    bf_days = {_black_friday(y) + timedelta(days=k) for y in (2024, 2025, 2026) for k in range(-2, 4)}
    order_rows: list[list[str]] = []
    money: list[_OrderMoney] = []
    oid = 6_012_345_000_000
    for i, o in enumerate(orders):
        o.created, o.utc = _fmt_local(o.local)
        oid += pyr.randint(40_000, 4_000_000)
        m = _settle(pyr, o, cust, products, end_local, bf_days)
        money.append(m)
        order_rows.extend(_order_rows(pyr, o, f"#{1001 + i}", oid, m, cust, products))
    review_rows = _reviews(rng, pyr, orders, cust, products, money)
    paths = [out_dir / ORDERS_FILE, out_dir / REVIEWS_FILE, out_dir / PRODUCTS_FILE]
    _write_csv(paths[0], ORDERS_HEADER, order_rows)
    _write_csv(paths[1], REVIEWS_HEADER, review_rows)
    _write_csv(paths[2], PRODUCTS_HEADER, _product_rows(products))
    return paths


# ----------------------------------------------------------------------------------------------------------
# Big transaction log for benchmarks
# ----------------------------------------------------------------------------------------------------------

_BIG_WORDS_A = ("WHITE", "RED", "PINK", "BLUE", "GREEN", "VINTAGE", "RETRO", "SET OF 3", "SET OF 6", "JUMBO",
                "MINI", "REGENCY", "HEART", "STAR", "FLORAL", "POLKADOT", "WOODEN", "GLASS", "ENAMEL", "PAPER")
_BIG_WORDS_B = ("HANGING", "DOORSTOP", "CAKE", "TEA", "CHRISTMAS", "GARDEN", "KITCHEN", "PARTY", "LUNCH",
                "BIRTHDAY", "CERAMIC", "METAL", "LACE", "SPOTTY", "STRIPE", "CHALKBOARD", "PICNIC")
_BIG_WORDS_C = ("T-LIGHT HOLDER", "LANTERN", "MUG", "BAG", "BOX", "CUSHION COVER", "TIN", "CANDLE", "FRAME",
                "BUNTING", "SIGN", "NAPKINS", "CUPS", "PLATE", "JAR", "CLOCK", "BOTTLE", "DOORMAT", "PURSE",
                "NOTEBOOK")
_BIG_COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium",
                  "Switzerland", "Portugal", "Australia", "Norway", "Italy")
_BIG_COUNTRY_P = (0.89, 0.025, 0.022, 0.018, 0.008, 0.008, 0.006, 0.005, 0.004, 0.004, 0.005, 0.005)


def write_big_orders(path: Path, n_lines: int, seed: int = 7) -> Path:
    """Write n_lines data rows (plus a header) of a retail transaction log, fast, for import benchmarks."""
    import duckdb
    import pandas as pd

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = int(n_lines)
    # catalogue
    n_items = 3800
    codes = np.char.add(rng.choice(np.arange(20000, 90000), size=n_items, replace=False).astype(str),
                        np.where(rng.random(n_items) < 0.25, rng.choice(list("ABCDEFGLMNPRSW"), size=n_items), ""))
    desc = [f"{_BIG_WORDS_A[a]} {_BIG_WORDS_B[b]} {_BIG_WORDS_C[c]}" for a, b, c in zip(
        rng.integers(0, len(_BIG_WORDS_A), n_items), rng.integers(0, len(_BIG_WORDS_B), n_items),
        rng.integers(0, len(_BIG_WORDS_C), n_items))]
    desc = [d + (", ASSORTED" if k % 37 == 0 else "") for k, d in enumerate(desc)]
    price = np.round(np.exp(rng.normal(np.log(2.5), 0.8, n_items)), 2).clip(0.19, 295.0)
    pop = rng.zipf(1.6, n_items).astype(float).clip(1, 5000)
    item_cdf = np.cumsum(pop) / pop.sum()
    # invoices
    n_inv_max = n // 5 + 10
    lens = rng.geometric(1 / 18.0, size=n_inv_max)
    cum = np.cumsum(lens)
    k = int(np.searchsorted(cum, n)) + 1
    lens = lens[:k].copy()
    lens[-1] -= int(cum[k - 1]) - n
    cancel = rng.random(k) < 0.02
    inv_no = (536365 + np.arange(k)).astype(str)
    inv_no = np.where(cancel, np.char.add("C", inv_no), inv_no)
    # invoices arrive during opening hours (08:00-20:00) on Sunday to Friday, about 100 a day
    business = np.cumsum(rng.exponential(7.0, size=k)).astype(np.int64) + 26
    day_k = business // 720 + 2  # business day number; day 2 is Wednesday 2010-12-01
    cal_day = (day_k // 6) * 7 + np.array([0, 1, 2, 3, 4, 6])[day_k % 6]
    minutes = cal_day * 1440 + 480 + business % 720  # minutes since Monday 2010-11-29 00:00
    cust_ids = np.where(rng.random(k) < 0.25, -1, rng.integers(12346, 18288, size=k))
    country = rng.choice(len(_BIG_COUNTRIES), size=k, p=np.array(_BIG_COUNTRY_P) / sum(_BIG_COUNTRY_P))
    inv = np.repeat(np.arange(k), lens)
    item = np.minimum(np.searchsorted(item_cdf, rng.random(n)), n_items - 1)
    qty = rng.choice(np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 48]), size=n,
                     p=[0.30, 0.16, 0.08, 0.08, 0.10, 0.04, 0.06, 0.12, 0.04, 0.02])
    qty = np.where(cancel[inv], -qty, qty)
    df = pd.DataFrame({
        "rn": np.arange(n, dtype=np.int64), "inv": inv_no[inv], "item": item.astype(np.int32),
        "qty": qty.astype(np.int32),
        "minute": minutes[inv], "price": price[item], "cust": cust_ids[inv].astype(np.int32),
        "country": country[inv].astype(np.int8),
    })
    cat = pd.DataFrame({"item": np.arange(n_items, dtype=np.int32), "code": codes, "descr": desc})
    ctry = pd.DataFrame({"country": np.arange(len(_BIG_COUNTRIES), dtype=np.int8),
                         "cname": list(_BIG_COUNTRIES)})
    con = duckdb.connect()
    try:
        con.execute("SET threads=2")
        con.execute("SET preserve_insertion_order=true")
        con.register("lines", df)
        con.register("cat", cat)
        con.register("ctry", ctry)
        target = str(path).replace("'", "''")
        con.execute(f"""
            COPY (
              SELECT l.inv AS InvoiceNo, c.code AS StockCode, c.descr AS Description, l.qty AS Quantity,
                     strftime(TIMESTAMP '2010-11-29 00:00:00' + to_minutes(l.minute), '%Y-%m-%d %H:%M:%S')
                       AS InvoiceDate,
                     l.price AS UnitPrice,
                     CASE WHEN l.cust < 0 THEN NULL ELSE l.cust END AS CustomerID,
                     k.cname AS Country
              FROM lines l
              JOIN cat c USING (item)
              JOIN ctry k USING (country)
              ORDER BY l.rn
            ) TO '{target}' (HEADER, DELIMITER ',')
        """)
    finally:
        con.close()
    return path
