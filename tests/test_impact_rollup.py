"""The impact dashboard's rollup (impact_sales, impact_months: marketplace/impact/rollup.py):
kept equal to what a rebuild from the orders gives through every kind of change, read right
for ranges that cut months in the middle, and the dashboard's queries the same in number
whatever the number of orders. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from flask import g
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.impact import rollup, services
from marketplace.impact.models import ImpactMonth, ImpactSale
from marketplace.impact.services import Filters
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.status import transition
from marketplace.payments import refunds
from marketplace.payments import services as payments
from marketplace.payments.models import Refund
from tests import test_impact
from tests.factories import AdminFactory, CooperativeFactory, ProductFactory, UserFactory
from tests.helpers import login
from tests.payments_support import deliver, place

known = test_impact.known  # the hand-computed orders (fixture)


def _snapshot():
    sales = sorted(
        tuple(getattr(row, c.key) for c in ImpactSale.__table__.columns)
        for row in db.session.scalars(select(ImpactSale))
    )
    months = sorted(
        tuple(getattr(row, c.key) for c in ImpactMonth.__table__.columns if c.key != "id")
        for row in db.session.scalars(select(ImpactMonth))
    )
    return sales, months


def _equals_a_rebuild():
    db.session.expire_all()
    kept = _snapshot()
    rollup.rebuild()
    db.session.commit()
    db.session.expire_all()
    return kept == _snapshot() and kept[0] != []


def test_the_rollup_follows_every_change_to_the_orders(app, known):
    # the fixture placed, paid, delivered, refunded, cancelled and back-dated orders; the
    # closed months summed (what the hourly job does), so that their rows follow too
    assert rollup.close_months()["months_added"] == 1
    db.session.commit()
    assert _equals_a_rebuild()
    admin = AdminFactory()
    product = known["a_dates"]
    order = place([(product, 2), (known["a_pot"], 1)], method="cod")
    assert _equals_a_rebuild()
    deliver(order.sub_orders[0])
    payments.mark_cash_collected(order.sub_orders[0], admin)
    db.session.commit()
    assert _equals_a_rebuild()
    refunds.create_refund(order.sub_orders[0], 1234, "Broken jar", admin)
    db.session.commit()
    assert db.session.scalar(select(Refund).where(Refund.sub_order_id == order.sub_orders[0].id))
    assert _equals_a_rebuild()
    other = place([(product, 1)], method="cod")
    transition(other.sub_orders[0], "cancelled", admin, reason="test")
    db.session.commit()
    assert _equals_a_rebuild()
    assert not db.session.scalar(select(ImpactSale).where(ImpactSale.order_id == other.id))
    # the cooperative moves to another province, its women members change
    coop = known["a"]
    coop.province = "zagora"
    coop.women_members_count = 1
    db.session.commit()
    assert _equals_a_rebuild()
    assert {row.province for row in db.session.scalars(select(ImpactSale))} >= {"zagora"}
    # an order deleted (with its lines): its rows go, its month is summed again
    fresh = place([(product, 1)], method="cod")
    assert _equals_a_rebuild()
    db.session.delete(fresh)
    db.session.commit()
    assert _equals_a_rebuild()


def test_a_range_cutting_months_reads_the_days_it_covers(app, known):
    # 2025-03-15 … 2025-07-10: O2 (20 March) and O3 (5 July) from the days, April to June
    # whole (nothing sold then)
    with app.test_request_context("/en/"):
        f = services.compute(Filters(date(2025, 3, 15), date(2025, 7, 10)), "en")
        whole = services.compute(Filters(date(2025, 3, 1), date(2025, 7, 31)), "en")
        days = services.compute(Filters(date(2025, 3, 10), date(2025, 3, 10)), "en")
    assert (f.sales_cents, f.orders, f.items) == (17000 + 10000, 2, 2)
    assert (f.shoppers, f.shoppers_abroad) == (2, 1)
    assert f.commission_cents == 2000 - 300  # O2 delivered, less its refund's share
    assert [(r.key, r.orders) for r in f.months if r.orders] == [("2025-03", 1), ("2025-07", 1)]
    # every month whole: the same as the hand computation's March to July
    assert (whole.sales_cents, whole.orders, whole.items) == (47000, 3, 5)
    # one day: O1 only
    assert (days.sales_cents, days.orders, days.items) == (20000, 1, 3)


def _page_queries(client) -> int:
    response = client.get("/en/impact/dashboard?from=2020-01-01&to=2030-12-31")
    assert response.status_code == 200
    return int(response.headers["X-Query-Count"])


def test_the_dashboard_takes_as_many_queries_with_more_orders(app, known):
    keys = ("IMPACT_CACHE_SECONDS", "QUERY_COUNT_HEADER")
    saved = {k: app.config[k] for k in keys if k in app.config}
    app.config.update(IMPACT_CACHE_SECONDS=0, QUERY_COUNT_HEADER=True)
    try:
        observer = UserFactory(role="observer")
        db.session.commit()
        client = app.test_client()
        login(client, observer)
        few = _page_queries(client)
        with app.test_request_context("/en/"):
            g.query_count = 0
            figures = services.compute(Filters(date(2020, 1, 1), date.today()), "en")
            computed = figures.queries
        # more orders, cooperatives, products, shoppers and months
        for index in range(4):
            coop = CooperativeFactory(province=("midelt", "tinghir")[index % 2])
            product = ProductFactory(cooperative=coop, price_cents=3000 + index, stock=20)
            db.session.commit()
            for _ in range(3):
                deliver(place([(product, 1), (known["b_pot"], 1)], method="cod").sub_orders[0])
        assert _page_queries(client) == few
        with app.test_request_context("/en/"):
            more = services.compute(Filters(date(2020, 1, 1), date.today()), "en")
        assert more.queries == computed
        assert more.orders == figures.orders + 12
    finally:
        for key in keys:
            app.config.pop(key, None)
        app.config.update(saved)


def _figures(app, known) -> list:
    year = (date(2025, 1, 1), date(2025, 12, 31))
    ranges = [
        Filters(*year),
        Filters(*year, province="errachidia"),
        Filters(*year, category_id=known["pottery"].id),
        Filters(*year, cooperative_id=known["b"].id),
        Filters(*year, province="ouarzazate", category_id=known["pottery"].id),
        Filters(date(2025, 3, 1), date(2025, 3, 31)),
        Filters(date(2025, 3, 15), date(2025, 8, 31)),
        Filters(date(2020, 1, 1), date.today()),
    ]
    with app.test_request_context("/en/"):
        return [services.compute(f, "en") for f in ranges]


def test_the_monthly_sums_give_the_same_figures_as_the_lines(app, known):
    assert rollup.months_through() == ""  # nothing summed yet: every day read from the lines
    from_lines = _figures(app, known)
    rollup.rebuild(today=date(2025, 6, 15))  # January to May summed
    db.session.commit()
    assert rollup.months_through() == "2025-05"
    assert db.session.scalar(select(ImpactMonth.id).limit(1)) is not None
    assert _figures(app, known) == from_lines
    # the months that closed since are added by the job, once
    assert rollup.close_months(today=date(2025, 9, 1)) == {
        "months_added": 1,
        "months_through": "2025-08",
    }
    db.session.commit()
    assert rollup.close_months(today=date(2025, 9, 2)) == {"months_added": 0}
    assert _figures(app, known) == from_lines
    # an order of a summed month delivered now (O3, July): its month is summed again at once
    sub = db.session.scalar(select(ImpactSale.sub_order_id).where(ImpactSale.month == "2025-07"))
    deliver(db.session.get(CooperativeOrder, sub))
    with_delivery = _figures(app, known)
    rollup.rebuild(today=date(2025, 6, 15))
    db.session.commit()
    assert rollup.close_months(today=date(2025, 9, 1))["months_added"] == 1
    db.session.commit()
    assert _figures(app, known) == with_delivery
    assert with_delivery[0].commission_cents > from_lines[0].commission_cents
