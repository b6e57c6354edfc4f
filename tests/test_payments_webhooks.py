"""The Stripe webhook: real signatures, replay protection, any order of arrival."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.payments import services
from marketplace.payments.models import Payment, StripeEvent
from tests.factories import ProductFactory
from tests.fakes.stripe_server import post_event as _post_event
from tests.fakes.stripe_server import sign
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")

WEBHOOK = "/payments/stripe/webhook"


def post_event(client, event, **kwargs):
    db.session.commit()  # end the test's own transaction (SQLite has one writer)
    return _post_event(client, event, **kwargs)


@pytest.fixture
def card(app, stripe_keys):
    """A card order (2 × 120 MAD + 30 MAD shipping) with its Checkout Session open."""
    product = ProductFactory(price_cents=12000, stock=10)
    order = place([(product, 2)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    return {
        "order": order,
        "payment": payment,
        "product": product,
        "sid": payment.stripe_session_id,
    }


def _stock(product) -> int:
    stock = db.session.scalar(select(Product.stock).where(Product.id == product.id))
    db.session.commit()
    return stock


def _events() -> int:
    count = db.session.scalar(select(func.count()).select_from(StripeEvent))
    db.session.commit()
    return count


def _reload(card):
    db.session.expire_all()
    return db.session.get(Payment, card["payment"].id)


def test_a_signed_completed_event_marks_the_order_paid(client, card, stripe_fake):
    assert _stock(card["product"]) == 8  # held while the session is open
    session = stripe_fake.complete_session(card["sid"])
    response = post_event(client, stripe_fake.event("checkout.session.completed", session))
    assert response.status_code == 200
    payment = _reload(card)
    assert payment.status == "paid"
    assert payment.paid_at is not None
    assert payment.stripe_payment_intent_id == session["payment_intent"]
    assert {s.status for s in payment.order.sub_orders} == {"confirmed"}
    assert _stock(card["product"]) == 8


def test_the_same_event_twice_has_one_effect(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"])
    event = stripe_fake.event("checkout.session.completed", session)
    assert post_event(client, event).status_code == 200
    events_after_first = _events()
    second = post_event(client, event)
    assert second.status_code == 200
    assert second.get_json()["duplicate"] is True
    assert _events() == events_after_first == 1
    payment = _reload(card)
    assert payment.status == "paid"
    assert [e.to_status for e in payment.order.sub_orders[0].events].count("confirmed") == 1


@pytest.mark.parametrize(
    "make_request",
    [
        pytest.param(
            lambda payload: {"Stripe-Signature": sign(payload, "whsec_someone_else")},
            id="wrong-secret",
        ),
        pytest.param(lambda payload: {"Stripe-Signature": sign(payload + " ")}, id="body-changed"),
        pytest.param(
            lambda payload: {"Stripe-Signature": sign(payload, timestamp=int(time.time()) - 3600)},
            id="stale-timestamp",
        ),
        pytest.param(
            lambda payload: {"Stripe-Signature": sign(payload, timestamp=int(time.time()) + 3600)},
            id="future-timestamp",
        ),
        pytest.param(lambda payload: {}, id="no-signature"),
        pytest.param(lambda payload: {"Stripe-Signature": "t=abc,v1=zz"}, id="garbage-header"),
    ],
)
def test_unverifiable_requests_are_refused_without_effect(client, card, stripe_fake, make_request):
    session = stripe_fake.complete_session(card["sid"])
    payload = json.dumps(stripe_fake.event("checkout.session.completed", session))
    db.session.commit()
    response = client.post(
        WEBHOOK, data=payload, headers=make_request(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert _events() == 0
    assert _reload(card).status == "pending"


def test_a_small_clock_difference_is_tolerated_in_both_directions(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"])
    ahead = stripe_fake.event("checkout.session.completed", session)
    behind = stripe_fake.event("checkout.session.completed", session)
    assert post_event(client, ahead, timestamp=int(time.time()) + 60).status_code == 200
    assert post_event(client, behind, timestamp=int(time.time()) - 60).status_code == 200
    assert _events() == 2
    assert _reload(card).status == "paid"


def test_a_malformed_body_with_a_valid_signature_is_refused(client, card):
    db.session.commit()
    for payload in ("{not json", "[1, 2]", json.dumps({"id": "evt_1", "object": "event"})):
        response = client.post(
            WEBHOOK,
            data=payload,
            headers={"Stripe-Signature": sign(payload)},
            content_type="application/json",
        )
        assert response.status_code == 400, payload
    assert _events() == 0
    assert _reload(card).status == "pending"


def test_an_unknown_event_type_is_acknowledged_and_ignored(client, card, stripe_fake):
    event = stripe_fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = post_event(client, event)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    assert _events() == 0
    assert _reload(card).status == "pending"


def test_the_webhook_needs_no_csrf_token_nor_language_prefix(client, card, stripe_fake):
    event = stripe_fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post_event(client, event).status_code == 200


def test_an_expired_session_releases_the_stock_once(client, card, stripe_fake):
    session = stripe_fake.expire(card["sid"])
    assert (
        post_event(client, stripe_fake.event("checkout.session.expired", session)).status_code
        == 200
    )
    assert _stock(card["product"]) == 10
    # a second, different event about the same expiry changes nothing
    assert (
        post_event(client, stripe_fake.event("checkout.session.expired", session)).status_code
        == 200
    )
    assert _stock(card["product"]) == 10
    payment = _reload(card)
    assert payment.status == "expired"
    assert {s.status for s in payment.order.sub_orders} == {"cancelled"}


def test_completed_after_expired_does_not_revive_the_order(client, card, stripe_fake):
    expired = dict(stripe_fake.expire(card["sid"]))
    assert (
        post_event(client, stripe_fake.event("checkout.session.expired", expired)).status_code
        == 200
    )
    paid = {**expired, "status": "complete", "payment_status": "paid", "payment_intent": "pi_late"}
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", paid)).status_code == 200
    )
    payment = _reload(card)
    assert payment.status == "expired"
    assert payment.flagged_for_review is True
    assert "released" in payment.review_reason
    assert {s.status for s in payment.order.sub_orders} == {"cancelled"}
    assert _stock(card["product"]) == 10  # released once, not twice


def test_expired_after_completed_changes_nothing(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"])
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    late = {**session, "status": "expired"}
    assert (
        post_event(client, stripe_fake.event("checkout.session.expired", late)).status_code == 200
    )
    payment = _reload(card)
    assert payment.status == "paid"
    assert {s.status for s in payment.order.sub_orders} == {"confirmed"}
    assert _stock(card["product"]) == 8


def test_an_amount_mismatch_flags_the_order_and_does_not_mark_it_paid(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"], amount_total=100)
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    payment = _reload(card)
    assert payment.status == "pending"
    assert payment.flagged_for_review is True
    assert "mismatch" in payment.review_reason
    assert {s.status for s in payment.order.sub_orders} == {"pending_payment"}


def test_a_currency_mismatch_flags_the_order(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"], currency="eur")
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    payment = _reload(card)
    assert payment.status == "pending"
    assert payment.flagged_for_review is True


def test_a_delayed_payment_waits_for_the_async_events(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"], payment_status="unpaid")
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    assert _reload(card).status == "processing"
    settled = stripe_fake.settle_async(card["sid"], succeeded=True)
    event = stripe_fake.event("checkout.session.async_payment_succeeded", settled)
    assert post_event(client, event).status_code == 200
    payment = _reload(card)
    assert payment.status == "paid"
    assert {s.status for s in payment.order.sub_orders} == {"confirmed"}


def test_a_failed_delayed_payment_releases_the_order(client, card, stripe_fake):
    session = stripe_fake.complete_session(card["sid"], payment_status="unpaid")
    failed = stripe_fake.event("checkout.session.async_payment_failed", session)
    assert post_event(client, failed).status_code == 200
    payment = _reload(card)
    assert payment.status == "failed"
    assert {s.status for s in payment.order.sub_orders} == {"cancelled"}
    assert _stock(card["product"]) == 10


def test_the_async_success_may_arrive_before_the_completed_event(client, card, stripe_fake):
    stripe_fake.complete_session(card["sid"], payment_status="unpaid")
    settled = stripe_fake.settle_async(card["sid"])
    early = stripe_fake.event("checkout.session.async_payment_succeeded", settled)
    late = stripe_fake.event("checkout.session.completed", {**settled, "payment_status": "unpaid"})
    assert post_event(client, early).status_code == 200
    assert post_event(client, late).status_code == 200
    assert _reload(card).status == "paid"


def test_a_session_that_is_not_ours_is_acknowledged(client, card, stripe_fake):
    stranger = {
        "id": "cs_test_stranger",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 25000,
        "currency": "mad",
        "metadata": {"order_id": str(card["order"].id), "order_number": "SOMETHING-ELSE"},
    }
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", stranger)).status_code
        == 200
    )
    assert _reload(card).status == "pending"


def test_a_failing_handler_answers_500_and_leaves_nothing_behind(client, card, stripe_fake):
    """charge.refunded without its refunds list makes us ask Stripe, which fails here."""
    from tests.fakes.stripe_server import StripeApiError

    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}
    event = stripe_fake.event("charge.refunded", charge)
    stripe_fake.failing = StripeApiError(400, "Stripe is unhappy")
    response = post_event(client, event)
    assert response.status_code == 500
    assert _events() == 0  # not recorded: Stripe's retry will be applied
    stripe_fake.failing = None
    assert post_event(client, event).status_code == 200
    assert _events() == 1
