"""Placing orders, the sub-order status machine, payment confirmation and release."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.errors import Forbidden, IllegalTransition, InvalidInput
from marketplace.extensions import db
from marketplace.orders.checkout import (
    ShippingDetails,
    WantedLine,
    make_idempotency_token,
    place_order,
)
from marketplace.orders.models import Order, OrderEvent, SubOrderStatus
from marketplace.orders.pricing import CartChanged, price_cart
from marketplace.orders.status import (
    cancel_by_shopper,
    confirm_payment,
    derive_order_status,
    release_unpaid_order,
    transition,
)
from marketplace.orders.stock import NotEnoughStock, return_stock
from tests.factories import (
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
    place_test_order,
)


def test_cash_on_delivery_order_is_split_per_cooperative_and_takes_stock(app):
    a, b = CooperativeFactory(), CooperativeFactory(free_shipping_threshold_cents=20000)
    pa = ProductFactory(cooperative=a, price_cents=5000, stock=5)
    pb = ProductFactory(cooperative=b, price_cents=12000, stock=3)
    order = place_test_order({pa: 2, pb: 2})
    db.session.commit()
    assert order.number.startswith("DT-2026-")
    assert len(order.sub_orders) == 2
    by_coop = {s.cooperative_id: s for s in order.sub_orders}
    assert by_coop[a.id].items_cents == 10000 and by_coop[a.id].shipping_cents == 3000
    assert by_coop[b.id].items_cents == 24000 and by_coop[b.id].shipping_cents == 0
    assert order.total_cents == 10000 + 3000 + 24000
    assert all(s.status == SubOrderStatus.CONFIRMED for s in order.sub_orders)
    assert order.status == "confirmed"
    db.session.refresh(pa)
    db.session.refresh(pb)
    assert (pa.stock, pb.stock) == (3, 1)


def _sub(order, cooperative):
    return next(s for s in order.sub_orders if s.cooperative_id == cooperative.id)


def test_card_orders_wait_for_payment_with_stock_held(app):
    app.config.update(
        STRIPE_SECRET_KEY="sk", STRIPE_PUBLISHABLE_KEY="pk", STRIPE_WEBHOOK_SECRET="wh"
    )
    try:
        product = ProductFactory(stock=5)
        order = place_test_order({product: 2}, payment_method="card")
        db.session.commit()
        assert order.status == "pending_payment"
        assert [s.status for s in order.sub_orders] == ["pending_payment"]
        db.session.refresh(product)
        assert product.stock == 3
        confirmed = confirm_payment(order)
        db.session.commit()
        assert [s.status for s in confirmed] == ["confirmed"]
        assert order.status == "confirmed"
        assert confirm_payment(order) == []  # idempotent
    finally:
        app.config.update(
            STRIPE_SECRET_KEY=None, STRIPE_PUBLISHABLE_KEY=None, STRIPE_WEBHOOK_SECRET=None
        )


def test_releasing_an_unpaid_order_returns_stock_exactly_once(app):
    app.config.update(
        STRIPE_SECRET_KEY="sk", STRIPE_PUBLISHABLE_KEY="pk", STRIPE_WEBHOOK_SECRET="wh"
    )
    try:
        a, b = ProductFactory(stock=5), ProductFactory(stock=7)
        order = place_test_order({a: 2, b: 3}, payment_method="card")
        db.session.commit()
        released = release_unpaid_order(order, "checkout session expired")
        db.session.commit()
        assert len(released) == 2
        assert release_unpaid_order(order, "again") == []
        for sub in order.sub_orders:
            assert return_stock(sub) is False  # already returned
        db.session.commit()
        db.session.refresh(a)
        db.session.refresh(b)
        assert (a.stock, b.stock) == (5, 7)
        assert order.status == "cancelled"
        with pytest.raises(IllegalTransition):
            confirm_payment(order)  # money after release: PAYMENTS refunds
    finally:
        app.config.update(
            STRIPE_SECRET_KEY=None, STRIPE_PUBLISHABLE_KEY=None, STRIPE_WEBHOOK_SECRET=None
        )


LEGAL = {
    ("pending_payment", "confirmed"),
    ("pending_payment", "cancelled"),
    ("confirmed", "shipped"),
    ("confirmed", "cancelled"),
    ("shipped", "delivered"),
    ("shipped", "cancelled"),  # the parcel came back: the cooperative cancels with a reason
}
ALL = ["pending_payment", "confirmed", "shipped", "delivered", "cancelled"]


def _order_in(status):
    from marketplace.orders.models import CooperativeOrder

    product = ProductFactory(stock=50)
    order = place_test_order({product: 1})
    sub = order.sub_orders[0]
    db.session.execute(
        db.update(CooperativeOrder).where(CooperativeOrder.id == sub.id).values(status=status)
    )
    db.session.commit()
    db.session.refresh(sub)
    return order, sub


@pytest.mark.parametrize("old", ALL)
@pytest.mark.parametrize("new", [*ALL, "refunded", ""])
def test_only_legal_transitions_happen_and_each_is_recorded(app, old, new):
    _order, sub = _order_in(old)
    before = len(sub.events)
    if (old, new) in LEGAL:
        transition(sub, new, None, by="admin", reason="test")
        db.session.commit()
        assert sub.status == new
        assert len(sub.events) == before + 1
        assert (sub.events[-1].from_status, sub.events[-1].to_status) == (old, new)
    else:
        with pytest.raises(IllegalTransition):
            transition(sub, new, None, by="admin", reason="test")
        db.session.rollback()
        db.session.refresh(sub)
        assert sub.status == old and len(sub.events) == before


def test_who_may_do_what(app):
    member = MemberFactory()
    shopper = UserFactory()
    stranger = UserFactory()
    product = ProductFactory(cooperative=member.cooperative)
    order = place_test_order({product: 1}, user=shopper)
    db.session.commit()
    sub = order.sub_orders[0]
    with pytest.raises(Forbidden):
        transition(sub, "cancelled", stranger)
    with pytest.raises(IllegalTransition):
        transition(sub, "shipped", shopper)  # shoppers do not ship
    with pytest.raises(InvalidInput):
        transition(sub, "cancelled", member)  # the cooperative gives a reason
    db.session.rollback()
    transition(sub, "shipped", member, carrier="Amana", tracking_number="X1")
    db.session.commit()
    assert sub.events[-1].actor_id == member.id and sub.events[-1].note == "Amana X1"
    with force_locale("en"), pytest.raises(IllegalTransition, match="already shipped"):
        transition(sub, "cancelled", shopper)
    db.session.rollback()
    # the parcel came back refused: the cooperative cancels it, the unit returns to stock
    transition(sub, "cancelled", member, reason="Delivery refused")
    db.session.commit()
    db.session.refresh(product)
    assert sub.status == "cancelled" and product.stock == 10
    assert sub.events[-1].actor_role == "cooperative"


def test_parent_status_follows_sub_orders():
    derive = derive_order_status
    assert derive(["confirmed", "confirmed"]) == "confirmed"
    assert derive(["pending_payment", "cancelled"]) == "pending_payment"
    assert derive(["shipped", "confirmed"]) == "partially_shipped"
    assert derive(["shipped", "delivered"]) == "shipped"
    assert derive(["delivered", "cancelled"]) == "delivered"
    assert derive(["cancelled", "cancelled"]) == "cancelled"


def test_commission_is_fixed_at_placement_from_the_category_or_the_platform_rate(app):
    from tests.factories import CategoryFactory

    special = CategoryFactory(commission_bp=500)
    coop = CooperativeFactory()
    p1 = ProductFactory(cooperative=coop, category=special, price_cents=10000)
    p2 = ProductFactory(cooperative=coop, price_cents=10001)  # default 10 %
    order = place_test_order({p1: 1})
    assert order.sub_orders[0].commission_bp == 500
    assert order.sub_orders[0].commission_cents == 500
    mixed = place_test_order({p1: 1, p2: 1})
    sub = mixed.sub_orders[0]
    assert sub.commission_cents == 500 + 1000  # 10 % of 100.01 rounds to 10.00
    assert [line.commission_bp for line in sub.lines] == [500, 1000]
    special.commission_bp = 2000
    db.session.commit()
    db.session.refresh(sub)
    assert sub.commission_cents == 1500


def test_place_order_refuses_bad_input_and_writes_nothing(app):
    from marketplace.catalogue.models import Product

    product = ProductFactory(stock=3)
    suspended = ProductFactory(cooperative=CooperativeFactory(status="suspended"))
    with pytest.raises(CartChanged):
        place_test_order({suspended: 1})
    db.session.rollback()
    with force_locale("en"), pytest.raises(NotEnoughStock, match="only 3"):
        place_test_order({product: 4})
    db.session.rollback()
    with pytest.raises(InvalidInput):
        place_test_order({product: 0})
    db.session.rollback()
    with pytest.raises(InvalidInput):
        place_test_order({product: 1}, payment_method="bitcoin")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        place_test_order({product: 1}, payment_method="card")  # card not configured
    db.session.rollback()
    with pytest.raises(InvalidInput):
        place_test_order({product: 1}, country="FR")  # does not ship abroad
    db.session.rollback()
    with pytest.raises(CartChanged):
        place_order(
            lines=[WantedLine(product.id, 1, 1)],  # tampered price
            shipping=ShippingDetails("A", "+212612345678", "x", "y", "a@b.ma"),
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale="fr",
        )
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0
    assert db.session.scalar(db.select(Product.stock).where(Product.id == product.id)) == 3


def test_a_quote_that_is_not_the_confirmed_cart_places_nothing(app):
    from marketplace.catalogue.models import Product

    dates, honey = ProductFactory(stock=5), ProductFactory(stock=5)

    def place(quote, lines):
        return place_order(
            lines=lines,
            shipping=ShippingDetails("A", "+212612345678", "x", "y", "a@b.ma"),
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale="fr",
            quote=quote,
        )

    d, h = dates.variants[0].id, honey.variants[0].id
    both = price_cart({d: (1, None), h: (1, None)})
    one = [WantedLine(dates.id, 1, dates.price_cents)]
    with pytest.raises(CartChanged):  # the quote holds a product not confirmed
        place(both, one)
    db.session.rollback()
    two_of_one = price_cart({d: (2, None)})
    with pytest.raises(CartChanged):  # another quantity than confirmed
        place(two_of_one, one)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0
    assert db.session.scalar(db.select(Product.stock).where(Product.id == dates.id)) == 5
    order = place(price_cart({d: (1, None)}), one)
    assert order.total_cents == price_cart({d: (1, None)}).total_cents


def test_same_token_returns_the_same_order(app):
    product = ProductFactory(stock=5)
    token = make_idempotency_token()
    first = place_test_order({product: 2}, token=token)
    db.session.commit()
    second = place_test_order({product: 2}, token=token)
    db.session.commit()
    assert second.id == first.id and second.was_duplicate
    db.session.refresh(product)
    assert product.stock == 3
    assert len(first.sub_orders[0].events) == 1
    assert isinstance(first.sub_orders[0].events[0], OrderEvent)


def test_every_order_email_is_in_its_recipients_language(app, outbox):
    """Placed, shipped, delivered, cancelled: the shopper in the order's language (Arabic),
    each cooperative member in their own (French, English)."""
    shopper = UserFactory(email="salma@example.ma", locale="ar")
    dates, roses = CooperativeFactory(), CooperativeFactory()
    MemberFactory(cooperative=dates, email="dates@example.ma", locale="fr")
    MemberFactory(cooperative=roses, email="roses@example.ma", locale="en")
    p1, p2 = ProductFactory(cooperative=dates), ProductFactory(cooperative=roses)
    order = place_test_order({p1: 1, p2: 1}, user=shopper)
    db.session.commit()
    number = order.number
    sub_dates = next(s for s in order.sub_orders if s.cooperative_id == dates.id)
    sub_roses = next(s for s in order.sub_orders if s.cooperative_id == roses.id)
    transition(sub_dates, "shipped", None, by="cooperative", tracking_number="T1")
    db.session.commit()
    transition(sub_dates, "delivered", None, by="cooperative")
    db.session.commit()
    cancel_by_shopper(order, [sub_roses.id], shopper)
    db.session.commit()

    mails = outbox()
    assert sorted((m["To"], m["Subject"]) for m in mails) == sorted(
        [
            ("salma@example.ma", f"طلبكم {number}"),
            ("dates@example.ma", f"Nouvelle commande {number}"),
            ("roses@example.ma", f"New order {number}"),
            ("salma@example.ma", f"تم شحن طلبكم {number}"),
            ("salma@example.ma", f"تم تسليم طلبكم {number}"),
            ("salma@example.ma", f"تم إلغاء طلبكم {number}"),
            ("roses@example.ma", f"Order {number} was cancelled"),
        ]
    )
    # the bodies too, not only the subjects
    delivered = next(m for m in mails if m["Subject"] == f"تم تسليم طلبكم {number}")
    assert "مرحبًا Fatima Zahra،" in delivered.get_content()  # "Hello …," in Arabic
    assert f"/ar/orders/{number}" in delivered.get_content()


def test_the_database_refuses_a_negative_stock(app):
    """The CHECK constraint backs the atomic update up: even a direct write cannot oversell."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from marketplace.catalogue.models import Product

    product = ProductFactory(stock=2)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Product).where(Product.id == product.id).values(stock=-1))
        db.session.flush()
    db.session.rollback()
    db.session.refresh(product)
    assert product.stock == 2
