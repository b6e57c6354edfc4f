"""Paying by card: the Checkout Session, the success page, reconciliation, no keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.payments import services
from marketplace.payments.models import Payment
from tests.factories import CooperativeFactory, ProductFactory, UserFactory
from tests.fakes.stripe_server import post_event as _post_event
from tests.helpers import login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")


def post_event(client, event):
    db.session.commit()
    return _post_event(client, event)


@pytest.fixture
def shopper():
    return UserFactory(email="amina@example.ma")


@pytest.fixture
def order(stripe_keys, shopper):
    """Two products of one cooperative and one of another: 3 product lines, 2 shipping."""
    first = CooperativeFactory(shipping_fee_cents=3000)
    second = CooperativeFactory(shipping_fee_cents=2500)
    dates = ProductFactory(cooperative=first, price_cents=8000, stock=10)
    saffron = ProductFactory(cooperative=first, price_cents=15000, stock=10)
    roses = ProductFactory(cooperative=second, price_cents=4550, stock=10)
    placed = place([(dates, 2), (saffron, 1), (roses, 3)], method="card", user=shopper)
    db.session.commit()
    return placed


def _payment(order) -> Payment:
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    db.session.commit()
    return payment


def test_paying_creates_a_checkout_session_from_the_server_side_totals(
    client, order, shopper, stripe_fake
):
    login(client, shopper)
    url = f"/fr/orders/{order.number}/pay"
    response = post_form(client, url, {})
    session_id = _payment(order).stripe_session_id
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://checkout.stripe.test/c/pay/{session_id}"

    [created] = stripe_fake.requests_to("/v1/checkout/sessions")
    params = created["params"]
    assert created["key"] == f"order-{order.id}-checkout-v1"
    assert params["mode"] == "payment"
    assert params["metadata"]["order_id"] == str(order.id)
    assert params["customer_email"] == "amina@example.ma"
    assert params["locale"] == "fr"
    assert params["success_url"].endswith(f"/fr/orders/{order.number}/paid")
    assert params["cancel_url"].endswith(f"/fr/orders/{order.number}/payment-cancelled")
    items = params["line_items"]
    assert len(items) == 5  # three products, two cooperatives' shipping
    assert {i["price_data"]["currency"] for i in items} == {"mad"}
    amounts = sorted((int(i["price_data"]["unit_amount"]), int(i["quantity"])) for i in items)
    assert amounts == [(2500, 1), (3000, 1), (4550, 3), (8000, 2), (15000, 1)]
    total = sum(a * q for a, q in amounts)
    assert total == order.total_cents == stripe_fake.sessions[session_id]["amount_total"]


def test_paying_twice_reuses_the_open_session(client, order, shopper, stripe_fake):
    login(client, shopper)
    url = f"/fr/orders/{order.number}/pay"
    first = post_form(client, url, {})
    second = post_form(client, url, {})
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stripe_fake.requests_to("/v1/checkout/sessions")) == 1


@pytest.mark.parametrize(("locale", "stripe_locale"), [("en", "en"), ("ar", "auto")])
def test_the_checkout_page_speaks_the_shoppers_language(
    client, order, shopper, stripe_fake, locale, stripe_locale
):
    login(client, shopper)
    post_form(client, f"/{locale}/orders/{order.number}/pay", {})
    [created] = stripe_fake.requests_to("/v1/checkout/sessions")
    assert created["params"]["locale"] == stripe_locale


def test_someone_elses_order_cannot_be_paid_or_watched(client, order):
    login(client, UserFactory())
    assert client.get(f"/fr/orders/{order.number}/pay").status_code == 404
    assert client.get(f"/fr/orders/{order.number}/payment-status").status_code == 404
    assert client.get(f"/fr/orders/{order.number}/paid").status_code == 404


def test_the_success_redirect_alone_never_marks_the_order_paid(client, order, shopper):
    login(client, shopper)
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    response = client.get(
        f"/fr/orders/{order.number}/paid?session_id=cs_forged&payment_status=paid"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "payment_status.js" in html
    assert 'data-done="false"' in html
    assert _payment(order).status == "pending"
    status = client.get(f"/fr/orders/{order.number}/payment-status").get_json()
    assert status["paid"] is False
    assert status["done"] is False


def test_the_success_page_asks_stripe_without_writing_and_the_webhook_applies_it(
    client, order, shopper, stripe_fake
):
    login(client, shopper)
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    sid = _payment(order).stripe_session_id
    session = stripe_fake.complete_session(sid)
    html = client.get(f"/fr/orders/{order.number}/paid").get_data(as_text=True)
    assert 'data-done="true"' in html  # Stripe says it is paid: the page says so
    # a page view writes nothing (issue #13, defect 7): the webhook applies the payment
    assert _payment(order).status == "pending"
    assert client.get(f"/fr/orders/{order.number}/payment-status").get_json()["paid"] is False
    # the webhook arrives after the redirect
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    payment = _payment(order)
    assert payment.status == "paid"
    assert not payment.flagged_for_review
    assert {s.status for s in payment.order.sub_orders} == {"confirmed"}


def test_the_cancel_page_offers_to_pay_again(client, order, shopper):
    login(client, shopper)
    response = client.get(f"/fr/orders/{order.number}/payment-cancelled")
    assert response.status_code == 200
    assert f"/fr/orders/{order.number}/pay" in response.get_data(as_text=True)


def test_reconcile_applies_what_the_webhooks_missed(app, client, order, shopper, stripe_fake):
    other = place([(ProductFactory(price_cents=1000, stock=3), 1)], method="card")
    login(client, shopper)
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            other, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    stripe_fake.complete_session(_payment(order).stripe_session_id)
    stripe_fake.expire(_payment(other).stripe_session_id)
    product_id = other.sub_orders[0].lines[0].product_id
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert _payment(order).status == "paid"
    assert _payment(other).status == "expired"
    assert db.session.get(Product, product_id).stock == 3
    db.session.commit()
    # running it again changes nothing
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert again.exit_code == 0, again.output
    assert _payment(order).status == "paid"
    assert db.session.get(Product, product_id).stock == 3


def test_reconcile_replays_missed_events_once(app, client, order, shopper, stripe_fake):
    login(client, shopper)
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    session = stripe_fake.complete_session(_payment(order).stripe_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "events applied: 1" in result.output
    assert _payment(order).status == "paid"
    assert post_event(client, event).get_json()["duplicate"] is True


def test_without_stripe_keys_there_is_no_card_payment(app, client):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert not app.config.get(name)
    assert services.card_payments_enabled() is False
    product = ProductFactory(stock=5)
    with pytest.raises(InvalidInput):
        place([(product, 1)], method="card")
    db.session.rollback()
    cod = place([(product, 1)], method="cod")
    assert services.payment_for(cod).provider == "cash"
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "not configured" in result.output


def test_the_webhook_refuses_everything_without_a_secret(app, client):
    response = client.post(
        "/payments/stripe/webhook",
        data="{}",
        headers={"Stripe-Signature": "t=1,v1=abc"},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_the_pay_page_and_the_admin_list_render_in_arabic(client, order, shopper, stripe_fake):
    login(client, shopper)
    page = client.get(f"/ar/orders/{order.number}/pay")
    assert page.status_code == 200
    assert f'action="/ar/orders/{order.number}/pay"' in page.get_data(as_text=True)
    session = stripe_fake.complete_session(
        _paid_session(client, order, stripe_fake), amount_total=1
    )
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    from tests.factories import AdminFactory

    admin_client = client.application.test_client()
    login(admin_client, AdminFactory())
    listing = admin_client.get("/ar/admin/payments?flagged=1")
    assert listing.status_code == 200
    assert order.number in listing.get_data(as_text=True)
    detail = admin_client.get(f"/ar/admin/payments/orders/{order.number}")
    assert "mismatch" in detail.get_data(as_text=True)
    assert admin_client.get("/ar/admin/payments?page=abc").status_code == 200


def _paid_session(client, order, stripe_fake) -> str:
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    return _payment(order).stripe_session_id


def test_a_part_cancelled_before_paying_is_not_charged(client, order, shopper, stripe_fake):
    from marketplace.orders.status import cancel_by_shopper

    login(client, shopper)
    first = post_form(client, f"/fr/orders/{order.number}/pay", {})
    old_session = _payment(order).stripe_session_id
    db.session.expire_all()
    cancelled = order.sub_orders[1]
    cancel_by_shopper(order, [cancelled.id], shopper)
    db.session.commit()
    second = post_form(client, f"/fr/orders/{order.number}/pay", {})
    assert second.headers["Location"] != first.headers["Location"]
    assert stripe_fake.sessions[old_session]["status"] == "expired"
    payment = _payment(order)
    assert payment.amount_cents == order.total_cents - cancelled.total_cents
    assert stripe_fake.sessions[payment.stripe_session_id]["amount_total"] == payment.amount_cents
    keys = [r["key"] for r in stripe_fake.requests_to("/v1/checkout/sessions")]
    assert keys == [
        f"order-{order.id}-checkout-v1",
        f"order-{order.id}-expire-v1",
        f"order-{order.id}-checkout-v2",
    ]
    session = stripe_fake.complete_session(payment.stripe_session_id)
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    payment = _payment(order)
    assert payment.status == "paid"
    assert not payment.flagged_for_review


def test_cancelling_a_whole_unpaid_card_order_closes_its_session(
    client, order, shopper, stripe_fake
):
    from marketplace.orders.status import cancel_by_shopper

    login(client, shopper)
    post_form(client, f"/fr/orders/{order.number}/pay", {})
    sid = _payment(order).stripe_session_id
    db.session.expire_all()
    cancel_by_shopper(order, None, shopper)
    db.session.commit()
    assert stripe_fake.sessions[sid]["status"] == "expired"
    assert _payment(order).status == "cancelled"


def test_reconcile_says_so_when_stripe_does_not_answer(app, order, stripe_fake):
    from tests.fakes.stripe_server import StripeApiError

    stripe_fake.failing = StripeApiError(500, "Stripe is down")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    stripe_fake.failing = None
    assert result.exit_code == 1
    assert "Stripe did not answer" in result.output
