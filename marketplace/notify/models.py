"""What the notify domain stores: a user's verified phone number and its opt-outs, the
verification codes sent to it, the channels each user chose per kind of notice, and the
outbox of SMS and WhatsApp messages (queued with the change that causes them)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class NoticeKind(enum.StrEnum):
    NEW_ORDER = "new_order"
    ORDER_STATUS = "order_status"
    PAYMENT = "payment"
    VERIFICATION = "verification"
    CERTIFICATE = "certificate"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting in our outbox (or being retried)
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"  # the provider's status callback says so
    FAILED = "failed"  # given up, or the provider reports failed / undelivered


class PhoneNumber(db.Model):
    """A user's mobile number (E.164). Nothing but its verification code is sent to it
    before ``verified_at``. A STOP reply on a channel sets that channel's opt-out."""

    __tablename__ = "notify_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    e164: Mapped[str] = mapped_column(String(20), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The channel the code went through and was confirmed on: a number verified on
    # WhatsApp is known to have WhatsApp.
    verified_channel: Mapped[str | None] = mapped_column(String(16))
    sms_stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    whatsapp_stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def stopped(self, channel: str) -> bool:
        if channel == Channel.SMS:
            return self.sms_stopped_at is not None
        if channel == Channel.WHATSAPP:
            return self.whatsapp_stopped_at is not None
        return False


class PhoneCode(db.Model):
    """A verification code sent to a number: only its hash is kept; it expires, serves once
    and allows a few attempts."""

    __tablename__ = "notify_phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(100))  # salt$HMAC-SHA256
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NoticePreference(db.Model):
    """The channels a user chose for one kind of notice ("email,sms"; "" for none). No row:
    the defaults (``preferences.default_channels``)."""

    __tablename__ = "notify_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channels: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QueuedMessage(db.Model):
    """An SMS or WhatsApp message, stored in the transaction that causes it and sent by the
    ``send-messages`` job. Kept after sending: the provider's status callbacks update it."""

    __tablename__ = "message_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(20))  # E.164
    kind: Mapped[str] = mapped_column(String(32))  # a NoticeKind, or "code"
    template: Mapped[str] = mapped_column(String(40))  # messages.TEXTS key
    locale: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text)
    variables: Mapped[str] = mapped_column(Text, default="{}")  # JSON, for WhatsApp templates
    segments: Mapped[int] = mapped_column(Integer, default=1)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.QUEUED.value, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
