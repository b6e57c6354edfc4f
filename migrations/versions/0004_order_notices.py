"""Order placement notices written by a job (issue #18): ``order_notices_due`` holds the orders
whose confirmation e-mails and cooperative notices are still to be rendered and queued; the
``order-notices`` job takes them. Orders placed before this revision were notified already.

Revision ID: 0004_order_notices
Revises: 0003_variants
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_order_notices"
down_revision = "0003_variants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_notices_due",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_notices_due_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_notices_due")),
    )


def downgrade() -> None:
    op.drop_table("order_notices_due")
