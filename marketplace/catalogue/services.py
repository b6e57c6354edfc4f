"""Products as a verified cooperative's members change them through the seller dashboard:
texts per language (sanitised descriptions), slugs, price, stock, images, and what the
dashboard home asks them to look at. (The cooperative's own profile and shipping settings:
``marketplace.cooperatives.services``.)

Plain functions: no request, no session; they check the rules, change the data and flush().
A refusal is a ``DomainError`` with a translated message; the view commits once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape, unescape

import nh3
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.catalogue import units, variants
from marketplace.catalogue.models import (
    Category,
    Product,
    ProductImage,
    ProductStatus,
    ProductTranslation,
    ProductVariant,
)

# The bounds of what is sold live with the variants; named here too for the product forms.
from marketplace.catalogue.variants import MAX_PRICE_CENTS as MAX_PRICE_CENTS
from marketplace.catalogue.variants import MAX_STOCK as MAX_STOCK
from marketplace.catalogue.variants import MAX_WEIGHT_GRAMS as MAX_WEIGHT_GRAMS
from marketplace.cooperatives.models import Cooperative
from marketplace.cooperatives.services import ensure_can_sell
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.i18n import LOCALES

MAX_IMAGES = 8
NAME_MAX = 200
DESCRIPTION_MAX = 10_000
SIZE_MAX = units.SIZE_MAX

# Light formatting sellers may use in descriptions (STOREFRONT renders it as is).
ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li"})
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z]")
_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|br|ul|ol|li)\b", re.IGNORECASE)


# --- texts ----------------------------------------------------------------------------


def sanitize_description(text: str | None) -> str:
    """Sanitised HTML of a description: only p, br, strong, em, ul, ol, li survive.

    Text typed without paragraph or list tags keeps its line breaks: a blank line separates
    paragraphs and a single line break becomes <br>. Text without any tag is escaped, so
    "<3" or "a<b" stay as typed.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    if not _BLOCK_TAG.search(text):
        convert = escape if not _TAG.search(text) else (lambda line: line)
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(
            "<p>" + "<br>".join(convert(line) for line in p.split("\n")) + "</p>"
            for p in paragraphs
        )
    cleaned = nh3.clean(
        text, tags=set(ALLOWED_TAGS), attributes={}, strip_comments=True, link_rel=None
    )
    return cleaned.strip()


def description_for_editing(html: str | None) -> str:
    """A stored description as the seller edits it again: plain text with line breaks when
    it only has paragraphs and line breaks, its HTML otherwise."""
    html = (html or "").strip()
    if re.search(r"<\s*/?\s*(?:strong|em|ul|ol|li)\b", html, re.IGNORECASE):
        return html
    text = re.sub(r"</p>\s*<p>", "\n\n", html)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</?p>", "", text)
    return unescape(text).strip()


@dataclass
class TextsInput:
    """Per-language name and description typed by a seller (missing language: empty)."""

    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)


def _clean_line(value: str | None) -> str:
    return " ".join((value or "").split())


def missing_locales(translations: Iterable[ProductTranslation]) -> list[str]:
    """Languages (in LOCALES order) without a name for this product."""
    present = {t.locale for t in translations if (t.name or "").strip()}
    return [code for code in LOCALES if code not in present]


def _checked_texts(texts: TextsInput) -> tuple[dict[str, str], dict[str, str]]:
    """Names and descriptions per language, refused when no language has a name."""
    names = {code: _clean_line(texts.names.get(code)) for code in LOCALES}
    descriptions = {code: (texts.descriptions.get(code) or "").strip() for code in LOCALES}
    if not any(names.values()):
        raise InvalidInput(_l("Give the product a name in at least one language."))
    for code in LOCALES:
        if len(names[code]) > NAME_MAX:
            raise InvalidInput(_l("A name may have at most %(n)d characters.", n=NAME_MAX))
        if descriptions[code] and not names[code]:
            raise InvalidInput(_l("A description needs the product's name in the same language."))
        if len(descriptions[code]) > DESCRIPTION_MAX:
            raise InvalidInput(
                _l("A description may have at most %(n)d characters.", n=DESCRIPTION_MAX)
            )
    return names, descriptions


def _apply_product_texts(product: Product, texts: TextsInput) -> None:
    names, descriptions = _checked_texts(texts)
    existing = {t.locale: t for t in product.translations}
    for code in LOCALES:
        name = names[code]
        row = existing.get(code)
        if not name:
            if row is not None:
                product.translations.remove(row)
            continue
        description = sanitize_description(descriptions[code])
        if row is None:
            product.translations.append(
                ProductTranslation(locale=code, name=name, description=description)
            )
        else:
            row.name = name
            row.description = description


# --- slugs ----------------------------------------------------------------------------

_ARABIC_TO_LATIN = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ٱ": "a",
    "ء": "",
    "ؤ": "o",
    "ئ": "i",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "ch",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "a",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ڭ": "g",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "و": "ou",
    "ي": "i",
    "ى": "a",
    "ـ": "",
}
_ARABIC_TO_LATIN.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_ARABIC_TO_LATIN.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670]")
SLUG_MAX = 80


def slugify(text: str) -> str:
    """ASCII slug of ``text``: Latin accents stripped, Arabic letters transliterated."""
    text = _ARABIC_MARKS.sub("", text or "")
    text = "".join(_ARABIC_TO_LATIN.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:SLUG_MAX].rstrip("-")


def unique_product_slug(names: Mapping[str, str], exclude_id: int | None = None) -> str:
    """A free slug from the French, English or Arabic name (in that order)."""
    base = ""
    for code in ("fr", "en", "ar"):
        base = slugify(names.get(code, ""))
        if base:
            break
    base = base or "product"
    taken = set(
        db.session.scalars(
            select(Product.slug).where(
                (Product.slug == base) | Product.slug.like(f"{base}-%"),
                Product.id != (exclude_id or 0),
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- products -------------------------------------------------------------------------


@dataclass
class ProductInput:
    texts: TextsInput
    category_id: int | None
    # The first variant's price, stock, unit, size and weight (create_product; update_product
    # writes them only to a product with a single variant, and ignores them otherwise: None).
    price_cents: int | None
    stock: int | None
    # The unit of sale (marketplace/catalogue/units.py): 500 g is (500_000, "g"); both None
    # when the product is the item itself. ``size``: its dimensions as typed.
    unit_quantity_milli: int | None = None
    unit_code: str | None = None
    size: str = ""
    # The stock shown when the edit form was opened (None: overwrite whatever it is now).
    stock_was: int | None = None
    weight_grams: int | None = None
    status: str = ProductStatus.DRAFT.value


def _validate(data: ProductInput, *, variant_fields: bool = True) -> Category | None:
    """Check ``data``; its variant fields (price, stock, unit, size, weight) only when they
    are to be written (``variant_fields``)."""
    if variant_fields:
        _validate_variant_fields(data)
    if data.status not in {s.value for s in ProductStatus}:
        raise InvalidInput(_l("Unknown product status."))
    if data.category_id is None:
        return None
    category = db.session.get(Category, data.category_id)
    if category is None:
        raise InvalidInput(_l("Choose a category from the list."))
    return category


def _validate_variant_fields(data: ProductInput) -> None:
    variants.check_sale_fields(
        data.price_cents,
        data.stock,
        data.unit_quantity_milli,
        data.unit_code or None,
        data.size,
        data.weight_grams,
    )


def _refresh_search(product: Product) -> None:
    from marketplace.catalogue.search import refresh_search_document

    refresh_search_document(product)


def unique_variant_sku(cooperative_id: int, base: str, exclude_id: int | None = None) -> str:
    """A SKU free in the cooperative (SKUs are unique per cooperative): ``base`` (a product's
    slug) cut to fit, else ``base-2``, ``base-3``…"""
    base = (base or "product")[: variants.SKU_MAX].rstrip("-") or "product"
    stem = base[: variants.SKU_MAX - 4].rstrip("-")
    taken = set(
        db.session.scalars(
            select(ProductVariant.sku).where(
                ProductVariant.cooperative_id == cooperative_id,
                (ProductVariant.sku == base) | ProductVariant.sku.like(f"{stem}-%"),
                ProductVariant.id != (exclude_id or 0),
            )
        )
    )
    # Variants added in this transaction but not flushed yet.
    taken.update(
        v.sku
        for v in db.session.new
        if isinstance(v, ProductVariant) and v.cooperative_id == cooperative_id
    )
    if base not in taken:
        return base
    n = 2
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def _write_variant_fields(variant: ProductVariant, data: ProductInput) -> None:
    variant.price_cents = data.price_cents
    variant.unit_quantity_milli = data.unit_quantity_milli if data.unit_code else None
    variant.unit_code = data.unit_code or None
    variant.size = _clean_line(data.size)
    variant.weight_grams = data.weight_grams


def create_product(cooperative: Cooperative, data: ProductInput) -> Product:
    """A new product with its first variant (price, stock, unit, size and weight of ``data``;
    its SKU is the product's slug, or a free derivation of it in the cooperative)."""
    ensure_can_sell(cooperative)
    category = _validate(data)
    names, _descriptions = _checked_texts(data.texts)
    slug = unique_product_slug(names)
    sku = unique_variant_sku(cooperative.id, slug)
    product = Product(
        cooperative=cooperative,
        slug=slug,
        category=category,
        price_cents=data.price_cents,
        status=data.status,
    )
    variant = ProductVariant(
        cooperative_id=cooperative.id,
        sku=sku,
        stock=data.stock,
        position=0,
    )
    _write_variant_fields(variant, data)
    product.variants.append(variant)
    variants.refresh_summary(product)
    db.session.add(product)
    _apply_product_texts(product, data.texts)
    db.session.flush()
    _refresh_search(product)
    db.session.flush()
    return product


def update_product(product: Product, data: ProductInput) -> Product:
    """Texts, category and status; and, when the product has a single variant, that
    variant's price, stock, unit, size and weight (with several, the seller edits each
    variant on its own: ``data``'s variant fields are ignored)."""
    ensure_can_sell(product.cooperative)
    single = len(product.variants) == 1
    product.category = _validate(data, variant_fields=single)
    if single:
        variant = product.variants[0]
        _write_variant_fields(variant, data)
        if data.stock_was is None:
            variants.write_stock(variant, data.stock, None)
        elif data.stock != data.stock_was:
            variants.write_stock(variant, data.stock, data.stock_was)
        # else: the seller left the stock as it was shown; keep what orders made of it since.
        variants.refresh_summary(product)
    product.status = data.status
    _apply_product_texts(product, data.texts)
    db.session.flush()
    _refresh_search(product)
    db.session.flush()
    return product


def get_cooperative_product(cooperative_id: int, product_id: int) -> Product:
    """The cooperative's own product; anyone else's (or none) is NotFound."""
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.cooperative_id == cooperative_id)
        .options(
            selectinload(Product.translations),
            selectinload(Product.images),
            selectinload(Product.variants),
        )
    )
    if product is None:
        raise NotFound()
    return product


def set_stock(product: Product, stock: int, expected: int | None = None, actor=None) -> Product:
    """The quick stock edit of a product sold in a single variant: that variant's
    (variants.set_stock, audited). ``expected`` is the stock the seller saw, if known."""
    if len(product.variants) != 1:
        raise InvalidInput(_l("This product has several variants: set each one's stock."))
    variants.set_stock(product.variants[0], stock, expected, actor=actor)
    return product


def cooperative_products(cooperative_id: int, status: str | None = None):
    """Select statement of a cooperative's products, newest first (for the dashboard)."""
    stmt = (
        select(Product)
        .where(Product.cooperative_id == cooperative_id)
        .options(
            selectinload(Product.translations),
            selectinload(Product.images),
            selectinload(Product.variants),
        )
        .order_by(Product.created_at.desc(), Product.id.desc())
    )
    if status:
        stmt = stmt.where(Product.status == status)
    return stmt


@dataclass
class Attention:
    """What the dashboard home asks the seller to look at."""

    missing_translations: list[tuple[Product, list[str]]]
    out_of_stock: list[Product]
    drafts: int
    total: int
    profile_gaps: list[str]


def dashboard_attention(cooperative: Cooperative) -> Attention:
    # Every product of the cooperative with its names only: its photos and variants (what
    # ``cooperative_products`` also loads for the tables) are not asked about here.
    products = list(
        db.session.scalars(
            select(Product)
            .where(Product.cooperative_id == cooperative.id)
            .options(selectinload(Product.translations))
            .order_by(Product.created_at.desc(), Product.id.desc())
        )
    )
    missing = [(p, m) for p in products if (m := missing_locales(p.translations))]
    out = [p for p in products if p.stock <= 0 and p.status == ProductStatus.ACTIVE.value]
    drafts = sum(1 for p in products if p.status == ProductStatus.DRAFT.value)
    gaps: list[str] = []
    if not cooperative.logo_path:
        gaps.append("logo")
    if not cooperative.cover_path:
        gaps.append("cover")
    stories = {t.locale for t in cooperative.translations if (t.story or "").strip()}
    if any(code not in stories for code in LOCALES):
        gaps.append("story")
    return Attention(missing, out, drafts, len(products), gaps)


# --- images ---------------------------------------------------------------------------


def _renumber(product: Product) -> None:
    for position, image in enumerate(sorted(product.images, key=lambda i: (i.position, i.id))):
        image.position = position


def add_product_images(product: Product, files: Iterable) -> list[ProductImage]:
    """Store each uploaded photo (resized by storage) after the existing ones; at most 8."""
    from marketplace.storage import save_image

    ensure_can_sell(product.cooperative)
    files = list(files)
    if not files:
        return []
    if len(product.images) + len(files) > MAX_IMAGES:
        raise InvalidInput(
            _l(
                "A product can have at most %(max)d photos; it has %(n)d already.",
                max=MAX_IMAGES,
                n=len(product.images),
            ),
            field="images",
        )
    added = []
    next_position = max((i.position for i in product.images), default=-1) + 1
    for offset, upload in enumerate(files):
        stored = save_image(upload, "product")
        image = ProductImage(
            stored_name=stored.name,
            width=stored.width,
            height=stored.height,
            position=next_position + offset,
        )
        product.images.append(image)
        added.append(image)
    db.session.flush()
    return added


def _own_image(product: Product, image_id: int) -> ProductImage:
    for image in product.images:
        if image.id == image_id:
            return image
    raise NotFound()


def remove_product_image(product: Product, image_id: int) -> None:
    ensure_can_sell(product.cooperative)
    image = _own_image(product, image_id)
    product.images.remove(image)
    db.session.flush()
    _renumber(product)
    db.session.flush()


def move_product_image(product: Product, image_id: int, offset: int) -> None:
    """Move a photo one place earlier (offset -1) or later (+1)."""
    ensure_can_sell(product.cooperative)
    image = _own_image(product, image_id)
    ordered = sorted(product.images, key=lambda i: (i.position, i.id))
    index = ordered.index(image)
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()


def reorder_product_images(product: Product, positions: Mapping[int, int]) -> None:
    """Order photos by the positions the seller typed (ties keep the current order); the
    first one is the product's main photo. Ids of other products' photos are ignored."""
    ensure_can_sell(product.cooperative)
    ordered = sorted(
        product.images, key=lambda i: (positions.get(i.id, i.position + 1), i.position, i.id)
    )
    for position, image in enumerate(ordered):
        image.position = position
    db.session.flush()
