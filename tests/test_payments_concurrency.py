"""The same Stripe event delivered twice at the same moment (PostgreSQL, real concurrency):
the unique event id makes the second delivery collide, so there is one effect."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from marketplace.extensions import db
from marketplace.orders.models import OrderEvent
from marketplace.payments import services, webhooks
from marketplace.payments.models import Payment, StripeEvent
from tests.factories import ProductFactory
from tests.fakes.stripe_server import post_event
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    place,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("balanced_books")]


@pytest.fixture
def paid_event(app, stripe_keys, stripe_fake):
    product = ProductFactory(price_cents=5000, stock=5)
    order = place([(product, 1)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    session = stripe_fake.complete_session(payment.stripe_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    db.session.commit()
    return payment.id, order.sub_orders[0].id, event


def _wait_for_a_blocked_transaction(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database()"
                )
            ).scalar()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second delivery never waited for the first")


def _confirmations(sub_order_id: int) -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.sub_order_id == sub_order_id, OrderEvent.to_status == "confirmed")
    )
    db.session.commit()
    return count


def test_a_duplicate_delivered_while_the_first_is_in_flight_collides(app, paid_event):
    payment_id, sub_order_id, event = paid_event
    first_applied = threading.Event()
    release_first = threading.Event()
    outcomes: dict[str, object] = {}

    def first():
        with app.app_context():
            outcomes["first"] = webhooks.handle_event(event)
            first_applied.set()
            release_first.wait(60)
            db.session.commit()

    def second():
        with app.app_context():
            try:
                outcomes["second"] = webhooks.handle_event(event)
                db.session.commit()
            except webhooks.DuplicateEvent:
                db.session.rollback()
                outcomes["second"] = "duplicate"

    one = threading.Thread(target=first)
    one.start()
    assert first_applied.wait(60)
    two = threading.Thread(target=second)
    two.start()
    _wait_for_a_blocked_transaction()  # the second insert waits on the unique event id
    release_first.set()
    one.join(60)
    two.join(60)

    assert outcomes == {"first": "handled", "second": "duplicate"}
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    db.session.expire_all()  # read what the other transactions committed
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "paid", payment.review_reason
    assert _confirmations(sub_order_id) == 1


def test_simultaneous_webhook_deliveries_have_one_effect(app, paid_event):
    payment_id, sub_order_id, event = paid_event
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def deliver():
        client = app.test_client()
        barrier.wait(60)
        statuses.append(post_event(client, event).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200, 200, 200, 200]
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    db.session.expire_all()  # read what the other transactions committed
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "paid", payment.review_reason
    assert _confirmations(sub_order_id) == 1
