"""Payout eligibility (issue #13): a card sale becomes payable PAYOUT_DELAY_DAYS (7 by
default) after its delivery, not when it is marked delivered; a negative balance (the
commission owed on cash-on-delivery sales) is carried and netted in the next payout, and the
cooperative's balance page says what is available now and what is pending until when.
Amounts computed by hand; the clock the payments read (``timeutil.utcnow``) is moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from config import Config
from marketplace import timeutil
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.orders import checkout as orders_checkout
from marketplace.orders import status as orders_status
from marketplace.payments import ledger, payouts, refunds, services
from marketplace.payments.models import Payout
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
)
from tests.helpers import login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    english,
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")

T0 = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


@pytest.fixture
def clock(app, monkeypatch):
    """Sets the moment the payments and the orders' status machine read; the production
    delay (7 days)."""
    monkeypatch.setitem(app.config, "PAYOUT_DELAY_DAYS", Config.PAYOUT_DELAY_DAYS)

    def move_to(moment: datetime) -> None:
        monkeypatch.setattr(timeutil, "utcnow", lambda: moment)
        monkeypatch.setattr(orders_checkout, "utcnow", lambda: moment)
        monkeypatch.setattr(orders_status, "utcnow", lambda: moment)

    move_to(T0)
    return move_to


@pytest.fixture
def shop(app, stripe_keys):
    coop = CooperativeFactory(shipping_fee_cents=2000, rib="011780000012345678901235")
    member = MemberFactory(cooperative=coop, locale="en")
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=20, category=CategoryFactory(commission_bp=1500)
    )
    admin = AdminFactory()
    db.session.commit()
    return coop, member, product, admin


def _card_sale(app, stripe_fake, product, quantity):
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


def _figures(coop_id):
    summary = payouts.balance_summary(coop_id)
    held = [(h.sub_order.id, h.amount_cents, h.until) for h in summary.held]
    db.session.commit()
    return summary.balance_cents, summary.available_cents, held


def _page(client, url: str) -> str:
    """The page's text with Babel's no-break spaces (between "MAD" and the amount) plain."""
    return client.get(url).get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")


def test_the_default_delay_is_seven_days():
    assert Config.PAYOUT_DELAY_DAYS == 7


def test_card_sales_become_payable_seven_days_after_delivery_and_debts_are_netted(
    app, client, stripe_keys, clock, shop
):
    coop, member, product, admin = shop
    # Day 0: a card sale of 2 × 100 MAD + 20 MAD shipping (commission 15 % of the items:
    # 30 MAD, net 190 MAD) and a cash sale of 100 + 20 MAD (commission 15 MAD, owed).
    card_a = _card_sale(app, stripe_keys, product, 2)
    cash_b = place([(product, 1)], method="cod").sub_orders[0]
    deliver(card_a)
    deliver(cash_b)
    assert _figures(coop.id) == (19000 - 1500, -1500, [(card_a.id, 19000, T0 + 7 * DAY)])
    with pytest.raises(InvalidInput) as refused:
        payouts.create_batch(admin)
    db.session.rollback()
    assert "No cooperative can be paid now" in english(refused.value.message)

    login(client, member)
    page = _page(client, "/en/dashboard/balance")
    assert "Your cooperative owes the platform MAD 15.00." in page
    assert "Pending: MAD 190.00 of card sales" in page
    assert "Pending until" in page and card_a.order.number in page
    assert "can be paid out 7 days later" in page
    assert client.get("/ar/dashboard/balance").status_code == 200

    # Day 3: another card sale (100 + 20 MAD, net 105 MAD), of which 50 MAD is refunded
    # at once: 50 MAD less 7.50 MAD of commission returned; its sale holds 62.50 MAD.
    clock(T0 + 3 * DAY)
    card_c = _card_sale(app, stripe_keys, product, 1)
    deliver(card_c)
    refunds.create_refund(card_c, 5000, "one box damaged", admin)
    db.session.commit()
    assert _figures(coop.id) == (
        17500 + 10500 - 4250,
        -1500,
        [(card_a.id, 19000, T0 + 7 * DAY), (card_c.id, 6250, T0 + 10 * DAY)],
    )

    # Day 7, an hour after A's delay: A is payable; the payout is net of the 15 MAD owed.
    clock(T0 + 7 * DAY + timedelta(hours=1))
    assert _figures(coop.id)[1] == 19000 - 1500
    batch = payouts.create_batch(admin)
    db.session.commit()
    assert [(p.cooperative_id, p.amount_cents) for p in batch.payouts] == [(coop.id, 17500)]
    payouts.mark_paid(batch, "VIR-DAY-7", admin)
    db.session.commit()
    assert _figures(coop.id) == (6250, 0, [(card_c.id, 6250, T0 + 10 * DAY)])
    page = _page(client, "/en/dashboard/balance")
    assert "Nothing can be paid out yet." in page
    assert "Pending: MAD 62.50 of card sales" in page

    # Day 10: C is payable too.
    clock(T0 + 10 * DAY + timedelta(hours=1))
    assert _figures(coop.id) == (6250, 6250, [])
    batch = payouts.create_batch(admin)
    db.session.commit()
    assert [p.amount_cents for p in batch.payouts] == [6250]
    payouts.mark_paid(batch, "VIR-DAY-10", admin)
    db.session.commit()
    assert _figures(coop.id) == (0, 0, [])
    paid = db.session.scalars(select(Payout.amount_cents).order_by(Payout.id)).all()
    db.session.commit()
    assert paid == [17500, 6250]


def test_a_debt_larger_than_the_sales_is_carried_to_the_next_payout(
    app, client, stripe_keys, clock, shop
):
    coop, member, product, admin = shop
    # Three cash sales owe 3 × 15 MAD; one card sale of 100 + 20 MAD earns 105 MAD.
    for _ in range(3):
        deliver(place([(product, 1)], method="cod").sub_orders[0])
    card = _card_sale(app, stripe_keys, product, 1)
    deliver(card)
    assert _figures(coop.id) == (10500 - 4500, -4500, [(card.id, 10500, T0 + 7 * DAY)])
    clock(T0 + 8 * DAY)
    assert _figures(coop.id) == (6000, 6000, [])  # 105 - 45: the debt is netted
    # A cash sale later still owes its commission until card sales cover it.
    deliver(place([(product, 1)], method="cod").sub_orders[0])
    batch = payouts.create_batch(admin)
    db.session.commit()
    assert [p.amount_cents for p in batch.payouts] == [4500]
    payouts.mark_paid(batch, "VIR-1", admin)
    db.session.commit()
    assert _figures(coop.id) == (0, 0, [])

    deliver(place([(product, 1)], method="cod").sub_orders[0])
    assert _figures(coop.id) == (-1500, -1500, [])
    login(client, member)
    page = _page(client, "/en/dashboard/balance")
    assert "Your cooperative owes the platform MAD 15.00." in page
    assert "It is carried over" in page


def test_the_admin_is_told_clearly_when_nothing_is_payable_yet(
    app, client, stripe_keys, clock, shop
):
    coop, _member, product, admin = shop
    deliver(_card_sale(app, stripe_keys, product, 1))
    login(client, admin)
    response = post_form(
        client,
        "/en/admin/payments/payouts/new",
        {},
        form_url="/en/admin/payments/payouts",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "No cooperative can be paid now" in response.get_data(as_text=True)
    assert ledger.balance_cents(coop.id) == 10500
    db.session.commit()
