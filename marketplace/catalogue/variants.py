"""Product variants (issue #15): one product, several sizes or packs, each with its own price,
stock, SKU, weight and unit of sale (models.ProductVariant).

The one module that knows how variants sum up into their product and how they are named:

- ``refresh_summary`` writes the product's summary columns (cheapest active price, dearest
  price, stock of every active variant, the cheapest one's unit and size) from its variants;
  every change of a variant's price, stock, unit or active flag calls it in the same
  transaction, so cards, sorts and filters read one row per product;
- ``option_label`` names a variant in a language: its own label there, else its label in the
  fallback language (flagged), else its unit and size ("500 g");
- ``shows_choice`` is false for a product with a single active variant: its page offers no
  choice and it looks and behaves as a product always did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.audit import record_audit
from marketplace.catalogue import units
from marketplace.catalogue.models import Product, ProductVariant
from marketplace.catalogue.search import refresh_search_document
from marketplace.cooperatives.services import ensure_can_sell
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.i18n import FALLBACK_ORDER, LOCALES, current_locale

SKU_MAX = 64
MAX_PRICE_CENTS = 100_000_000  # 1 000 000 MAD
MAX_STOCK = 1_000_000
MAX_WEIGHT_GRAMS = 1_000_000


@dataclass(frozen=True)
class OptionLabel:
    """A variant's name in a language: ``locale`` is the language of ``text`` (for ``lang=``
    on the page) and ``fallback`` whether it is another one than asked."""

    text: str
    locale: str
    fallback: bool

    def __str__(self) -> str:
        return self.text


def active_variants(product: Product) -> list[ProductVariant]:
    """The variants a shopper can see, in the seller's order."""
    return [variant for variant in product.variants if variant.active]


def shows_choice(product: Product) -> bool:
    return len(active_variants(product)) > 1


def default_variant(product: Product) -> ProductVariant | None:
    """The variant bought when none is chosen: the first active one in stock, else the
    first active one."""
    shown = active_variants(product)
    return next((v for v in shown if v.stock > 0), shown[0] if shown else None)


def find_active(product: Product, variant_id: int | None) -> ProductVariant | None:
    """The product's active variant ``variant_id`` (a shared ``?variant=`` link); None when it
    is not one of them."""
    return next((v for v in active_variants(product) if v.id == variant_id), None)


def option_label(variant: ProductVariant, locale: str | None = None) -> OptionLabel:
    locale = locale or current_locale()
    labels = {code: text for code, text in (variant.labels or {}).items() if text}
    if locale in labels:
        return OptionLabel(labels[locale], locale, False)
    for code in FALLBACK_ORDER:
        if code in labels:
            return OptionLabel(labels[code], code, True)
    return OptionLabel(units.describe(variant, locale), locale, False)


def with_option(product_name: str, variant: ProductVariant, locale: str | None = None) -> str:
    """A product's name and the option chosen: "Dattes Mejhoul — 1 kg"."""
    # Translators: a product and the size or pack chosen, e.g. "Dattes Mejhoul — 1 kg".
    return str(
        _l(
            "%(product)s — %(variant)s",
            product=product_name,
            variant=option_label(variant, locale).text,
        )
    )


def refresh_summary(product: Product) -> None:
    """Write the product's summary columns from its variants (see the module docstring). A
    product with no active variant keeps its last prices and has no stock.

    A saved product's variants are first locked and read again (after flushing this
    transaction's own changes): a checkout committed meanwhile on another variant of the
    product must not be summed from a stale stock. Variants are locked in id order before
    their product, as checkouts do (orders.stock.take_stocks), so the two cannot deadlock."""
    if product.id is not None:
        _lock_and_reload_variants(product.id)
    shown = active_variants(product)
    product.stock = sum(v.stock for v in shown)
    if not shown:
        return
    cheapest = min(shown, key=lambda v: (v.price_cents, v.position, v.id or 0))
    product.price_cents = cheapest.price_cents
    product.price_max_cents = max(v.price_cents for v in shown)
    product.unit_quantity_milli = cheapest.unit_quantity_milli
    product.unit_code = cheapest.unit_code
    product.size = cheapest.size


def _lock_and_reload_variants(product_id: int) -> None:
    db.session.flush()
    db.session.scalars(
        select(ProductVariant)
        .where(ProductVariant.product_id == product_id)
        .order_by(ProductVariant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


# --- the seller's edits ---------------------------------------------------------------
#
# Plain functions, as catalogue.services: they check the rules, change the variant, write the
# product's summary (refresh_summary) and search document, record who did it in the audit log
# and flush(). A refusal is a DomainError with a translated message; the view commits once.

LABEL_MAX = 60


@dataclass
class VariantInput:
    """A variant as a seller types it. ``labels``: the option's name per language ("500 g",
    "Grand", "كبير"; a missing language is empty); quantities in thousandths, money in
    centimes, as catalogue.services.ProductInput."""

    sku: str
    price_cents: int
    stock: int
    labels: dict[str, str] = field(default_factory=dict)
    unit_quantity_milli: int | None = None
    unit_code: str | None = None
    size: str = ""
    weight_grams: int | None = None


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def clean_sku(sku: str | None) -> str:
    return (sku or "").strip()


def _check_sku(cooperative_id: int, sku: str, exclude_id: int | None = None) -> str:
    sku = clean_sku(sku)
    if not sku:
        raise InvalidInput(_l("Enter a SKU (your own reference for this variant)."), field="sku")
    if len(sku) > SKU_MAX:
        raise InvalidInput(_l("A SKU may have at most %(n)d characters.", n=SKU_MAX), field="sku")
    if any(ch.isspace() or not ch.isprintable() for ch in sku):
        raise InvalidInput(_l("A SKU has no spaces: use - or _ between words."), field="sku")
    taken = db.session.scalar(
        select(ProductVariant.id).where(
            ProductVariant.cooperative_id == cooperative_id,
            ProductVariant.sku == sku,
            ProductVariant.id != (exclude_id or 0),
        )
    )
    if taken is not None:
        raise InvalidInput(
            _l("Another variant of your cooperative already has the SKU “%(sku)s”.", sku=sku),
            field="sku",
        )
    return sku


def check_sale_fields(
    price_cents: int | None,
    stock: int | None,
    unit_quantity_milli: int | None,
    unit_code: str | None,
    size: str | None,
    weight_grams: int | None,
) -> None:
    """The bounds of what a variant (or a single-variant product's form) is sold at."""
    if price_cents is None or not 0 <= price_cents <= MAX_PRICE_CENTS:
        raise InvalidInput(_l("The price must be between 0 and 1,000,000 MAD."))
    if stock is None or not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(_l("The stock must be a whole number between 0 and 1,000,000."))
    if weight_grams is not None and not 0 <= weight_grams <= MAX_WEIGHT_GRAMS:
        raise InvalidInput(_l("The weight must be between 0 and 1,000,000 grams."))
    unit_problem = units.problem(unit_quantity_milli, unit_code)
    if unit_problem is not None:
        raise InvalidInput(unit_problem)
    if len(_clean(size)) > units.SIZE_MAX:
        raise InvalidInput(_l("The size may have at most %(n)d characters.", n=units.SIZE_MAX))


def _checked(product: Product, data: VariantInput, exclude_id: int | None = None) -> VariantInput:
    """``data`` cleaned, or a refusal: the product rules of catalogue.services (price, stock,
    weight, unit and size bounds), a SKU free in the cooperative, labels of a sane length."""
    check_sale_fields(
        data.price_cents,
        data.stock,
        data.unit_quantity_milli,
        data.unit_code or None,
        data.size,
        data.weight_grams,
    )
    labels = {code: _clean(data.labels.get(code)) for code in LOCALES}
    if any(len(text) > LABEL_MAX for text in labels.values()):
        raise InvalidInput(
            _l("An option name may have at most %(n)d characters.", n=LABEL_MAX), field="labels"
        )
    return VariantInput(
        sku=_check_sku(product.cooperative_id, data.sku, exclude_id),
        price_cents=data.price_cents,
        stock=data.stock,
        labels={code: text for code, text in labels.items() if text},
        unit_quantity_milli=data.unit_quantity_milli if data.unit_code else None,
        unit_code=data.unit_code or None,
        size=_clean(data.size),
        weight_grams=data.weight_grams,
    )


def _after_change(product: Product, actor, action: str, variant: ProductVariant, **details):
    refresh_summary(product)
    refresh_search_document(product)
    db.session.flush()
    record_audit(
        actor,
        action,
        target_type="product_variant",
        target_id=variant.id,
        target_label=variant.sku,
        product_id=product.id,
        cooperative_id=product.cooperative_id,
        **details,
    )


def _flush_checking_sku(sku: str) -> None:
    """Flush; the database's unique SKU per cooperative is the backstop of _check_sku when
    another request took the SKU in between (a savepoint keeps the transaction usable)."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _l("Another variant of your cooperative already has the SKU “%(sku)s”.", sku=sku),
            field="sku",
        ) from exc


def _fields(variant: ProductVariant) -> dict:
    return {
        "sku": variant.sku,
        "labels": dict(variant.labels or {}),
        "price_cents": variant.price_cents,
        "stock": variant.stock,
        "unit_quantity_milli": variant.unit_quantity_milli,
        "unit_code": variant.unit_code,
        "size": variant.size,
        "weight_grams": variant.weight_grams,
    }


def add_variant(product: Product, data: VariantInput, actor=None) -> ProductVariant:
    """A new variant at the end of the product's list, active."""
    ensure_can_sell(product.cooperative)
    data = _checked(product, data)
    variant = ProductVariant(
        cooperative_id=product.cooperative_id,
        sku=data.sku,
        labels=data.labels,
        price_cents=data.price_cents,
        stock=data.stock,
        unit_quantity_milli=data.unit_quantity_milli,
        unit_code=data.unit_code,
        size=data.size,
        weight_grams=data.weight_grams,
        position=max((v.position for v in product.variants), default=-1) + 1,
    )
    product.variants.append(variant)
    _flush_checking_sku(variant.sku)
    _after_change(product, actor, "variant.created", variant, new=_fields(variant))
    return variant


def write_stock(variant: ProductVariant, stock: int, expected: int | None) -> None:
    """Set a variant's stock, but only if it is still ``expected`` (what the seller saw):
    orders change it concurrently, and a seller's old figure must not undo them silently.
    The caller refreshes the product's summary (refresh_summary)."""
    stmt = update(ProductVariant).where(ProductVariant.id == variant.id)
    if expected is not None:
        stmt = stmt.where(ProductVariant.stock == expected)
    result = db.session.execute(
        stmt.values(stock=stock).execution_options(synchronize_session=False)
    )
    db.session.refresh(variant, ["stock"])
    if result.rowcount != 1:
        raise Conflict(
            _l(
                "The stock changed while you were editing (orders may have come in): "
                "it is now %(n)d. Check it and save again.",
                n=variant.stock,
            ),
            field="stock",
            current=variant.stock,
        )


def update_variant(
    variant: ProductVariant, data: VariantInput, stock_was: int | None = None, actor=None
) -> ProductVariant:
    """Change a variant. ``stock_was``: the stock shown when the form was opened (None:
    overwrite whatever it is now); when the seller left it as shown, orders taken since keep
    what they made of it."""
    product = variant.product
    ensure_can_sell(product.cooperative)
    data = _checked(product, data, exclude_id=variant.id)
    before = _fields(variant)
    if stock_was is None or data.stock != stock_was:
        write_stock(variant, data.stock, stock_was)
    variant.sku = data.sku
    variant.labels = data.labels
    variant.price_cents = data.price_cents
    variant.unit_quantity_milli = data.unit_quantity_milli
    variant.unit_code = data.unit_code
    variant.size = data.size
    variant.weight_grams = data.weight_grams
    _flush_checking_sku(variant.sku)
    after = _fields(variant)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    _after_change(product, actor, "variant.updated", variant, changed=changed)
    return variant


def set_stock(
    variant: ProductVariant, stock: int, expected: int | None = None, actor=None
) -> ProductVariant:
    """The quick stock edit of the products list. ``expected``: the stock the seller saw."""
    ensure_can_sell(variant.product.cooperative)
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(_l("The stock must be a whole number between 0 and 1,000,000."))
    before = variant.stock
    if expected is not None and stock == expected:
        # The figure the seller saw, unchanged: keep what orders made of it since.
        return variant
    write_stock(variant, stock, expected)
    _after_change(
        variant.product, actor, "variant.stock", variant, old_stock=before, new_stock=stock
    )
    return variant


def set_active(variant: ProductVariant, active: bool, actor=None) -> ProductVariant:
    """Offer the variant again, or stop offering it (it keeps its orders). A product keeps at
    least one active variant: to stop selling it, hide the product."""
    product = variant.product
    ensure_can_sell(product.cooperative)
    if variant.active == active:
        return variant
    if not active and active_variants(product) == [variant]:
        raise InvalidInput(
            _l(
                "A product keeps at least one active variant. To stop selling it, "
                "hide the product instead."
            )
        )
    variant.active = active
    db.session.flush()
    _after_change(product, actor, "variant.activated" if active else "variant.deactivated", variant)
    return variant


def move(variant: ProductVariant, offset: int, actor=None) -> ProductVariant:
    """Move a variant ``offset`` places (−1: one place up, +1: down); the list is numbered
    again from 0. The shop shows variants in this order."""
    product = variant.product
    ensure_can_sell(product.cooperative)
    ordered = sorted(product.variants, key=lambda v: (v.position, v.id or 0))
    index = ordered.index(variant)
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    db.session.expire(product, ["variants"])
    _after_change(product, actor, "variant.moved", variant, position=target)
    return variant


def get_cooperative_variant(cooperative_id: int, variant_id: int) -> ProductVariant:
    """The cooperative's own variant; anyone else's (or none) is NotFound."""
    variant = db.session.scalar(
        select(ProductVariant).where(
            ProductVariant.id == variant_id, ProductVariant.cooperative_id == cooperative_id
        )
    )
    if variant is None:
        raise NotFound()
    return variant
