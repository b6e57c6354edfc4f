"""Accounts."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class Role(enum.StrEnum):
    SHOPPER = "shopper"
    MEMBER = "member"  # member of a cooperative (see User.cooperative_id)
    ADMIN = "admin"
    OBSERVER = "observer"  # council or ministry staff: the impact pages only (read-only)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    role: Mapped[str] = mapped_column(String(20), default=Role.SHOPPER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on logout, password change or deactivation: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="SET NULL"), index=True
    )
    is_cooperative_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # ``user.cooperative`` (the Cooperative of a member) is declared by cooperatives/models.py:
    # accounts sit below cooperatives and do not import them.

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_observer(self) -> bool:
        return self.role == Role.OBSERVER.value

    def get_id(self) -> str:  # Flask-Login stores "<id>:<session_version>" in the session
        return f"{self.id}:{self.session_version}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Invitation(db.Model):
    """An e-mailed invitation to join a cooperative. Only a SHA-256 digest of the secret
    token is stored; the invitation is used once (``accepted_at``)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-cased
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # ``invitation.cooperative`` is declared by cooperatives/models.py, as ``user.cooperative``.
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None


class LoginThrottle(db.Model):
    """Failed logins in a row for one e-mail address, whether an account has it or not (so
    being slowed down tells nothing about which addresses have accounts). Keyed by a SHA-256
    digest of the normalised address; the row goes away with a successful login or a
    password reset, and a quiet day forgets it."""

    __tablename__ = "login_throttles"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
