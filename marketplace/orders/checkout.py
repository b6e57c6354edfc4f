"""Placing an order: the checkout rules (payment methods, countries, the order's cap,
collecting at a fair), the shopper's saved address, and ``place_order``, which creates the
order, its sub-orders and lines and takes the stock in the caller's transaction.

Plain functions: no request, no session. They change the data, ``flush()`` and raise
``DomainError`` subclasses with a translated message; the caller commits once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import signals
from marketplace.catalogue.variants import default_variant
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n import current_locale
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
from marketplace.orders.names import product_name
from marketplace.orders.pricing import (
    MAX_CART_LINES,
    MAX_LINE_QUANTITY,
    CartChanged,
    EmptyCart,
    Quote,
    QuoteGroup,
    QuoteLine,
    commission_bp_for,
    load_products,
    price_cart,
)
from marketplace.orders.status import SHOPPER
from marketplace.orders.stock import take_stocks
from marketplace.timeutil import utcnow

S = SubOrderStatus


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
                amount=format_mad(cap, current_locale()),
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
    """What the shopper confirmed on the review page: a variant of a product, a quantity and
    the unit price they saw. Without ``variant_id``, the product's default variant (a
    product sold in one variant, or a caller from before variants)."""

    product_id: int
    quantity: int
    unit_price_cents: int
    variant_id: int | None = None


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
    locale: str,
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
    token = _checked_token(idempotency_token)
    existing = order_by_token(token)
    if existing is not None:
        existing.was_duplicate = True
        return existing
    wanted = _wanted_lines(lines)
    quote = _confirmed_quote(wanted, quote)
    check_order_total(quote.total_cents)
    _check_payment_method(payment_method, quote)
    country = _delivery_country(shipping, quote.cooperatives, collect_fair_id)
    initial = (
        S.CONFIRMED if payment_method == PaymentMethod.CASH_ON_DELIVERY.value else S.PENDING_PAYMENT
    )
    now = utcnow()
    order = _new_order(
        token,
        shipping,
        country=country,
        locale=locale,
        payment_method=payment_method,
        quote=quote,
        collect_fair_id=collect_fair_id,
        initial=initial,
        user=user,
        now=now,
    )
    existing = _insert_once(order)
    if existing is not None:
        return existing
    _take_stock_for(wanted, quote)
    for group in quote.groups:
        db.session.add(
            _sub_order(order, group, initial, now, locale, user, collected=bool(collect_fair_id))
        )
    if user is not None and save_address:
        remember_address(user, shipping, country)
    db.session.flush()
    signals.order_placed.send(order, actor=user)
    notifications.order_placed(order)
    return order


def _checked_token(idempotency_token: str) -> str:
    """The checkout form's one-time token (it makes a second submit return the first order)."""
    token = (idempotency_token or "").strip()
    if not (16 <= len(token) <= 64):
        raise InvalidInput(_l("This checkout form has expired. Please confirm again."))
    return token


def _wanted_lines(lines: Sequence[WantedLine]) -> dict[int, WantedLine]:
    """The confirmed lines by variant id: not empty, not too many, each variant once, each
    quantity within the per-line maximum. A line without a variant is the product's default
    variant (CartChanged when the product has none it can be bought in any more)."""
    if not lines:
        raise EmptyCart()
    if len(lines) > MAX_CART_LINES:
        raise InvalidInput(_l("Your cart has too many different products."))
    for line in lines:
        if not (1 <= line.quantity <= MAX_LINE_QUANTITY):
            raise InvalidInput(
                _l("You can order at most %(n)d of one product.", n=MAX_LINE_QUANTITY)
            )
    defaults = _default_variants([ln.product_id for ln in lines if ln.variant_id is None])
    wanted: dict[int, WantedLine] = {}
    for line in lines:
        variant_id = line.variant_id
        if variant_id is None:
            variant_id = defaults.get(line.product_id)
            if variant_id is None:
                raise CartChanged()
            line = replace(line, variant_id=variant_id)
        if variant_id in wanted:
            raise InvalidInput(_l("Some of the information given is not valid."))
        wanted[variant_id] = line
    return wanted


def _default_variants(product_ids: Sequence[int]) -> dict[int, int]:
    """``{product id: its default variant's id}`` (``variants.default_variant``)."""
    if not product_ids:
        return {}
    found: dict[int, int] = {}
    for product in load_products(product_ids).values():
        variant = default_variant(product)
        if variant is not None:
            found[product.id] = variant.id
    return found


def _confirmed_quote(wanted: dict[int, WantedLine], quote: Quote | None) -> Quote:
    """The cart priced now, or CartChanged unless every wanted variant is still for sale,
    in the quantity and at the price the shopper confirmed (price_cart leaves out what
    cannot be bought any more)."""
    if quote is None:
        quote = price_cart({vid: (ln.quantity, ln.unit_price_cents) for vid, ln in wanted.items()})
    priced = {line.variant_id: line for line in quote.lines}
    if priced.keys() != wanted.keys() or any(
        priced[vid].unit_price_cents != line.unit_price_cents
        or priced[vid].quantity != line.quantity
        or priced[vid].product_id != line.product_id
        for vid, line in wanted.items()
    ):
        raise CartChanged()
    return quote


def _check_payment_method(payment_method: str, quote: Quote) -> None:
    if payment_method == PaymentMethod.CASH_ON_DELIVERY.value:
        if not cod_allowed(quote.cooperatives, quote.total_cents):
            raise InvalidInput(_l("Cash on delivery is not available for this order."))
    elif payment_method == PaymentMethod.CARD.value:
        if not card_allowed():
            raise InvalidInput(_l("Card payment is not available at the moment."))
    else:
        raise InvalidInput(_l("Please choose a payment method."))


def _delivery_country(
    shipping: ShippingDetails, cooperatives: Sequence[Cooperative], collect_fair_id: int | None
) -> str:
    """The country the order goes to (Morocco when it is collected at a fair), refused when
    a cooperative of the cart does not ship there or the fair is not one of the cart's."""
    country = (shipping.country or HOME_COUNTRY).upper()
    if collect_fair_id is not None:
        if collect_fair_id not in {p.fair_id for p in pickup_options(cooperatives)}:
            raise InvalidInput(_l("This order cannot be collected at this fair."))
        country = HOME_COUNTRY
    if country not in countries_for(cooperatives):
        raise InvalidInput(_l("Some cooperatives in your cart do not ship to this country."))
    return country


def _new_order(
    token: str,
    shipping: ShippingDetails,
    *,
    country: str,
    locale: str,
    payment_method: str,
    quote: Quote,
    collect_fair_id: int | None,
    initial: SubOrderStatus,
    user,
    now,
) -> Order:
    """The order row (not added yet): who, where, how it is paid and its totals (no shipping
    fee when it is collected at a fair)."""
    return Order(
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
        locale=locale,
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


def _insert_once(order: Order) -> Order | None:
    """Insert the order and give it its number; or, when another submit of the same checkout
    inserted it first, return that first order. The token's unique index serialises two
    submits: the second insert waits for the first transaction and then fails."""
    try:
        with db.session.begin_nested():
            db.session.add(order)
            db.session.flush()
    except IntegrityError:
        existing = order_by_token(order.idempotency_token)
        if existing is None:
            raise
        existing.was_duplicate = True
        return existing
    order.was_duplicate = False
    order.number = format_order_number(order)
    return None


def _take_stock_for(wanted: dict[int, WantedLine], quote: Quote) -> None:
    """One atomic conditional UPDATE per variant, then one per product summary, each in id
    order so that concurrent multi-product checkouts lock rows in the same order (no
    deadlock): ``stock.take_stocks``."""
    variants = {line.variant_id: line.variant for line in quote.lines}
    take_stocks([(variants[vid], wanted[vid].quantity) for vid in sorted(wanted)])


def _sub_order(
    order: Order,
    group: QuoteGroup,
    initial: SubOrderStatus,
    now,
    locale: str,
    user,
    *,
    collected: bool,
) -> CooperativeOrder:
    """One cooperative's part of the order: its lines, its commission and its first event."""
    sub = CooperativeOrder(
        order=order,
        cooperative_id=group.cooperative.id,
        status=initial.value,
        items_cents=group.items_cents,
        shipping_cents=0 if collected else group.shipping_cents,
        total_cents=group.items_cents if collected else group.total_cents,
        created_at=now,
        confirmed_at=now if initial == S.CONFIRMED else None,
    )
    sub.lines.extend(_order_line(qline, locale) for qline in group.lines)
    commission_cents = sum(percent_of(ln.line_total_cents, ln.commission_bp) for ln in sub.lines)
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
    return sub


def _order_line(qline: QuoteLine, locale: str) -> OrderLine:
    """A priced cart line as it is kept in the order: the product's names, the variant
    (its SKU, option labels, unit and size) as sold, the price and the commission rate of
    its category."""
    product, variant = qline.product, qline.variant
    labels = {code: text for code, text in (variant.labels or {}).items() if text}
    return OrderLine(
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        variant_labels=labels or None,
        product_name=product_name(product, locale),
        product_names={t.locale: t.name for t in product.translations if t.name},
        unit_quantity_milli=variant.unit_quantity_milli,
        unit_code=variant.unit_code,
        size=variant.size or "",
        unit_price_cents=qline.unit_price_cents,
        quantity=qline.quantity,
        line_total_cents=qline.line_total_cents,
        category_id=product.category_id,
        commission_bp=commission_bp_for(product),
    )


def _effective_bp(lines: Sequence[OrderLine], commission_cents: int, items_cents: int) -> int:
    rates = {line.commission_bp for line in lines}
    if len(rates) == 1:
        return rates.pop()
    if items_cents <= 0:
        return int(current_app.config["PLATFORM_COMMISSION_BP"])
    return min(10_000, round(commission_cents * 10_000 / items_cents))


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
