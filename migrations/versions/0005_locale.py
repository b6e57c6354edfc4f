"""One word for the language (issue #11): the order's column ``language`` is called ``locale``,
like the translated-content tables and the users' column. Only the name changes: every order
keeps its value.

The column is renamed in place (ALTER TABLE ... RENAME COLUMN, which SQLite has had since
3.25), so ``recreate="never"``: batch mode does not rebuild ``orders`` (with its indexes and
CHECK constraints) on SQLite, and on PostgreSQL it is the plain ALTER.

Revision ID: 0005_locale
Revises: 0004_order_notices
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_locale"
down_revision = "0004_order_notices"
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    with op.batch_alter_table("orders", schema=None, recreate="never") as batch_op:
        batch_op.alter_column(
            old,
            new_column_name=new,
            existing_type=sa.String(length=5),
            existing_nullable=False,
        )


def upgrade():
    _rename("language", "locale")


def downgrade():
    _rename("locale", "language")
