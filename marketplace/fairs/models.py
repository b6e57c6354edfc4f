"""Regional fairs, their texts per language, and the cooperatives' stand applications."""

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


class Fair(db.Model):
    __tablename__ = "fairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    province: Mapped[str] = mapped_column(String(20), index=True)
    city: Mapped[str] = mapped_column(String(120))
    venue: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[str] = mapped_column(String(20), default="")  # decimal degrees, as typed
    longitude: Mapped[str] = mapped_column(String(20), default="")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    registration_deadline: Mapped[date] = mapped_column(Date)
    max_stands: Mapped[int] = mapped_column(Integer)
    cover_path: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    translations: Mapped[list[FairTranslation]] = relationship(
        back_populates="fair", cascade="all, delete-orphan", lazy="selectin"
    )
    applications: Mapped[list[StandApplication]] = relationship(
        back_populates="fair", cascade="all, delete-orphan"
    )


class FairTranslation(db.Model):
    __tablename__ = "fair_translations"
    __table_args__ = (UniqueConstraint("fair_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    fair: Mapped[Fair] = relationship(back_populates="translations")


class StandStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


STAND_STATUS_LABELS = {
    # Translators: status of a cooperative's application for a stand at a fair.
    StandStatus.PENDING: _l("Waiting for a decision"),
    StandStatus.ACCEPTED: _l("Accepted"),
    StandStatus.DECLINED: _l("Declined"),
}


stand_products = Table(
    "stand_products",
    db.metadata,
    Column(
        "application_id",
        ForeignKey("stand_applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class StandApplication(db.Model):
    """A cooperative's request for a stand at a fair, with the products it will bring."""

    __tablename__ = "stand_applications"
    __table_args__ = (UniqueConstraint("fair_id", "cooperative_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=StandStatus.PENDING.value)
    note: Mapped[str] = mapped_column(Text, default="")  # from the cooperative
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    fair: Mapped[Fair] = relationship(back_populates="applications")
    cooperative: Mapped[Cooperative] = relationship()
    products: Mapped[list[Product]] = relationship(secondary=stand_products)
