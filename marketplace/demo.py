"""The demo marketplace: a deterministic catalogue of Drâa-Tafilalet cooperatives, loaded by
``flask seed-demo``.

Loading is idempotent: every object is looked up by its slug or e-mail first, so running it
again adds only what is missing. Product pictures are drawn locally with Pillow (gradients and
simple shapes per category, no download) and stored through ``storage.save_image`` like any
upload.

Other domains extend the demo with steps: a step is a function ``step(ctx: DemoContext)``
in the domain's ``demo`` module, listed in ``DEMO_STEPS`` below (the demo sits above every
domain; no domain imports it), or passed as ``seed_demo(extra_steps=[...])``. Steps run in
order in the same transaction, after the built-in ones, and must be idempotent too.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from marketplace import storage
from marketplace.auth.models import Role, User
from marketplace.auth.passwords import hash_password
from marketplace.catalogue import units
from marketplace.catalogue.models import (
    Category,
    CategoryTranslation,
    Product,
    ProductImage,
    ProductStatus,
    ProductTranslation,
    ProductVariant,
)
from marketplace.catalogue.queries import clear_facet_cache
from marketplace.catalogue.search import refresh_search_document
from marketplace.catalogue.variants import refresh_summary
from marketplace.cooperatives.demo_applications import demo_step as applications_demo
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    CooperativeTranslation,
)
from marketplace.demo_data import (
    CATEGORIES,
    CATEGORY_WEIGHT_GRAMS,
    COOPERATIVES,
    DEMO_PASSWORD,
    PRODUCTS,
    VARIANTS,
)
from marketplace.extensions import db
from marketplace.fairs.demo import demo_step as fairs_demo  # fairs, collected orders
from marketplace.labels.demo import demo_step as trust_demo  # labels, certificates, reviews
from marketplace.notify.demo import demo_step as notify_demo
from marketplace.timeutil import utcnow

DEMO_USERS = {
    # email: (name, role, locale, cooperative slug or None)
    "admin@souk-draa.ma": ("Admin Souk", Role.ADMIN.value, "fr", None),
    "amina@example.ma": ("Amina El Idrissi", Role.SHOPPER.value, "ar", None),
    "fatima@nakhil-tafilalet.ma": ("Fatima Ouhaddou", Role.MEMBER.value, "fr", "nakhil-tafilalet"),
}


@dataclass
class DemoContext:
    """What the steps share: created objects by slug/e-mail, and a way to print."""

    echo: Callable[[str], None] = print
    categories: dict[str, Category] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


DemoStep = Callable[[DemoContext], None]
# Steps of other domains, after the labels' and the fairs' (onboarding: a pending and a
# rejected application; notifications: the members' phone numbers and choices).
DEMO_STEPS: list[DemoStep] = [applications_demo, notify_demo]


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311  # nosec B311


# --- pictures -------------------------------------------------------------------------------


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def draw_product_picture(slug: str, colours: tuple[str, str], motif: str) -> bytes:
    """A 960 x 720 JPEG: a warm gradient and a motif standing for the category."""
    width, height = 960, 720
    rng = _rng("picture", slug)
    dark, light = _hex(colours[0]), _hex(colours[1])
    tint = rng.choice(((255, 214, 150), (250, 160, 120), (170, 200, 230), (255, 240, 200)))
    light = _mix(light, tint, rng.uniform(0.1, 0.4))
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    angle = rng.uniform(0.2, 0.8)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=_mix(light, dark, (y / height) ** (0.6 + angle)))
    # soft sun
    cx, cy = rng.randint(560, 820), rng.randint(90, 220)
    for r in range(150, 0, -10):
        draw.ellipse(
            [cx - r, cy - r, cx + r, cy + r],
            fill=_mix(_mix(light, (255, 246, 220), 0.55), light, r / 150),
        )
    # dunes
    sand = _mix(dark, (40, 25, 15), 0.35)
    points = [(0, height)]
    for x in range(0, width + 40, 40):
        points.append((x, 560 + 40 * math.sin(x / 140 + rng.uniform(0, 1))))
    points.append((width, height))
    draw.polygon(points, fill=sand)
    # the motif, drawn on its own layer, then placed slightly differently for each product
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    _MOTIFS.get(motif, _motif_dates)(ImageDraw.Draw(layer), rng, dark, light)
    scale = rng.uniform(0.8, 1.05)
    layer = layer.resize((round(width * scale), round(height * scale)))
    offset = (
        round((width - layer.width) / 2 + rng.randint(-140, 140)),
        round((height - layer.height) * 0.8 + rng.randint(-20, 30)),
    )
    image.paste(layer, offset, layer)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _motif_dates(draw, rng, dark, light):
    brown = (92, 48, 18)
    for _ in range(14):
        x, y = rng.randint(260, 700), rng.randint(330, 560)
        draw.ellipse(
            [x - 34, y - 20, x + 34, y + 20], fill=_mix(brown, (150, 80, 30), rng.random())
        )
        draw.arc([x - 30, y - 16, x + 24, y + 8], 200, 320, fill=(190, 120, 60), width=3)
    draw.line([(480, 330), (480, 120)], fill=(90, 60, 30), width=14)  # palm
    for k in range(7):
        a = math.pi * (0.1 + 0.8 * k / 6)
        draw.line(
            [(480, 120), (480 + 190 * math.cos(a + math.pi), 120 - 110 * math.sin(a))],
            fill=(46, 100, 60),
            width=10,
        )


def _flower(draw, x, y, r, petal, heart, petals=8):
    for k in range(petals):
        a = 2 * math.pi * k / petals
        px, py = x + r * 0.8 * math.cos(a), y + r * 0.8 * math.sin(a)
        draw.ellipse([px - r * 0.6, py - r * 0.6, px + r * 0.6, py + r * 0.6], fill=petal)
    draw.ellipse([x - r * 0.5, y - r * 0.5, x + r * 0.5, y + r * 0.5], fill=heart)


def _motif_rose(draw, rng, dark, light):
    for _ in range(7):
        x, y, r = rng.randint(200, 760), rng.randint(250, 560), rng.randint(40, 75)
        _flower(draw, x, y, r, (214, 70, 120), (160, 30, 80), petals=rng.choice((5, 6, 8)))


def _motif_saffron(draw, rng, dark, light):
    for _ in range(5):
        x, y = rng.randint(220, 740), rng.randint(320, 540)
        draw.line([(x, y + 50), (x, y + 170)], fill=(60, 110, 50), width=6)
        _flower(draw, x, y, 55, (150, 90, 200), (240, 200, 60), petals=6)
        for k in range(3):
            draw.line([(x, y), (x - 30 + 30 * k, y - 70)], fill=(200, 20, 20), width=5)


def _motif_henna(draw, rng, dark, light):
    draw.pieslice([260, 380, 700, 760], 180, 360, fill=(120, 140, 50))
    for _ in range(30):
        x, y = rng.randint(200, 760), rng.randint(200, 420)
        draw.ellipse([x - 22, y - 9, x + 22, y + 9], fill=(70, 110, 40))


def _motif_pottery(draw, rng, dark, light):
    green, shine = (30, 110, 70), (110, 190, 140)
    draw.ellipse([330, 250, 630, 560], fill=green)
    draw.rectangle([420, 170, 540, 280], fill=green)
    draw.ellipse([400, 150, 560, 200], fill=(20, 80, 50))
    draw.arc([360, 290, 600, 520], 200, 250, fill=shine, width=12)


def _motif_carpet(draw, rng, dark, light):
    draw.rectangle([220, 170, 740, 600], fill=(150, 40, 35))
    draw.rectangle([245, 195, 715, 575], outline=(240, 200, 120), width=8)
    for row in range(3):
        for col in range(4):
            x, y = 320 + col * 105, 260 + row * 125
            draw.polygon(
                [(x, y - 45), (x + 40, y), (x, y + 45), (x - 40, y)],
                fill=(240, 190, 90) if (row + col) % 2 else (40, 40, 70),
            )


def _motif_jewel(draw, rng, dark, light):
    silver, edge = (215, 220, 228), (120, 126, 140)
    draw.ellipse([300, 260, 560, 520], outline=silver, width=26)
    draw.ellipse([470, 320, 650, 500], outline=edge, width=18)
    for k in range(6):
        a = 2 * math.pi * k / 6
        x, y = 430 + 130 * math.cos(a), 390 + 130 * math.sin(a)
        draw.ellipse(
            [x - 14, y - 14, x + 14, y + 14], fill=(40, 140, 110) if k % 2 else (220, 60, 60)
        )


def _motif_fossil(draw, rng, dark, light):
    cx, cy = 480, 400
    last = (cx, cy)
    for step in range(1, 420):
        a = step / 18
        r = 3 + step * 0.45
        point = (cx + r * math.cos(a), cy + r * math.sin(a))
        draw.line([last, point], fill=(230, 220, 200), width=7)
        last = point


def _motif_honey(draw, rng, dark, light):
    size = 52
    for row in range(4):
        for col in range(6):
            x = 260 + col * size * 1.5
            y = 260 + row * size * 1.73 + (size * 0.87 if col % 2 else 0)
            hexagon = [
                (x + size * math.cos(math.pi / 3 * k), y + size * math.sin(math.pi / 3 * k))
                for k in range(6)
            ]
            draw.polygon(hexagon, fill=(235, 170, 30), outline=(140, 90, 0))


def _motif_oil(draw, rng, dark, light):
    draw.rounded_rectangle([400, 260, 560, 600], radius=40, fill=(160, 150, 40))
    draw.rectangle([450, 180, 510, 270], fill=(160, 150, 40))
    draw.rectangle([440, 160, 520, 190], fill=(90, 60, 30))
    for k in range(5):
        x, y = 620 + 25 * k, 520 - 18 * (k % 2)
        draw.ellipse([x - 18, y - 26, x + 18, y + 26], fill=(70, 90, 30))


def _motif_grain(draw, rng, dark, light):
    draw.chord([250, 300, 710, 620], 0, 180, fill=(120, 70, 40))
    draw.ellipse([250, 380, 710, 480], fill=(236, 214, 160))
    for _ in range(250):
        x, y = rng.randint(280, 680), rng.randint(300, 440)
        if ((x - 480) / 230) ** 2 + ((y - 430) / 130) ** 2 < 1 and y < 430:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(220, 190, 120))


def _motif_jar(draw, rng, dark, light):
    for k, (x, colour) in enumerate(
        ((330, (240, 230, 220)), (480, (80, 60, 50)), (630, (230, 190, 200)))
    ):
        top = 300 + 30 * (k % 2)
        draw.rounded_rectangle([x - 60, top, x + 60, 580], radius=24, fill=colour)
        draw.rectangle([x - 64, top - 40, x + 64, top + 4], fill=(170, 130, 60))


_MOTIFS = {
    "dates": _motif_dates,
    "rose": _motif_rose,
    "saffron": _motif_saffron,
    "henna": _motif_henna,
    "pottery": _motif_pottery,
    "carpet": _motif_carpet,
    "jewel": _motif_jewel,
    "fossil": _motif_fossil,
    "honey": _motif_honey,
    "oil": _motif_oil,
    "grain": _motif_grain,
    "jar": _motif_jar,
}


# --- built-in steps -------------------------------------------------------------------------


def seed_categories(ctx: DemoContext) -> None:
    for slug, (position, names, _colours, _motif) in CATEGORIES.items():
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(slug=slug, position=position)
            category.translations = [
                CategoryTranslation(locale=locale, name=name) for locale, name in names.items()
            ]
            db.session.add(category)
            ctx.count("categories")
        ctx.categories[slug] = category
    db.session.flush()


def seed_cooperatives(ctx: DemoContext) -> None:
    for number, (slug, data) in enumerate(COOPERATIVES.items(), start=1):
        province, commune, founded, members, women, texts = data
        cooperative = db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))
        if cooperative is None:
            cooperative = Cooperative(
                slug=slug,
                registration_number=f"DT-{2000 + number:05d}",
                province=province,
                commune=commune,
                founded_year=founded,
                members_count=members,
                women_members_count=women,
                phone=f"+2126610{number:05d}",
                email=f"contact@{slug}.ma",
                rib=f"0117800000{number:014d}",
                status=CooperativeStatus.VERIFIED.value,
                status_changed_at=utcnow(),
                shipping_fee_cents=2500 + 500 * (number % 3),
                free_shipping_threshold_cents=50_000 if number % 2 else None,
                accepts_cash_on_delivery=True,
            )
            cooperative.translations = [
                CooperativeTranslation(locale=locale, name=name, story=story)
                for locale, (name, story) in texts.items()
            ]
            db.session.add(cooperative)
            ctx.count("cooperatives")
        ctx.cooperatives[slug] = cooperative
    db.session.flush()


# Grams per unit of a food or cosmetic sold by mass or volume, and what its jar, bottle or
# box adds.
_GRAMS_PER_MILLI = {"g": 1, "kg": 1_000, "ml": 1, "cl": 10, "l": 1_000}


def estimated_weight_grams(unit_quantity_milli, unit_code, category_slug: str) -> int:
    """A plausible shipping weight: the contents and their packaging, or for an item sold
    whole (pieces, a size) its category's usual weight."""
    whole = CATEGORY_WEIGHT_GRAMS.get(category_slug, 500)
    if unit_code in _GRAMS_PER_MILLI:
        contents = unit_quantity_milli * _GRAMS_PER_MILLI[unit_code] // units.MILLI
        return round((contents * 1.1 + 60) / 10) * 10
    if unit_code == "piece":
        return whole * max(1, unit_quantity_milli // units.MILLI) // 2
    return whole


def _variants_of(slug: str, category_slug: str, price: int, unit: str, stock: int):
    """The product's variants: those of VARIANTS, else one from its row (SKU = slug)."""
    rows = VARIANTS.get(slug) or [(slug, price * 100, unit, stock, None, None)]
    made = []
    for position, (sku, price_cents, typed, units_left, weight, labels) in enumerate(rows):
        unit_of_sale = units.from_text(typed)
        made.append(
            ProductVariant(
                sku=sku,
                labels=labels or {},
                price_cents=price_cents,
                stock=units_left,
                **unit_of_sale._asdict(),
                weight_grams=weight
                or estimated_weight_grams(
                    unit_of_sale.unit_quantity_milli, unit_of_sale.unit_code, category_slug
                ),
                position=position,
            )
        )
    return made


def seed_products(ctx: DemoContext) -> None:
    existing = set(db.session.scalars(select(Product.slug)))
    base_time = utcnow() - timedelta(days=len(PRODUCTS))
    for index, row in enumerate(PRODUCTS):
        slug, category_slug, coop_slug, price, unit, stock, featured, texts = row
        if slug in existing:
            ctx.products[slug] = db.session.scalar(select(Product).where(Product.slug == slug))
            continue
        _position, _names, colours, motif = CATEGORIES[category_slug]
        cooperative = ctx.cooperatives[coop_slug]
        product = Product(
            slug=slug,
            cooperative=cooperative,
            category=ctx.categories[category_slug],
            price_cents=price * 100,
            status=ProductStatus.ACTIVE.value,
            featured=featured,
            created_at=base_time + timedelta(days=index, hours=index % 5),
        )
        # The demo's units are written as sellers typed them before units were data
        # ("500 g", "× 6", "150 × 230 cm"): converted as any existing row would be.
        for variant in _variants_of(slug, category_slug, price, unit, stock):
            variant.cooperative_id = cooperative.id
            product.variants.append(variant)
            ctx.count("variants")
        refresh_summary(product)
        product.translations = [
            ProductTranslation(locale=locale, name=name, description=f"<p>{description}</p>")
            for locale, (name, description) in texts.items()
        ]
        stored = storage.save_image(draw_product_picture(slug, colours, motif), "product")
        product.images = [
            ProductImage(
                position=0, stored_name=stored.name, width=stored.width, height=stored.height
            )
        ]
        db.session.add(product)
        refresh_search_document(product)
        ctx.products[slug] = product
        ctx.count("products")
    db.session.flush()


def seed_users(ctx: DemoContext) -> None:
    for email, (name, role, locale, coop_slug) in DEMO_USERS.items():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                name=name,
                password_hash=hash_password(DEMO_PASSWORD),
                locale=locale,
                role=role,
                active=True,
                email_verified_at=utcnow(),
                cooperative=ctx.cooperatives.get(coop_slug) if coop_slug else None,
                is_cooperative_owner=bool(coop_slug),
            )
            db.session.add(user)
            ctx.count("users")
        ctx.users[email] = user
        ctx.logins.append((role, email, DEMO_PASSWORD))
    db.session.flush()


BUILTIN_STEPS: tuple[DemoStep, ...] = (
    seed_categories,
    seed_cooperatives,
    seed_products,
    seed_users,
)


def catalogue_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Product))


def seed_demo(
    extra_steps: Iterable[DemoStep] = (), echo: Callable[[str], None] = print
) -> DemoContext:
    """Load the demo marketplace (idempotent). The caller commits."""
    ctx = DemoContext(echo=echo)
    for step in (*BUILTIN_STEPS, trust_demo, fairs_demo, *DEMO_STEPS, *extra_steps):
        step(ctx)
    db.session.flush()
    clear_facet_cache()
    return ctx
