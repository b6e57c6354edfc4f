"""The cooperative's balance page and the admin's payouts page are paged (issue #11: their cost
does not grow with the history): newest first, older rows on the next pages, and the totals
are those of everything, not of the page shown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.money import format_mad
from marketplace.payments import admin_views, ledger, payouts, seller_views, services
from marketplace.payments.models import PayoutBatch
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
)
from tests.helpers import login
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    place,
)
from tests.test_query_counts import query_count

pytestmark = pytest.mark.usefixtures("balanced_books")


def section(page: str, css_class: str) -> str:
    """The HTML of the page's ``<section class="css_class">``."""
    found = re.search(rf'<section class="{css_class}">(.*?)</section>', page, re.S)
    assert found, css_class
    return found.group(1)


def _card_sale(app, stripe_fake, product):
    order = place([(product, 1)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_fake.complete_session(payment.stripe_session_id))
    db.session.commit()
    deliver(order.sub_orders[0])
    return order


def test_the_balance_page_shows_older_entries_on_the_next_page_and_the_full_balance(
    client, monkeypatch
):
    monkeypatch.setattr(seller_views, "STATEMENT_PAGE_SIZE", 2)
    coop = CooperativeFactory(shipping_fee_cents=0)
    category = CategoryFactory(commission_bp=1000)
    orders = []
    for price in (10000, 20000, 30000):  # cash sales: the cooperative owes 10, 20, 30 MAD
        order = place(
            [(ProductFactory(cooperative=coop, category=category, price_cents=price), 1)],
            method="cod",
        )
        deliver(order.sub_orders[0])
        orders.append(order.number)
    balance = ledger.balance_cents(coop.id)
    assert balance == -6000
    assert ledger.entry_count(coop.id) == 3
    db.session.commit()
    login(client, MemberFactory(cooperative=coop))
    owed = format_mad(6000, "en")

    first = client.get("/en/dashboard/balance").get_data(as_text=True)
    entries = section(first, "ledger")
    assert orders[2] in entries and orders[1] in entries  # newest first
    assert orders[0] not in entries
    assert "Page 1 of 2" in entries
    assert 'rel="next" href="/en/dashboard/balance?page=2"' in entries
    assert f"Your cooperative owes the platform {owed}." in first  # all three, not the page
    assert "Cash on delivery to settle" in first  # the first page shows what there is to do

    second = client.get("/en/dashboard/balance?page=2").get_data(as_text=True)
    entries = section(second, "ledger")
    assert orders[0] in entries
    assert orders[1] not in entries and orders[2] not in entries
    assert "Page 2 of 2" in entries
    assert 'rel="prev" href="/en/dashboard/balance?page=1"' in entries
    assert 'rel="next"' not in entries
    assert f"Your cooperative owes the platform {owed}." in second
    assert "Cash on delivery to settle" not in second  # older pages: older entries only

    # past the last page: the last page; a page number that is not one: the first
    assert orders[0] in section(client.get("/en/dashboard/balance?page=9").get_data(True), "ledger")
    for bad in ("²", "-1", "abc"):
        response = client.get(f"/en/dashboard/balance?page={bad}")
        assert response.status_code == 200
        assert orders[2] in section(response.get_data(as_text=True), "ledger")
    # Arabic-Indic digits are page numbers too
    assert orders[0] in section(client.get("/ar/dashboard/balance?page=٢").get_data(True), "ledger")


def test_a_short_statement_has_no_page_links(client):
    coop = CooperativeFactory()
    order = place([(ProductFactory(cooperative=coop), 1)], method="cod")
    deliver(order.sub_orders[0])
    login(client, MemberFactory(cooperative=coop))
    page = client.get("/en/dashboard/balance").get_data(as_text=True)
    assert order.number in section(page, "ledger")
    assert 'class="pagination"' not in page


def test_the_payouts_page_counts_and_sums_each_batch_and_pages_them(
    app, client, stripe_keys, monkeypatch
):
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 1)
    category = CategoryFactory(commission_bp=1000)
    first_coop = CooperativeFactory(shipping_fee_cents=0, rib="011780000012345678901235")
    second_coop = CooperativeFactory(shipping_fee_cents=0, rib="011780000012345678901236")
    for coop, price in ((first_coop, 10000), (second_coop, 25000)):
        _card_sale(
            app, stripe_keys, ProductFactory(cooperative=coop, category=category, price_cents=price)
        )
    admin = AdminFactory()
    older = payouts.create_batch(admin)
    payouts.mark_paid(older, "VIR-2026-001", admin)
    db.session.commit()
    _card_sale(
        app,
        stripe_keys,
        ProductFactory(cooperative=first_coop, category=category, price_cents=5000),
    )
    newer = payouts.create_batch(admin)
    db.session.commit()
    older_total = sum(p.amount_cents for p in older.payouts)
    assert older_total == 9000 + 22500
    assert [p.amount_cents for p in newer.payouts] == [4500]
    login(client, admin)

    first = client.get("/en/admin/payments/payouts").get_data(as_text=True)
    assert f"Batch {newer.id}</a>" in first and f"Batch {older.id}</a>" not in first
    assert '<td data-label="Cooperatives">1</td>' in first
    assert f'<td data-label="Total">{format_mad(4500, "en")}</td>' in first
    assert 'rel="next" href="/en/admin/payments/payouts?page=2"' in first

    second = client.get("/en/admin/payments/payouts?page=2").get_data(as_text=True)
    assert f"Batch {older.id}</a>" in second and f"Batch {newer.id}</a>" not in second
    assert '<td data-label="Cooperatives">2</td>' in second
    assert f'<td data-label="Total">{format_mad(older_total, "en")}</td>' in second
    assert "Page 2 of 2" in second
    assert 'rel="prev" href="/en/admin/payments/payouts?page=1"' in second

    assert client.get("/en/admin/payments/payouts?page=²").status_code == 200
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 50)
    both = client.get("/en/admin/payments/payouts").get_data(as_text=True)
    assert 'class="pagination"' not in both
    assert both.index(f"Batch {newer.id}</a>") < both.index(f"Batch {older.id}</a>")
    assert db.session.scalar(select(db.func.count()).select_from(PayoutBatch)) == 2


def test_the_cash_to_settle_asks_no_question_per_sub_order(app, client):
    """Each delivered cash sale waiting for its cash has its button; the page's queries do
    not grow with how many there are."""
    coop = CooperativeFactory()

    def delivered_cash_sale():
        order = place([(ProductFactory(cooperative=coop), 1)], method="cod")
        deliver(order.sub_orders[0])
        db.session.commit()

    delivered_cash_sale()
    login(client, MemberFactory(cooperative=coop))
    one = query_count(app, client, "/en/dashboard/balance")
    for _ in range(4):
        delivered_cash_sale()
    page = client.get("/en/dashboard/balance").get_data(as_text=True)
    assert section(page, "cod-pending").count("Cash collected: ") == 5
    assert query_count(app, client, "/en/dashboard/balance") == one
