"""Stripe Transfers (Connect) of payouts (issue #13): the transfer's intent (its idempotency
key and exact parameters) is committed with the payout before Stripe is asked, so no answer
lost and no rollback can lose a transfer Stripe made; a retry (marking the batch paid again,
or ``flask payments reconcile``) sends the same parameters under the same key, and Stripe
replays its first answer: nothing is paid twice. A transfer Stripe refuses goes back into
the cooperative's balance."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, services
from marketplace.payments.models import (
    LedgerTransaction,
    Payout,
    PayoutBatch,
)
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
)
from tests.fakes.stripe_server import StripeApiError
from tests.helpers import login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")
ACCOUNT = "acct_1SoukConnect"


def _card_paid(app, stripe_fake, product):
    order = place([(product, 1)], method="card")
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
def batch(app, stripe_keys):
    """A batch paying 85 MAD to a cooperative with a Connect account (100 MAD sold, 15 %
    commission) and 170 MAD to one paid by bank transfer."""
    category = CategoryFactory(commission_bp=1500)
    connect = CooperativeFactory(stripe_account_id=ACCOUNT, shipping_fee_cents=0)
    bank = CooperativeFactory(shipping_fee_cents=0, rib="011780000012345678901235")
    deliver(
        _card_paid(
            app,
            stripe_keys,
            ProductFactory(cooperative=connect, price_cents=10000, category=category),
        )
    )
    deliver(
        _card_paid(
            app, stripe_keys, ProductFactory(cooperative=bank, price_cents=20000, category=category)
        )
    )
    admin = AdminFactory()
    made = payouts.create_batch(admin)
    db.session.commit()
    assert [(p.cooperative_id, p.amount_cents) for p in made.payouts] == [
        (connect.id, 8500),
        (bank.id, 17000),
    ]
    return {"batch": made, "connect": connect, "bank": bank, "admin": admin}


def _connect_payout(coop_id) -> Payout:
    payout = db.session.scalar(
        select(Payout).where(Payout.cooperative_id == coop_id).order_by(Payout.id.desc())
    )
    db.session.refresh(payout)
    return payout


def _balance(coop_id) -> int:
    value = ledger.balance_cents(coop_id)
    db.session.commit()
    return value


def _posted(kind: str) -> int:
    count = db.session.scalar(
        select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == kind)
    )
    db.session.commit()
    return count


def test_the_intent_is_committed_before_stripe_is_asked(app, stripe_keys, batch):
    coop_id, batch_id = batch["connect"].id, batch["batch"].id
    db.session.commit()
    seen = {}

    def look_from_another_connection(_answer):
        with app.app_context():  # its own session: sees only what was committed
            payout = db.session.scalar(select(Payout).where(Payout.cooperative_id == coop_id))
            seen["payout"] = (payout.transfer_status, payout.transfer_key, payout.transfer_params)
            seen["balance"] = ledger.balance_cents(coop_id)
            seen["batch"] = db.session.get(PayoutBatch, batch_id).status
            db.session.remove()

    stripe_keys.before_answer.append(("POST", "/v1/transfers", look_from_another_connection))
    payouts.mark_paid(batch["batch"], "VIR-2026-12-01", batch["admin"])
    db.session.commit()

    payout = _connect_payout(coop_id)
    status, key, params = seen["payout"]
    assert (status, key) == ("pending", f"payout-{payout.id}-transfer")
    assert params == {
        "amount": 8500,
        "currency": "mad",
        "destination": ACCOUNT,
        "transfer_group": f"payout-batch-{batch_id}",
        "metadata": {"payout_id": str(payout.id), "batch_id": str(batch_id)},
    }
    assert (seen["balance"], seen["batch"]) == (0, "paid")
    [transfer_id] = stripe_keys.transfers
    assert (payout.transfer_status, payout.stripe_transfer_id) == ("sent", transfer_id)
    db.session.commit()


def test_a_lost_answer_leaves_the_transfer_pending_and_marking_paid_again_completes_it(
    app, client, stripe_keys, batch
):
    login(client, batch["admin"])
    url = f"/en/admin/payments/payouts/{batch['batch'].id}"
    stripe_keys.drop_answers("/v1/transfers", times=10)  # the SDK's retry is lost too
    response = post_form(client, url, {"reference": "VIR-2026-12-01"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Stripe did not answer for 1 transfer." in page
    assert "Waiting for Stripe’s answer" in page
    assert "Send the pending transfers again" in page
    stripe_keys.drops.clear()

    payout = _connect_payout(batch["connect"].id)
    assert (payout.transfer_status, payout.stripe_transfer_id) == ("pending", None)
    db.session.commit()
    assert len(stripe_keys.transfers) == 1  # Stripe did make it
    assert _balance(batch["connect"].id) == 0  # paid out in the books, once
    assert _balance(batch["bank"].id) == 0
    assert db.session.get(PayoutBatch, batch["batch"].id).status == "paid"
    db.session.commit()

    # The button on the page sends the batch's reference again.
    response = post_form(client, url, {"reference": "VIR-2026-12-01"}, follow_redirects=True)
    assert "The payout batch is marked as paid." in response.get_data(as_text=True)
    payout = _connect_payout(batch["connect"].id)
    [transfer_id] = stripe_keys.transfers
    assert (payout.transfer_status, payout.stripe_transfer_id) == ("sent", transfer_id)
    db.session.commit()
    calls = stripe_keys.requests_to("/v1/transfers")
    assert len(calls) >= 2
    assert {c["key"] for c in calls} == {f"payout-{payout.id}-transfer"}
    assert all(c["params"] == calls[0]["params"] for c in calls)
    assert _posted("payout") == 2  # one per cooperative, never again
    # Once everything is sent, marking it paid again is refused clearly.
    response = post_form(client, url, {"reference": "VIR-2026-12-01"})
    assert response.status_code == 409
    assert "already marked as paid" in response.get_data(as_text=True)


def test_reconcile_sends_a_transfer_stripe_did_not_take(app, stripe_keys, batch):
    stripe_keys.failing = StripeApiError(500, "Stripe is down", "api_error")
    payouts.mark_paid(batch["batch"], "VIR-2026-12-01", batch["admin"])
    db.session.commit()
    stripe_keys.failing = None
    payout = _connect_payout(batch["connect"].id)
    assert (payout.transfer_status, stripe_keys.transfers) == ("pending", {})
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "transfers settled: 1" in result.output
    payout = _connect_payout(batch["connect"].id)
    [transfer_id] = stripe_keys.transfers
    assert (payout.transfer_status, payout.stripe_transfer_id) == ("sent", transfer_id)
    db.session.commit()
    again = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert "transfers settled: 0" in again.output
    assert len(stripe_keys.transfers) == 1


def test_a_refused_transfer_goes_back_into_the_balance(app, client, stripe_keys, batch):
    member = MemberFactory(cooperative=batch["connect"], locale="en")
    db.session.commit()
    stripe_keys.closed_accounts.add(ACCOUNT)
    login(client, batch["admin"])
    url = f"/en/admin/payments/payouts/{batch['batch'].id}"
    response = post_form(client, url, {"reference": "VIR-2026-12-01"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Stripe refused 1 transfer: its amount is back in the cooperative" in page
    assert "Refused by Stripe: back in the balance" in page and "No such destination" in page

    payout = _connect_payout(batch["connect"].id)
    assert (payout.transfer_status, payout.paid_at, payout.stripe_transfer_id) == (
        "failed",
        None,
        None,
    )
    db.session.commit()
    assert _balance(batch["connect"].id) == 8500
    assert _balance(batch["bank"].id) == 0
    assert _posted("payout_returned") == 1
    # Paid in the next batch (by bank once the account is fixed, or by a new transfer).
    stripe_keys.closed_accounts.clear()
    again = payouts.create_batch(batch["admin"])
    db.session.commit()
    assert [(p.cooperative_id, p.amount_cents) for p in again.payouts] == [
        (batch["connect"].id, 8500)
    ]
    payouts.mark_paid(again, "VIR-2026-12-08", batch["admin"])
    db.session.commit()
    assert _balance(batch["connect"].id) == 0
    assert len(stripe_keys.transfers) == 1

    seller = app.test_client()
    login(seller, member)
    page = seller.get("/en/dashboard/balance").get_data(as_text=True)
    assert "The transfer failed: the amount is back in your balance" in page
    assert "Payout returned (the transfer failed)" in page


@pytest.mark.postgres
def test_two_admins_marking_the_batch_paid_at_once_make_one_transfer(app, stripe_keys, batch):
    batch_id, admin_id = batch["batch"].id, batch["admin"].id
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def mark():
        with app.app_context():
            barrier.wait(30)
            try:
                payouts.mark_paid(
                    db.session.get(PayoutBatch, batch_id), "VIR-1", db.session.get(User, admin_id)
                )
                db.session.commit()
                outcomes.append("paid")
            except Conflict:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=mark) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert "paid" in outcomes and len(outcomes) == 2
    assert len(stripe_keys.transfers) == 1
    assert _posted("payout") == 2
    payout = _connect_payout(batch["connect"].id)
    assert payout.transfer_status == "sent" and payout.stripe_transfer_id in stripe_keys.transfers
    db.session.commit()
    assert _balance(batch["connect"].id) == 0
