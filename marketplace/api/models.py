"""Personal access tokens of cooperatives for the API (``Authorization: Bearer …``).

Only the SHA-256 of a token is stored: the token itself (32 random bytes, so a fast hash is
enough, nothing to guess) is shown once, when it is made. ``prefix`` (its first characters)
lets the dashboard and the audit log tell tokens apart.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.cooperatives.models import Cooperative


class Scope(enum.StrEnum):
    ORDERS_READ = "orders:read"
    ORDERS_STATUS = "orders:status"
    PRODUCTS_WRITE = "products:write"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_cooperative_created", "cooperative_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated Scope values
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    cooperative: Mapped[Cooperative] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s in {v.value for v in Scope}]

    def is_expired(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        expires = self.expires_at
        if expires.tzinfo is None:  # SQLite gives back naive UTC values
            expires = expires.replace(tzinfo=UTC)
        return expires <= (now or utcnow())

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)
