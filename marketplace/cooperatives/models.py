"""Cooperatives, their per-language texts and verification documents."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.catalogue.models import Product


class Province(enum.StrEnum):
    ERRACHIDIA = "errachidia"
    OUARZAZATE = "ouarzazate"
    MIDELT = "midelt"
    TINGHIR = "tinghir"
    ZAGORA = "zagora"


class CooperativeStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Cooperative(db.Model):
    __tablename__ = "cooperatives"
    __table_args__ = (CheckConstraint("shipping_fee_cents >= 0", name="shipping_fee_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    registration_number: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str] = mapped_column(String(20), index=True)
    commune: Mapped[str] = mapped_column(String(120), default="")
    founded_year: Mapped[int | None] = mapped_column(Integer)
    members_count: Mapped[int | None] = mapped_column(Integer)
    women_members_count: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(20), default="")  # normalised +212…
    email: Mapped[str] = mapped_column(String(254), default="")
    rib: Mapped[str] = mapped_column(String(24), default="")  # shown masked
    status: Mapped[str] = mapped_column(
        String(20), default=CooperativeStatus.PENDING.value, index=True
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")  # e.g. why it was rejected
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    logo_path: Mapped[str | None] = mapped_column(String(255))
    cover_path: Mapped[str | None] = mapped_column(String(255))
    # Shipping and payment settings
    shipping_fee_cents: Mapped[int] = mapped_column(Integer, default=3000)
    free_shipping_threshold_cents: Mapped[int | None] = mapped_column(Integer)
    accepts_cash_on_delivery: Mapped[bool] = mapped_column(Boolean, default=True)
    ships_abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    translations: Mapped[list[CooperativeTranslation]] = relationship(
        back_populates="cooperative", cascade="all, delete-orphan", lazy="selectin"
    )
    members: Mapped[list[User]] = relationship(
        back_populates="cooperative", foreign_keys="User.cooperative_id"
    )
    products: Mapped[list[Product]] = relationship(back_populates="cooperative")
    documents: Mapped[list[CooperativeDocument]] = relationship(
        back_populates="cooperative", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == CooperativeStatus.VERIFIED.value


class CooperativeTranslation(db.Model):
    __tablename__ = "cooperative_translations"
    __table_args__ = (UniqueConstraint("cooperative_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    story: Mapped[str] = mapped_column(Text, default="")

    cooperative: Mapped[Cooperative] = relationship(back_populates="translations")


class CooperativeDocument(db.Model):
    """A verification document (statutes, registration certificate…), stored outside static/."""

    __tablename__ = "cooperative_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cooperative: Mapped[Cooperative] = relationship(back_populates="documents")
