"""Refunds by admins: through Stripe for card orders, recorded by hand for cash; never more
than what was paid; the ledger reverses them; the shopper is told."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.models import LedgerEntry, Refund
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
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")


def post_event(client, event):
    db.session.commit()
    return _post_event(client, event)


@pytest.fixture
def admin(client):
    user = AdminFactory()
    login(client, user)
    return user


@pytest.fixture
def paid_card(app, client, stripe_keys, stripe_fake):
    """A paid card order: 2 × 100 MAD + 30 MAD shipping = 230 MAD, 10 % commission."""
    coop = CooperativeFactory(shipping_fee_cents=3000)
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=10, category=CategoryFactory(commission_bp=1000)
    )
    order = place([(product, 2)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    session = stripe_fake.complete_session(services.payment_for(order).stripe_session_id)
    assert (
        post_event(client, stripe_fake.event("checkout.session.completed", session)).status_code
        == 200
    )
    db.session.expire_all()
    return order.sub_orders[0]


def _refund_url(sub) -> str:
    return f"/en/admin/payments/sub-orders/{sub.id}/refund"


def _form_url(sub) -> str:
    return f"/en/admin/payments/orders/{sub.order.number}"


def _balance(coop_id) -> int:
    value = ledger.balance_cents(coop_id)
    db.session.commit()
    return value


def test_an_admin_refunds_half_a_card_sub_order(client, admin, paid_card, stripe_fake, outbox):
    sub = paid_card
    deliver(sub)
    assert _balance(sub.cooperative_id) == 23000 - 2000
    response = post_form(
        client,
        _refund_url(sub),
        {"amount": "115", "reason": "One jar arrived broken"},
        form_url=_form_url(sub),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [call] = stripe_fake.requests_to("/v1/refunds")
    assert call["params"]["amount"] == "11500"
    assert (
        call["params"]["payment_intent"] == services.payment_for(sub.order).stripe_payment_intent_id
    )
    assert call["key"] == f"suborder-{sub.id}-refund-1"
    refund = db.session.scalar(select(Refund))
    assert (refund.amount_cents, refund.status, refund.manual) == (11500, "succeeded", False)
    # the cooperative gives back 115 MAD, the platform its 10 % commission on 115 MAD of items
    # (issue #13: the commission returned is computed on the items, which carry it)
    assert _balance(sub.cooperative_id) == 21000 - 11500 + 1150
    [mail] = [m for m in outbox() if "Refund" in m["Subject"] or "Rembours" in m["Subject"]]
    assert mail["To"] == sub.order.email
    assert "115" in mail.get_content()


def test_a_refund_larger_than_what_was_paid_is_refused(client, admin, paid_card, stripe_fake):
    sub = paid_card
    response = post_form(
        client,
        _refund_url(sub),
        {"amount": "230.01", "reason": "too much"},
        form_url=_form_url(sub),
    )
    assert response.status_code == 400
    assert "230.01" in response.get_data(as_text=True)  # what was typed is kept
    assert stripe_fake.requests_to("/v1/refunds") == []
    assert db.session.scalar(select(Refund)) is None
    # two refunds may not add up to more either
    assert (
        post_form(
            client, _refund_url(sub), {"amount": "200", "reason": "a"}, form_url=_form_url(sub)
        ).status_code
        == 303
    )
    response = post_form(
        client, _refund_url(sub), {"amount": "31", "reason": "b"}, form_url=_form_url(sub)
    )
    assert response.status_code == 400
    assert len(stripe_fake.requests_to("/v1/refunds")) == 1


@pytest.mark.parametrize("amount", ["-5", "0", "abc", "1e3", "12.345", ""])
def test_nonsense_amounts_are_form_errors(client, admin, paid_card, stripe_fake, amount):
    sub = paid_card
    response = post_form(
        client, _refund_url(sub), {"amount": amount, "reason": "r"}, form_url=_form_url(sub)
    )
    assert response.status_code == 400
    assert stripe_fake.requests_to("/v1/refunds") == []


def test_a_pending_refund_is_completed_by_stripes_events(client, admin, paid_card, stripe_fake):
    sub = paid_card
    deliver(sub)
    stripe_fake.refund_status = "pending"
    post_form(client, _refund_url(sub), {"amount": "50", "reason": "late"}, form_url=_form_url(sub))
    refund = db.session.scalar(select(Refund))
    assert refund.status == "pending"
    balance_before = _balance(sub.cooperative_id)
    stripe_fake.refunds[refund.stripe_refund_id]["status"] = "succeeded"
    intent = services.payment_for(sub.order).stripe_payment_intent_id
    db.session.commit()
    charge = stripe_fake.charge_for_intent(intent)
    assert post_event(client, stripe_fake.event("charge.refunded", charge)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert _balance(sub.cooperative_id) == balance_before - 5000 + 500  # 10 % of 50 MAD
    # the same news again changes nothing
    assert post_event(client, stripe_fake.event("charge.refunded", charge)).status_code == 200
    assert _balance(sub.cooperative_id) == balance_before - 5000 + 500


def test_a_refund_before_delivery_is_posted_with_the_delivery(client, admin, paid_card):
    sub = paid_card
    post_form(
        client,
        _refund_url(sub),
        {"amount": "30", "reason": "shipping", "shipping_only": "y"},
        form_url=_form_url(sub),
    )
    assert _balance(sub.cooperative_id) == 0
    deliver(sub)
    entries = db.session.scalars(
        select(LedgerEntry.kind).where(LedgerEntry.sub_order_id == sub.id)
    ).all()
    assert sorted(entries) == ["commission", "gross", "refund_reversal"]
    # shipping carries no commission: a shipping-only refund returns none (issue #13)
    assert _balance(sub.cooperative_id) == 23000 - 2000 - 3000


def test_goods_that_came_back_return_to_stock_once(client, admin, paid_card):
    sub = paid_card
    product_id = sub.lines[0].product_id
    deliver(sub)
    for amount in ("100", "100"):
        post_form(
            client,
            _refund_url(sub),
            {"amount": amount, "reason": "returned", "goods_returned": "y"},
            form_url=_form_url(sub),
        )
    db.session.expire_all()
    assert db.session.get(Product, product_id).stock == 10


def test_a_cash_order_is_refunded_by_hand_once_its_cash_was_collected(client, admin):
    coop = CooperativeFactory(shipping_fee_cents=0)
    product = ProductFactory(
        cooperative=coop, price_cents=10000, category=CategoryFactory(commission_bp=1000)
    )
    order = place([(product, 1)], method="cod")
    sub = order.sub_orders[0]
    response = post_form(
        client, _refund_url(sub), {"amount": "10", "reason": "r"}, form_url=_form_url(sub)
    )
    assert response.status_code == 400  # nothing was paid yet
    deliver(sub)
    services.mark_cash_collected(sub, admin)
    db.session.commit()
    assert _balance(coop.id) == -1000
    response = post_form(
        client, _refund_url(sub), {"amount": "50", "reason": "r"}, form_url=_form_url(sub)
    )
    assert response.status_code == 303
    refund = db.session.scalar(select(Refund))
    assert (refund.manual, refund.status, refund.stripe_refund_id) == (True, "succeeded", None)
    assert _balance(coop.id) == -1000 + 500  # half the commission debit is cancelled


def test_only_admins_refund(client, paid_card):
    from tests.factories import MemberFactory

    login(client, MemberFactory(cooperative=paid_card.cooperative))
    assert client.get(_form_url(paid_card)).status_code == 403
    assert client.post(_refund_url(paid_card), data={"amount": "1"}).status_code in (400, 403)


def test_ledger_entries_cannot_be_changed(paid_card):
    deliver(paid_card)
    entry = db.session.scalar(select(LedgerEntry))
    entry.amount_cents = 1
    with pytest.raises(Exception, match="never changed"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(LedgerEntry)))
    with pytest.raises(Exception, match="never changed"):
        db.session.flush()
    db.session.rollback()


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_and_flagged(
    client, paid_card, stripe_fake
):
    sub = paid_card
    deliver(sub)
    intent = services.payment_for(sub.order).stripe_payment_intent_id
    db.session.commit()
    with stripe_fake._lock:  # an operator refunds 50 MAD in Stripe's dashboard
        stripe_fake._create_refund({"payment_intent": intent, "amount": "5000"})
    charge = stripe_fake.charge_for_intent(intent)
    event = stripe_fake.event("charge.refunded", charge)
    assert post_event(client, event).status_code == 200
    assert post_event(client, event).get_json()["duplicate"] is True
    refund = db.session.scalar(select(Refund))
    assert (refund.amount_cents, refund.status, refund.sub_order_id) == (5000, "succeeded", sub.id)
    payment = services.payment_for(sub.order)
    assert payment.flagged_for_review and "Stripe dashboard" in payment.review_reason
    assert _balance(sub.cooperative_id) == 21000 - 5000 + 500


def test_the_admins_and_the_cooperative_are_told_of_a_refund_made_in_stripe(
    client, paid_card, stripe_fake, outbox
):
    sub = paid_card
    admin = AdminFactory(locale="en")
    member = MemberFactory(cooperative=sub.cooperative, locale="en")
    db.session.commit()
    deliver(sub)
    intent = services.payment_for(sub.order).stripe_payment_intent_id
    number = sub.order.number
    db.session.commit()
    stripe_fake.dashboard_refund(intent, 5000)
    event = stripe_fake.event("charge.refunded", stripe_fake.charge_for_intent(intent))
    assert post_event(client, event).status_code == 200

    outside = "A refund for order %(number)s was made in Stripe"
    told = {m["To"]: m.get_content() for m in outbox() if subject_is(m["Subject"], outside)}
    admins = set(db.session.scalars(select(User.email).where(User.role == "admin")))
    db.session.commit()
    assert set(told) == admins | {member.email}
    assert "50.00" in told[admin.email] and number in told[admin.email]
    assert f"http://localhost/en/admin/payments/orders/{number}" in told[admin.email]
    assert "mark the payment as reviewed" in told[admin.email]
    assert "50.00" in told[member.email] and "deducted from your balance" in told[member.email]
    assert "http://localhost/en/dashboard/balance" in told[member.email]

    # the same refund told again by another event: nothing more is recorded nor sent
    again = stripe_fake.event("charge.refunded", stripe_fake.charge_for_intent(intent))
    assert post_event(client, again).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert sum(subject_is(m["Subject"], outside) for m in outbox()) == len(told)
    db.session.commit()

    # the admin sees it on the order's payment page, marked as made in Stripe's dashboard
    login(client, admin)
    page = client.get(f"/en/admin/payments/orders/{number}").get_data(as_text=True)
    assert "made in Stripe’s dashboard" in page and "To review" in page
