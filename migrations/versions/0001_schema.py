"""Schema of every domain's models before product variants (generated from the models while nothing
was deployed; from 0003_variants on, every change is an ordinary revision: make migration).

Revision ID: 0001_schema
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_schema"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"], unique=False)
    op.create_table(
        "cooperatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("registration_number", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=20), nullable=False),
        sa.Column("commune", sa.String(length=120), nullable=False),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("members_count", sa.Integer(), nullable=True),
        sa.Column("women_members_count", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("rib", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_reason_code", sa.String(length=40), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("logo_path", sa.String(length=255), nullable=True),
        sa.Column("cover_path", sa.String(length=255), nullable=True),
        sa.Column("shipping_fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("free_shipping_threshold_cents", sa.BigInteger(), nullable=True),
        sa.Column("accepts_cash_on_delivery", sa.Boolean(), nullable=False),
        sa.Column("ships_abroad", sa.Boolean(), nullable=False),
        sa.Column("stripe_account_id", sa.String(length=64), nullable=True),
        sa.Column("rating_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "shipping_fee_cents >= 0", name=op.f("ck_cooperatives_shipping_fee_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperatives")),
        sa.UniqueConstraint(
            "registration_number", name=op.f("uq_cooperatives_registration_number")
        ),
        sa.UniqueConstraint("slug", name=op.f("uq_cooperatives_slug")),
    )
    op.create_index(op.f("ix_cooperatives_province"), "cooperatives", ["province"], unique=False)
    op.create_index(op.f("ix_cooperatives_status"), "cooperatives", ["status"], unique=False)
    op.create_table(
        "fairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("province", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("latitude", sa.String(length=20), nullable=False),
        sa.Column("longitude", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("registration_deadline", sa.Date(), nullable=False),
        sa.Column("max_stands", sa.Integer(), nullable=False),
        sa.Column("cover_path", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fairs")),
        sa.UniqueConstraint("slug", name=op.f("uq_fairs_slug")),
    )
    op.create_index(op.f("ix_fairs_province"), "fairs", ["province"], unique=False)
    op.create_index(op.f("ix_fairs_starts_on"), "fairs", ["starts_on"], unique=False)
    op.create_table(
        "impact_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("cooperative_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_pending")),
    )
    op.create_table(
        "impact_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("months_through", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_state")),
    )
    op.create_table(
        "job_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_failures")),
    )
    op.create_index(
        op.f("ix_job_failures_finished_at"), "job_failures", ["finished_at"], unique=False
    )
    op.create_index(op.f("ix_job_failures_job_name"), "job_failures", ["job_name"], unique=False)
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_summary", sa.Text(), nullable=True),
        sa.Column("last_duration_seconds", sa.Float(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("issuing_body", sa.String(length=200), nullable=False),
        sa.Column("logo_name", sa.String(length=100), nullable=True),
        sa.Column("logo_width", sa.Integer(), nullable=False),
        sa.Column("logo_height", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("slug", name=op.f("uq_labels_slug")),
    )
    op.create_table(
        "login_throttles",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_login_throttles")),
    )
    op.create_index(
        op.f("ix_login_throttles_last_failed_at"),
        "login_throttles",
        ["last_failed_at"],
        unique=False,
    )
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
    )
    op.create_index(op.f("ix_mail_queue_claimed_by"), "mail_queue", ["claimed_by"], unique=False)
    op.create_index(
        op.f("ix_mail_queue_next_attempt_at"), "mail_queue", ["next_attempt_at"], unique=False
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "category_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_category_translations_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_translations")),
        sa.UniqueConstraint(
            "category_id", "locale", name=op.f("uq_category_translations_category_id")
        ),
    )
    op.create_index(
        op.f("ix_category_translations_category_id"),
        "category_translations",
        ["category_id"],
        unique=False,
    )
    op.create_table(
        "cooperative_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_cooperative_documents_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_cooperative_documents_stored_name")),
    )
    op.create_index(
        op.f("ix_cooperative_documents_cooperative_id"),
        "cooperative_documents",
        ["cooperative_id"],
        unique=False,
    )
    op.create_table(
        "cooperative_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_cooperative_translations_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_translations")),
        sa.UniqueConstraint(
            "cooperative_id", "locale", name=op.f("uq_cooperative_translations_cooperative_id")
        ),
    )
    op.create_index(
        op.f("ix_cooperative_translations_cooperative_id"),
        "cooperative_translations",
        ["cooperative_id"],
        unique=False,
    )
    op.create_table(
        "fair_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fair_id"],
            ["fairs.id"],
            name=op.f("fk_fair_translations_fair_id_fairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fair_translations")),
        sa.UniqueConstraint("fair_id", "locale", name=op.f("uq_fair_translations_fair_id")),
    )
    op.create_index(
        op.f("ix_fair_translations_fair_id"), "fair_translations", ["fair_id"], unique=False
    )
    op.create_table(
        "impact_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("commission_cents", sa.BigInteger(), nullable=False),
        sa.Column("owed_cents", sa.BigInteger(), nullable=False),
        sa.Column("order_first", sa.Integer(), nullable=False),
        sa.Column("order_province_first", sa.Integer(), nullable=False),
        sa.Column("order_category_first", sa.Integer(), nullable=False),
        sa.Column("order_province_category_first", sa.Integer(), nullable=False),
        sa.Column("sub_order_first", sa.Integer(), nullable=False),
        sa.Column("sub_order_category_first", sa.Integer(), nullable=False),
        sa.Column("women", sa.Boolean(), nullable=False),
        sa.Column("card", sa.Boolean(), nullable=False),
        sa.Column("fair", sa.Boolean(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("province", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_impact_months_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_months")),
    )
    op.create_index(
        "ix_impact_months_cooperative_month",
        "impact_months",
        ["cooperative_id", "month"],
        unique=False,
    )
    op.create_table(
        "label_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_label_translations_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_translations")),
        sa.UniqueConstraint("label_id", "locale", name=op.f("uq_label_translations_label_id")),
    )
    op.create_index(
        op.f("ix_label_translations_label_id"), "label_translations", ["label_id"], unique=False
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("unit_quantity_milli", sa.Integer(), nullable=True),
        sa.Column("unit_code", sa.String(length=8), nullable=True),
        sa.Column("size", sa.String(length=40), server_default="", nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("search_document", sa.Text(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(unit_code IS NULL AND unit_quantity_milli IS NULL) OR (unit_code IS NOT NULL AND unit_quantity_milli > 0)",
            name=op.f("ck_products_unit_quantity_and_code"),
        ),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_products_price_non_negative")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_products_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_products_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
    )
    op.create_index(
        "ix_products_category_featured",
        "products",
        ["category_id", "featured", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_products_category_id"), "products", ["category_id"], unique=False)
    op.create_index(
        op.f("ix_products_cooperative_id"), "products", ["cooperative_id"], unique=False
    )
    op.create_index(
        "ix_products_status_created", "products", ["status", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_products_status_featured",
        "products",
        ["status", "featured", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_products_status_price", "products", ["status", "price_cents", "id"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=True),
        sa.Column("is_cooperative_owner", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_users_cooperative_id_cooperatives"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_cooperative_id"), "users", ["cooperative_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_api_tokens_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_api_tokens_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_api_tokens_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        "ix_api_tokens_cooperative_created",
        "api_tokens",
        ["cooperative_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_api_tokens_cooperative_id"), "api_tokens", ["cooperative_id"], unique=False
    )
    op.create_index(
        op.f("ix_api_tokens_created_by_id"), "api_tokens", ["created_by_id"], unique=False
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(length=255), nullable=False),
        sa.Column("old_value", sa.String(length=60), nullable=False),
        sa.Column("new_value", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"], unique=False)
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id"], unique=False)
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_carts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_carts_user_id")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("for_cooperative", sa.Boolean(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("issuing_body", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_certificates_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_certificates_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_certificates_label_id_labels"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_certificates_stored_name")),
    )
    op.create_index(
        op.f("ix_certificates_cooperative_id"), "certificates", ["cooperative_id"], unique=False
    )
    op.create_index(
        "ix_certificates_label_status",
        "certificates",
        ["label_id", "status", "expires_on"],
        unique=False,
    )
    op.create_index(
        "ix_certificates_status_expires", "certificates", ["status", "expires_on"], unique=False
    )
    op.create_table(
        "cooperative_application_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cooperative_application_drafts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_application_drafts")),
    )
    op.create_index(
        op.f("ix_cooperative_application_drafts_user_id"),
        "cooperative_application_drafts",
        ["user_id"],
        unique=True,
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_invitations_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_invitations_token_digest")),
    )
    op.create_index(
        op.f("ix_invitations_cooperative_id"), "invitations", ["cooperative_id"], unique=False
    )
    op.create_index(op.f("ix_invitations_email"), "invitations", ["email"], unique=False)
    op.create_table(
        "message_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("variables", sa.Text(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=40), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_queue_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_queue")),
    )
    op.create_index(
        op.f("ix_message_queue_claimed_by"), "message_queue", ["claimed_by"], unique=False
    )
    op.create_index(
        op.f("ix_message_queue_failed_at"), "message_queue", ["failed_at"], unique=False
    )
    op.create_index(
        op.f("ix_message_queue_next_attempt_at"), "message_queue", ["next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_message_queue_provider_id"), "message_queue", ["provider_id"], unique=False
    )
    op.create_index(op.f("ix_message_queue_status"), "message_queue", ["status"], unique=False)
    op.create_index(op.f("ix_message_queue_user_id"), "message_queue", ["user_id"], unique=False)
    op.create_table(
        "notify_phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_phone_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_phone_codes")),
    )
    op.create_index(
        op.f("ix_notify_phone_codes_created_at"), "notify_phone_codes", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_notify_phone_codes_user_id"), "notify_phone_codes", ["user_id"], unique=False
    )
    op.create_table(
        "notify_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_channel", sa.String(length=16), nullable=True),
        sa.Column("sms_stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("whatsapp_stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_phones_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_phones")),
    )
    op.create_index(op.f("ix_notify_phones_e164"), "notify_phones", ["e164"], unique=False)
    op.create_index(op.f("ix_notify_phones_user_id"), "notify_phones", ["user_id"], unique=True)
    op.create_table(
        "notify_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channels", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_preferences")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notify_preferences_user_id")),
    )
    op.create_index(
        op.f("ix_notify_preferences_user_id"), "notify_preferences", ["user_id"], unique=False
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("items_cents", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("idempotency_token", sa.String(length=64), nullable=False),
        sa.Column("collect_fair_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "payment_method IN ('cod', 'card')", name=op.f("ck_orders_payment_method_known")
        ),
        sa.CheckConstraint("items_cents >= 0", name=op.f("ck_orders_items_non_negative")),
        sa.CheckConstraint("shipping_cents >= 0", name=op.f("ck_orders_shipping_non_negative")),
        sa.CheckConstraint(
            "total_cents = items_cents + shipping_cents", name=op.f("ck_orders_total_is_sum")
        ),
        sa.CheckConstraint("total_cents >= 0", name=op.f("ck_orders_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["collect_fair_id"],
            ["fairs.id"],
            name=op.f("fk_orders_collect_fair_id_fairs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("idempotency_token", name=op.f("uq_orders_idempotency_token")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(op.f("ix_orders_collect_fair_id"), "orders", ["collect_fair_id"], unique=False)
    op.create_index(op.f("ix_orders_status"), "orders", ["status"], unique=False)
    op.create_index("ix_orders_user_created", "orders", ["user_id", "created_at"], unique=False)
    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("transfer_reference", sa.String(length=120), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_payout_batches_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
    )
    op.create_index(
        "uq_payout_batches_one_open",
        "payout_batches",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "product_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_images_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_product_images_stored_name")),
    )
    op.create_index(
        op.f("ix_product_images_product_id"), "product_images", ["product_id"], unique=False
    )
    op.create_table(
        "product_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_translations_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_translations")),
        sa.UniqueConstraint(
            "product_id", "locale", name=op.f("uq_product_translations_product_id")
        ),
    )
    op.create_index(
        op.f("ix_product_translations_product_id"),
        "product_translations",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "saved_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_addresses")),
        sa.UniqueConstraint("user_id", name=op.f("uq_saved_addresses_user_id")),
    )
    op.create_table(
        "stand_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_stand_applications_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_stand_applications_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"],
            ["fairs.id"],
            name=op.f("fk_stand_applications_fair_id_fairs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stand_applications")),
        sa.UniqueConstraint(
            "fair_id", "cooperative_id", name=op.f("uq_stand_applications_fair_id")
        ),
    )
    op.create_index(
        op.f("ix_stand_applications_cooperative_id"),
        "stand_applications",
        ["cooperative_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stand_applications_fair_id"), "stand_applications", ["fair_id"], unique=False
    )
    op.create_table(
        "cart_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_seen_cents", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_seen_cents >= 0", name=op.f("ck_cart_items_price_seen_non_negative")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_items_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_cart_items_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_items")),
        sa.UniqueConstraint("cart_id", "product_id", name=op.f("uq_cart_items_cart_id")),
    )
    op.create_index(op.f("ix_cart_items_cart_id"), "cart_items", ["cart_id"], unique=False)
    op.create_index(op.f("ix_cart_items_product_id"), "cart_items", ["product_id"], unique=False)
    op.create_table(
        "certificate_products",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_products_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_certificate_products_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "certificate_id", "product_id", name=op.f("pk_certificate_products")
        ),
    )
    op.create_index(
        op.f("ix_certificate_products_product_id"),
        "certificate_products",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "certificate_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_reminders_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_reminders")),
        sa.UniqueConstraint(
            "certificate_id",
            "expires_on",
            "days_before",
            name=op.f("uq_certificate_reminders_certificate_id"),
        ),
    )
    op.create_index(
        op.f("ix_certificate_reminders_certificate_id"),
        "certificate_reminders",
        ["certificate_id"],
        unique=False,
    )
    op.create_table(
        "cooperative_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items_cents", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("commission_cents", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(length=80), nullable=False),
        sa.Column("tracking_number", sa.String(length=80), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("stock_returned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "commission_bp >= 0 AND commission_bp <= 10000",
            name=op.f("ck_cooperative_orders_commission_range"),
        ),
        sa.CheckConstraint(
            "commission_cents >= 0", name=op.f("ck_cooperative_orders_commission_non_negative")
        ),
        sa.CheckConstraint(
            "items_cents >= 0", name=op.f("ck_cooperative_orders_items_non_negative")
        ),
        sa.CheckConstraint(
            "shipping_cents >= 0", name=op.f("ck_cooperative_orders_shipping_non_negative")
        ),
        sa.CheckConstraint(
            "total_cents = items_cents + shipping_cents",
            name=op.f("ck_cooperative_orders_total_is_sum"),
        ),
        sa.CheckConstraint(
            "total_cents >= 0", name=op.f("ck_cooperative_orders_total_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_cooperative_orders_cooperative_id_cooperatives"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_cooperative_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_orders")),
        sa.UniqueConstraint(
            "order_id", "cooperative_id", name=op.f("uq_cooperative_orders_order_id")
        ),
    )
    op.create_index(
        "ix_cooperative_orders_coop_status",
        "cooperative_orders",
        ["cooperative_id", "status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cooperative_orders_cooperative_id"),
        "cooperative_orders",
        ["cooperative_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cooperative_orders_order_id"), "cooperative_orders", ["order_id"], unique=False
    )
    op.create_table(
        "impact_sales",
        sa.Column("line_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("commission_cents", sa.BigInteger(), nullable=False),
        sa.Column("owed_cents", sa.BigInteger(), nullable=False),
        sa.Column("order_first", sa.SmallInteger(), nullable=False),
        sa.Column("order_province_first", sa.SmallInteger(), nullable=False),
        sa.Column("order_category_first", sa.SmallInteger(), nullable=False),
        sa.Column("order_province_category_first", sa.SmallInteger(), nullable=False),
        sa.Column("sub_order_first", sa.SmallInteger(), nullable=False),
        sa.Column("sub_order_category_first", sa.SmallInteger(), nullable=False),
        sa.Column("order_product_first", sa.SmallInteger(), nullable=False),
        sa.Column("women", sa.Boolean(), nullable=False),
        sa.Column("card", sa.Boolean(), nullable=False),
        sa.Column("fair", sa.Boolean(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("province", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("shopper", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_impact_sales_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_impact_sales_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_impact_sales_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_impact_sales")),
    )
    op.create_index(
        "ix_impact_sales_cooperative_month",
        "impact_sales",
        ["cooperative_id", "month"],
        unique=False,
    )
    op.create_index("ix_impact_sales_created", "impact_sales", ["created_at"], unique=False)
    op.create_index(op.f("ix_impact_sales_order_id"), "impact_sales", ["order_id"], unique=False)
    op.create_index(
        "ix_impact_sales_products",
        "impact_sales",
        ["product_id"],
        unique=False,
        postgresql_include=["created_at", "net_cents", "quantity", "order_product_first"],
    )
    op.create_index(
        "ix_impact_sales_shopper_created", "impact_sales", ["shopper", "created_at"], unique=False
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("checkout_key", sa.String(length=100), nullable=True),
        sa.Column("checkout_params", sa.JSON(), nullable=True),
        sa.Column("stripe_session_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_session_url", sa.Text(), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("received_cents", sa.BigInteger(), nullable=False),
        sa.Column("flagged_for_review", sa.Boolean(), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_payments_amount_non_negative")),
        sa.CheckConstraint("attempt >= 0", name=op.f("ck_payments_attempt_non_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_payments_order_id")),
        sa.UniqueConstraint("stripe_session_id", name=op.f("uq_payments_stripe_session_id")),
    )
    op.create_index(
        op.f("ix_payments_flagged_for_review"), "payments", ["flagged_for_review"], unique=False
    )
    op.create_index(op.f("ix_payments_status"), "payments", ["status"], unique=False)
    op.create_index(
        op.f("ix_payments_stripe_payment_intent_id"),
        "payments",
        ["stripe_payment_intent_id"],
        unique=False,
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("rib", sa.String(length=24), nullable=False),
        sa.Column("stripe_transfer_id", sa.String(length=255), nullable=True),
        sa.Column("transfer_status", sa.String(length=10), nullable=True),
        sa.Column("transfer_key", sa.String(length=100), nullable=True),
        sa.Column("transfer_params", sa.JSON(), nullable=True),
        sa.Column("transfer_error", sa.Text(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payouts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["payout_batches.id"],
            name=op.f("fk_payouts_batch_id_payout_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_payouts_cooperative_id_cooperatives"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("batch_id", "cooperative_id", name=op.f("uq_payouts_batch_id")),
        sa.UniqueConstraint("transfer_key", name=op.f("uq_payouts_transfer_key")),
    )
    op.create_index(op.f("ix_payouts_batch_id"), "payouts", ["batch_id"], unique=False)
    op.create_index(op.f("ix_payouts_cooperative_id"), "payouts", ["cooperative_id"], unique=False)
    op.create_index(
        op.f("ix_payouts_transfer_status"), "payouts", ["transfer_status"], unique=False
    )
    op.create_table(
        "stand_products",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["stand_applications.id"],
            name=op.f("fk_stand_products_application_id_stand_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_stand_products_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "product_id", name=op.f("pk_stand_products")),
    )
    op.create_table(
        "cash_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("collected_by_id", sa.Integer(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_cash_collections_amount_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["collected_by_id"],
            ["users.id"],
            name=op.f("fk_cash_collections_collected_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_cash_collections_sub_order_id_cooperative_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_collections")),
        sa.UniqueConstraint("sub_order_id", name=op.f("uq_cash_collections_sub_order_id")),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_dispute_id", sa.String(length=255), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("evidence_due_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_disputes_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_disputes_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("stripe_dispute_id", name=op.f("uq_disputes_stripe_dispute_id")),
    )
    op.create_index(op.f("ix_disputes_payment_id"), "disputes", ["payment_id"], unique=False)
    op.create_index(op.f("ix_disputes_status"), "disputes", ["status"], unique=False)
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_order_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_order_events_sub_order_id_cooperative_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_sub_order_id"), "order_events", ["sub_order_id"], unique=False
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("product_names", sa.JSON(), nullable=True),
        sa.Column("unit_quantity_milli", sa.Integer(), nullable=True),
        sa.Column("unit_code", sa.String(length=8), nullable=True),
        sa.Column("size", sa.String(length=40), server_default="", nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("line_total_cents", sa.BigInteger(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "commission_bp >= 0 AND commission_bp <= 10000",
            name=op.f("ck_order_lines_commission_range"),
        ),
        sa.CheckConstraint(
            "line_total_cents = unit_price_cents * quantity", name=op.f("ck_order_lines_line_total")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price_cents >= 0", name=op.f("ck_order_lines_unit_price_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_order_lines_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_lines_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_order_lines_sub_order_id_cooperative_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(op.f("ix_order_lines_product_id"), "order_lines", ["product_id"], unique=False)
    op.create_index(
        op.f("ix_order_lines_sub_order_id"), "order_lines", ["sub_order_id"], unique=False
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_reviews_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_reviews_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_reviews_sub_order_id_cooperative_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reviews_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("sub_order_id", "product_id", name=op.f("uq_reviews_sub_order_id")),
    )
    op.create_index(op.f("ix_reviews_cooperative_id"), "reviews", ["cooperative_id"], unique=False)
    op.create_index(
        "ix_reviews_product_status_created",
        "reviews",
        ["product_id", "status", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_reviews_sub_order_id"), "reviews", ["sub_order_id"], unique=False)
    op.create_index(op.f("ix_reviews_user_id"), "reviews", ["user_id"], unique=False)
    op.create_table(
        "dispute_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_dispute_shares_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_shares_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_dispute_shares_sub_order_id_cooperative_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_shares")),
        sa.UniqueConstraint(
            "dispute_id", "sub_order_id", name=op.f("uq_dispute_shares_dispute_id")
        ),
    )
    op.create_index(
        op.f("ix_dispute_shares_dispute_id"), "dispute_shares", ["dispute_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispute_shares_sub_order_id"), "dispute_shares", ["sub_order_id"], unique=False
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("goods_returned", sa.Boolean(), nullable=False),
        sa.Column("shipping_only", sa.Boolean(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("stripe_params", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_refunds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_refunds_dispute_id_disputes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_refunds_sub_order_id_cooperative_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_refunds_stripe_refund_id")),
    )
    op.create_index(op.f("ix_refunds_dispute_id"), "refunds", ["dispute_id"], unique=False)
    op.create_index(op.f("ix_refunds_sub_order_id"), "refunds", ["sub_order_id"], unique=False)
    op.create_table(
        "review_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_photos_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_photos")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_review_photos_stored_name")),
    )
    op.create_index(
        op.f("ix_review_photos_review_id"), "review_photos", ["review_id"], unique=False
    )
    op.create_table(
        "review_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_review_replies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_replies_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_replies")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_replies_review_id")),
    )
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_review_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_reports_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reports")),
        sa.UniqueConstraint("review_id", "reporter_id", name=op.f("uq_review_reports_review_id")),
    )
    op.create_index(
        op.f("ix_review_reports_review_id"), "review_reports", ["review_id"], unique=False
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("sub_order_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_ledger_transactions_dispute_id_disputes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_ledger_transactions_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["payouts.id"],
            name=op.f("fk_ledger_transactions_payout_id_payouts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_ledger_transactions_refund_id_refunds"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_ledger_transactions_sub_order_id_cooperative_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
    )
    op.create_index(
        op.f("ix_ledger_transactions_dispute_id"),
        "ledger_transactions",
        ["dispute_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_transactions_kind"), "ledger_transactions", ["kind"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_transactions_payment_id"),
        "ledger_transactions",
        ["payment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_transactions_payout_id"), "ledger_transactions", ["payout_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_transactions_refund_id"), "ledger_transactions", ["refund_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_transactions_sub_order_id"),
        "ledger_transactions",
        ["sub_order_id"],
        unique=False,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=20), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("sub_order_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "account IN ('card_payments', 'orders_prepaid', 'refunds', 'cod_cash', 'cod_sales', 'payable', 'commission', 'payouts', 'disputes', 'dispute_losses')",
            name=op.f("ck_ledger_entries_account_known"),
        ),
        sa.CheckConstraint(
            "cooperative_id IS NOT NULL OR account NOT IN ('payable', 'cod_cash', 'cod_sales')",
            name=op.f("ck_ledger_entries_cooperative_account_has_cooperative"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_ledger_entries_cooperative_id_cooperatives"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["payouts.id"],
            name=op.f("fk_ledger_entries_payout_id_payouts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_ledger_entries_refund_id_refunds"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"],
            ["cooperative_orders.id"],
            name=op.f("fk_ledger_entries_sub_order_id_cooperative_orders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_account"), "ledger_entries", ["account"], unique=False)
    op.create_index(
        "ix_ledger_entries_coop_created",
        "ledger_entries",
        ["cooperative_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_entries_cooperative_id"), "ledger_entries", ["cooperative_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_payout_id"), "ledger_entries", ["payout_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_refund_id"), "ledger_entries", ["refund_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_sub_order_id"), "ledger_entries", ["sub_order_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_transaction_id"), "ledger_entries", ["transaction_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_ledger_entries_transaction_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_sub_order_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_refund_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_payout_id"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_cooperative_id"), table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_coop_created", table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_account"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_ledger_transactions_sub_order_id"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_refund_id"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_payout_id"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_payment_id"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_kind"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_dispute_id"), table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_index(op.f("ix_review_reports_review_id"), table_name="review_reports")
    op.drop_table("review_reports")
    op.drop_table("review_replies")
    op.drop_index(op.f("ix_review_photos_review_id"), table_name="review_photos")
    op.drop_table("review_photos")
    op.drop_index(op.f("ix_refunds_sub_order_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_dispute_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_dispute_shares_sub_order_id"), table_name="dispute_shares")
    op.drop_index(op.f("ix_dispute_shares_dispute_id"), table_name="dispute_shares")
    op.drop_table("dispute_shares")
    op.drop_index(op.f("ix_reviews_user_id"), table_name="reviews")
    op.drop_index(op.f("ix_reviews_sub_order_id"), table_name="reviews")
    op.drop_index("ix_reviews_product_status_created", table_name="reviews")
    op.drop_index(op.f("ix_reviews_cooperative_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index(op.f("ix_order_lines_sub_order_id"), table_name="order_lines")
    op.drop_index(op.f("ix_order_lines_product_id"), table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index(op.f("ix_order_events_sub_order_id"), table_name="order_events")
    op.drop_table("order_events")
    op.drop_index(op.f("ix_disputes_status"), table_name="disputes")
    op.drop_index(op.f("ix_disputes_payment_id"), table_name="disputes")
    op.drop_table("disputes")
    op.drop_table("cash_collections")
    op.drop_table("stand_products")
    op.drop_index(op.f("ix_payouts_transfer_status"), table_name="payouts")
    op.drop_index(op.f("ix_payouts_cooperative_id"), table_name="payouts")
    op.drop_index(op.f("ix_payouts_batch_id"), table_name="payouts")
    op.drop_table("payouts")
    op.drop_index(op.f("ix_payments_stripe_payment_intent_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_status"), table_name="payments")
    op.drop_index(op.f("ix_payments_flagged_for_review"), table_name="payments")
    op.drop_table("payments")
    op.drop_index("ix_impact_sales_shopper_created", table_name="impact_sales")
    op.drop_index(
        "ix_impact_sales_products",
        table_name="impact_sales",
        postgresql_include=["created_at", "net_cents", "quantity", "order_product_first"],
    )
    op.drop_index(op.f("ix_impact_sales_order_id"), table_name="impact_sales")
    op.drop_index("ix_impact_sales_created", table_name="impact_sales")
    op.drop_index("ix_impact_sales_cooperative_month", table_name="impact_sales")
    op.drop_table("impact_sales")
    op.drop_index(op.f("ix_cooperative_orders_order_id"), table_name="cooperative_orders")
    op.drop_index(op.f("ix_cooperative_orders_cooperative_id"), table_name="cooperative_orders")
    op.drop_index("ix_cooperative_orders_coop_status", table_name="cooperative_orders")
    op.drop_table("cooperative_orders")
    op.drop_index(
        op.f("ix_certificate_reminders_certificate_id"), table_name="certificate_reminders"
    )
    op.drop_table("certificate_reminders")
    op.drop_index(op.f("ix_certificate_products_product_id"), table_name="certificate_products")
    op.drop_table("certificate_products")
    op.drop_index(op.f("ix_cart_items_product_id"), table_name="cart_items")
    op.drop_index(op.f("ix_cart_items_cart_id"), table_name="cart_items")
    op.drop_table("cart_items")
    op.drop_index(op.f("ix_stand_applications_fair_id"), table_name="stand_applications")
    op.drop_index(op.f("ix_stand_applications_cooperative_id"), table_name="stand_applications")
    op.drop_table("stand_applications")
    op.drop_table("saved_addresses")
    op.drop_index(op.f("ix_product_translations_product_id"), table_name="product_translations")
    op.drop_table("product_translations")
    op.drop_index(op.f("ix_product_images_product_id"), table_name="product_images")
    op.drop_table("product_images")
    op.drop_index(
        "uq_payout_batches_one_open",
        table_name="payout_batches",
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )
    op.drop_table("payout_batches")
    op.drop_index("ix_orders_user_created", table_name="orders")
    op.drop_index(op.f("ix_orders_status"), table_name="orders")
    op.drop_index(op.f("ix_orders_collect_fair_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_notify_preferences_user_id"), table_name="notify_preferences")
    op.drop_table("notify_preferences")
    op.drop_index(op.f("ix_notify_phones_user_id"), table_name="notify_phones")
    op.drop_index(op.f("ix_notify_phones_e164"), table_name="notify_phones")
    op.drop_table("notify_phones")
    op.drop_index(op.f("ix_notify_phone_codes_user_id"), table_name="notify_phone_codes")
    op.drop_index(op.f("ix_notify_phone_codes_created_at"), table_name="notify_phone_codes")
    op.drop_table("notify_phone_codes")
    op.drop_index(op.f("ix_message_queue_user_id"), table_name="message_queue")
    op.drop_index(op.f("ix_message_queue_status"), table_name="message_queue")
    op.drop_index(op.f("ix_message_queue_provider_id"), table_name="message_queue")
    op.drop_index(op.f("ix_message_queue_next_attempt_at"), table_name="message_queue")
    op.drop_index(op.f("ix_message_queue_failed_at"), table_name="message_queue")
    op.drop_index(op.f("ix_message_queue_claimed_by"), table_name="message_queue")
    op.drop_table("message_queue")
    op.drop_index(op.f("ix_invitations_email"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_cooperative_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(
        op.f("ix_cooperative_application_drafts_user_id"),
        table_name="cooperative_application_drafts",
    )
    op.drop_table("cooperative_application_drafts")
    op.drop_index("ix_certificates_status_expires", table_name="certificates")
    op.drop_index("ix_certificates_label_status", table_name="certificates")
    op.drop_index(op.f("ix_certificates_cooperative_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_table("carts")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_api_tokens_created_by_id"), table_name="api_tokens")
    op.drop_index(op.f("ix_api_tokens_cooperative_id"), table_name="api_tokens")
    op.drop_index("ix_api_tokens_cooperative_created", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_users_cooperative_id"), table_name="users")
    op.drop_table("users")
    op.drop_index("ix_products_status_price", table_name="products")
    op.drop_index("ix_products_status_featured", table_name="products")
    op.drop_index("ix_products_status_created", table_name="products")
    op.drop_index(op.f("ix_products_cooperative_id"), table_name="products")
    op.drop_index(op.f("ix_products_category_id"), table_name="products")
    op.drop_index("ix_products_category_featured", table_name="products")
    op.drop_table("products")
    op.drop_index(op.f("ix_label_translations_label_id"), table_name="label_translations")
    op.drop_table("label_translations")
    op.drop_index("ix_impact_months_cooperative_month", table_name="impact_months")
    op.drop_table("impact_months")
    op.drop_index(op.f("ix_fair_translations_fair_id"), table_name="fair_translations")
    op.drop_table("fair_translations")
    op.drop_index(
        op.f("ix_cooperative_translations_cooperative_id"), table_name="cooperative_translations"
    )
    op.drop_table("cooperative_translations")
    op.drop_index(
        op.f("ix_cooperative_documents_cooperative_id"), table_name="cooperative_documents"
    )
    op.drop_table("cooperative_documents")
    op.drop_index(op.f("ix_category_translations_category_id"), table_name="category_translations")
    op.drop_table("category_translations")
    op.drop_table("stripe_events")
    op.drop_index(op.f("ix_mail_queue_next_attempt_at"), table_name="mail_queue")
    op.drop_index(op.f("ix_mail_queue_claimed_by"), table_name="mail_queue")
    op.drop_table("mail_queue")
    op.drop_index(op.f("ix_login_throttles_last_failed_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
    op.drop_table("labels")
    op.drop_table("job_state")
    op.drop_index(op.f("ix_job_failures_job_name"), table_name="job_failures")
    op.drop_index(op.f("ix_job_failures_finished_at"), table_name="job_failures")
    op.drop_table("job_failures")
    op.drop_table("impact_state")
    op.drop_table("impact_pending")
    op.drop_index(op.f("ix_fairs_starts_on"), table_name="fairs")
    op.drop_index(op.f("ix_fairs_province"), table_name="fairs")
    op.drop_table("fairs")
    op.drop_index(op.f("ix_cooperatives_status"), table_name="cooperatives")
    op.drop_index(op.f("ix_cooperatives_province"), table_name="cooperatives")
    op.drop_table("cooperatives")
    op.drop_index(op.f("ix_categories_parent_id"), table_name="categories")
    op.drop_table("categories")
