"""Cooperatives, their per-language texts and verification documents."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
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

from marketplace.auth.models import Invitation, User
from marketplace.extensions import db
from marketplace.timeutil import utcnow


class Province(enum.StrEnum):
    ERRACHIDIA = "errachidia"
    OUARZAZATE = "ouarzazate"
    MIDELT = "midelt"
    TINGHIR = "tinghir"
    ZAGORA = "zagora"


# Place names: the official French spelling and the Arabic one (English uses the French).
PROVINCE_LABELS = {
    Province.ERRACHIDIA: _l("Errachidia"),
    Province.OUARZAZATE: _l("Ouarzazate"),
    Province.MIDELT: _l("Midelt"),
    Province.TINGHIR: _l("Tinghir"),
    Province.ZAGORA: _l("Zagora"),
}


def province_label(value: str | None) -> str:
    """Translated name of a province code (the code itself when unknown)."""
    try:
        return str(PROVINCE_LABELS[Province(value)])
    except ValueError:
        return value or ""


class CooperativeStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


STATUS_LABELS = {
    # Translators: status of a cooperative's application.
    CooperativeStatus.PENDING: _l("Pending review"),
    CooperativeStatus.VERIFIED: _l("Verified"),
    CooperativeStatus.REJECTED: _l("Rejected"),
    CooperativeStatus.SUSPENDED: _l("Suspended"),
}


def status_label(value: str | None) -> str:
    """Translated name of a cooperative status."""
    try:
        return str(STATUS_LABELS[CooperativeStatus(value)])
    except ValueError:
        return value or ""


class DocumentKind(enum.StrEnum):
    STATUTES = "statutes"
    REGISTRATION_CERTIFICATE = "registration_certificate"
    OTHER = "other"


DOCUMENT_KIND_LABELS = {
    DocumentKind.STATUTES: _l("Statutes of the cooperative"),
    DocumentKind.REGISTRATION_CERTIFICATE: _l("Registration certificate"),
    DocumentKind.OTHER: _l("Other document"),
}


def document_kind_label(value: str | None) -> str:
    try:
        return str(DOCUMENT_KIND_LABELS[DocumentKind(value)])
    except ValueError:
        return value or ""


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
    # A reason chosen from a list (services.REASON_LABELS), shown translated; status_reason
    # is the admin's own note, shown as written.
    status_reason_code: Mapped[str] = mapped_column(String(40), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    logo_path: Mapped[str | None] = mapped_column(String(255))
    cover_path: Mapped[str | None] = mapped_column(String(255))
    # Shipping and payment settings
    shipping_fee_cents: Mapped[int] = mapped_column(BigInteger, default=3000)
    free_shipping_threshold_cents: Mapped[int | None] = mapped_column(BigInteger)
    accepts_cash_on_delivery: Mapped[bool] = mapped_column(Boolean, default=True)
    ships_abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    # Visible reviews' ratings of its products (marketplace.reviews).
    rating_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    translations: Mapped[list[CooperativeTranslation]] = relationship(
        back_populates="cooperative", cascade="all, delete-orphan", lazy="selectin"
    )
    members: Mapped[list[User]] = relationship(
        back_populates="cooperative", foreign_keys="User.cooperative_id"
    )
    documents: Mapped[list[CooperativeDocument]] = relationship(
        back_populates="cooperative", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == CooperativeStatus.VERIFIED.value

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


# The accounts' side of their link to a cooperative, declared here because accounts (auth)
# sit below cooperatives and do not import them: a member's cooperative, an invitation's.
User.cooperative = relationship(
    Cooperative, back_populates="members", foreign_keys=[User.cooperative_id]
)
Invitation.cooperative = relationship(Cooperative)


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


class ApplicationDraft(db.Model):
    """What an applicant typed so far in the multi-step application (one per user).

    ``data`` holds the form values of the steps done; ``documents`` the uploaded files
    (storage names, kinds) until the application is submitted.
    """

    __tablename__ = "cooperative_application_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    documents: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
