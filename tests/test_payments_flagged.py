"""Flagged payments get real decisions (issue #13): an admin accepts the payment (the order is
confirmed), refunds it, or releases the order (its stock goes back on sale), each written to
the audit log; nothing that would keep a shopper's money without an order is allowed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit import AuditLogEntry
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.payments import refunds, services
from marketplace.payments.models import Payment
from tests.factories import AdminFactory, ProductFactory
from tests.fakes.stripe_server import post_event as _post_event
from tests.helpers import login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")


@pytest.fixture
def admin(client):
    user = AdminFactory()
    login(client, user)
    return user


def _flagged(app, client, stripe_fake, amount_delta: int):
    """A card order (2 × 120 MAD + 30 MAD shipping) paid by Stripe with ``amount_delta``
    centimes more (or less) than asked: flagged, not accepted."""
    product = ProductFactory(price_cents=12000, stock=10)
    order = place([(product, 2)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    session = stripe_fake.complete_session(
        payment.stripe_session_id, amount_total=27000 + amount_delta
    )
    db.session.commit()
    assert (
        _post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.flagged_for_review and payment.status == "pending"
    db.session.commit()
    return order, payment, product


def _decide(client, payment, action):
    url = f"/en/admin/payments/orders/{payment.order.number}"
    db.session.commit()
    return post_form(
        client, f"/en/admin/payments/{payment.id}/{action}", {}, form_url=url, follow_redirects=True
    )


def _audited(action) -> list[int]:
    ids = db.session.scalars(
        select(AuditLogEntry.target_id).where(AuditLogEntry.action == action)
    ).all()
    db.session.commit()
    return list(ids)


def test_an_admin_accepts_a_payment_that_covers_the_order(app, client, admin, stripe_keys):
    _order, payment, _product = _flagged(app, client, stripe_keys, amount_delta=500)
    response = _decide(client, payment, "accept")
    assert "The payment is accepted and the order confirmed." in response.get_data(as_text=True)
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert (payment.status, payment.flagged_for_review) == ("paid", False)
    assert {s.status for s in payment.order.sub_orders} == {"confirmed"}
    assert _audited("payment.accepted") == [payment.id]


def test_a_short_payment_is_refunded_then_its_order_released(app, client, admin, stripe_keys):
    order, payment, product = _flagged(app, client, stripe_keys, amount_delta=-26900)
    html = _decide(client, payment, "accept").get_data(as_text=True)
    assert "Only" in html and "refund the payment instead" in html
    html = _decide(client, payment, "release").get_data(as_text=True)
    assert "not refunded yet" in html
    assert db.session.get(Product, product.id).stock == 8  # still held
    db.session.commit()

    refunds.create_refund(order.sub_orders[0], 100, "paid the wrong amount", admin)
    db.session.commit()
    html = _decide(client, payment, "release").get_data(as_text=True)
    assert "The order is released" in html
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 10
    payment = db.session.get(Payment, payment.id)
    assert (payment.status, payment.flagged_for_review) == ("cancelled", False)
    assert {s.status for s in payment.order.sub_orders} == {"cancelled"}
    assert _audited("payment.released") == [payment.id]
