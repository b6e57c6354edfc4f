"""Index for the home page's featured products (featured, then newest, among active ones).

Revision ID: 0003_featured_index
Revises: 0002_search
"""

from alembic import op

revision = "0003_featured_index"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_products_status_featured",
        "products",
        ["status", "featured", "created_at", "id"],
    )


def downgrade():
    op.drop_index("ix_products_status_featured", table_name="products")
