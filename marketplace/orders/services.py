"""Orders: pricing a cart, placing an order (stock taken atomically), the sub-order status
machine, payment confirmation and release of unpaid orders.

Plain functions: no request, no session. They change the data, ``flush()`` and raise
``DomainError`` subclasses with a translated message; the caller commits once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import signals
from marketplace.catalogue.models import Category, Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.i18n import current_lang, pick
from marketplace.money import format_mad, percent_of
from marketplace.orders import notifications
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    SavedAddress,
    SubOrderStatus,
)
from marketplace.timeutil import utcnow

# The most units of one product in one order line.
MAX_LINE_QUANTITY = 99
# The most different products in one cart.
MAX_CART_LINES = 50
HOME_COUNTRY = "MA"
# Countries a cooperative that ships abroad may ship to (names come from Babel's locale data).
SHIPPING_COUNTRIES = (
    "MA",
    "FR",
    "BE",
    "ES",
    "DE",
    "IT",
    "NL",
    "CH",
    "GB",
    "PT",
    "CA",
    "US",
    "AE",
    "SA",
    "TN",
    "SN",
)

S = SubOrderStatus


# --- errors ---------------------------------------------------------------------------------


class NotEnoughStock(Conflict):
    default_message = _l("Not enough stock.")


class CartChanged(Conflict):
    """Prices or availability changed since the shopper saw them: confirm again."""

    default_message = _l(
        "Some items in your cart changed since you added them. Please check and confirm again."
    )


class EmptyCart(InvalidInput):
    default_message = _l("Your cart is empty.")


# --- labels ---------------------------------------------------------------------------------

SUB_ORDER_STATUS_LABELS = {
    S.PENDING_PAYMENT: _l("Awaiting payment"),
    S.CONFIRMED: _l("Confirmed"),
    S.SHIPPED: _l("Shipped"),
    S.DELIVERED: _l("Delivered"),
    S.CANCELLED: _l("Cancelled"),
}
ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.PARTIALLY_SHIPPED: _l("Partly shipped"),
    OrderStatus.SHIPPED: _l("Shipped"),
    OrderStatus.DELIVERED: _l("Delivered"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
PAYMENT_METHOD_LABELS = {
    PaymentMethod.CASH_ON_DELIVERY: _l("Cash on delivery"),
    PaymentMethod.CARD: _l("Bank card"),
}


ACTOR_LABELS = {
    "system": _l("automatically"),
    "shopper": _l("by the customer"),
    "cooperative": _l("by the cooperative"),
    "admin": _l("by the platform team"),
}


def actor_label(role: str | None) -> str:
    label = ACTOR_LABELS.get(role or "")
    return str(label) if label is not None else ""


def status_label(value: str | None) -> str:
    for table in (SUB_ORDER_STATUS_LABELS, ORDER_STATUS_LABELS):
        for key, label in table.items():
            if key.value == value:
                return str(label)
    return value or ""


def payment_method_label(value: str | None) -> str:
    for key, label in PAYMENT_METHOD_LABELS.items():
        if key.value == value:
            return str(label)
    return value or ""


def product_name(product: Product, locale: str | None = None) -> str:
    picked = pick(product.translations, locale)
    return picked.name if picked else product.slug


def cooperative_name(cooperative: Cooperative, locale: str | None = None) -> str:
    picked = pick(cooperative.translations, locale)
    return picked.name if picked else cooperative.slug


# --- input parsing --------------------------------------------------------------------------


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


# --- products -------------------------------------------------------------------------------


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


# --- pricing --------------------------------------------------------------------------------


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


# --- checkout rules -------------------------------------------------------------------------


def cod_allowed(cooperatives: Sequence[Cooperative], total_cents: int) -> bool:
    return bool(cooperatives) and (
        all(c.accepts_cash_on_delivery for c in cooperatives)
        and total_cents <= int(current_app.config["COD_MAX_TOTAL_CENTS"])
    )


# The most one order may cost: Stripe's limit for a two-decimal currency (999,999.99 MAD).
MAX_ORDER_TOTAL_CENTS_DEFAULT = 99_999_999


def max_order_total_cents() -> int:
    return int(current_app.config.get("MAX_ORDER_TOTAL_CENTS", MAX_ORDER_TOTAL_CENTS_DEFAULT))


def check_order_total(total_cents: int) -> None:
    """Refuse an order above the cap (money columns are 64-bit, but no provider takes more)."""
    cap = max_order_total_cents()
    if total_cents > cap:
        raise InvalidInput(
            _l(
                "An order may not exceed %(amount)s. Please order fewer items, or place "
                "several orders.",
                amount=_format(cap),
            )
        )


def card_allowed() -> bool:
    """Card payments live above orders: the payments domain answers ``payment_methods``."""
    return any(
        PaymentMethod.CARD.value in methods
        for _receiver, methods in signals.payment_methods.send(None)
    )


def payment_methods_for(quote: Quote) -> list[str]:
    methods = []
    if cod_allowed(quote.cooperatives, quote.total_cents):
        methods.append(PaymentMethod.CASH_ON_DELIVERY.value)
    if card_allowed():
        methods.append(PaymentMethod.CARD.value)
    return methods


def countries_for(cooperatives: Sequence[Cooperative]) -> tuple[str, ...]:
    """Morocco always; other countries only when every cooperative ships abroad."""
    if cooperatives and all(c.ships_abroad for c in cooperatives):
        return SHIPPING_COUNTRIES
    return (HOME_COUNTRY,)


@dataclass
class ShippingDetails:
    contact_name: str
    phone: str
    address_line1: str
    city: str
    email: str
    address_line2: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = HOME_COUNTRY


@dataclass(frozen=True)
class WantedLine:
    """What the shopper confirmed on the review page: a product, a quantity and the unit
    price they saw."""

    product_id: int
    quantity: int
    unit_price_cents: int


def make_idempotency_token() -> str:
    return secrets.token_urlsafe(24)


def order_by_token(token: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.idempotency_token == token))


def format_order_number(order: Order) -> str:
    return f"DT-{order.created_at.year}-{order.id:06d}"


@dataclass(frozen=True)
class Pickup:
    """A place where the shopper collects the order instead of having it delivered (a fair
    every cooperative of the cart exhibits at): no shipping fee."""

    fair_id: int
    name: str
    city: str
    venue: str
    starts_on: Any
    ends_on: Any


def pickup_options(cooperatives: Sequence[Cooperative]) -> list[Pickup]:
    """Where this cart may be collected, as the domains that offer it answer (the fairs,
    through ``signals.pickup_options``)."""
    found: list[Pickup] = []
    if not cooperatives:
        return found
    for _receiver, options in signals.pickup_options.send(None, cooperatives=list(cooperatives)):
        found.extend(options or [])
    return found


def place_order(
    *,
    lines: Sequence[WantedLine],
    shipping: ShippingDetails,
    payment_method: str,
    idempotency_token: str,
    language: str,
    user=None,
    save_address: bool = False,
    quote: Quote | None = None,
    collect_fair_id: int | None = None,
) -> Order:
    """Create the order, its sub-orders and lines, and take the stock, in the caller's
    transaction. A second call with the same ``idempotency_token`` returns the first order
    (``order.was_duplicate`` is then True).

    ``quote`` is the cart as the caller priced it in this same transaction (the review page
    does, to compare it with what the shopper confirmed): it spares pricing it again. It
    must hold exactly ``lines``, or CartChanged is raised.

    Raises CartChanged (a price differs from what the shopper confirmed or a product cannot
    be bought any more), NotEnoughStock, InvalidInput (payment method, country, quantities),
    EmptyCart. Nothing is left behind when it raises: the caller rolls back.

    ``collect_fair_id``: the shopper collects the order at that fair (one of
    ``pickup_options``), so no shipping fee is charged.
    """
    token = (idempotency_token or "").strip()
    if not (16 <= len(token) <= 64):
        raise InvalidInput(_l("This checkout form has expired. Please confirm again."))
    existing = order_by_token(token)
    if existing is not None:
        existing.was_duplicate = True
        return existing
    if not lines:
        raise EmptyCart()
    if len(lines) > MAX_CART_LINES:
        raise InvalidInput(_l("Your cart has too many different products."))
    wanted: dict[int, WantedLine] = {}
    for line in lines:
        if line.product_id in wanted:
            raise InvalidInput(_l("Some of the information given is not valid."))
        if not (1 <= line.quantity <= MAX_LINE_QUANTITY):
            raise InvalidInput(
                _l("You can order at most %(n)d of one product.", n=MAX_LINE_QUANTITY)
            )
        wanted[line.product_id] = line

    if quote is None:
        quote = price_cart({pid: (ln.quantity, ln.unit_price_cents) for pid, ln in wanted.items()})
    # Every wanted product still for sale, at the price the shopper confirmed (price_cart
    # leaves out what cannot be bought any more).
    priced = {line.product_id: line for line in quote.lines}
    if priced.keys() != wanted.keys() or any(
        priced[pid].unit_price_cents != line.unit_price_cents
        or priced[pid].quantity != line.quantity
        for pid, line in wanted.items()
    ):
        raise CartChanged()
    products = {pid: line.product for pid, line in priced.items()}
    cooperatives = quote.cooperatives
    check_order_total(quote.total_cents)

    if payment_method == PaymentMethod.CASH_ON_DELIVERY.value:
        if not cod_allowed(cooperatives, quote.total_cents):
            raise InvalidInput(_l("Cash on delivery is not available for this order."))
    elif payment_method == PaymentMethod.CARD.value:
        if not card_allowed():
            raise InvalidInput(_l("Card payment is not available at the moment."))
    else:
        raise InvalidInput(_l("Please choose a payment method."))
    country = (shipping.country or HOME_COUNTRY).upper()
    if collect_fair_id is not None:
        if collect_fair_id not in {p.fair_id for p in pickup_options(cooperatives)}:
            raise InvalidInput(_l("This order cannot be collected at this fair."))
        country = HOME_COUNTRY
    if country not in countries_for(cooperatives):
        raise InvalidInput(_l("Some cooperatives in your cart do not ship to this country."))

    initial = (
        S.CONFIRMED if payment_method == PaymentMethod.CASH_ON_DELIVERY.value else S.PENDING_PAYMENT
    )
    now = utcnow()
    order = Order(
        number=f"NEW-{token}"[:40],
        user_id=getattr(user, "id", None),
        email=shipping.email.strip().lower(),
        contact_name=shipping.contact_name.strip(),
        phone=shipping.phone,
        address_line1=shipping.address_line1.strip(),
        address_line2=(shipping.address_line2 or "").strip(),
        city=shipping.city.strip(),
        region=(shipping.region or "").strip(),
        postal_code=(shipping.postal_code or "").strip(),
        country=country,
        language=language,
        payment_method=payment_method,
        currency="MAD",
        items_cents=quote.items_cents,
        shipping_cents=0 if collect_fair_id else quote.shipping_cents,
        total_cents=quote.items_cents if collect_fair_id else quote.total_cents,
        collect_fair_id=collect_fair_id,
        status=OrderStatus(initial.value).value,
        idempotency_token=token,
        created_at=now,
    )
    # The token's unique index serialises two submits of one checkout: the second insert
    # waits for the first transaction and then fails; it then returns the first order.
    try:
        with db.session.begin_nested():
            db.session.add(order)
            db.session.flush()
    except IntegrityError:
        existing = order_by_token(token)
        if existing is None:
            raise
        existing.was_duplicate = True
        return existing
    order.was_duplicate = False
    order.number = format_order_number(order)

    # Take the stock: one atomic conditional UPDATE per product, in product-id order so that
    # concurrent multi-product checkouts lock rows in the same order (no deadlock).
    for product_id in sorted(wanted):
        take_stock(products[product_id], wanted[product_id].quantity)

    for group in quote.groups:
        sub = CooperativeOrder(
            order=order,
            cooperative_id=group.cooperative.id,
            status=initial.value,
            items_cents=group.items_cents,
            shipping_cents=0 if collect_fair_id else group.shipping_cents,
            total_cents=group.items_cents if collect_fair_id else group.total_cents,
            created_at=now,
            confirmed_at=now if initial == S.CONFIRMED else None,
        )
        commission_cents = 0
        for qline in group.lines:
            product = qline.product
            bp = commission_bp_for(product)
            commission_cents += percent_of(qline.line_total_cents, bp)
            sub.lines.append(
                OrderLine(
                    product_id=product.id,
                    product_name=product_name(product, language),
                    product_names={t.locale: t.name for t in product.translations if t.name},
                    unit_quantity_milli=product.unit_quantity_milli,
                    unit_code=product.unit_code,
                    size=product.size or "",
                    unit_price_cents=qline.unit_price_cents,
                    quantity=qline.quantity,
                    line_total_cents=qline.line_total_cents,
                    category_id=product.category_id,
                    commission_bp=bp,
                )
            )
        sub.commission_cents = commission_cents
        sub.commission_bp = _effective_bp(sub.lines, commission_cents, group.items_cents)
        sub.events.append(
            OrderEvent(
                from_status=None,
                to_status=initial.value,
                actor_id=getattr(user, "id", None),
                actor_role=SHOPPER,
                created_at=now,
            )
        )
        db.session.add(sub)

    if user is not None and save_address:
        remember_address(user, shipping, country)
    db.session.flush()
    signals.order_placed.send(order, actor=user)

    notifications.order_placed(order)
    return order


def _effective_bp(lines: Sequence[OrderLine], commission_cents: int, items_cents: int) -> int:
    rates = {line.commission_bp for line in lines}
    if len(rates) == 1:
        return rates.pop()
    if items_cents <= 0:
        return int(current_app.config["PLATFORM_COMMISSION_BP"])
    return min(10_000, round(commission_cents * 10_000 / items_cents))


def take_stock(product: Product, quantity: int) -> None:
    """Decrement the stock atomically, or raise NotEnoughStock: the database checks and
    writes in one statement, so two checkouts can never both take the last unit."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock >= quantity)
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        left = db.session.scalar(select(Product.stock).where(Product.id == product.id)) or 0
        db.session.expire(product, ["stock"])
        if left <= 0:
            raise NotEnoughStock(
                _l(
                    "Not enough stock: %(name)s is sold out.",
                    name=product_name(product),
                )
            )
        raise NotEnoughStock(
            _l(
                "Not enough stock: only %(n)d of %(name)s left.",
                n=left,
                name=product_name(product),
            )
        )
    db.session.expire(product, ["stock"])


def return_stock(sub_order: CooperativeOrder) -> bool:
    """Give the sub-order's units back to the products, exactly once (a conditional UPDATE
    on ``stock_returned`` decides who does it). Returns whether this call returned them."""
    claimed = db.session.execute(
        update(CooperativeOrder)
        .where(CooperativeOrder.id == sub_order.id, CooperativeOrder.stock_returned.is_(False))
        .values(stock_returned=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.expire(sub_order, ["stock_returned"])
        return False
    for line in sorted(sub_order.lines, key=lambda ln: ln.product_id or 0):
        if line.product_id is None:
            continue
        db.session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity)
            .execution_options(synchronize_session=False)
        )
        product = db.session.get(Product, line.product_id)
        if product is not None:
            db.session.expire(product, ["stock"])
    db.session.expire(sub_order, ["stock_returned"])
    return True


def remember_address(user, shipping: ShippingDetails, country: str) -> SavedAddress:
    saved = db.session.scalar(select(SavedAddress).where(SavedAddress.user_id == user.id))
    if saved is None:
        saved = SavedAddress(user_id=user.id)
        db.session.add(saved)
    saved.contact_name = shipping.contact_name.strip()
    saved.phone = shipping.phone
    saved.address_line1 = shipping.address_line1.strip()
    saved.address_line2 = (shipping.address_line2 or "").strip()
    saved.city = shipping.city.strip()
    saved.region = (shipping.region or "").strip()
    saved.postal_code = (shipping.postal_code or "").strip()
    saved.country = country
    return saved


def saved_address_for(user) -> SavedAddress | None:
    if user is None:
        return None
    return db.session.scalar(select(SavedAddress).where(SavedAddress.user_id == user.id))


# --- the sub-order status machine -----------------------------------------------------------

SYSTEM, SHOPPER, COOPERATIVE, ADMIN = "system", "shopper", "cooperative", "admin"

# (from, to) -> who may make that move. Nothing else is legal.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.PENDING_PAYMENT, S.CONFIRMED): frozenset({SYSTEM, ADMIN}),
    (S.PENDING_PAYMENT, S.CANCELLED): frozenset({SYSTEM, SHOPPER, COOPERATIVE, ADMIN}),
    (S.CONFIRMED, S.SHIPPED): frozenset({COOPERATIVE, ADMIN}),
    (S.CONFIRMED, S.CANCELLED): frozenset({SHOPPER, COOPERATIVE, ADMIN}),
    (S.SHIPPED, S.DELIVERED): frozenset({COOPERATIVE, ADMIN}),
    # A parcel that comes back (delivery refused, lost): the cooperative cancels with a
    # reason and the stock returns. The shopper can no longer cancel once it has shipped.
    (S.SHIPPED, S.CANCELLED): frozenset({COOPERATIVE, ADMIN}),
}


def allowed_next(sub_order: CooperativeOrder, role: str) -> list[str]:
    """The statuses ``role`` may move this sub-order to (for buttons)."""
    return [
        new
        for (old, new), roles in TRANSITIONS.items()
        if old == sub_order.status and role in roles
    ]


def role_of(actor, sub_order: CooperativeOrder) -> str:
    if actor is None:
        return SYSTEM
    if getattr(actor, "is_admin", False):
        return ADMIN
    if actor.cooperative_id is not None and actor.cooperative_id == sub_order.cooperative_id:
        return COOPERATIVE
    if sub_order.order.user_id is not None and sub_order.order.user_id == actor.id:
        return SHOPPER
    raise Forbidden()


def transition(
    sub_order: CooperativeOrder,
    new_status: str,
    actor=None,
    *,
    by: str | None = None,
    reason: str = "",
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
) -> CooperativeOrder:
    """THE sub-order status machine. Moves ``sub_order`` to ``new_status`` if that move is
    legal for who asks (``by``: system|shopper|cooperative|admin, derived from ``actor`` when
    not given), records an OrderEvent, returns stock on cancellation (once), updates the
    parent order's status, sends ``signals.sub_order_status_changed`` and the e-mails.

    A concurrent change of the same sub-order makes this raise Conflict (compare-and-set on
    the status column), so two requests can never both apply a move.
    """
    try:
        new = S(new_status)
    except ValueError as exc:
        raise IllegalTransition() from exc
    old = S(sub_order.status)
    role = by or role_of(actor, sub_order)
    roles = TRANSITIONS.get((old, new))
    if new == S.CANCELLED and old in (S.SHIPPED, S.DELIVERED) and role not in (roles or ()):
        raise IllegalTransition(
            _l("This part of your order has already shipped and can no longer be cancelled.")
            if role == SHOPPER
            else _l("This order has already shipped and can no longer be cancelled.")
        )
    if roles is None:
        raise IllegalTransition(
            _l(
                "An order that is “%(old)s” cannot become “%(new)s”.",
                old=status_label(old),
                new=status_label(new),
            )
        )
    if role not in roles:
        if role == SHOPPER and new == S.CANCELLED:
            raise IllegalTransition(
                _l("This part of your order has already shipped and can no longer be cancelled.")
            )
        raise IllegalTransition(
            _l(
                "You may not change an order from “%(old)s” to “%(new)s”.",
                old=status_label(old),
                new=status_label(new),
            )
        )
    reason = (reason or "").strip()
    if new == S.CANCELLED and role in (COOPERATIVE, ADMIN) and not reason:
        raise InvalidInput(_l("Please give the reason for the cancellation."))
    if len(reason) > 1000 or len(note) > 1000:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=1000))
    carrier = (carrier or "").strip()[:80]
    tracking_number = (tracking_number or "").strip()[:80]

    if new == S.CANCELLED:  # e.g. PAYMENTS refuses while card money is not refunded
        signals.sub_order_cancelling.send(sub_order, old=old.value, actor=actor, role=role)

    now = utcnow()
    values: dict[str, Any] = {"status": new.value, "updated_at": now}
    if new == S.CONFIRMED:
        values["confirmed_at"] = now
    elif new == S.SHIPPED:
        values.update(shipped_at=now, carrier=carrier, tracking_number=tracking_number)
    elif new == S.DELIVERED:
        values["delivered_at"] = now
    elif new == S.CANCELLED:
        values.update(cancelled_at=now, cancel_reason=reason)
    changed = db.session.execute(
        update(CooperativeOrder)
        .where(CooperativeOrder.id == sub_order.id, CooperativeOrder.status == old.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.expire(sub_order)
        raise Conflict()
    db.session.expire(sub_order, list(values))

    if new == S.CANCELLED:
        return_stock(sub_order)

    event_note = note.strip()
    if new == S.CANCELLED:
        event_note = reason
    elif new == S.SHIPPED and (carrier or tracking_number):
        event_note = " ".join(part for part in (carrier, tracking_number) if part)
    db.session.add(
        OrderEvent(
            sub_order_id=sub_order.id,
            from_status=old.value,
            to_status=new.value,
            actor_id=getattr(actor, "id", None),
            actor_role=role,
            note=event_note,
            created_at=now,
        )
    )
    db.session.flush()
    db.session.expire(sub_order, ["events"])
    refresh_order_status(sub_order.order)
    signals.sub_order_status_changed.send(
        sub_order, old=old.value, new=new.value, actor=actor, reason=reason
    )

    notifications.sub_order_changed(sub_order, old.value, new.value, role)
    return sub_order


def derive_order_status(statuses: Iterable[str]) -> str:
    statuses = list(statuses)
    live = [s for s in statuses if s != S.CANCELLED]
    if not live:
        return OrderStatus.CANCELLED.value
    if any(s == S.PENDING_PAYMENT for s in live):
        return OrderStatus.PENDING_PAYMENT.value
    if all(s == S.DELIVERED for s in live):
        return OrderStatus.DELIVERED.value
    if all(s in (S.SHIPPED, S.DELIVERED) for s in live):
        return OrderStatus.SHIPPED.value
    if any(s in (S.SHIPPED, S.DELIVERED) for s in live):
        return OrderStatus.PARTIALLY_SHIPPED.value
    return OrderStatus.CONFIRMED.value


def refresh_order_status(order: Order) -> str:
    statuses = db.session.scalars(
        select(CooperativeOrder.status).where(CooperativeOrder.order_id == order.id)
    ).all()
    order.status = derive_order_status(statuses)
    db.session.flush()
    return order.status


def cancel_by_shopper(order: Order, sub_order_ids: Iterable[int] | None, actor=None) -> int:
    """Cancel the sub-orders of ``order`` that have not shipped (all of them, or the given
    ones). Returns how many were cancelled."""
    wanted = set(sub_order_ids) if sub_order_ids is not None else None
    count = 0
    for sub in order.sub_orders:
        if wanted is not None and sub.id not in wanted:
            continue
        if sub.status in (S.PENDING_PAYMENT, S.CONFIRMED):
            transition(sub, S.CANCELLED.value, actor, by=SHOPPER, note="")
            count += 1
        elif wanted is not None:
            raise IllegalTransition(
                _l("This part of your order has already shipped and can no longer be cancelled.")
            )
    if count == 0:
        raise IllegalTransition(_l("Nothing in this order can be cancelled any more."))
    return count


# --- payments -------------------------------------------------------------------------------


def confirm_payment(order: Order, actor=None) -> list[CooperativeOrder]:
    """The card payment of ``order`` succeeded: every sub-order awaiting payment becomes
    confirmed. Idempotent (a second call confirms nothing). Raises IllegalTransition when
    nothing is awaiting payment and nothing is live any more (the order was released or
    cancelled before the money arrived: PAYMENTS must refund)."""
    confirmed = []
    for sub in order.sub_orders:
        if sub.status == S.PENDING_PAYMENT:
            transition(sub, S.CONFIRMED.value, actor, by=SYSTEM if actor is None else ADMIN)
            confirmed.append(sub)
    if not confirmed and all(sub.status == S.CANCELLED for sub in order.sub_orders):
        raise IllegalTransition(_l("This order was cancelled before its payment arrived."))
    return confirmed


def release_unpaid_order(order: Order, reason: str) -> list[CooperativeOrder]:
    """The card payment will not come (session expired, payment failed): cancel every
    sub-order still awaiting payment and give its stock back, exactly once. Idempotent."""
    released = []
    for sub in order.sub_orders:
        if sub.status == S.PENDING_PAYMENT:
            transition(
                sub, S.CANCELLED.value, None, by=SYSTEM, reason=reason or "payment not received"
            )
            released.append(sub)
    return released


# --- queries --------------------------------------------------------------------------------


def get_order_for(number: str, user=None, guest_numbers: Iterable[str] = ()) -> Order:
    """The order with ``number`` if the viewer may see it (its shopper, or the guest who
    placed it in this browser), else NotFound."""

    number = (number or "").strip()[:40]
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.sub_orders).selectinload(CooperativeOrder.lines),
            selectinload(Order.sub_orders).selectinload(CooperativeOrder.events),
            selectinload(Order.sub_orders)
            .selectinload(CooperativeOrder.cooperative)
            .selectinload(Cooperative.translations),
        )
    )
    if order is None:
        raise NotFound()
    if user is not None and getattr(user, "is_admin", False):
        return order
    if user is not None and order.user_id is not None and order.user_id == user.id:
        return order
    if order.user_id is None and number in set(guest_numbers):
        return order
    raise NotFound()


def get_sub_order_for_cooperative(
    sub_order_id: int, cooperative_id: int | None
) -> CooperativeOrder:

    sub = db.session.get(CooperativeOrder, sub_order_id)
    if sub is None or cooperative_id is None or sub.cooperative_id != cooperative_id:
        raise NotFound()
    return sub


__all__ = [
    "CartChanged",
    "DomainError",
    "EmptyCart",
    "NotEnoughStock",
    "ShippingDetails",
    "WantedLine",
    "cancel_by_shopper",
    "confirm_payment",
    "place_order",
    "release_unpaid_order",
    "transition",
]
