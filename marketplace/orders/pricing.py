"""Pricing a cart: what a shopper may put in it (whole quantities up to a maximum, products
that can be bought, within the stock), shipping fees, commissions, and the Quote: a cart
priced from current prices, grouped by cooperative.

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
from sqlalchemy.orm import selectinload

from marketplace.catalogue.models import Category, Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.i18n import current_lang
from marketplace.money import format_mad
from marketplace.orders.names import cooperative_name, product_name
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


def load_products(ids: Iterable[int]) -> dict[int, Product]:
    """The products of a cart with what pricing and the cart pages read (names, the
    cooperative and its names, the category's commission), in a fixed number of queries."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Product)
        .where(Product.id.in_(ids))
        .options(
            selectinload(Product.translations),
            selectinload(Product.cooperative).selectinload(Cooperative.translations),
            # Only the commission is read from the category: not its names.
            selectinload(Product.category).lazyload(Category.translations),
        )
    ).all()
    return {p.id: p for p in rows}


def purchasable_product(product_id: Any) -> Product:
    """The product a shopper wants to add, or an error when it cannot be bought."""
    pid = parse_id(product_id)
    product = load_products([pid]).get(pid)
    if not is_purchasable(product):
        raise InvalidInput(_l("This product does not exist or is no longer available."))
    return product


def check_quantity_for(product: Product, quantity: int) -> None:
    """Refuse a cart quantity above the per-line maximum or the stock."""
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidInput(_l("You can order at most %(n)d of one product.", n=MAX_LINE_QUANTITY))
    if quantity > product.stock:
        if product.stock <= 0:
            raise NotEnoughStock(_l("%(name)s is out of stock.", name=product_name(product)))
        raise NotEnoughStock(
            _l(
                "Only %(n)d of %(name)s left in stock.",
                n=product.stock,
                name=product_name(product),
            )
        )


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
        """What the shopper confirms: every product, quantity and price, and the total."""
        parts = [f"{ln.product_id}x{ln.quantity}@{ln.unit_price_cents}" for ln in self.lines]
        return f"{'|'.join(sorted(parts))}={self.total_cents}"


def price_cart(entries: dict[int, tuple[int, int | None]]) -> Quote:
    """Price ``{product_id: (quantity, price_seen_cents)}`` from current prices.

    Products that cannot be bought any more (deleted, hidden, cooperative suspended) are
    left out and reported in ``problems``; quantities above the stock are reported too (the
    line stays, so the shopper can lower it).
    """
    products = load_products(entries)
    groups: dict[int, QuoteGroup] = {}
    problems: list[str] = []
    for product_id in sorted(entries):
        quantity, price_seen = entries[product_id]
        product = products.get(product_id)
        if not is_purchasable(product):
            if product is not None:
                problems.append(
                    str(
                        _l(
                            "%(name)s is no longer available and was removed from your cart.",
                            name=product_name(product),
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
            unit_price_cents=product.price_cents,
            price_seen_cents=price_seen,
        )
        if quantity > product.stock:
            line.problem = (
                str(_l("%(name)s is out of stock.", name=product_name(product)))
                if product.stock <= 0
                else str(
                    _l(
                        "Only %(n)d of %(name)s left in stock.",
                        n=product.stock,
                        name=product_name(product),
                    )
                )
            )
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
                name=product_name(line.product),
                old=_format(line.price_seen_cents),
                new=_format(line.unit_price_cents),
            )
        )
        for line in quote.price_changes
    ]


def _format(cents: int | None) -> str:

    return format_mad(int(cents or 0), current_lang())
