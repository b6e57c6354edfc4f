"""Money on a 375 px phone in Arabic (issue #13): the cooperative's balance page with what it
owes (carried), its sales pending until a date and one held by a dispute; the admin's
payments page with the open dispute and the order's payment page. No sideways scrolling,
no serious accessibility problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, sideways_scroll
from tests.e2e.shop import log_in, release_database

pytestmark = pytest.mark.e2e


def _paid_card(app, stripe_fake, product):
    from marketplace.extensions import db
    from marketplace.payments import services
    from tests.payments_support import place

    order = place([(product, 1)], method="card", locale="ar")
    with app.test_request_context("/ar/"):
        services.start_card_checkout(
            order, locale="ar", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_fake.complete_session(payment.stripe_session_id))
    db.session.commit()
    return order.sub_orders[0], services.payment_for(order).stripe_payment_intent_id


@pytest.fixture
def money(app, stripe_keys, monkeypatch):
    from marketplace.extensions import db
    from marketplace.payments import disputes
    from tests.factories import (
        AdminFactory,
        CategoryFactory,
        CooperativeFactory,
        MemberFactory,
        ProductFactory,
    )
    from tests.payments_support import deliver, place

    monkeypatch.setitem(app.config, "PAYOUT_DELAY_DAYS", 7)
    coop = CooperativeFactory(shipping_fee_cents=2000)
    member = MemberFactory(cooperative=coop, locale="ar", email="itto@example.ma")
    admin = AdminFactory(locale="ar", email="admin-money@example.ma")
    category = CategoryFactory(commission_bp=1500)
    product = ProductFactory(cooperative=coop, price_cents=10000, stock=20, category=category)
    for _ in range(3):  # three cash sales: 45 MAD of commission owed
        deliver(place([(product, 1)], method="cod").sub_orders[0])
    pending, _intent = _paid_card(app, stripe_keys, product)
    deliver(pending)
    disputed, intent = _paid_card(app, stripe_keys, product)
    deliver(disputed)
    disputes.apply_stripe_dispute(stripe_keys.open_dispute(intent, reason="product_not_received"))
    db.session.commit()
    number = disputed.order.number
    emails = member.email, admin.email
    release_database()
    return emails, number


def test_the_balance_and_the_disputes_on_a_phone_in_arabic(browsing, money):
    (member, admin), number = money
    phone = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(phone, "ar", member)
    phone.goto("/ar/dashboard/balance")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.locator(".balance-negative")).to_be_visible()
    expect(phone.locator(".held-sales tbody tr")).to_have_count(2)
    expect(phone.locator(".held-sales .badge-bad")).to_have_count(1)
    assert sideways_scroll(phone) is None
    assert_accessible(phone, "balance with held sales, Arabic, phone")

    office = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(office, "ar", admin)
    office.goto("/ar/admin/payments")
    expect(office.locator(".open-disputes tbody tr")).to_have_count(1)
    expect(office.locator(".open-disputes .order-number")).to_have_text(number)
    assert sideways_scroll(office) is None
    assert_accessible(office, "payments with an open dispute, Arabic, phone")
    office.locator(".open-disputes .order-number").click()
    expect(office.locator("#disputes")).to_be_visible()
    assert sideways_scroll(office) is None
    assert_accessible(office, "a disputed order's payment, Arabic, phone")
