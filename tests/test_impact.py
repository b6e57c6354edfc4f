"""The impact dashboard: every figure and export against values computed by hand on a known
set of orders, refunds and payouts (built through the real services, so the ledger holds the
same facts), the dashboard's money equal to the ledger's, the observer role, the public page.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.cooperatives.models import province_label
from marketplace.extensions import db
from marketplace.impact import services
from marketplace.impact.services import Filters
from marketplace.payments import ledger, payouts, refunds
from marketplace.payments import services as payments
from marketplace.payments.models import Payout
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import login, post_form
from tests.payments_support import deliver, place

YEAR = Filters(date(2025, 1, 1), date(2025, 12, 31))


def _at(order, *args) -> None:
    order.created_at = datetime(*args, tzinfo=UTC)


@pytest.fixture
def known(app, stripe_keys):
    """Two cooperatives that sold in 2025 (A in Errachidia with a majority of women, B in
    Ouarzazate), one that applied in 2025, one suspended; five orders:

    O1 2025-03-10 s1 card A: dates 2 × 100 + pottery 1 × 50 (+20 shipping), delivered,
       refunded 50 by card;
    O2 2025-03-20 s2 cash B, shipped to France: pottery 1 × 200, delivered, cash collected,
       refunded 30 in cash;
    O3 2025-07-05 s1 cash A: dates 1 × 100, confirmed (not delivered);
    O4 2025-08-01 s3 cash B: cancelled (does not count);
    O5 2024-12-20 s1 cash A: dates 1 × 100, delivered (before the range: s1 is returning).
    Then a payout batch pays A what it is owed, marked paid on 2025-06-01.
    """
    admin = AdminFactory()
    coop_a = CooperativeFactory(
        province="errachidia", members_count=10, women_members_count=8, shipping_fee_cents=2000
    )
    coop_b = CooperativeFactory(
        province="ouarzazate",
        members_count=10,
        women_members_count=3,
        shipping_fee_cents=2000,
        ships_abroad=True,
    )
    applied = CooperativeFactory(province="zagora", status="pending")
    suspended = CooperativeFactory(province="midelt", status="suspended")
    for coop in (coop_a, coop_b, suspended):
        coop.created_at = datetime(2024, 6, 1, tzinfo=UTC)
    applied.created_at = datetime(2025, 2, 1, tzinfo=UTC)
    dates = CategoryFactory(slug="dates", commission_bp=1000)
    pottery = CategoryFactory(slug="pottery", commission_bp=1000)
    a_dates = ProductFactory(cooperative=coop_a, category=dates, price_cents=10000, stock=50)
    a_pot = ProductFactory(cooperative=coop_a, category=pottery, price_cents=5000, stock=50)
    b_pot = ProductFactory(cooperative=coop_b, category=pottery, price_cents=20000, stock=50)
    s1, s2, s3 = UserFactory(), UserFactory(), UserFactory()
    db.session.commit()

    o1 = place([(a_dates, 2), (a_pot, 1)], method="card", user=s1)
    with app.test_request_context("/fr/"):
        payments.start_card_checkout(
            o1, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = payments.payment_for(o1)
    payments.fulfil_checkout_session(stripe_keys.complete_session(payment.stripe_session_id))
    db.session.commit()
    deliver(o1.sub_orders[0])

    o2 = place([(b_pot, 1)], method="cod", user=s2)
    o2.country = "FR"
    deliver(o2.sub_orders[0])
    payments.mark_cash_collected(o2.sub_orders[0], admin)
    db.session.commit()

    o3 = place([(a_dates, 1)], method="cod", user=s1)
    o4 = place([(b_pot, 1)], method="cod", user=s3)
    from marketplace.orders.status import transition

    transition(o4.sub_orders[0], "cancelled", admin, reason="test")
    db.session.commit()
    o5 = place([(a_dates, 1)], method="cod", user=s1)
    deliver(o5.sub_orders[0])

    refunds.create_refund(o1.sub_orders[0], 5000, "One jar broken", admin)
    db.session.commit()
    refunds.create_refund(o2.sub_orders[0], 3000, "Damaged", admin)
    db.session.commit()

    batch = payouts.create_batch(admin)
    db.session.commit()
    payouts.mark_paid(batch, "VIR-2025-06-01", admin)
    db.session.commit()
    for payout in db.session.scalars(select(Payout)):
        payout.paid_at = datetime(2025, 6, 1, 9, tzinfo=UTC)
    _at(o1, 2025, 3, 10, 10)
    _at(o2, 2025, 3, 20, 10)
    _at(o3, 2025, 7, 5, 10)
    _at(o4, 2025, 8, 1, 10)
    _at(o5, 2024, 12, 20, 10)
    db.session.commit()
    # What the hand computation below assumes about the orders themselves:
    assert (o1.sub_orders[0].items_cents, o1.sub_orders[0].total_cents) == (25000, 27000)
    assert o1.sub_orders[0].commission_cents == 2500
    assert o2.sub_orders[0].items_cents == 20000
    assert o2.sub_orders[0].commission_cents == 2000
    assert o5.sub_orders[0].commission_cents == 1000
    return {
        "admin": admin,
        "a": coop_a,
        "b": coop_b,
        "dates": dates,
        "pottery": pottery,
        "a_dates": a_dates,
        "b_pot": b_pot,
        "a_pot": a_pot,
        "o2_total": o2.sub_orders[0].total_cents,
    }


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def expected_money(known) -> dict:
    """By hand: commission net of the share the refunds return (commission × refunded items
    / items), A's balance paid out, B's owed."""
    o1_share = half_up(2500 * 5000, 25000)  # 500
    o2_share = half_up(2000 * 3000, 20000)  # 300
    a_owed = (27000 - 2500 - 5000 + o1_share) + (-1000)  # card sale, then O5's cash debit
    b_owed = -2000 + o2_share
    return {
        "commission_2025": (2500 - o1_share) + (2000 - o2_share),
        "commission_all": (2500 - o1_share) + (2000 - o2_share) + 1000,
        "paid_out": a_owed,
        "owed": b_owed,  # A was paid everything
    }


def test_every_figure_matches_the_hand_computation(app, known):
    with app.test_request_context("/en/"):
        f = services.compute(YEAR, "en")
    # sales: O1 25000 less its 5000 refund shared 4000/1000 between its lines, O2 20000 less
    # 3000, O3 10000; O4 cancelled and O5 outside the range do not count
    assert f.sales_cents == 20000 + 17000 + 10000 == 47000
    assert (f.orders, f.items) == (3, 5)
    assert f.average_basket_cents == 15667  # 47000 / 3, rounded half up
    assert (f.card_sales_cents, f.card_orders) == (20000, 1)
    assert (f.cod_sales_cents, f.cod_orders) == (27000, 2)
    assert f.women_sales_cents == 30000
    assert f.women_share_percent == 63.8
    assert (f.cooperatives_applied, f.cooperatives_verified) == (1, 2)
    assert (f.cooperatives_active, f.cooperatives_suspended) == (2, 1)
    money = expected_money(known)
    assert f.commission_cents == money["commission_2025"]
    assert f.paid_out_cents == money["paid_out"] == 19000
    assert f.owed_cents == money["owed"]
    assert (f.shoppers, f.shoppers_new, f.shoppers_returning) == (2, 1, 1)
    assert (f.shoppers_morocco, f.shoppers_abroad) == (1, 1)
    assert [(r.key, r.sales_cents, r.orders, r.items) for r in f.months if r.orders] == [
        ("2025-03", 37000, 2, 4),
        ("2025-07", 10000, 1, 1),
    ]
    assert len(f.months) == 12
    assert [(r.key, r.sales_cents, r.orders, r.items, r.extra) for r in f.provinces] == [
        ("errachidia", 30000, 2, 4, 1),
        ("ouarzazate", 17000, 1, 1, 1),
        ("midelt", 0, 0, 0, 0),
        ("tinghir", 0, 0, 0, 0),
        ("zagora", 0, 0, 0, 0),
    ]
    assert [(r.key, r.sales_cents, r.orders, r.items) for r in f.categories] == [
        (str(known["dates"].id), 26000, 2, 3),
        (str(known["pottery"].id), 21000, 2, 2),
    ]
    assert [(r.key, r.sales_cents, r.orders) for r in f.top_cooperatives] == [
        (str(known["a"].id), 30000, 2),
        (str(known["b"].id), 17000, 1),
    ]
    assert [(r.key, r.sales_cents, r.items) for r in f.top_products] == [
        (str(known["a_dates"].id), 26000, 3),
        (str(known["b_pot"].id), 17000, 1),
        (str(known["a_pot"].id), 4000, 1),
    ]
    assert [(r.key, r.extra, r.orders, r.sales_cents) for r in f.countries] == [
        ("FR", 1, 1, 17000),
        ("MA", 1, 2, 30000),
    ]


def test_a_top_product_without_a_name_now_shows_the_name_its_order_lines_recorded(app, known):
    from marketplace.orders.models import OrderLine

    pot = known["b_pot"]
    recorded = db.session.scalar(
        select(OrderLine.product_name).where(OrderLine.product_id == pot.id).limit(1)
    )
    named = known["a_dates"]
    for translation in list(pot.translations):
        db.session.delete(translation)
    db.session.flush()
    with app.test_request_context("/en/"):
        labels = {r.key: r.label for r in services.compute(YEAR, "en").top_products}
    assert recorded and labels[str(pot.id)] == recorded
    assert labels[str(named.id)] == next(t.name for t in named.translations if t.locale == "en")


def test_filters_narrow_every_sales_figure(app, known):
    with app.test_request_context("/en/"):
        by_province = services.compute(Filters(YEAR.start, YEAR.end, province="errachidia"), "en")
        by_category = services.compute(
            Filters(YEAR.start, YEAR.end, category_id=known["dates"].id), "en"
        )
        by_coop = services.compute(
            Filters(YEAR.start, YEAR.end, cooperative_id=known["b"].id), "en"
        )
        march = services.compute(Filters(date(2025, 3, 1), date(2025, 3, 31)), "en")
    assert (by_province.sales_cents, by_province.orders, by_province.items) == (30000, 2, 4)
    assert by_province.cooperatives_verified == 1  # A only
    assert (by_category.sales_cents, by_category.orders, by_category.items) == (26000, 2, 3)
    assert (by_coop.sales_cents, by_coop.orders, by_coop.shoppers_abroad) == (17000, 1, 1)
    assert by_coop.paid_out_cents == 0 and by_coop.owed_cents == expected_money(known)["owed"]
    assert (march.sales_cents, march.orders, len(march.months)) == (37000, 2, 1)
    # the first day's midnight in Morocco (UTC+1: 23:00 UTC the day before) is in the range;
    # during Ramadan Morocco is on UTC+0
    assert Filters(date(2025, 6, 1), date(2025, 6, 1)).bounds() == (
        datetime(2025, 5, 31, 23, tzinfo=UTC),
        datetime(2025, 6, 1, 23, tzinfo=UTC),
    )
    assert Filters(date(2025, 3, 10), date(2025, 3, 10)).bounds()[0] == datetime(
        2025, 3, 10, tzinfo=UTC
    )


def test_the_dashboards_money_equals_the_ledgers(app, known):
    with app.test_request_context("/en/"):
        f = services.compute(Filters(date(2020, 1, 1), date.today()), "en")
    accounts = ledger.account_balances()
    assert f.commission_cents == accounts["commission"] == expected_money(known)["commission_all"]
    assert f.paid_out_cents == accounts["payouts"]
    assert f.owed_cents == sum(ledger.balances().values())
    assert ledger.check() == []


def test_a_constant_number_of_queries(app, known):
    counts = []
    for _ in range(2):
        db.session.commit()
        with app.test_request_context("/en/"):
            g.query_count = 0
            figures = services.compute(Filters(date(2020, 1, 1), date.today()), "en")
            counts.append((g.query_count, figures.queries))
        for _ in range(3):
            place([(known["a_dates"], 1)], method="cod")
    assert counts[0] == counts[1]
    assert counts[0][0] <= counts[0][1] + 1  # (+ the transaction's BEGIN on SQLite)


def _observer_client(app):
    user = UserFactory(role=Role.OBSERVER.value)
    db.session.commit()
    client = app.test_client()
    login(client, user)
    return client


def test_the_dashboard_page_shows_the_figures_charts_and_tables(app, known):
    client = _observer_client(app)
    page = client.get("/fr/impact/dashboard?from=2025-01-01&to=2025-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") == 4
    assert "<table" in html and "470,00" in html  # sales in French
    assert "Errachidia" in html
    arabic = client.get("/ar/impact/dashboard?from=2025-01-01&to=2025-12-31")
    assert arabic.status_code == 200
    assert 'dir="rtl"' in arabic.get_data(as_text=True)
    # hostile filters are ignored, not errors
    for query in ("from=2025-13-45&to=x", "province=nowhere&category=abc&cooperative=-1"):
        assert client.get(f"/en/impact/dashboard?{query}").status_code == 200


def test_csv_export_has_the_filters_numbers_and_translated_names(app, known):
    client = _observer_client(app)
    response = client.get(
        "/ar/impact/export.csv?table=provinces&from=2025-01-01&to=2025-12-31"
        f"&category={known['pottery'].id}"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    with app.test_request_context("/ar/"), force_locale("ar"):
        errachidia = province_label("errachidia")
        ouarzazate = province_label("ouarzazate")
        pottery = dict(services.category_choices("ar"))[known["pottery"].id]
    assert rows[0][1] == "2025-01-01" and rows[1][1] == "2025-12-31"
    assert rows[3][1] == pottery  # the category's name, not its id
    assert rows[5] == []
    body = rows[7:]
    assert body[0] == [errachidia, "40.00", "1", "1", "1"]
    assert body[1] == [ouarzazate, "170.00", "1", "1", "1"]


def test_xlsx_export_has_a_sheet_per_table_with_numbers_and_dates(app, known):
    client = _observer_client(app)
    response = client.get("/fr/impact/export.xlsx?from=2025-01-01&to=2025-12-31")
    assert response.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(response.data))
    workbook = book.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert names == [
        "summary",
        "months",
        "provinces",
        "categories",
        "countries",
        "cooperatives",
        "products",
    ]
    shared = book.read("xl/sharedStrings.xml").decode()
    assert "Errachidia" in shared
    months = book.read("xl/worksheets/sheet2.xml").decode()
    # the "From" filter is a date (Excel serial 45658 = 2025-01-01), March's sales a number
    assert re.search(r'<c r="B2" s="\d+"><v>45658</v></c>', months)
    assert re.search(r'<c r="B11" s="\d+"><v>370</v></c>', months)
    provinces = book.read("xl/worksheets/sheet3.xml").decode()
    assert re.search(r'<c r="B9" s="\d+"><v>300</v></c>', provinces)


def test_the_public_page_names_no_small_cooperative(app, known):
    app.config["IMPACT_PUBLIC_MIN_ORDERS"] = 2
    try:
        client = app.test_client()
        page = client.get("/en/impact?year=2025")
        html = page.get_data(as_text=True)
    finally:
        app.config.pop("IMPACT_PUBLIC_MIN_ORDERS")
    assert page.status_code == 200
    assert "470.00" in html
    with app.test_request_context("/en/"):
        f = services.compute(YEAR, "en", min_orders=2)
    assert [r.key for r in f.top_cooperatives] == [str(known["a"].id)]  # B has one order
    # Ouarzazate (one order, only B) is not shown; Errachidia (two) is
    assert "300.00" in html and "170.00" not in html
    home = client.get("/en/").get_data(as_text=True)
    assert "/en/impact" in home  # linked from the footer


def test_only_observers_and_admins_open_the_dashboard(app, known):
    anonymous = app.test_client()
    assert anonymous.get("/en/impact/dashboard").status_code == 302
    shopper = app.test_client()
    login(shopper, UserFactory())
    assert shopper.get("/en/impact/dashboard").status_code == 403
    assert shopper.get("/en/impact/export.xlsx").status_code == 403
    admin = app.test_client()
    login(admin, known["admin"])
    assert admin.get("/en/impact/dashboard").status_code == 200
    observer = _observer_client(app)
    assert observer.get("/en/admin/").status_code == 403
    assert observer.get("/en/apply").status_code in (403, 302)


def test_flask_create_observer(app, outbox):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-observer", "council@region-dt.ma", "--name", "Conseil"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "council@region-dt.ma"))
    assert user.role == "observer" and user.is_observer
    assert any(m["To"] == "council@region-dt.ma" for m in outbox())  # choose a password
    # a cooperative member cannot become one
    from tests.factories import MemberFactory

    member = MemberFactory()
    db.session.commit()
    result = runner.invoke(args=["create-observer", member.email])
    assert result.exit_code != 0


def test_admins_create_observers_from_the_console(app, client, outbox):
    admin = AdminFactory()
    db.session.commit()
    login(client, admin)
    response = post_form(
        client,
        "/en/admin/observers",
        {"email": "ministere@example.ma", "name": "M", "locale": "ar"},
    )
    assert response.status_code in (302, 303)
    user = db.session.scalar(select(User).where(User.email == "ministere@example.ma"))
    assert user.role == "observer" and user.locale == "ar"
    assert "ministere@example.ma" in client.get("/en/admin/observers").get_data(as_text=True)
    from marketplace.audit import AuditLogEntry

    assert db.session.scalar(
        select(AuditLogEntry).where(AuditLogEntry.action == "observer_created")
    )
