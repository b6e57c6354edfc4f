"""Product variants (issue #15): every product gets one default variant carrying its price,
stock, unit of sale, size and weight, with its slug as SKU (or P<id> when the slug is longer than
a SKU); order lines and cart items point at the variant of their product. Prices, stock, order
history and slugs are kept; tests/test_variants_migration.py runs it on a copy of the demo data.

Revision ID: 0003_variants
Revises: 0002_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_variants"
down_revision = "0002_search"
branch_labels = None
depends_on = None

_DEFAULT_VARIANTS = """
INSERT INTO product_variants (product_id, cooperative_id, sku, labels, price_cents, stock,
    unit_quantity_milli, unit_code, size, weight_grams, position, active, created_at, updated_at)
SELECT id, cooperative_id,
    CASE WHEN length(slug) <= 64 THEN slug ELSE 'P' || id END,
    '{}', price_cents, stock, unit_quantity_milli, unit_code, size, weight_grams, 0, TRUE,
    created_at, updated_at
FROM products
"""

# Each product has exactly one variant at this point.
_VARIANT_OF_PRODUCT = """
UPDATE {table} SET variant_id = (
    SELECT v.id FROM product_variants v WHERE v.product_id = {table}.product_id
)
"""

_SKU_OF_ORDER_LINES = """
UPDATE order_lines SET sku = COALESCE(
    (SELECT v.sku FROM product_variants v WHERE v.id = order_lines.variant_id), ''
)
"""


def _restore_search_triggers():
    """SQLite rebuilds ``products`` to drop or add a column (batch mode), which drops the
    triggers keeping its FTS5 table in step (0002_search): create them again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


_SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS products_fts_insert",
    "DROP TRIGGER IF EXISTS products_fts_delete",
    "DROP TRIGGER IF EXISTS products_fts_update",
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    """CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
        DELETE FROM products_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER products_fts_update AFTER UPDATE OF id, search_document ON products BEGIN
        DELETE FROM products_fts WHERE rowid = old.id;
        INSERT INTO products_fts(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
]


def upgrade():
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("unit_quantity_milli", sa.Integer(), nullable=True),
        sa.Column("unit_code", sa.String(length=8), nullable=True),
        sa.Column("size", sa.String(length=40), server_default="", nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(unit_code IS NULL AND unit_quantity_milli IS NULL) OR (unit_code IS NOT NULL AND unit_quantity_milli > 0)",
            name=op.f("ck_product_variants_variant_unit_quantity_and_code"),
        ),
        sa.CheckConstraint(
            "price_cents >= 0", name=op.f("ck_product_variants_variant_price_non_negative")
        ),
        sa.CheckConstraint(
            "stock >= 0", name=op.f("ck_product_variants_variant_stock_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_product_variants_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_variants_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("cooperative_id", "sku", name="uq_product_variants_cooperative_sku"),
    )
    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_variants_cooperative_id"), ["cooperative_id"], unique=False
        )
        batch_op.create_index(
            "ix_product_variants_product_active_price",
            ["product_id", "active", "price_cents"],
            unique=False,
        )

    op.execute(_DEFAULT_VARIANTS)

    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
    op.execute(_VARIANT_OF_PRODUCT.format(table="cart_items"))
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.alter_column("variant_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_cart_items_cart_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_cart_items_cart_id"), ["cart_id", "variant_id"]
        )
        batch_op.create_index(batch_op.f("ix_cart_items_variant_id"), ["variant_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cart_items_variant_id_product_variants"),
            "product_variants",
            ["variant_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sku", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("variant_labels", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_order_lines_variant_id"), ["variant_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_variant_id_product_variants"),
            "product_variants",
            ["variant_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(_VARIANT_OF_PRODUCT.format(table="order_lines"))
    op.execute(_SKU_OF_ORDER_LINES)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("price_max_cents", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute("UPDATE products SET price_max_cents = price_cents")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("weight_grams")
    _restore_search_triggers()


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weight_grams", sa.INTEGER(), nullable=True))
        batch_op.drop_column("price_max_cents")
    _restore_search_triggers()
    # The first variant's weight goes back to its product (the others' are lost).
    op.execute(
        "UPDATE products SET weight_grams = (SELECT v.weight_grams FROM product_variants v"
        " WHERE v.product_id = products.id ORDER BY v.position, v.id LIMIT 1)"
    )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_variant_id_product_variants"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_order_lines_variant_id"))
        batch_op.drop_column("variant_labels")
        batch_op.drop_column("sku")
        batch_op.drop_column("variant_id")

    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cart_items_variant_id_product_variants"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_cart_items_variant_id"))
        batch_op.drop_constraint(batch_op.f("uq_cart_items_cart_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_cart_items_cart_id"), ["cart_id", "product_id"]
        )
        batch_op.drop_column("variant_id")

    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.drop_index("ix_product_variants_product_active_price")
        batch_op.drop_index(batch_op.f("ix_product_variants_cooperative_id"))

    op.drop_table("product_variants")
