"""The eight money defects of issue #13, each reproduced by a test that failed before its fix.

Concurrent ones run real threads against the real PostgreSQL (marked ``postgres``).
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.auth.models import User
from marketplace.catalogue.models import Product
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderEvent
from marketplace.orders.status import transition
from marketplace.payments import commands as payment_commands
from marketplace.payments import ledger, payouts, refunds, services
from marketplace.payments.models import PayoutBatch, Refund, StripeEvent
from marketplace.timeutil import utcnow
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.fakes.stripe_server import StripeApiError, post_event
from tests.helpers import csrf_token, login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    english,
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")

MILLION_MAD = 100_000_000  # centimes


# --- 8. money overflow -------------------------------------------------------------------


@pytest.mark.postgres
def test_every_money_column_is_64_bit_on_postgresql(app):
    columns = []
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if column["name"].endswith("_cents"):
                columns.append((table, column["name"], str(column["type"])))
    assert columns
    assert [c for c in columns if c[2] != "BIGINT"] == []


def test_an_order_above_the_cap_is_refused_with_a_clear_message(app, stripe_keys):
    product = ProductFactory(price_cents=MILLION_MAD, stock=50)
    with app.test_request_context("/en/"), pytest.raises(InvalidInput) as refused:
        place([(product, 22)], method="card", locale="en")
    assert "may not exceed" in english(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(select(Order)) is None
    assert db.session.get(type(product), product.id).stock == 50


def test_the_review_page_refuses_a_huge_order_without_a_500(client, stripe_keys):
    product = ProductFactory(price_cents=MILLION_MAD, stock=50)
    token = csrf_token(client, f"/en/products/{product.slug}")
    client.post(
        "/en/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": 22}
    )
    shipping = {
        "email": "amina@example.ma",
        "contact_name": "Amina Ait Lahcen",
        "phone": "06 12 34 56 78",
        "address_line1": "Rue 5, Hay Salam",
        "city": "Errachidia",
        "country": "MA",
        "payment_method": "card",
    }
    assert post_form(client, "/en/checkout", shipping).status_code == 303
    review = client.get("/en/checkout/review").get_data(as_text=True)
    fields = {}
    for name in ("csrf_token", "token", "fingerprint"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', review) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', review
        )
        if match:
            fields[name] = match.group(1)
    response = client.post("/en/checkout/review", data=fields, follow_redirects=True)
    assert response.status_code < 500
    assert "may not exceed" in response.get_data(as_text=True)
    assert db.session.scalar(select(Order)) is None


# --- 1. double payout --------------------------------------------------------------------


def _card_paid(app, stripe_fake, product, quantity=1):
    order = place([(product, quantity)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_fake.complete_session(payment.stripe_session_id))
    db.session.commit()
    return order.sub_orders[0]


@pytest.fixture
def owed_coop(app, stripe_keys):
    """A cooperative owed 90 MAD for a delivered card sale (100 MAD, 10 % commission)."""
    coop = CooperativeFactory(shipping_fee_cents=0, rib="011780000012345678901235")
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=10, category=CategoryFactory(commission_bp=1000)
    )
    sub = _card_paid(app, stripe_keys, product)
    deliver(sub)
    assert ledger.balance_cents(coop.id) == 9000
    db.session.commit()
    return coop, sub


@pytest.mark.postgres
def test_two_simultaneous_new_batch_requests_make_one_batch(app, owed_coop):
    coop, _sub = owed_coop
    admin = AdminFactory()
    admin_id = admin.id
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def new_batch():
        with app.app_context():
            barrier.wait(30)
            try:
                payouts.create_batch(db.session.get(User, admin_id))
                db.session.commit()
                outcomes.append("created")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=new_batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["BatchAlreadyOpen", "created"]
    assert outcomes.count("created") == 1
    [batch] = db.session.scalars(select(PayoutBatch)).all()
    payouts.mark_paid(batch, "VIR-1", admin)
    db.session.commit()
    assert ledger.balance_cents(coop.id) == 0


def test_the_database_refuses_a_second_open_batch(app, owed_coop):
    db.session.add_all([PayoutBatch(), PayoutBatch()])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_second_new_batch_request_is_refused_with_a_message(client, owed_coop):
    login(client, AdminFactory())
    for _ in range(2):
        response = post_form(
            client,
            "/en/admin/payments/payouts/new",
            {},
            form_url="/en/admin/payments/payouts",
            follow_redirects=True,
        )
        assert response.status_code == 200
    assert "A payout batch is already open" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PayoutBatch)) == 1


# --- 2. payout of an outdated amount -----------------------------------------------------


def test_marking_paid_after_a_refund_is_refused_until_the_batch_is_rebuilt(
    client, owed_coop, stripe_keys
):
    coop, sub = owed_coop
    admin = AdminFactory()
    login(client, admin)
    post_form(client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts")
    batch = db.session.scalar(select(PayoutBatch))
    assert [p.amount_cents for p in batch.payouts] == [9000]
    db.session.commit()
    # a refund between creation and "mark paid": 60 MAD back, 6 MAD commission returned
    refunds.create_refund(sub, 6000, "broken jar", admin)
    db.session.commit()
    assert ledger.balance_cents(coop.id) == 3600
    db.session.commit()

    url = f"/en/admin/payments/payouts/{batch.id}"
    response = post_form(client, url, {"reference": "VIR-1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Rebuild the batch" in html and "36.00" in html
    assert ledger.balance_cents(coop.id) == 3600  # nothing paid
    db.session.commit()

    response = post_form(client, f"{url}/rebuild", {}, form_url=url)
    assert response.status_code == 303
    exported = client.get(f"{url}.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["amount_mad"] for r in rows] == ["36.00"]
    assert post_form(client, url, {"reference": "VIR-1"}).status_code == 303
    assert ledger.balance_cents(coop.id) == 0
    db.session.commit()
    paid = db.session.scalar(select(PayoutBatch))
    assert paid.status == "paid" and paid.total_cents == 3600


# --- 6. stock held forever ---------------------------------------------------------------


def _age(order, minutes: int = 61) -> None:
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(created_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def _expire_unpaid(app) -> str:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "expire-unpaid"])
    db.session.expire_all()
    return result.output


def _start(app, order):
    with app.test_request_context("/fr/"):
        return services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )


def test_an_order_stripe_never_saw_releases_its_stock_once_after_an_hour(app, stripe_keys):
    product = ProductFactory(price_cents=5000, stock=10)
    order = place([(product, 3)], method="card")
    stripe_keys.failing = StripeApiError(500, "Stripe is down", "api_error")
    with pytest.raises(services.PaymentUnavailable):
        _start(app, order)
    db.session.rollback()
    stripe_keys.failing = None
    assert db.session.get(Product, product.id).stock == 7

    assert "expired: 0" in _expire_unpaid(app)  # not due yet
    assert db.session.get(Product, product.id).stock == 7
    _age(order)
    assert "expired: 1" in _expire_unpaid(app)
    assert "expired: 0" in _expire_unpaid(app)  # again: nothing more
    assert db.session.get(Product, product.id).stock == 10
    assert services.payment_for(order).status == "expired"
    assert {s.status for s in order.sub_orders} == {"cancelled"}
    db.session.commit()


def test_an_open_session_is_expired_at_stripe_before_the_stock_is_released(app, stripe_keys):
    product = ProductFactory(price_cents=5000, stock=10)
    order = place([(product, 2)], method="card")
    _start(app, order)
    db.session.commit()
    sid = services.payment_for(order).stripe_session_id
    _age(order)
    assert "expired: 1" in _expire_unpaid(app)
    assert stripe_keys.sessions[sid]["status"] == "expired"
    assert db.session.get(Product, product.id).stock == 10
    db.session.commit()


def test_a_session_paid_but_never_reported_is_applied_instead_of_expired(app, stripe_keys):
    product = ProductFactory(price_cents=5000, stock=10)
    order = place([(product, 2)], method="card")
    _start(app, order)
    db.session.commit()
    stripe_keys.complete_session(services.payment_for(order).stripe_session_id)  # no webhook
    _age(order)
    assert "paid meanwhile: 1" in _expire_unpaid(app)
    assert services.payment_for(order).status == "paid"
    assert db.session.get(Product, product.id).stock == 8
    db.session.commit()


def test_paying_after_the_deadline_is_refused_with_a_message(app, stripe_keys):
    order = place([(ProductFactory(price_cents=5000), 1)], method="card")
    _age(order)
    with pytest.raises(DomainError) as refused:
        _start(app, order)
    assert "time to pay this order has run out" in english(refused.value.message)
    db.session.rollback()
    assert stripe_keys.requests_to("/v1/checkout/sessions") == []


@pytest.mark.postgres
def test_two_expiry_runs_at_once_release_the_stock_once(app, stripe_keys):
    product = ProductFactory(price_cents=5000, stock=10)
    orders_ = [place([(product, 1)], method="card") for _ in range(4)]
    for order in orders_:
        _age(order)
    product_id = product.id
    db.session.commit()
    barrier = threading.Barrier(2)
    totals: list[dict] = []

    def run():
        with app.app_context():
            barrier.wait(30)
            totals.append(payment_commands.expire_unpaid())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(t["expired"] for t in totals) == 4
    assert sum(t["failed"] for t in totals) == 0
    assert db.session.get(Product, product_id).stock == 10
    cancellations = db.session.scalar(
        select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "cancelled")
    )
    assert cancellations == 4


# --- 4. idempotency keys reused with other parameters ------------------------------------


def _lose_the_answer(app, stripe_fake, order, path="/v1/checkout/sessions"):
    stripe_fake.drop_answers(path, times=10)
    with pytest.raises(services.PaymentUnavailable):
        _start(app, order)
    db.session.rollback()
    stripe_fake.drops.clear()


def test_a_checkout_retried_after_a_lost_answer_sends_the_same_request(app, stripe_keys):
    order = place([(ProductFactory(price_cents=5000, stock=5), 1)], method="card")
    _lose_the_answer(app, stripe_keys, order)
    assert len(stripe_keys.sessions) == 1  # Stripe made it; we never heard
    time.sleep(1.1)  # a retry a moment later (expires_at counts seconds)
    url = _start(app, order)
    db.session.commit()
    [sid] = stripe_keys.sessions
    assert url.endswith(sid)
    assert services.payment_for(order).stripe_session_id == sid
    calls = stripe_keys.requests_to("/v1/checkout/sessions")
    assert {c["key"] for c in calls} == {f"order-{order.id}-checkout-v1"}
    assert all(c["params"] == calls[0]["params"] for c in calls)
    db.session.commit()


def test_an_order_whose_checkout_answer_was_lost_expires_its_stripe_session(app, stripe_keys):
    product = ProductFactory(price_cents=5000, stock=5)
    order = place([(product, 2)], method="card")
    _lose_the_answer(app, stripe_keys, order)
    [sid] = stripe_keys.sessions
    _age(order)
    assert "expired: 1" in _expire_unpaid(app)
    assert stripe_keys.sessions[sid]["status"] == "expired"
    assert db.session.get(Product, product.id).stock == 5
    db.session.commit()


# --- 5. paid card sub-order cancelled without refund ------------------------------------


@pytest.fixture
def paid_sub(app, stripe_keys):
    """A paid, confirmed card sub-order of 2 × 100 MAD (stock 10 → 8)."""
    coop = CooperativeFactory(shipping_fee_cents=0)
    product = ProductFactory(cooperative=coop, price_cents=10000, stock=10)
    sub = _card_paid(app, stripe_keys, product, 2)
    assert sub.status == "confirmed"
    return sub


def test_a_shopper_cannot_cancel_a_paid_card_order_without_a_refund(client, paid_sub):
    order = paid_sub.order
    product_id = paid_sub.lines[0].product_id
    login(client, order.user)
    response = post_form(
        client,
        f"/en/orders/{order.number}/cancel",
        {"sub_order_id": str(paid_sub.id)},
        form_url=f"/en/orders/{order.number}",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "only the platform team can cancel it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert paid_sub.status == "confirmed"
    assert db.session.get(Product, product_id).stock == 8
    assert services.payment_for(order).status == "paid"
    db.session.commit()


def test_a_cooperative_cannot_cancel_a_shipped_paid_card_order(client, paid_sub):
    from tests.payments_support import advance

    advance(paid_sub, "shipped")
    login(client, MemberFactory(cooperative=paid_sub.cooperative))
    url = f"/en/dashboard/orders/{paid_sub.id}"
    response = post_form(
        client,
        f"/en/dashboard/orders/{paid_sub.id}/status",
        {"status": "cancelled", "reason": "Parcel lost"},
        form_url=url,
    )
    assert response.status_code == 409
    assert "only the platform team can cancel it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert paid_sub.status == "shipped"
    db.session.commit()


def test_an_admin_cancels_a_paid_card_order_once_it_is_refunded(app, paid_sub):
    admin = AdminFactory()
    product_id = paid_sub.lines[0].product_id
    with app.test_request_context("/en/"), pytest.raises(DomainError) as refused:
        transition(paid_sub, "cancelled", admin, reason="out of stock")
    assert "refund it first" in english(refused.value.message)
    db.session.rollback()
    refunds.create_refund(paid_sub, 20000, "cancelled by the cooperative", admin)
    db.session.commit()
    transition(paid_sub, "cancelled", admin, reason="out of stock")
    db.session.commit()
    assert db.session.get(Product, product_id).stock == 10
    assert ledger.balance_cents(paid_sub.cooperative_id) == 0
    db.session.commit()


# --- 7. the success page and a racing webhook --------------------------------------------


def test_the_success_page_never_fails_when_the_webhook_commits_meanwhile(app, client, stripe_keys):
    """The webhook is delivered while the success page waits for Stripe's answer (after the
    page's transaction has read): on SQLite a write by the page would then fail."""
    shopper = UserFactory()
    order = place([(ProductFactory(price_cents=5000, stock=5), 1)], method="card", user=shopper)
    _start(app, order)
    db.session.commit()
    sid = services.payment_for(order).stripe_session_id
    session = stripe_keys.complete_session(sid)
    event = stripe_keys.event("checkout.session.completed", session)
    webhook_client = app.test_client()
    delivered: list[int] = []

    def webhook_meanwhile(_payload):
        if not delivered:
            delivered.append(post_event(webhook_client, event).status_code)

    stripe_keys.before_answer.append(("GET", f"/v1/checkout/sessions/{sid}", webhook_meanwhile))
    login(client, shopper)
    response = client.get(f"/en/orders/{order.number}/paid")
    assert delivered == [200]
    assert response.status_code == 200
    assert 'data-done="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.payment_for(order).status == "paid"
    db.session.commit()


# --- 3. lost refund ----------------------------------------------------------------------


@pytest.fixture
def delivered_card(app, stripe_keys):
    """A delivered card sub-order of 2 × 100 MAD, 10 % commission: the cooperative is owed
    180 MAD."""
    coop = CooperativeFactory(shipping_fee_cents=0)
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=10, category=CategoryFactory(commission_bp=1000)
    )
    sub = _card_paid(app, stripe_keys, product, 2)
    deliver(sub)
    assert ledger.balance_cents(sub.cooperative_id) == 18000
    db.session.commit()
    return sub


def test_a_refund_webhook_arriving_before_stripes_answer_is_applied(
    app, stripe_keys, delivered_card
):
    sub = delivered_card
    coop_id = sub.cooperative_id
    stripe_keys.refund_status = "pending"
    webhook_client = app.test_client()
    answers: list[int] = []

    def webhook_meanwhile(refund):
        refund = {**refund, "status": "succeeded"}
        stripe_keys.refunds[refund["id"]]["status"] = "succeeded"
        answers.append(
            post_event(webhook_client, stripe_keys.event("refund.updated", refund)).status_code
        )

    stripe_keys.before_answer.append(("POST", "/v1/refunds", webhook_meanwhile))
    refund = refunds.create_refund(sub, 5000, "broken jar", AdminFactory())
    db.session.commit()
    assert answers == [200]
    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    # Stripe's (older) "pending" answer does not undo the webhook's "succeeded"
    assert refund.status == "succeeded"
    assert refund.stripe_refund_id in stripe_keys.refunds
    assert ledger.balance_cents(coop_id) == 18000 - 5000 + 500
    db.session.commit()


def test_a_webhook_about_a_refund_not_recorded_yet_is_not_marked_handled(
    app, client, stripe_keys, delivered_card
):
    sub = delivered_card
    intent = services.payment_for(sub.order).stripe_payment_intent_id
    db.session.commit()
    unknown = {
        "id": "re_test_unknown",
        "object": "refund",
        "amount": 5000,
        "payment_intent": intent,
        "status": "succeeded",
        "metadata": {"refund_id": "999", "sub_order_id": str(sub.id)},
    }
    event = stripe_keys.event("refund.updated", unknown)
    response = post_event(client, event)
    assert response.status_code == 409  # Stripe delivers it again later
    assert db.session.get(StripeEvent, event["id"]) is None
    db.session.commit()


def test_reconcile_sends_a_refund_whose_answer_was_lost_and_settles_pending_ones(
    app, stripe_keys, delivered_card
):
    sub = delivered_card
    coop_id = sub.cooperative_id
    admin = AdminFactory()
    stripe_keys.drop_answers("/v1/refunds", times=10)
    lost = refunds.create_refund(sub, 5000, "lost answer", admin)
    db.session.commit()
    stripe_keys.drops.clear()
    assert (lost.status, lost.stripe_refund_id) == ("pending", None)
    assert len(stripe_keys.refunds) == 1  # Stripe did refund
    stripe_keys.refund_status = "pending"
    slow = refunds.create_refund(sub, 2000, "slow bank", admin)
    db.session.commit()
    assert slow.status == "pending" and slow.stripe_refund_id
    stripe_keys.refunds[slow.stripe_refund_id]["status"] = "succeeded"

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "refunds settled: 2" in result.output
    db.session.expire_all()
    assert db.session.get(Refund, lost.id).status == "succeeded"
    assert db.session.get(Refund, slow.id).status == "succeeded"
    assert len(stripe_keys.refunds) == 2  # the lost one was not refunded twice
    calls = [c for c in stripe_keys.requests_to("/v1/refunds") if c["key"] == lost.idempotency_key]
    assert len(calls) >= 2 and all(c["params"] == calls[0]["params"] for c in calls)
    assert ledger.balance_cents(coop_id) == 18000 - 7000 + 700
    db.session.commit()
