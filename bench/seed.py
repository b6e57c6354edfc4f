"""A deterministic large catalogue in PostgreSQL for `make bench`.

500 cooperatives, 20,000 products with texts in three languages, 1 to 4 variants each (2.5
on average: sizes, packs or labelled options, each with its SKU, price, stock and weight)
and a history of 50,000 orders of those variants, written with COPY (the app's own schema,
built by the migrations). Each product's summary columns (cheapest and dearest active price,
stock of its active variants, the cheapest one's unit) are computed here as
``catalogue.variants.refresh_summary`` would. The same seed always produces the same rows.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table

from bench.progress import Progress
from marketplace.catalogue import units
from marketplace.extensions import db
from marketplace.text import normalize

PROVINCES = ("errachidia", "ouarzazate", "midelt", "tinghir", "zagora")
COMMUNES = {
    "errachidia": ("Erfoud", "Rissani", "Goulmima", "Jorf", "Aoufous"),
    "ouarzazate": ("Skoura", "Tarmigte", "Amerzgane", "Ghassate"),
    "midelt": ("Rich", "Boumia", "Zaida", "Itzer"),
    "tinghir": ("Kelaat M'Gouna", "Boumalne Dadès", "Tinejdad", "Alnif"),
    "zagora": ("Tamegroute", "M'Hamid El Ghizlane", "Agdz", "Tagounite"),
}
# (slug, fr, ar, en)
CATEGORIES = (
    ("dates", "Dattes", "تمور", "Dates"),
    ("rose", "Produits de la rose", "منتجات الورد", "Rose products"),
    ("saffron-spices", "Safran et épices", "زعفران وتوابل", "Saffron and spices"),
    ("henna-cosmetics", "Henné et cosmétiques", "حناء ومستحضرات التجميل", "Henna and cosmetics"),
    ("honey-oils", "Miel et huiles", "عسل وزيوت", "Honey and oils"),
    ("couscous-cereals", "Couscous et céréales", "كسكس وحبوب", "Couscous and cereals"),
    ("pottery", "Poterie", "فخار", "Pottery"),
    ("carpets", "Tapis et kilims", "زرابي وحنابل", "Carpets and kilims"),
    ("jewellery", "Bijoux en argent", "حلي فضية", "Silver jewellery"),
    ("fossils", "Fossiles et minéraux", "أحافير ومعادن", "Fossils and minerals"),
)
# (category slug, fr, ar, en, units)
KINDS = (
    ("dates", "Dattes Mejhoul", "تمر المجهول", "Mejhoul dates", ("500 g", "1 kg", "5 kg")),
    ("dates", "Dattes Boufeggous", "تمر بوفقوس", "Boufeggous dates", ("500 g", "1 kg")),
    ("dates", "Pâte de dattes", "عجينة التمر", "Date paste", ("250 g", "500 g")),
    (
        "rose",
        "Eau de rose de Kelaat M'Gouna",
        "ماء ورد قلعة مكونة",
        "Kelaat M'Gouna rose water",
        ("250 ml", "500 ml"),
    ),
    (
        "rose",
        "Huile essentielle de rose",
        "زيت الورد العطري",
        "Rose essential oil",
        ("10 ml", "30 ml"),
    ),
    ("saffron-spices", "Safran pur de Taliouine", "زعفران حر", "Pure saffron", ("1 g", "5 g")),
    ("saffron-spices", "Ras el hanout", "رأس الحانوت", "Ras el hanout", ("100 g", "250 g")),
    ("henna-cosmetics", "Henné naturel", "حناء طبيعية", "Natural henna", ("100 g", "500 g")),
    ("henna-cosmetics", "Savon noir à la rose", "صابون بلدي بالورد", "Rose black soap", ("200 g",)),
    ("honey-oils", "Miel de thym", "عسل الزعتر", "Thyme honey", ("250 g", "500 g", "1 kg")),
    (
        "honey-oils",
        "Huile d'olive extra vierge",
        "زيت الزيتون البكر الممتاز",
        "Extra virgin olive oil",
        ("1 L", "5 L"),
    ),
    ("couscous-cereals", "Couscous d'orge", "كسكس الشعير", "Barley couscous", ("1 kg", "2 kg")),
    (
        "pottery",
        "Poterie verte de Tamegroute",
        "فخار تمكروت الأخضر",
        "Tamegroute green pottery",
        ("1 pièce",),
    ),
    (
        "carpets",
        "Kilim berbère tissé main",
        "حنبل أمازيغي منسوج يدويا",
        "Hand-woven Berber kilim",
        ("1 pièce",),
    ),
    (
        "jewellery",
        "Bracelet en argent ciselé",
        "سوار فضة منقوش",
        "Engraved silver bracelet",
        ("1 pièce",),
    ),
    ("fossils", "Ammonite d'Erfoud", "أمونيت أرفود", "Erfoud ammonite", ("1 pièce",)),
)
QUALIFIERS = (
    ("bio", "عضوي", "organic"),
    ("premium", "ممتاز", "premium"),
    ("artisanal", "تقليدي", "traditional"),
    ("de la vallée du Drâa", "من وادي درعة", "from the Drâa valley"),
    ("du Tafilalet", "من تافيلالت", "from Tafilalet"),
    ("récolte de l'année", "من محصول هذا العام", "this year's harvest"),
    ("coffret cadeau", "علبة هدية", "gift box"),
)
SENTENCES = {
    "fr": (
        "Produit par les femmes de la coopérative selon un savoir-faire transmis de mère en fille.",
        "Récolté à la main dans les oasis et trié avec soin avant l'emballage.",
        "Sans additifs ni conservateurs, conditionné dans notre atelier à {commune}.",
        "Chaque achat soutient directement les familles de la province de {province}.",
        "Idéal pour offrir ou pour la table familiale du ftour pendant le Ramadan.",
    ),
    "ar": (
        "منتوج من إعداد نساء التعاونية وفق مهارة متوارثة جيلا بعد جيل.",
        "يُجنى يدويا في الواحات ويُفرز بعناية قبل التعبئة.",
        "بدون مواد مضافة أو حافظة، يُعبأ في ورشتنا بـ{commune}.",
        "كل عملية شراء تدعم مباشرة أسر إقليم {province}.",
        "مثالي كهدية أو لمائدة الإفطار العائلية في رمضان.",
    ),
    "en": (
        "Made by the women of the cooperative with know-how handed down from mother to daughter.",
        "Picked by hand in the oases and carefully sorted before packing.",
        "No additives or preservatives, packed in our workshop in {commune}.",
        "Every purchase directly supports families of {province} province.",
        "Perfect as a gift or for the family iftar table during Ramadan.",
    ),
}
COOP_WORDS = (
    ("Tafilalet", "تافيلالت"),
    ("Al Wafa", "الوفاء"),
    ("Nakhil", "النخيل"),
    ("Ward", "الورد"),
    ("Amal", "الأمل"),
    ("Tiwizi", "تويزة"),
    ("Assafae", "الصفاء"),
    ("Tighremt", "تيغرمت"),
    ("Noujoum", "النجوم"),
    ("Izourane", "إزوران"),
    ("Al Baraka", "البركة"),
    ("Tazart", "تازارت"),
)
# Packs of a product beyond its kind's units: (fr, ar, en) labels.
OPTIONS = (
    ("Lot de 2", "عبوتان", "Pack of 2"),
    ("Lot de 3", "ثلاث عبوات", "Pack of 3"),
    ("Coffret cadeau", "علبة هدية", "Gift box"),
)
MAX_VARIANTS = 4  # 1 to 4 variants per product, uniformly: 2.5 on average
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def database_columns(conn, table_name: str) -> dict[str, tuple[bool, bool, str]]:
    """The table's columns in the database, in order: name -> (nullable, has a default in
    the database, data type). Empty when the database has no such table: an older schema
    (``bench.run --compare-with``) has fewer tables and columns than the models."""
    rows = conn.execute(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL, data_type "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table_name,),
    ).fetchall()
    return {name: (nullable, has_default, kind) for name, nullable, has_default, kind in rows}


def _unit_text(row: dict) -> str:
    """A unit as the text column of older schemas held it ('500 g'), from a row that gives
    it as data (quantity in thousandths and a code)."""
    milli, code = row.get("unit_quantity_milli"), row.get("unit_code")
    return "" if milli is None else f"{milli / 1000:g} {code or ''}".strip()


# Columns of older schemas that the models no longer have, computed from the row (an older
# schema's products.weight_grams, from before variants, is the row's own "weight_grams").
LEGACY_COLUMNS = {
    ("products", "unit"): _unit_text,
    ("order_lines", "unit"): _unit_text,
    # orders.locale was called language before 0005_locale.
    ("orders", "language"): lambda row: row["locale"],
}
# A value for a NOT NULL column without a default that neither the models nor the row know.
FALLBACKS = {"boolean": False, "integer": 0, "bigint": 0, "smallint": 0, "json": "{}"}


def _plan(conn, table_name: str) -> list[tuple[str, object]]:
    """How to fill each column the database has: (name, function of the row). A column of
    the models missing from the row gets its Python default (None without one); a column
    the models don't have (older schema) takes the row's value, a legacy computation, or
    is left to the database when it may be null or has a default."""
    table = db.metadata.tables.get(table_name)
    plan = []
    for name, (nullable, has_default, kind) in database_columns(conn, table_name).items():
        column = table.c.get(name) if table is not None else None
        if column is not None:
            default = column.default
            if default is not None and not default.is_sequence:
                arg = default.arg
                fill = (lambda a=arg: a(None)) if callable(arg) else (lambda a=arg: a)
            else:
                fill = lambda: None  # noqa: E731
            plan.append((name, lambda row, n=name, f=fill: row[n] if n in row else f()))
        elif (table_name, name) in LEGACY_COLUMNS:
            legacy = LEGACY_COLUMNS[(table_name, name)]
            plan.append((name, lambda row, n=name, g=legacy: row[n] if n in row else g(row)))
        elif not nullable and not has_default:
            value = FALLBACKS.get(kind, "")
            plan.append((name, lambda row, n=name, v=value: row.get(n, v)))
        else:
            plan.append((name, lambda row, n=name: row.get(n)))
    return plan


def copy_rows(conn, table_name: str, rows, total: int, label: str) -> int:
    """COPY ``rows`` (dicts) into ``table_name`` with a progress bar; the columns are the
    database's own (see ``_plan``). Nothing when the database has no such table. Returns
    the number of rows written."""
    plan = _plan(conn, table_name)
    if not plan:
        return 0
    columns = ", ".join(f'"{name}"' for name, _fill in plan)
    fills = [fill for _name, fill in plan]
    progress = Progress(label, total)
    written = 0
    with (
        conn.cursor() as cursor,
        cursor.copy(f'COPY "{table_name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(tuple(fill(row) for fill in fills))
            written += 1
            progress.advance()
    progress.finish()
    return written


def _reset_sequence(conn, table_name: str) -> None:
    # table_name comes from our own metadata, never from input.
    sql = f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
    sql += f'(SELECT COALESCE(MAX(id), 1) FROM "{table_name}"))'  # noqa: S608
    conn.execute(sql)


def seed_catalogue(
    conn, rng: random.Random, cooperatives: int, products: int, password_hash: str
) -> dict:
    """Users, cooperatives, categories and products. Returns ids the order history needs."""
    copy_rows(
        conn,
        "categories",
        (
            {"id": i + 1, "slug": slug, "position": i}
            for i, (slug, *_names) in enumerate(CATEGORIES)
        ),
        len(CATEGORIES),
        "categories",
    )
    copy_rows(
        conn,
        "category_translations",
        (
            {
                "id": i * 3 + j + 1,
                "category_id": i + 1,
                "locale": loc,
                "name": name,
                "description": "",
            }
            for i, (_slug, fr, ar, en) in enumerate(CATEGORIES)
            for j, (loc, name) in enumerate((("fr", fr), ("ar", ar), ("en", en)))
        ),
        len(CATEGORIES) * 3,
        "category translations",
    )
    coop_rows, coop_texts, coop_names = [], [], {}
    for cid in range(1, cooperatives + 1):
        province = PROVINCES[cid % len(PROVINCES)]
        word_fr, word_ar = COOP_WORDS[cid % len(COOP_WORDS)]
        status = (
            "verified" if cid % 20 not in (0, 1) else ("pending" if cid % 20 == 0 else "suspended")
        )
        coop_rows.append(
            {
                "id": cid,
                "slug": f"cooperative-{word_fr.lower().replace(' ', '-')}-{cid}",
                "registration_number": f"RC-{province[:3].upper()}-{cid:05d}",
                "province": province,
                "commune": rng.choice(COMMUNES[province]),
                "founded_year": rng.randint(1985, 2024),
                "members_count": rng.randint(7, 120),
                "women_members_count": rng.randint(3, 7),
                "phone": f"+2126{rng.randint(10000000, 99999999)}",
                "status": status,
                "shipping_fee_cents": rng.choice((2000, 3000, 3500, 4500)),
                "free_shipping_threshold_cents": rng.choice((None, 50000, 80000)),
                "accepts_cash_on_delivery": True,
            }
        )
        names = {
            "fr": f"Coopérative {word_fr} {cid}",
            "ar": f"تعاونية {word_ar} {cid}",
            "en": f"{word_fr} Cooperative {cid}",
        }
        coop_names[cid] = names
        for loc, name in names.items():
            coop_texts.append(
                {
                    "cooperative_id": cid,
                    "locale": loc,
                    "name": name,
                    "story": " ".join(
                        s.format(commune="", province=province.title()) for s in SENTENCES[loc][:3]
                    ),
                }
            )
    copy_rows(conn, "cooperatives", coop_rows, len(coop_rows), "cooperatives")
    copy_rows(
        conn,
        "cooperative_translations",
        ({"id": i + 1, **row} for i, row in enumerate(coop_texts)),
        len(coop_texts),
        "cooperative translations",
    )
    users = [
        {
            "id": 1,
            "email": "admin@bench.ma",
            "name": "Admin",
            "password_hash": password_hash,
            "role": "admin",
        }
    ]
    users += [
        {
            "id": 1 + cid,
            "email": f"coop{cid}@bench.ma",
            "name": f"Coop {cid}",
            "password_hash": password_hash,
            "role": "member",
            "cooperative_id": cid,
            "is_cooperative_owner": True,
        }
        for cid in range(1, cooperatives + 1)
    ]
    first_shopper = len(users) + 1
    users += [
        {
            "id": first_shopper + i,
            "email": f"shopper{i}@bench.ma",
            "name": f"Shopper {i}",
            "password_hash": password_hash,
            "role": "shopper",
        }
        for i in range(2000)
    ]
    copy_rows(conn, "users", users, len(users), "users")

    category_ids = {slug: i + 1 for i, (slug, *_rest) in enumerate(CATEGORIES)}
    category_names = {i + 1: (fr, ar, en) for i, (_slug, fr, ar, en) in enumerate(CATEGORIES)}
    product_rows, text_rows, image_rows, variant_rows, catalogue = [], [], [], [], []
    for pid in range(1, products + 1):
        kind = KINDS[pid % len(KINDS)]
        cat_slug, name_fr, name_ar, name_en, unit_texts = kind
        qual = QUALIFIERS[rng.randrange(len(QUALIFIERS))]
        coop = rng.randint(1, cooperatives)
        province = coop_rows[coop - 1]["province"]
        commune = coop_rows[coop - 1]["commune"]
        price = rng.randrange(1500, 250000, 50)
        stock = 0 if rng.random() < 0.08 else rng.randint(1, 300)
        status = "active" if rng.random() < 0.95 else rng.choice(("draft", "hidden"))
        slug = f"{cat_slug}-{pid}"
        variants = _variants(rng, pid, coop, price, stock, unit_texts, len(variant_rows) + 1)
        variant_rows += variants
        labels = [text for v in variants for text in v["labels_data"].values()]
        names = {
            "fr": f"{name_fr} {qual[0]} n°{pid}",
            "ar": f"{name_ar} {qual[1]} رقم {pid}",
            "en": f"{qual[2].capitalize()} {name_en} no. {pid}",
        }
        descriptions = {
            loc: " ".join(
                rng.choice(SENTENCES[loc]).format(commune=commune, province=province.title())
                for _ in range(3)
            )
            for loc in names
        }
        category_id = category_ids[cat_slug]
        document = normalize(
            " ".join(
                [
                    *names.values(),
                    *descriptions.values(),
                    *category_names[category_id],
                    *coop_names[coop].values(),
                    *labels,
                ]
            )
        )
        summary = product_summary(variants)
        product_rows.append(
            {
                "id": pid,
                "slug": slug,
                "cooperative_id": coop,
                "category_id": category_id,
                **summary,
                # An older schema's own column (before variants): the first variant's.
                "weight_grams": variants[0]["weight_grams"],
                "status": status,
                "featured": pid % 97 == 0,
                "search_document": document,
                "created_at": EPOCH + timedelta(minutes=pid * 37),
                "updated_at": EPOCH + timedelta(minutes=pid * 37),
            }
        )
        for loc in ("fr", "ar", "en"):
            text_rows.append(
                {
                    "product_id": pid,
                    "locale": loc,
                    "name": names[loc],
                    "description": descriptions[loc],
                }
            )
        image_rows.append(
            {
                "id": pid,
                "product_id": pid,
                "position": 0,
                "stored_name": f"bench-{pid:06d}",
                "width": 1200,
                "height": 900,
            }
        )
        on_sale = [v for v in variants if v["active"]]
        catalogue.append((pid, coop, summary["price_cents"], summary["stock"], status, on_sale))
    copy_rows(conn, "products", product_rows, len(product_rows), "products")
    copy_rows(conn, "product_variants", variant_rows, len(variant_rows), "product variants")
    copy_rows(
        conn,
        "product_translations",
        ({"id": i + 1, **row} for i, row in enumerate(text_rows)),
        len(text_rows),
        "product translations",
    )
    copy_rows(conn, "product_images", image_rows, len(image_rows), "product images")
    return {
        "products": catalogue,
        "first_shopper": first_shopper,
        "shoppers": 2000,
        "coop_rows": coop_rows,
    }


def _variants(
    rng: random.Random,
    pid: int,
    coop: int,
    price: int,
    stock: int,
    unit_texts: tuple[str, ...],
    first_id: int,
) -> list[dict]:
    """1 to 4 variants of a product: its kind's units in order (500 g, 1 kg, 5 kg), then
    labelled packs (of 2, of 3, a gift box) of its last unit; each dearer than the
    one before, with its own stock (none for 8 %), and an inactive one now and then."""
    count = rng.randint(1, MAX_VARIANTS)
    slug = f"{KINDS[pid % len(KINDS)][0]}-{pid}"
    rows = []
    for position in range(count):
        unit = unit_texts[min(position, len(unit_texts) - 1)]
        extra = position - len(unit_texts) + 1  # beyond the kind's units: an option
        option = OPTIONS[(extra - 1) % len(OPTIONS)] if extra > 0 else None
        variant_price = round(price * (1 + 0.85 * position) / 50) * 50
        if position == 0:
            variant_stock = stock
        else:
            variant_stock = 0 if rng.random() < 0.08 else rng.randint(1, 300)
        weight = rng.randint(100, 5000) * (position + 1)
        labels = dict(zip(("fr", "ar", "en"), option, strict=True)) if option else {}
        rows.append(
            {
                "id": first_id + position,
                "product_id": pid,
                "cooperative_id": coop,
                "sku": f"{slug}-{position + 1}".upper(),
                "labels": json.dumps(labels, ensure_ascii=False),  # COPY writes the text
                "labels_data": labels,
                "price_cents": variant_price,
                "stock": variant_stock,
                **units.from_text(unit)._asdict(),
                "weight_grams": weight,
                "position": position,
                "active": position == 0 or rng.random() >= 0.05,
                "created_at": EPOCH,
                "updated_at": EPOCH,
            }
        )
    return rows


def product_summary(variants: list[dict]) -> dict:
    """The product's summary columns from its variants, as catalogue.variants.refresh_summary
    computes them: the cheapest active variant's price, unit and size, the dearest price,
    the stock of every active variant."""
    shown = [v for v in variants if v["active"]]
    cheapest = min(shown, key=lambda v: (v["price_cents"], v["position"], v["id"]))
    return {
        "price_cents": cheapest["price_cents"],
        "price_max_cents": max(v["price_cents"] for v in shown),
        "stock": sum(v["stock"] for v in shown),
        "unit_quantity_milli": cheapest["unit_quantity_milli"],
        "unit_code": cheapest["unit_code"],
        "size": cheapest["size"],
    }


def order_line(rng: random.Random, line_id: int, sub_id: int, product: tuple) -> dict:
    """A line of 1 to 4 units of one of ``product``'s variants (a catalogue entry of
    ``seed_catalogue``), with the snapshot an order keeps: SKU, labels, unit, price."""
    variants = product[5]
    variant = variants[rng.randrange(len(variants))] if variants else None
    price = variant["price_cents"] if variant else product[2]
    quantity = rng.randint(1, 4)
    return {
        "id": line_id,
        "sub_order_id": sub_id,
        "product_id": product[0],
        "variant_id": variant["id"] if variant else None,
        "sku": variant["sku"] if variant else "",
        "variant_labels": json.dumps(variant["labels_data"], ensure_ascii=False)
        if variant and variant["labels_data"]
        else None,
        "product_name": f"Produit {product[0]}",
        "unit_quantity_milli": variant["unit_quantity_milli"] if variant else 1000,
        "unit_code": variant["unit_code"] if variant else "kg",
        "size": variant["size"] if variant else "",
        "unit_price_cents": price,
        "quantity": quantity,
        "line_total_cents": price * quantity,
        "commission_bp": 1000,
    }


def seed_orders(conn, rng: random.Random, catalogue: dict, orders: int) -> None:
    """A history of ``orders`` orders (1–2 cooperatives each, 1–3 lines per cooperative)."""
    by_coop: dict[int, list[tuple]] = {}
    for product in catalogue["products"]:
        by_coop.setdefault(product[1], []).append(product)
    coops = sorted(by_coop)
    order_rows, sub_rows, line_rows, event_rows = [], [], [], []
    sub_id = line_id = event_id = 0
    statuses = ("delivered",) * 7 + ("shipped", "confirmed", "cancelled")
    for oid in range(1, orders + 1):
        created = EPOCH + timedelta(minutes=oid * 11)
        items_total = shipping_total = 0
        for coop in rng.sample(coops, rng.choice((1, 1, 2))):
            sub_id += 1
            items = 0
            for product in rng.sample(by_coop[coop], min(len(by_coop[coop]), rng.randint(1, 3))):
                line_id += 1
                line = order_line(rng, line_id, sub_id, product)
                line_rows.append(line)
                items += line["line_total_cents"]
            shipping = 3000
            status = rng.choice(statuses)
            commission = (items * 1000 + 5000) // 10000
            sub_rows.append(
                {
                    "id": sub_id,
                    "order_id": oid,
                    "cooperative_id": coop,
                    "status": status,
                    "items_cents": items,
                    "shipping_cents": shipping,
                    "total_cents": items + shipping,
                    "commission_bp": 1000,
                    "commission_cents": commission,
                    "stock_returned": status == "cancelled",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            event_id += 1
            event_rows.append(
                {
                    "id": event_id,
                    "sub_order_id": sub_id,
                    "from_status": None,
                    "to_status": "confirmed",
                    "created_at": created,
                }
            )
            if status != "confirmed":
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "sub_order_id": sub_id,
                        "from_status": "confirmed",
                        "to_status": status,
                        "created_at": created + timedelta(days=2),
                    }
                )
            items_total += items
            shipping_total += shipping
        shopper = catalogue["first_shopper"] + rng.randrange(catalogue["shoppers"])
        order_rows.append(
            {
                "id": oid,
                "number": f"DT-{created.year}-{oid:06d}",
                "user_id": shopper,
                "email": f"shopper{shopper}@bench.ma",
                "contact_name": "Client",
                "phone": "+212600000000",
                "address_line1": "12 rue des Oasis",
                "city": "Errachidia",
                "region": "Drâa-Tafilalet",
                "locale": rng.choice(("ar", "fr", "en")),
                "payment_method": "cod",
                "items_cents": items_total,
                "shipping_cents": shipping_total,
                "total_cents": items_total + shipping_total,
                "status": "delivered",
                "idempotency_token": f"bench-{oid}",
                "created_at": created,
                "updated_at": created,
            }
        )
    copy_rows(conn, "orders", order_rows, len(order_rows), "orders")
    copy_rows(conn, "cooperative_orders", sub_rows, len(sub_rows), "sub-orders")
    copy_rows(conn, "order_lines", line_rows, len(line_rows), "order lines")
    copy_rows(conn, "order_events", event_rows, len(event_rows), "order events")


def reset_sequences(conn) -> None:
    for table in db.metadata.sorted_tables:
        column = table.c.get("id")
        if (
            column is not None
            and column.primary_key
            and column.type.python_type is int
            and "id" in database_columns(conn, table.name)
        ):
            _reset_sequence(conn, table.name)
