"""`make bench`'s seeding (bench/seed.py, bench/seed_backoffice.py) at a tiny size on
PostgreSQL: 1 to 4 variants per product (2.5 on average), product summaries as
catalogue.variants.refresh_summary computes them, order lines of real variants with their
snapshot, and books that balance."""

from __future__ import annotations

import pytest

from tests.helpers import postgres_reachable

pytestmark = pytest.mark.postgres


@pytest.fixture
def bench_database():
    if not postgres_reachable():
        pytest.skip("needs PostgreSQL")
    import psycopg

    from bench import run

    name = "souk_test_bench_seed"
    yield run, name
    with psycopg.connect(run.PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_bench_seeds_variants_with_right_summaries_and_orders(bench_database):
    import psycopg

    run, name = bench_database
    run.seed(name, 400, 25, 300, {"big_orders": 200, "audit_rows": 500})
    assert 2.3 <= run.variants_per_product(name) <= 2.7
    assert run.check_ledger(name) == []
    dsn = run.sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:

        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        counts = dict(
            conn.execute(
                "SELECT n, count(*) FROM (SELECT count(*) AS n FROM product_variants "
                "GROUP BY product_id) AS per_product GROUP BY n"
            ).fetchall()
        )
        assert set(counts) == {1, 2, 3, 4}
        assert (
            one(
                "SELECT count(*) FROM products WHERE id NOT IN "
                "(SELECT product_id FROM product_variants WHERE active)"
            )
            == 0
        )
        assert (
            one(
                "SELECT count(*) FROM products p, LATERAL (SELECT min(price_cents) AS low, "
                "max(price_cents) AS high, sum(stock) AS stock FROM product_variants v "
                "WHERE v.product_id = p.id AND v.active) AS s WHERE p.price_cents <> s.low "
                "OR p.price_max_cents <> s.high OR p.stock <> s.stock"
            )
            == 0
        )
        # SKUs unique per cooperative, and each variant in its product's cooperative.
        assert (
            one(
                "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id "
                "WHERE v.cooperative_id <> p.cooperative_id"
            )
            == 0
        )
        assert one("SELECT count(*) FROM order_lines WHERE variant_id IS NULL") == 0
        assert (
            one(
                "SELECT count(*) FROM order_lines l JOIN product_variants v "
                "ON v.id = l.variant_id WHERE l.product_id <> v.product_id OR l.sku <> v.sku "
                "OR l.unit_price_cents <> v.price_cents"
            )
            == 0
        )
        assert one("SELECT count(DISTINCT variant_id) FROM order_lines") > one(
            "SELECT count(DISTINCT product_id) FROM order_lines"
        )
        assert one("SELECT count(*) FROM product_variants WHERE labels::text <> '{}'") > 0
        # The sequences follow the copied ids: the app can add variants afterwards.
        assert one("SELECT nextval(pg_get_serial_sequence('product_variants', 'id'))") == one(
            "SELECT max(id) + 1 FROM product_variants"
        )
