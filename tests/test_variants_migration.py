"""Revision 0003_variants on a copy of the demo data, on the suite's backend (SQLite or
PostgreSQL): the demo is loaded at head into a database of its own, taken back to
0002_search (the schema before variants: a product's own price, stock, unit, size and weight;
order lines and cart items of products), given what real data of that time also holds (a
shopper's cart, a product whose slug is longer than a SKU), then upgraded again. Every
product must come out with exactly one active variant holding what it had, its slug as SKU,
and the order lines and cart items pointing at it, with slugs and order history unchanged."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.helpers import pg_admin_url, postgres_reachable

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
LONG_SLUG = "dattes-mejhoul-extra-de-la-palmeraie-de-tafilalet-recolte-2026-coffret-cadeau"


@pytest.fixture
def migration_app(tmp_path):
    """An app on a database of its own (the suite's one stays at head for the others)."""
    if TEST_DATABASE == "sqlite":
        url = f"sqlite:///{tmp_path / 'variants-migration.sqlite3'}"
        name = None
    else:
        if not postgres_reachable():
            pytest.fail("TEST_DATABASE=postgres but PostgreSQL is unreachable")
        import psycopg

        name = f"souk_test_variants_migration_{os.getpid()}"
        with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        base = pg_admin_url().rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url = f"{base}/{name}"
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        MEDIA_DIR=str(tmp_path / "media"),
        LOG_JSON=False,
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if name is not None:
        import psycopg

        with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table(conn, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def _rows(conn, sql: str) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(sa.text(sql))]


def _add_what_real_data_holds(conn) -> None:
    """At 0002_search, with that schema's own columns: a product whose slug is longer than
    a SKU (64), copied from a demo one, and a shopper's cart of two products."""
    products = _table(conn, "products")
    template = dict(
        conn.execute(sa.select(products).where(products.c.slug == "rose-water")).one()._mapping
    )
    for generated in ("id", "search_vector"):  # PostgreSQL's search_vector is computed
        template.pop(generated, None)
    template.update(slug=LONG_SLUG, price_cents=34_500, stock=7, weight_grams=2_300)
    long_id = conn.execute(products.insert().values(**template)).inserted_primary_key[0]
    now = datetime.now(UTC)
    shopper = conn.execute(
        sa.text("SELECT id FROM users WHERE email = 'amina@example.ma'")
    ).scalar_one()
    carts, items = _table(conn, "carts"), _table(conn, "cart_items")
    cart_id = conn.execute(
        carts.insert().values(user_id=shopper, created_at=now, updated_at=now)
    ).inserted_primary_key[0]
    saffron = conn.execute(
        sa.text("SELECT id, price_cents FROM products WHERE slug = 'saffron-1g'")
    ).one()
    for product_id, quantity, price in ((saffron.id, 2, saffron.price_cents), (long_id, 1, 34_500)):
        conn.execute(
            items.insert().values(
                cart_id=cart_id,
                product_id=product_id,
                quantity=quantity,
                price_seen_cents=price,
                added_at=now,
            )
        )


PRODUCT_COLUMNS = (
    "id, slug, cooperative_id, category_id, status, price_cents, stock, unit_quantity_milli, "
    "unit_code, size, weight_grams, created_at"
)
ORDER_HISTORY = (
    "SELECT l.id, l.sub_order_id, l.product_id, l.product_name, l.unit_quantity_milli, "
    "l.unit_code, l.unit_price_cents, l.quantity, l.line_total_cents, s.status, s.total_cents, "
    "o.number, o.total_cents AS order_total FROM order_lines l "
    "JOIN cooperative_orders s ON s.id = l.sub_order_id JOIN orders o ON o.id = s.order_id "
    "ORDER BY l.id"
)


def test_every_product_gets_its_one_variant_and_history_follows(migration_app):
    from marketplace.demo import seed_demo

    app = migration_app
    with app.app_context():
        upgrade()
        seed_demo(echo=lambda _message: None)
        db.session.commit()
        downgrade(revision="0002_search")
        with db.engine.begin() as conn:
            _add_what_real_data_holds(conn)
        with db.engine.connect() as conn:
            products = {
                row["id"]: row for row in _rows(conn, f"SELECT {PRODUCT_COLUMNS} FROM products")
            }
            history = _rows(conn, ORDER_HISTORY)
            cart = _rows(conn, "SELECT id, product_id, quantity FROM cart_items ORDER BY id")
        assert len(products) >= 60 and len(history) >= 5 and len(cart) == 2

        upgrade()
        with db.engine.connect() as conn:
            variants = _rows(
                conn,
                "SELECT id, product_id, cooperative_id, sku, labels, price_cents, stock, "
                "unit_quantity_milli, unit_code, size, weight_grams, position, active "
                "FROM product_variants ORDER BY id",
            )
            after = {
                row["id"]: row
                for row in _rows(
                    conn,
                    "SELECT id, slug, cooperative_id, category_id, status, price_cents, "
                    "price_max_cents, stock, unit_quantity_milli, unit_code, size, created_at "
                    "FROM products",
                )
            }
            history_after = _rows(conn, ORDER_HISTORY)
            lines = _rows(conn, "SELECT id, product_id, variant_id, sku FROM order_lines")
            cart_after = _rows(
                conn, "SELECT id, product_id, variant_id, quantity FROM cart_items ORDER BY id"
            )

    of_product = {}
    for variant in variants:
        assert variant["product_id"] not in of_product, "two variants for one product"
        of_product[variant["product_id"]] = variant
    assert set(of_product) == set(products)
    for product_id, before in products.items():
        variant, now = of_product[product_id], after[product_id]
        expected_sku = before["slug"] if len(before["slug"]) <= 64 else f"P{product_id}"
        assert variant["sku"] == expected_sku
        assert variant["active"] and variant["position"] == 0
        assert variant["labels"] in ({}, "{}")  # JSON: a dict, or its text on SQLite
        assert variant["cooperative_id"] == before["cooperative_id"]
        for column in ("price_cents", "stock", "unit_quantity_milli", "unit_code", "size"):
            assert variant[column] == before[column], (before["slug"], column)
        assert variant["weight_grams"] == before["weight_grams"]
        # The product itself: the same slug, place and status; its summary is its variant.
        for column in ("slug", "cooperative_id", "category_id", "status", "created_at"):
            assert now[column] == before[column], (before["slug"], column)
        assert (now["price_cents"], now["price_max_cents"], now["stock"]) == (
            before["price_cents"],
            before["price_cents"],
            before["stock"],
        )
        assert (now["unit_quantity_milli"], now["unit_code"], now["size"]) == (
            before["unit_quantity_milli"],
            before["unit_code"],
            before["size"],
        )
    long_product = next(p for p in products.values() if p["slug"] == LONG_SLUG)
    assert of_product[long_product["id"]]["sku"] == f"P{long_product['id']}"
    # The order history is what it was, each line now naming its product's variant.
    assert history_after == history
    for line in lines:
        variant = of_product[line["product_id"]]
        assert (line["variant_id"], line["sku"]) == (variant["id"], variant["sku"])
    assert [(item["id"], item["product_id"], item["quantity"]) for item in cart_after] == [
        (item["id"], item["product_id"], item["quantity"]) for item in cart
    ]
    assert all(item["variant_id"] == of_product[item["product_id"]]["id"] for item in cart_after)
    _the_app_works_with_the_migrated_data(app)


def _the_app_works_with_the_migrated_data(app) -> None:
    """The app reads and sells the migrated products as before: one variant shows no
    choice, the product page answers, and new variants get ids after the migrated ones."""
    from marketplace.catalogue.models import Product, ProductVariant
    from marketplace.catalogue.variants import default_variant, shows_choice

    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "saffron-1g"))
        assert not shows_choice(product)
        variant = default_variant(product)
        assert variant is not None and variant.sku == "saffron-1g"
        extra = ProductVariant(
            product_id=product.id,
            cooperative_id=product.cooperative_id,
            sku="saffron-1g-2",
            price_cents=11_500,
            stock=3,
        )
        db.session.add(extra)
        db.session.flush()
        assert extra.id > max(v.id for v in product.variants if v is not extra)
        db.session.rollback()
    assert app.test_client().get("/fr/products/saffron-1g").status_code == 200
