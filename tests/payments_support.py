"""Helpers of the payments tests: orders placed through the real orders service, moved
through the real status machine."""

from __future__ import annotations

import secrets

import pytest

from marketplace.extensions import db
from marketplace.orders.checkout import ShippingDetails, WantedLine, place_order
from marketplace.orders.models import Order
from marketplace.orders.status import transition
from marketplace.payments import ledger
from tests.factories import AdminFactory, ProductFactory, UserFactory


def place(products_and_quantities, *, method="card", user=None, locale="fr") -> Order:
    """Place an order for ``[(product, quantity), ...]`` and commit it."""
    user = user or UserFactory()
    order = place_order(
        lines=[
            WantedLine(product_id=p.id, quantity=q, unit_price_cents=p.price_cents)
            for p, q in products_and_quantities
        ],
        shipping=ShippingDetails(
            contact_name="Fatima Zahra",
            phone="+212612345678",
            address_line1="12 rue Moulay Ali Cherif",
            city="Errachidia",
            email=user.email,
        ),
        payment_method=method,
        idempotency_token=secrets.token_urlsafe(24),
        locale=locale,
        user=user,
    )
    db.session.commit()
    return order


def card_order(price_cents=12000, quantity=2, **kwargs) -> Order:
    product = ProductFactory(price_cents=price_cents, stock=10)
    return place([(product, quantity)], method="card", **kwargs)


def advance(sub_order, *statuses, actor=None) -> None:
    """Move a sub-order through the status machine as an admin would, and commit."""
    actor = actor or AdminFactory()
    for status in statuses:
        transition(sub_order, status, actor, reason="test")
    db.session.commit()


def deliver(sub_order, actor=None) -> None:
    if sub_order.status == "confirmed":
        advance(sub_order, "shipped", "delivered", actor=actor)
    elif sub_order.status == "shipped":
        advance(sub_order, "delivered", actor=actor)


@pytest.fixture
def balanced_books(app):
    """After the test, the books are right: ``flask payments check-ledger`` would exit 0."""
    yield
    db.session.rollback()
    problems = ledger.check()
    db.session.commit()
    assert problems == []


def english(message) -> str:
    """A translated message as English (whatever language the test runs in)."""
    from flask_babel import force_locale

    with force_locale("en"):
        return str(message)
