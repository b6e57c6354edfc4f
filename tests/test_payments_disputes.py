"""Disputes (issue #13): ``charge.dispute.*`` events signed like Stripe's, delivered in any
order and any number of times; the ledger, the cooperatives' balances, the review queue, the
admin pages and the e-mails follow. Amounts are computed by hand in each test."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, refunds, services
from marketplace.payments.models import (
    Dispute,
    DisputeShare,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Refund,
    StripeEvent,
)
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
)
from tests.fakes.stripe_server import post_event as _post_event
from tests.helpers import login, post_form, subject_is
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    english,
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")


def post_event(client, event):
    db.session.commit()  # end the test's own transaction (SQLite has one writer)
    return _post_event(client, event)


def _pay(app, stripe_fake, client, order):
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    session = stripe_fake.complete_session(services.payment_for(order).stripe_session_id)
    response = post_event(client, stripe_fake.event("checkout.session.completed", session))
    assert response.status_code == 200
    db.session.expire_all()
    return services.payment_for(order).stripe_payment_intent_id


@pytest.fixture
def people():
    admin = AdminFactory(locale="en")
    coop = CooperativeFactory(shipping_fee_cents=3000)
    member = MemberFactory(cooperative=coop, locale="en")
    db.session.commit()
    return admin, coop, member


@pytest.fixture
def delivered(app, client, stripe_keys, people):
    """A delivered card order: 2 × 100 MAD + 30 MAD shipping = 230 MAD, 10 % commission on
    the items (20 MAD): the cooperative is owed 210 MAD."""
    _admin, coop, _member = people
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=10, category=CategoryFactory(commission_bp=1000)
    )
    order = place([(product, 2)], method="card")
    intent = _pay(app, stripe_keys, client, order)
    sub = order.sub_orders[0]
    deliver(sub)
    assert _balance(coop.id) == 21000
    return sub, intent


def _balance(coop_id) -> int:
    value = ledger.balance_cents(coop_id)
    db.session.commit()
    return value


def _available(coop_id) -> int:
    value = ledger.available_cents(coop_id)
    db.session.commit()
    return value


def _posted(kind: str) -> int:
    count = db.session.scalar(
        select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == kind)
    )
    db.session.commit()
    return count


def _account(account: str) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.account == account
        )
    )
    db.session.commit()
    return int(total)


def _admins() -> set[str]:
    emails = set(db.session.scalars(select(User.email).where(User.role == "admin")))
    db.session.commit()
    return emails


OPENED = "A bank disputes the payment of order %(number)s"
DECIDED = "Dispute about order %(number)s decided"


def _mails(outbox, msgid: str) -> dict[str, str]:
    return {m["To"]: m.get_content() for m in outbox() if subject_is(m["Subject"], msgid)}


def test_a_dispute_opened_then_lost_is_charged_to_the_cooperative(
    app, client, stripe_keys, people, delivered, outbox
):
    admin, coop, member = people
    sub, intent = delivered
    dispute = stripe_keys.open_dispute(intent, reason="product_not_received")

    assert (
        post_event(client, stripe_keys.event("charge.dispute.created", dispute)).status_code == 200
    )

    row = db.session.scalar(select(Dispute))
    assert (row.stripe_dispute_id, row.amount_cents, row.status, row.reason) == (
        dispute["id"],
        23000,
        "needs_response",
        "product_not_received",
    )
    assert [(s.sub_order_id, s.amount_cents) for s in row.shares] == [(sub.id, 23000)]
    payment = services.payment_for(sub.order)
    assert payment.flagged_for_review and dispute["id"] in payment.review_reason
    # Stripe took 230 MAD from the platform's balance; the cooperative's balance is unchanged
    # but its sale is held: nothing can be paid out while the dispute is open.
    assert _posted("dispute_withdrawn") == 1
    assert _account("disputes") == -23000
    assert _balance(coop.id) == 21000
    assert _available(coop.id) == 0
    with pytest.raises(InvalidInput) as refused:
        payouts.create_batch(admin)
    db.session.rollback()
    assert "No cooperative can be paid now" in english(refused.value.message)
    # a refund is refused while the dispute is open (Stripe would refuse it too)
    with pytest.raises(Conflict) as refused:
        refunds.create_refund(sub, 1000, "goodwill", admin)
    db.session.rollback()
    assert "disputes this payment" in english(refused.value.message)
    assert stripe_keys.requests_to("/v1/refunds") == []

    opened = _mails(outbox, OPENED)
    assert set(opened) == _admins() | {member.email}  # every admin, the cooperative
    assert "230.00" in opened[admin.email] and "order never arrived" in opened[admin.email]
    assert f"/en/admin/payments/orders/{sub.order.number}" in opened[admin.email]
    assert "230.00" in opened[member.email] and "held" in opened[member.email]

    lost = stripe_keys.close_dispute(dispute["id"], "lost")
    assert post_event(client, stripe_keys.event("charge.dispute.closed", lost)).status_code == 200

    db.session.expire_all()
    assert db.session.scalar(select(Dispute)).status == "lost"
    [chargeback] = db.session.scalars(select(Refund)).all()
    assert (chargeback.amount_cents, chargeback.status, chargeback.dispute_id) == (
        23000,
        "succeeded",
        row.id,
    )
    # 210 - 230 + 20 (the commission on 200 MAD of items comes back): nothing left, nothing
    # owed; the money held by the card network is gone for good.
    assert _balance(coop.id) == 0
    assert _available(coop.id) == 0
    assert _account("disputes") == 0
    assert _account("commission") == 0
    kinds = db.session.scalars(
        select(LedgerEntry.kind)
        .where(LedgerEntry.cooperative_id == coop.id, LedgerEntry.account == "payable")
        .order_by(LedgerEntry.id)
    ).all()
    assert kinds == ["gross", "commission", "chargeback"]
    db.session.commit()
    closed = _mails(outbox, DECIDED)
    assert set(closed) == _admins() | {member.email}
    assert "230.00" in closed[member.email] and "deducted from your balance" in closed[member.email]
    assert "Dispute lost" in closed[admin.email]


def test_a_won_dispute_gives_the_money_back_and_releases_the_sale(
    app, client, stripe_keys, people, delivered, outbox
):
    admin, coop, member = people
    _sub, intent = delivered
    dispute = stripe_keys.open_dispute(intent, amount=5000, reason="product_unacceptable")
    post_event(client, stripe_keys.event("charge.dispute.created", dispute))
    assert _available(coop.id) == 0  # the whole sale is held, not only the disputed part
    review = stripe_keys.close_dispute(dispute["id"], "under_review")
    post_event(client, stripe_keys.event("charge.dispute.updated", review))
    assert db.session.scalar(select(Dispute.status)) == "under_review"
    db.session.commit()

    won = stripe_keys.close_dispute(dispute["id"], "won")
    assert post_event(client, stripe_keys.event("charge.dispute.closed", won)).status_code == 200

    assert _posted("dispute_withdrawn") == 1
    assert _posted("dispute_won") == 1
    assert _account("disputes") == 0
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert _balance(coop.id) == 21000
    assert _available(coop.id) == 21000
    closed = _mails(outbox, DECIDED)
    assert "in your favour" in closed[member.email]
    assert "Dispute won" in closed[admin.email]


def test_an_inquiry_takes_no_money_and_holds_the_sale_until_it_closes(
    app, client, stripe_keys, people, delivered
):
    _admin, coop, _member = people
    _sub, intent = delivered
    inquiry = stripe_keys.open_dispute(intent, status="warning_needs_response")
    post_event(client, stripe_keys.event("charge.dispute.created", inquiry))
    assert db.session.scalar(select(Dispute.status)) == "warning_needs_response"
    db.session.commit()
    assert _posted("dispute_withdrawn") == 0
    assert _available(coop.id) == 0

    closed = stripe_keys.close_dispute(inquiry["id"], "warning_closed")
    post_event(client, stripe_keys.event("charge.dispute.closed", closed))
    assert _posted("dispute_withdrawn") == 0
    assert _available(coop.id) == 21000


def test_events_out_of_order_and_replayed_have_one_effect(
    app, client, stripe_keys, people, delivered, outbox
):
    _admin, coop, member = people
    _sub, intent = delivered
    dispute = stripe_keys.open_dispute(intent)
    created = stripe_keys.event("charge.dispute.created", dispute)
    withdrawn = stripe_keys.event("charge.dispute.funds_withdrawn", dispute)
    closed = stripe_keys.event(
        "charge.dispute.closed", stripe_keys.close_dispute(dispute["id"], "lost")
    )

    # The decision arrives first, then the older events; then Stripe delivers it again.
    for event in (closed, withdrawn, created, closed):
        assert post_event(client, event).status_code == 200

    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 4  # 3 + payment
    assert db.session.scalar(select(Dispute.status)) == "lost"
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    db.session.commit()
    assert (_posted("dispute_withdrawn"), _posted("dispute_lost")) == (1, 1)
    assert _balance(coop.id) == 0
    # Told once that it was decided, never that it opened (it was closed when first seen).
    assert _mails(outbox, OPENED) == {}
    assert sorted(m["To"] for m in outbox() if subject_is(m["Subject"], DECIDED)) == sorted(
        [*_admins(), member.email]
    )


def test_a_dispute_over_two_cooperatives_is_shared_by_what_each_was_paid(app, client, stripe_keys):
    category = CategoryFactory(commission_bp=1000)
    coop_a = CooperativeFactory(shipping_fee_cents=2000)
    coop_b = CooperativeFactory(shipping_fee_cents=1000)
    dates = ProductFactory(cooperative=coop_a, price_cents=10000, stock=5, category=category)
    honey = ProductFactory(cooperative=coop_b, price_cents=5000, stock=5, category=category)
    order = place([(dates, 1), (honey, 1)], method="card")  # 120 + 60 MAD
    intent = _pay(app, stripe_keys, client, order)
    sub_a, sub_b = sorted(order.sub_orders, key=lambda s: s.cooperative_id != coop_a.id)
    deliver(sub_a)
    deliver(sub_b)
    assert (_balance(coop_a.id), _balance(coop_b.id)) == (11000, 5500)

    dispute = stripe_keys.open_dispute(intent, amount=9000)
    post_event(client, stripe_keys.event("charge.dispute.created", dispute))
    shares = dict(
        db.session.execute(select(DisputeShare.sub_order_id, DisputeShare.amount_cents)).all()
    )
    db.session.commit()
    assert shares == {sub_a.id: 6000, sub_b.id: 3000}  # 90 MAD in proportion of 120 and 60
    lost = stripe_keys.close_dispute(dispute["id"], "lost")
    post_event(client, stripe_keys.event("charge.dispute.closed", lost))

    # A: 110 - 60 + 6 (10 % of 60 MAD of items); B: 55 - 30 + 3.
    assert (_balance(coop_a.id), _balance(coop_b.id)) == (5600, 2800)


def test_a_lost_dispute_beyond_what_is_left_to_refund_is_the_platforms_loss(
    app, client, stripe_keys, people, delivered
):
    admin, coop, _member = people
    sub, intent = delivered
    refunds.create_refund(sub, 10000, "one jar broken", admin)
    db.session.commit()
    assert _balance(coop.id) == 21000 - 10000 + 1000
    dispute = stripe_keys.open_dispute(intent, amount=23000)
    post_event(client, stripe_keys.event("charge.dispute.created", dispute))
    lost = stripe_keys.close_dispute(dispute["id"], "lost")
    post_event(client, stripe_keys.event("charge.dispute.closed", lost))

    chargeback = db.session.scalar(select(Refund).where(Refund.dispute_id.is_not(None)))
    assert chargeback.amount_cents == 13000  # what was left of the sale
    db.session.commit()
    # 120 - 130 + 10 (the rest of the commission on the items) = 0; 100 MAD refunded twice
    # by the bank and by us is the platform's loss.
    assert _balance(coop.id) == 0
    assert _account("dispute_losses") == -10000
    assert _account("disputes") == 0


def test_a_dispute_between_a_batch_and_its_payment_is_refused_clearly(
    app, client, stripe_keys, people, delivered
):
    admin, coop, _member = people
    _sub, intent = delivered
    batch = payouts.create_batch(admin)
    db.session.commit()
    post_event(
        client, stripe_keys.event("charge.dispute.created", stripe_keys.open_dispute(intent))
    )
    login(client, admin)
    url = f"/en/admin/payments/payouts/{batch.id}"
    response = post_form(client, url, {"reference": "VIR-1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "a refund or a dispute was recorded since" in page
    assert _balance(coop.id) == 21000


def test_a_dispute_about_a_payment_we_do_not_know_is_ignored(app, client, stripe_keys):
    event = stripe_keys.event(
        "charge.dispute.created",
        {
            "id": "du_test_unknown",
            "object": "dispute",
            "amount": 1000,
            "currency": "mad",
            "payment_intent": "pi_test_not_ours",
            "reason": "fraudulent",
            "status": "needs_response",
        },
    )
    assert post_event(client, event).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_the_pages_show_open_disputes(app, client, stripe_keys, people, delivered):
    admin, _coop, member = people
    sub, intent = delivered
    dispute = stripe_keys.open_dispute(intent, reason="fraudulent")
    post_event(client, stripe_keys.event("charge.dispute.created", dispute))

    login(client, admin)
    page = client.get("/en/admin/payments").get_data(as_text=True)
    assert "Open disputes" in page and sub.order.number in page
    assert "Disputed: answer needed" in page and "did not make this payment" in page
    page = client.get(f"/en/admin/payments/orders/{sub.order.number}").get_data(as_text=True)
    assert dispute["id"] in page and "To review" in page
    assert "Disputed: held from payouts until the dispute is decided" in page
    arabic = client.get("/ar/admin/payments")
    assert arabic.status_code == 200

    client = app.test_client()
    login(client, member)
    response = client.get("/en/dashboard/balance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Held: the customer’s bank disputes the payment" in page
    assert "Pending: " in page and "210.00" in page
    assert client.get("/ar/dashboard/balance").status_code == 200

    lost = stripe_keys.close_dispute(dispute["id"], "lost")
    post_event(client, stripe_keys.event("charge.dispute.closed", lost))
    page = client.get("/en/dashboard/balance").get_data(as_text=True)
    assert "Dispute lost (chargeback)" in page
    assert "Held: the customer" not in page


@pytest.mark.postgres
def test_simultaneous_dispute_events_have_one_effect(app, stripe_keys, people, delivered):
    _admin, coop, _member = people
    _sub, intent = delivered
    dispute = stripe_keys.open_dispute(intent)
    created = stripe_keys.event("charge.dispute.created", dispute)
    closed = stripe_keys.event(
        "charge.dispute.closed", stripe_keys.close_dispute(dispute["id"], "lost")
    )
    db.session.commit()
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def deliver_event(event):
        client = app.test_client()
        barrier.wait(60)
        statuses.append(_post_event(client, event).status_code)

    threads = [
        threading.Thread(target=deliver_event, args=(event,))
        for event in (created, closed, created, closed)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [200, 200, 200, 200]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 1
    assert db.session.scalar(select(Dispute.status)) == "lost"
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    db.session.commit()
    assert (_posted("dispute_withdrawn"), _posted("dispute_lost")) == (1, 1)
    assert _balance(coop.id) == 0
    payment = db.session.scalar(select(Payment))
    assert payment.flagged_for_review
    db.session.commit()
