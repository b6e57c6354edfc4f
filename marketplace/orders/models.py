"""Carts, orders split per cooperative, order lines (snapshots), the status timeline and
saved addresses.

An ``Order`` is what the shopper pays for; a ``CooperativeOrder`` (sub-order) per cooperative is
what that cooperative fulfils. The sub-order status machine lives in ``services.transition``;
the parent order's ``status`` is derived from its sub-orders (``services.refresh_order_status``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalogue import units
from marketplace.catalogue.variants import OptionLabel
from marketplace.extensions import db
from marketplace.i18n import FALLBACK_ORDER
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.catalogue.models import Product, ProductVariant
    from marketplace.cooperatives.models import Cooperative


class SubOrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class OrderStatus(enum.StrEnum):
    """The parent order's status, derived from its sub-orders."""

    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    CASH_ON_DELIVERY = "cod"
    CARD = "card"


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("items_cents >= 0", name="items_non_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_non_negative"),
        CheckConstraint("total_cents >= 0", name="total_non_negative"),
        CheckConstraint("total_cents = items_cents + shipping_cents", name="total_is_sum"),
        CheckConstraint("payment_method IN ('cod', 'card')", name="payment_method_known"),
        Index("ix_orders_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Human-friendly number, e.g. DT-2026-000123 (set from the id right after the insert).
    number: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    contact_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))  # normalised +212…
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")  # province / region
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="MA")  # ISO 3166-1 alpha-2
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    payment_method: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3), default="MAD")
    items_cents: Mapped[int] = mapped_column(BigInteger)
    shipping_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # One checkout form = one token: a double submit finds the order already placed.
    idempotency_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Collected by the shopper at a fair the cooperatives exhibit at, instead of delivered
    # (no shipping fee); see the fairs domain.
    collect_fair_id: Mapped[int | None] = mapped_column(
        ForeignKey("fairs.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    user: Mapped[User | None] = relationship()
    sub_orders: Mapped[list[CooperativeOrder]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="CooperativeOrder.id",
    )

    @property
    def lines(self) -> list[OrderLine]:
        return [line for sub in self.sub_orders for line in sub.lines]


class OrderNoticeDue(db.Model):
    """An order whose placement notices (the shopper's confirmation, each cooperative's new
    order e-mails, SMS and WhatsApp) are still to be written. Committed with the order, as the
    transactional outbox requires; the ``order-notices`` job renders and queues the messages
    and deletes the row in one transaction, so the web request only records the order."""

    __tablename__ = "order_notices_due"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CooperativeOrder(db.Model):
    """The part of an order that one cooperative fulfils."""

    __tablename__ = "cooperative_orders"
    __table_args__ = (
        UniqueConstraint("order_id", "cooperative_id"),
        CheckConstraint("items_cents >= 0", name="items_non_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_non_negative"),
        CheckConstraint("total_cents >= 0", name="total_non_negative"),
        CheckConstraint("total_cents = items_cents + shipping_cents", name="total_is_sum"),
        CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_range"),
        CheckConstraint("commission_cents >= 0", name="commission_non_negative"),
        Index("ix_cooperative_orders_coop_status", "cooperative_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    items_cents: Mapped[int] = mapped_column(BigInteger)
    shipping_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    # Platform commission fixed at placement. ``commission_bp`` is the rate (the category's
    # override when all lines share it, else the items-weighted rate); ``commission_cents`` is
    # the exact amount: the sum over lines of percent_of(line_total_cents, line.commission_bp).
    # Shipping carries no commission.
    commission_bp: Mapped[int] = mapped_column(Integer)
    commission_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when the held stock went back to the products: it must happen exactly once.
    stock_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order: Mapped[Order] = relationship(back_populates="sub_orders")
    cooperative: Mapped[Cooperative] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="sub_order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="sub_order",
        cascade="all, delete-orphan",
        order_by="OrderEvent.id",
    )


class LineName(NamedTuple):
    name: str
    locale: str
    fallback: bool


class OrderLine(db.Model):
    """A product bought, with its name, unit and price as they were when ordered."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_non_negative"),
        CheckConstraint("line_total_cents = unit_price_cents * quantity", name="line_total"),
        CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_order_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    # The variant bought (None once it is deleted); its SKU and option labels as ordered.
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), default="", server_default="")
    variant_labels: Mapped[dict[str, str] | None] = mapped_column(JSON)
    product_name: Mapped[str] = mapped_column(String(200))
    # The product's name in every language it had when ordered ({locale: name}), so that a
    # cooperative member or an e-mail in another language than the order's sees it in theirs.
    # Null for lines written without it (bulk loads): ``product_name`` is then used.
    product_names: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The variant's unit of sale and size when ordered (as on ``ProductVariant``): stored as
    # data, not as text, so every reader sees it in their language (units.label, size_label).
    unit_quantity_milli: Mapped[int | None] = mapped_column(Integer)
    unit_code: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[str] = mapped_column(String(40), default="", server_default="")
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    commission_bp: Mapped[int] = mapped_column(Integer)

    sub_order: Mapped[CooperativeOrder] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()
    variant: Mapped[ProductVariant | None] = relationship()

    def unit_in(self, locale: str) -> str:
        """The unit and size ordered, in ``locale``: "500 g", "150 × 230 cm", "" if none."""

        return units.describe(self, locale)

    @property
    def unit(self) -> str:
        """The unit and size in the order's language (the line's name at the payment
        provider, written in the language of the checkout page)."""
        order = self.sub_order.order if self.sub_order is not None else None
        return self.unit_in(order.locale if order is not None else "fr")

    def variant_label_in(self, locale: str | None) -> OptionLabel | None:
        """The variant's option label as ordered, in ``locale`` when it had one there, else in
        the fallback language (flagged), as ``variants.option_label`` names a variant; None
        when the variant had no label (its unit and size, ``unit_in``, then name it)."""
        labels = {code: text for code, text in (self.variant_labels or {}).items() if text}
        if locale and locale in labels:
            return OptionLabel(labels[locale], locale, False)
        for code in FALLBACK_ORDER:
            if code in labels:
                return OptionLabel(labels[code], code, True)
        if labels:
            code, text = next(iter(labels.items()))
            return OptionLabel(text, code, True)
        return None

    def name_in(self, locale: str | None) -> LineName:
        """The snapshot name in ``locale`` when the product had one then; otherwise the name
        in the order's language, flagged as a fallback (like ``i18n.pick``)."""
        names = self.product_names or {}
        if locale and names.get(locale):
            return LineName(names[locale], locale, False)
        order_locale = self.sub_order.order.locale if self.sub_order is not None else ""
        source = next((code for code, n in names.items() if n == self.product_name), order_locale)
        return LineName(self.product_name, source or "", bool(locale and locale != source))


class OrderEvent(db.Model):
    """One step of a sub-order's timeline: who moved it from which status to which, when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_order_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who acted, as the status machine saw it: system | shopper | cooperative | admin
    # (a guest shopper has no user id, the system none either).
    actor_role: Mapped[str] = mapped_column(String(20), default="system")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sub_order: Mapped[CooperativeOrder] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def at(self) -> datetime:
        return self.created_at


class Cart(db.Model):
    """A logged-in shopper's cart (anonymous carts live in the session)."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.id"
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price_seen_cents >= 0", name="price_seen_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    # The price the shopper last saw (to tell them when it changed before they pay).
    price_seen_cents: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
    variant: Mapped[ProductVariant] = relationship()


class SavedAddress(db.Model):
    """The shipping address a returning shopper used last."""

    __tablename__ = "saved_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="MA")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
