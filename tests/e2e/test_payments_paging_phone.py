"""The paged balance and payouts pages (issue #11) on a 375 px phone in Arabic: the page links
fit the screen (right to left), lead to the older entries and batches and back, and the pages
have no serious accessibility problem."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, sideways_scroll
from tests.e2e.shop import log_in, release_database

pytestmark = pytest.mark.e2e


def _card_sale(app, stripe_fake, product) -> None:
    from marketplace.extensions import db
    from marketplace.payments import services
    from tests.payments_support import deliver, place

    order = place([(product, 1)], method="card", locale="ar")
    with app.test_request_context("/ar/"):
        services.start_card_checkout(
            order, locale="ar", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_fake.complete_session(payment.stripe_session_id))
    db.session.commit()
    deliver(order.sub_orders[0])


@pytest.fixture
def history(app, stripe_keys, monkeypatch):
    """A cooperative with three cash sales (two entries a page: two pages) and two payout
    batches (one a page: two pages)."""
    from marketplace.extensions import db
    from marketplace.payments import admin_views, payouts, seller_views
    from tests.factories import (
        AdminFactory,
        CategoryFactory,
        CooperativeFactory,
        MemberFactory,
        ProductFactory,
    )
    from tests.payments_support import deliver, place

    monkeypatch.setattr(seller_views, "STATEMENT_PAGE_SIZE", 2)
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 1)
    monkeypatch.setitem(app.config, "PAYOUT_DELAY_DAYS", 0)
    coop = CooperativeFactory(shipping_fee_cents=0)
    member = MemberFactory(cooperative=coop, locale="ar", email="paging@example.ma")
    admin = AdminFactory(locale="ar", email="admin-paging@example.ma")
    product = ProductFactory(
        cooperative=coop, price_cents=10000, stock=20, category=CategoryFactory()
    )
    numbers = []
    for _ in range(3):
        order = place([(product, 1)], method="cod", locale="ar")
        deliver(order.sub_orders[0])
        numbers.append(order.number)
    paid_coop = CooperativeFactory(shipping_fee_cents=0, rib="011780000012345678901235")
    paid_product = ProductFactory(cooperative=paid_coop, price_cents=20000, stock=20)
    _card_sale(app, stripe_keys, paid_product)
    older = payouts.create_batch(admin)
    payouts.mark_paid(older, "VIR-2026-001", admin)
    db.session.commit()
    _card_sale(app, stripe_keys, paid_product)
    newer = payouts.create_batch(admin)
    db.session.commit()
    found = member.email, admin.email, numbers, older.id, newer.id
    release_database()
    return found


def test_the_balance_and_payouts_pages_page_on_a_phone_in_arabic(browsing, history):
    member, admin, numbers, older, newer = history
    phone = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(phone, "ar", member)
    phone.goto("/ar/dashboard/balance")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    rows = phone.locator(".ledger tbody tr")
    expect(rows).to_have_count(2)
    expect(phone.locator(".ledger")).to_contain_text(numbers[2])
    pager = phone.locator(".ledger .pagination")
    expect(pager).to_be_visible()
    assert sideways_scroll(phone) is None
    assert_accessible(phone, "balance, first page, Arabic, phone")

    pager.locator("a[rel=next]").click()
    phone.wait_for_url(re.compile(r"/ar/dashboard/balance\?page=2$"))
    expect(rows).to_have_count(1)
    expect(phone.locator(".ledger")).to_contain_text(numbers[0])
    expect(phone.locator(".ledger")).not_to_contain_text(numbers[2])
    expect(phone.locator(".balance-negative")).to_be_visible()  # the whole balance, every page
    assert sideways_scroll(phone) is None
    assert_accessible(phone, "balance, older entries, Arabic, phone")
    phone.locator(".ledger .pagination a[rel=prev]").click()
    phone.wait_for_url(re.compile(r"/ar/dashboard/balance\?page=1$"))
    expect(phone.locator(".ledger")).to_contain_text(numbers[2])

    office = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(office, "ar", admin)
    office.goto("/ar/admin/payments/payouts")
    batch_links = office.locator(f'a[href$="/admin/payments/payouts/{newer}"]')
    expect(batch_links).to_have_count(1)
    assert sideways_scroll(office) is None
    assert_accessible(office, "payouts, first page, Arabic, phone")
    office.locator(".pagination a[rel=next]").click()
    office.wait_for_url(re.compile(r"/ar/admin/payments/payouts\?page=2$"))
    expect(office.locator(f'a[href$="/admin/payments/payouts/{older}"]')).to_have_count(1)
    expect(office.locator(f'a[href$="/admin/payments/payouts/{newer}"]')).to_have_count(0)
    assert sideways_scroll(office) is None
    assert_accessible(office, "payouts, older batches, Arabic, phone")
