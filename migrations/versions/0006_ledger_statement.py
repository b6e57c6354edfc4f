"""A cooperative's statement reads one index (issue #11, back-office pages at bench size):
``ix_ledger_entries_statement`` on (cooperative_id, account, created_at, id), with
amount_cents included on PostgreSQL, replaces ``ix_ledger_entries_coop_created``. Every
statement query also asks for the payable account, so the balance page's sum and count are
index-only scans instead of reading each of the cooperative's entries in the table.

Revision ID: 0006_ledger_statement
Revises: 0005_locale
"""

from alembic import op

revision = "0006_ledger_statement"
down_revision = "0005_locale"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_ledger_entries_statement",
        "ledger_entries",
        ["cooperative_id", "account", "created_at", "id"],
        unique=False,
        postgresql_include=["amount_cents"],
    )
    op.drop_index("ix_ledger_entries_coop_created", table_name="ledger_entries")


def downgrade():
    op.create_index(
        "ix_ledger_entries_coop_created",
        "ledger_entries",
        ["cooperative_id", "created_at", "id"],
        unique=False,
    )
    op.drop_index("ix_ledger_entries_statement", table_name="ledger_entries")
