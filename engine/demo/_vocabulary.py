"""What the demo shop is made of: file names and headers, the planted stories, categories, products, countries,
names, and the phrase pools reviews are written from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
