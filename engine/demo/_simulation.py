"""The demo shop's two years simulated: calendar and time zone, products, customers, orders with statuses and
money, and reviews tied to real purchases, with the planted stories."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from ._vocabulary import (
    _ASPECT_WEIGHTS,
    _BUT_TITLES,
    _CATEGORIES,
    _CHURN_COUNTRY,
    _CHURN_CUTOFF,
    _CHURN_MIN_ORDERS,
    _CITIES,
    _CLOSERS,
    _CLOTHING_SIZES,
    _COLLECTIONS,
    _COLOURS,
    _CONNECT_TO_NEG,
    _CONNECT_TO_POS,
    _COUNTRIES,
    _COUNTRY_NAMES,
    _COUNTRY_P,
    _DEFECT_SENTENCES,
    _DEFECT_TITLES,
    _FOREIGN,
    _HEDGES,
    _MAIL_DOMAINS,
    _MISSPELL,
    _N,
    _NAMES,
    _NOTES,
    _ONE_LINERS,
    _OPENERS,
    _P,
    _PHONE_PREFIX,
    _PLURAL_NOUNS,
    _POOLS,
    _QUALITY_CATEGORY,
    _QUALITY_END,
    _QUALITY_START,
    _REPLIES_DEFECT,
    _REPLIES_NEG,
    _REPLIES_POS,
    _SHOE_SIZES,
    _SHOUT,
    _SPECS,
    _STREET_LANG,
    _STREETS,
    _STYLES,
    _TAKEOFF_FROM,
    _TAKEOFF_SKU,
    _TAKEOFF_TITLE,
    _TITLES,
    _U,
    _VAT,
    _VENDORS,
    HISTORY_END,
    HISTORY_START,
    ORDERS_HEADER,
)

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
