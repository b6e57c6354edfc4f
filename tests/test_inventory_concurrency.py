"""Concurrent checkouts never oversell: each thread has its own app context, session and
database connection, and calls the placing service at the same instant (a barrier).

The PostgreSQL variants (marked ``postgres``) use the suite's PostgreSQL database; the SQLite
variants always use an SQLite *file* of their own (WAL, BEGIN IMMEDIATE, busy timeout), so
they run in every suite.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.checkout import (
    ShippingDetails,
    WantedLine,
    make_idempotency_token,
    place_order,
)
from marketplace.orders.models import CooperativeOrder, Order, OrderLine
from marketplace.orders.stock import NotEnoughStock
from tests.factories import CooperativeFactory, ProductFactory

THREADS = 24
SHIPPING = ShippingDetails(
    contact_name="Hassan",
    phone="+212612345678",
    address_line1="Ksar El Khorbat",
    city="Tinejdad",
    email="hassan@example.ma",
)


@pytest.fixture
def sqlite_file_app(tmp_path, app):
    """A second app on its own SQLite file, schema built through the migrations."""
    other = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'concurrency.sqlite3'}",
        MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        MEDIA_DIR=str(tmp_path / "media"),
    )
    with other.app_context():
        upgrade()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def run_at_once(app, count: int, place) -> list[tuple[str, object]]:
    """Run ``place(i)`` in ``count`` threads released together; commit or roll back each."""
    barrier = threading.Barrier(count)
    results: list[tuple[str, object]] = [("not run", None)] * count

    def worker(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                order = place(i)
                db.session.commit()
                results[i] = ("ok", order.id)
            except NotEnoughStock as error:
                db.session.rollback()
                with force_locale("en"):
                    results[i] = ("stock", str(error.message))
            except Exception as error:  # noqa: BLE001 - reported by the assertions
                db.session.rollback()
                results[i] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def place(lines, token=None):
    return place_order(
        lines=[WantedLine(pid, qty, price) for pid, qty, price in lines],
        shipping=SHIPPING,
        payment_method="cod",
        idempotency_token=token or make_idempotency_token(),
        locale="fr",
    )


def stock(product_id: int) -> int:
    return db.session.scalar(select(Product.stock).where(Product.id == product_id))


def units_sold(product_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            OrderLine.product_id == product_id
        )
    )


# --- the scenarios (run on either database) -------------------------------------------------


def last_five_units(app) -> None:
    with app.app_context():
        product = ProductFactory(stock=5, price_cents=7000)
        pid, price = product.id, product.price_cents
        db.session.commit()

    results = run_at_once(app, THREADS, lambda i: place([(pid, 1, price)]))

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 5, "stock": THREADS - 5}, results
    assert all("Not enough stock" in msg for kind, msg in results if kind == "stock")
    with app.app_context():
        assert stock(pid) == 0
        assert units_sold(pid) == 5
        assert db.session.scalar(select(func.count()).select_from(Order)) == 5


def carts_across_two_cooperatives(app) -> None:
    with app.app_context():
        a = ProductFactory(cooperative=CooperativeFactory(), stock=5, price_cents=3000)
        b = ProductFactory(cooperative=CooperativeFactory(), stock=8, price_cents=4500)
        line_a, line_b = (a.id, 1, a.price_cents), (b.id, 1, b.price_cents)
        db.session.commit()

    # Half the carts list the products in the other order: no deadlock, no partial order.
    results = run_at_once(
        app, THREADS, lambda i: place([line_a, line_b] if i % 2 else [line_b, line_a])
    )

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 5, "stock": THREADS - 5}, results
    with app.app_context():
        assert (stock(line_a[0]), stock(line_b[0])) == (0, 3)
        assert units_sold(line_a[0]) == units_sold(line_b[0]) == 5
        orders = db.session.scalars(select(Order)).all()
        assert len(orders) == 5
        assert all(len(order.sub_orders) == 2 for order in orders)
        assert db.session.scalar(select(func.count()).select_from(CooperativeOrder)) == 10
        assert sum(o.total_cents for o in orders) == 5 * (3000 + 4500 + 2 * 3000)


def one_checkout_submitted_twice(app) -> None:
    with app.app_context():
        product = ProductFactory(stock=5, price_cents=2500)
        pid, price = product.id, product.price_cents
        db.session.commit()
    token = make_idempotency_token()

    results = run_at_once(app, 4, lambda i: place([(pid, 2, price)], token=token))

    assert [kind for kind, _ in results] == ["ok"] * 4, results
    assert len({order_id for _, order_id in results}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert stock(pid) == 3
        assert units_sold(pid) == 2


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_concurrent_checkouts_sell_exactly_the_last_five_units(app):
    last_five_units(app)


@pytest.mark.postgres
def test_postgres_concurrent_carts_across_two_cooperatives_leave_no_partial_order(app):
    carts_across_two_cooperatives(app)


@pytest.mark.postgres
def test_postgres_one_checkout_submitted_twice_at_once_places_one_order(app):
    one_checkout_submitted_twice(app)


# --- SQLite file ----------------------------------------------------------------------------


def test_sqlite_file_concurrent_checkouts_sell_exactly_the_last_five_units(sqlite_file_app):
    last_five_units(sqlite_file_app)


def test_sqlite_file_concurrent_carts_across_two_cooperatives_leave_no_partial_order(
    sqlite_file_app,
):
    carts_across_two_cooperatives(sqlite_file_app)


def test_sqlite_file_one_checkout_submitted_twice_at_once_places_one_order(sqlite_file_app):
    one_checkout_submitted_twice(sqlite_file_app)
