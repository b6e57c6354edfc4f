"""Pricing a cart: what a shopper may put in it (whole quantities up to a maximum, active
variants of products that can be bought, within the variant's stock), shipping fees,
commissions, and the Quote: a cart priced from current variant prices, grouped by
cooperative. A cart line is one variant of a product (two sizes of one product are two lines).

Plain functions: no request, no session. They raise ``DomainError`` subclasses with a
translated message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.catalogue.models import Category, Product, ProductStatus, ProductVariant
from marketplace.catalogue.variants import (
    OptionLabel,
    default_variant,
    find_active,
    option_label,
    shows_choice,
)
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.i18n import current_locale
from marketplace.money import format_mad
from marketplace.orders.names import cooperative_name, variant_title
from marketplace.orders.stock import NotEnoughStock

# The most units of one product in one order line.
MAX_LINE_QUANTITY = 99


# The most different products in one cart.
MAX_CART_LINES = 50


class CartChanged(Conflict):
    """Prices or availability changed since the shopper saw them: confirm again."""

    default_message = _l(
        "Some items in your cart changed since you added them. Please check and confirm again."
    )


class EmptyCart(InvalidInput):
    default_message = _l("Your cart is empty.")


def parse_quantity(value: Any, *, allow_zero: bool = False) -> int:
    """A quantity typed or posted by a shopper, as an int in 1..MAX_LINE_QUANTITY (or 0 to
    remove when ``allow_zero``)."""
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[+-]?\d{1,6}", text):
        raise InvalidInput(_l("Please enter a whole number of items."))
    quantity = int(text)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise InvalidInput(_l("The quantity must be at least 1."))
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidInput(_l("You can order at most %(n)d of one product.", n=MAX_LINE_QUANTITY))
    return quantity


def parse_id(value: Any) -> int:
    product_id = parse_int(value, maximum=10**12)
    if product_id is None:
        raise InvalidInput(_l("This product does not exist or is no longer available."))
    return product_id


def is_purchasable(product: Product | None) -> bool:
    """The public rule: product active AND its cooperative verified."""
    return (
        product is not None
        and product.status == ProductStatus.ACTIVE.value
        and product.cooperative is not None
        and product.cooperative.status == CooperativeStatus.VERIFIED.value
    )


def is_buyable(product: Product | None, variant: ProductVariant | None) -> bool:
    """The public rule for a cart line: an active variant of a purchasable product."""
    return (
        variant is not None
        and variant.active
        and is_purchasable(product)
        and variant.product_id == product.id
    )


def _products_where(condition) -> list[Product]:
    """Products with what pricing and the cart pages read (names, every variant, the
    cooperative and its names, the category's commission), in a fixed number of queries."""
    return db.session.scalars(
        select(Product)
        .where(condition)
        .options(
            selectinload(Product.translations),
            selectinload(Product.variants),
            # One cooperative per product: joined into the products' query.
            joinedload(Product.cooperative).selectinload(Cooperative.translations),
            # Only the commission is read from the category: not its names.
            joinedload(Product.category).lazyload(Category.translations),
        )
    ).all()


def load_products(ids: Iterable[int]) -> dict[int, Product]:
    """The products ``ids`` (see ``_products_where``)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {p.id: p for p in _products_where(Product.id.in_(ids))}


def load_variants(ids: Iterable[int]) -> dict[int, ProductVariant]:
    """The variants ``ids`` of a cart, each with its product loaded as ``load_products``
    does (and the product's other variants, to know whether it offers a choice)."""
    wanted = set(ids)
    if not wanted:
        return {}
    owners = select(ProductVariant.product_id).where(ProductVariant.id.in_(sorted(wanted)))
    found: dict[int, ProductVariant] = {}
    for product in _products_where(Product.id.in_(owners)):
        for variant in product.variants:
            # The variant keeps its loaded product (the session holds objects weakly: a
            # product nothing refers to would be loaded again, without its names).
            set_committed_value(variant, "product", product)
            if variant.id in wanted:
                found[variant.id] = variant
    return found


def _not_available():
    return _l("This product does not exist or is no longer available.")


def purchasable_variant(product_id: Any, variant_id: Any = None) -> ProductVariant:
    """The variant a shopper wants to add: ``variant_id`` of product ``product_id`` (its
    default variant when none is given), or an error when it cannot be bought. A variant
    that is not an active one of this product gets the same refusal as a withdrawn product."""
    pid = parse_id(product_id)
    product = load_products([pid]).get(pid)
    if not is_purchasable(product):
        raise InvalidInput(_not_available())
    if variant_id is None or str(variant_id).strip() == "":
        variant = default_variant(product)
    else:
        vid = parse_int(variant_id, maximum=10**12)
        variant = find_active(product, vid) if vid is not None else None
    if variant is None:
        raise InvalidInput(_not_available())
    return variant


def check_quantity_for(variant: ProductVariant, quantity: int) -> None:
    """Refuse a cart quantity above the per-line maximum or the variant's stock."""
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidInput(_l("You can order at most %(n)d of one product.", n=MAX_LINE_QUANTITY))
    problem = stock_problem(variant, quantity)
    if problem:
        raise NotEnoughStock(problem)


def stock_problem(variant: ProductVariant, quantity: int) -> str:
    """Why ``quantity`` of the variant cannot be had ("" when it can)."""
    if quantity <= variant.stock:
        return ""
    name = variant_title(variant.product, variant)
    if variant.stock <= 0:
        return str(_l("%(name)s is out of stock.", name=name))
    return str(_l("Only %(n)d of %(name)s left in stock.", n=variant.stock, name=name))


def shipping_fee_for(cooperative: Cooperative, items_cents: int) -> int:
    """The cooperative's flat fee, free at or above its threshold (when it set one)."""
    if items_cents <= 0:
        return 0
    threshold = cooperative.free_shipping_threshold_cents
    if threshold is not None and items_cents >= threshold:
        return 0
    return max(int(cooperative.shipping_fee_cents or 0), 0)


def commission_bp_for(product: Product) -> int:
    category = product.category
    if category is not None and category.commission_bp is not None:
        return int(category.commission_bp)
    return int(current_app.config["PLATFORM_COMMISSION_BP"])


@dataclass
class QuoteLine:
    product: Product | None
    product_id: int
    quantity: int
    unit_price_cents: int
    price_seen_cents: int | None = None
    problem: str = ""  # translated text when the line cannot be ordered as it is
    variant: ProductVariant | None = None
    variant_id: int | None = None

    @property
    def choice_label(self) -> OptionLabel | None:
        """The variant's option label when its product offers a choice (else None: a
        product sold in one variant is named as it always was)."""
        if self.variant is None or self.product is None or not shows_choice(self.product):
            return None
        return option_label(self.variant)

    @property
    def title(self) -> str:
        """The product's name and, when it offers a choice, the variant's label."""
        return variant_title(self.product, self.variant)

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.price_seen_cents is not None and self.price_seen_cents != self.unit_price_cents


@dataclass
class QuoteGroup:
    cooperative: Cooperative
    lines: list[QuoteLine] = field(default_factory=list)

    @property
    def items_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def shipping_cents(self) -> int:
        return shipping_fee_for(self.cooperative, self.items_cents)

    @property
    def total_cents(self) -> int:
        return self.items_cents + self.shipping_cents

    @property
    def free_shipping_missing_cents(self) -> int | None:
        """How much more to spend for free shipping (None when there is no threshold)."""
        threshold = self.cooperative.free_shipping_threshold_cents
        if threshold is None or self.items_cents >= threshold:
            return None
        return threshold - self.items_cents


@dataclass
class Quote:
    """A cart priced from current product prices, grouped by cooperative."""

    groups: list[QuoteGroup]
    problems: list[str] = field(default_factory=list)  # lines removed or changed

    @property
    def lines(self) -> list[QuoteLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def items_cents(self) -> int:
        return sum(g.items_cents for g in self.groups)

    @property
    def shipping_cents(self) -> int:
        return sum(g.shipping_cents for g in self.groups)

    @property
    def total_cents(self) -> int:
        return self.items_cents + self.shipping_cents

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def price_changes(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.price_changed]

    @property
    def cooperatives(self) -> list[Cooperative]:
        return [g.cooperative for g in self.groups]

    def fingerprint(self) -> str:
        """What the shopper confirms: every variant, quantity and price, and the total."""
        parts = [
            f"{ln.product_id}.{ln.variant_id}x{ln.quantity}@{ln.unit_price_cents}"
            for ln in self.lines
        ]
        return f"{'|'.join(sorted(parts))}={self.total_cents}"


def price_cart(entries: dict[int, tuple[int, int | None]]) -> Quote:
    """Price ``{variant_id: (quantity, price_seen_cents)}`` from current variant prices.

    Lines that cannot be bought any more (product deleted, hidden, cooperative suspended,
    variant deactivated or deleted) are left out and reported in ``problems``; quantities
    above the variant's stock are reported too (the line stays, so the shopper can lower it).
    """
    variants = load_variants(entries)
    groups: dict[int, QuoteGroup] = {}
    problems: list[str] = []
    for variant_id in sorted(entries):
        quantity, price_seen = entries[variant_id]
        variant = variants.get(variant_id)
        product = variant.product if variant is not None else None
        if not is_buyable(product, variant):
            if product is not None:
                problems.append(
                    str(
                        _l(
                            "%(name)s is no longer available and was removed from your cart.",
                            name=variant_title(product, variant),
                        )
                    )
                )
            else:
                problems.append(
                    str(_l("A product is no longer available and was removed from your cart."))
                )
            continue
        line = QuoteLine(
            product=product,
            product_id=product.id,
            quantity=quantity,
            unit_price_cents=variant.price_cents,
            price_seen_cents=price_seen,
            variant=variant,
            variant_id=variant.id,
        )
        line.problem = stock_problem(variant, quantity)
        group = groups.get(product.cooperative_id)
        if group is None:
            group = groups[product.cooperative_id] = QuoteGroup(product.cooperative)
        group.lines.append(line)
    ordered = sorted(groups.values(), key=lambda g: cooperative_name(g.cooperative).casefold())
    return Quote(ordered, problems)


def describe_price_changes(quote: Quote) -> list[str]:
    return [
        str(
            _l(
                "The price of %(name)s changed from %(old)s to %(new)s.",
                name=line.title,
                old=_format(line.price_seen_cents),
                new=_format(line.unit_price_cents),
            )
        )
        for line in quote.price_changes
    ]


def _format(cents: int | None) -> str:

    return format_mad(int(cents or 0), current_locale())
