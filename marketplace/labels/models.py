"""Labels (distinctive signs of origin and quality, organic, sanitary authorisation) and the
certificates cooperatives hold for them, with their expiry and the reminders sent."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.catalogue.models import Product
    from marketplace.cooperatives.models import Cooperative


class LabelKind(enum.StrEnum):
    ORIGIN = "origin"
    QUALITY = "quality"
    ORGANIC = "organic"
    SANITARY = "sanitary"


KIND_LABELS = {
    LabelKind.ORIGIN.value: _l("Origin"),
    LabelKind.QUALITY.value: _l("Quality"),
    LabelKind.ORGANIC.value: _l("Organic"),
    LabelKind.SANITARY.value: _l("Sanitary authorisation"),
}


def kind_label(value: str | None) -> str:
    return str(KIND_LABELS.get(value or "", value or ""))


class CertificateStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


CERTIFICATE_STATUS_LABELS = {
    CertificateStatus.PENDING.value: _l("Waiting for verification"),
    CertificateStatus.APPROVED.value: _l("Verified"),
    CertificateStatus.REJECTED.value: _l("Rejected"),
}


def certificate_status_label(value: str | None) -> str:
    return str(CERTIFICATE_STATUS_LABELS.get(value or "", value or ""))


class Label(db.Model):
    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=LabelKind.ORIGIN.value)
    issuing_body: Mapped[str] = mapped_column(String(200), default="")
    logo_name: Mapped[str | None] = mapped_column(String(100))  # storage image base name
    logo_width: Mapped[int] = mapped_column(Integer, default=0)
    logo_height: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    translations: Mapped[list[LabelTranslation]] = relationship(
        back_populates="label", cascade="all, delete-orphan", lazy="selectin"
    )


class LabelTranslation(db.Model):
    __tablename__ = "label_translations"
    __table_args__ = (UniqueConstraint("label_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # plain text

    label: Mapped[Label] = relationship(back_populates="translations")


certificate_products = Table(
    "certificate_products",
    db.metadata,
    Column("certificate_id", ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "product_id",
        ForeignKey("products.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Certificate(db.Model):
    """A cooperative's certificate for a label: for the cooperative itself, or for some of its
    products. It shows publicly only once approved, and until the day it expires."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_status_expires", "status", "expires_on"),
        Index("ix_certificates_label_status", "label_id", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="RESTRICT"))
    # True: the cooperative itself holds it (e.g. its ONSSA authorisation); else its products.
    for_cooperative: Mapped[bool] = mapped_column(default=False)
    number: Mapped[str] = mapped_column(String(80))
    issuing_body: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # The document, re-written by storage.save_document (never the uploaded bytes).
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.PENDING.value)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was rejected
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cooperative: Mapped[Cooperative] = relationship()
    label: Mapped[Label] = relationship()
    products: Mapped[list[Product]] = relationship(secondary=certificate_products)

    def valid_on(self, day: date) -> bool:
        return (
            self.status == CertificateStatus.APPROVED.value
            and self.issued_on <= day < self.expires_on
        )


class CertificateReminder(db.Model):
    """A reminder sent before a certificate expires: one row per certificate, expiry date and
    number of days before it; the unique key makes a second sending impossible."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (UniqueConstraint("certificate_id", "expires_on", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    expires_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
