"""The notification service: who is told what, in which language, on which channels.

Callers (orders, …) say *what happened to whom* (``notify_user``); this module picks the
channels from the user's preferences (or the defaults), skips numbers that are not verified
or that replied STOP, renders the text in the user's language and queues one row per
message in ``message_queue``, in the caller's transaction. The commit enqueues the
``send-messages`` job (marketplace/jobs/), which sends them through the configured provider
(``providers.provider_for``), retrying with a growing delay.

Phone numbers are verified with a 6-digit code sent by SMS or WhatsApp: stored hashed,
valid CODE_MINUTES, used once, MAX_ATTEMPTS guesses; a new code at most every
RESEND_SECONDS and MAX_CODES_PER_HOUR an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from marketplace import signals
from marketplace.auth.models import User
from marketplace.auth.services import external_url
from marketplace.database import after_outermost_commit
from marketplace.errors import InvalidInput, NotFound, TooManyRequests
from marketplace.extensions import db
from marketplace.http import ascii_digits
from marketplace.i18n import LOCALES
from marketplace.notify import messages
from marketplace.notify.models import (
    Channel,
    MessageStatus,
    NoticeKind,
    NoticePreference,
    PhoneCode,
    PhoneNumber,
    QueuedMessage,
)
from marketplace.notify.providers import OutgoingText, SendFailed, provider_for
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
MAX_CODES_PER_HOUR = 5
MAX_SEND_ATTEMPTS = 8  # 1, 2, 4 … 64 minutes: about two hours of retries
CLAIM_SECONDS = 300
CASABLANCA = ZoneInfo("Africa/Casablanca")
_QUEUED_KEY = "outgoing_messages_stored"
PHONE_CHANNELS = (Channel.WHATSAPP, Channel.SMS)

KIND_LABELS = {
    NoticeKind.NEW_ORDER: _l("New orders"),
    NoticeKind.ORDER_STATUS: _l("Order status (shipped, delivered, cancelled)"),
    NoticeKind.PAYMENT: _l("Payments and payouts"),
    NoticeKind.VERIFICATION: _l("Verification decisions"),
    NoticeKind.CERTIFICATE: _l("Certificate reminders"),
}
CHANNEL_LABELS = {
    Channel.EMAIL: _l("E-mail"),
    Channel.SMS: _l("SMS"),
    Channel.WHATSAPP: _l("WhatsApp"),
}
# Kinds that concern cooperative members only, and those everyone may receive.
MEMBER_KINDS = (
    NoticeKind.NEW_ORDER,
    NoticeKind.PAYMENT,
    NoticeKind.VERIFICATION,
    NoticeKind.CERTIFICATE,
)
# Notices that may wake people up; the others wait for the end of quiet hours.
URGENT_TEMPLATES = {"code"}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite gives naive datetimes back
        from datetime import UTC

        return moment.replace(tzinfo=UTC)
    return moment


def _locale(value: str | None) -> str:
    return value if value in LOCALES else current_app.config["DEFAULT_LOCALE"]


# --- phone numbers ---------------------------------------------------------------------------


def normalize_number(value: str | None) -> str | None:
    """E.164 of a mobile number as people type it (06…, +212 6…, 00212…, Arabic-Indic
    digits; Morocco when no country is given), or None when it is not a valid mobile
    number. Landlines are refused: they receive neither SMS nor WhatsApp."""
    text = ascii_digits(value or "").strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, "MA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    kind = phonenumbers.number_type(parsed)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_number(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def phone_of(user: User) -> PhoneNumber | None:
    return db.session.scalar(select(PhoneNumber).where(PhoneNumber.user_id == user.id))


def _hash_code(code: str, code_id_salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{code_id_salt}:{code}".encode(), hashlib.sha256).hexdigest()


def start_verification(user: User, raw_number: str, channel: str) -> PhoneCode:
    """Send a verification code to ``raw_number`` (normalised) by ``channel``. Refused when
    the number is not a mobile number, or a code was sent too recently / too often."""
    if channel not in PHONE_CHANNELS:
        raise InvalidInput(_l("Choose SMS or WhatsApp."))
    e164 = normalize_number(raw_number)
    if e164 is None:
        raise InvalidInput(
            _l("Enter a mobile number, for example 06 12 34 56 78 or +212 6 12 34 56 78.")
        )
    now = utcnow()
    recent = db.session.scalars(
        select(PhoneCode.created_at).where(
            PhoneCode.user_id == user.id, PhoneCode.created_at > now - timedelta(hours=1)
        )
    ).all()
    recent = [_aware(moment) for moment in recent]
    if recent and max(recent) > now - timedelta(seconds=RESEND_SECONDS):
        raise TooManyRequests(
            _l("A code was just sent. Wait a minute before asking for another one.")
        )
    to_number = db.session.scalar(
        select(func.count(PhoneCode.id)).where(
            PhoneCode.e164 == e164, PhoneCode.created_at > now - timedelta(hours=1)
        )
    )
    # Per account and per number: codes asked for one number from many accounts (SMS
    # pumping) are limited as well.
    if len(recent) >= MAX_CODES_PER_HOUR or (to_number or 0) >= MAX_CODES_PER_HOUR:
        raise TooManyRequests(_l("Too many codes were sent to you this hour. Try again later."))
    # Earlier codes stop working: only the newest may be entered.
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(8)
    row = PhoneCode(
        user_id=user.id,
        e164=e164,
        channel=channel,
        code_hash=f"{salt}${_hash_code(code, salt)}",
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
        attempts=0,
    )
    db.session.add(row)
    _queue(
        user,
        channel,
        e164,
        "code",
        "code",
        _locale(user.locale),
        code=code,
        minutes=CODE_MINUTES,
    )
    db.session.flush()
    return row


def pending_code(user: User) -> PhoneCode | None:
    """The code the user may still enter (not used, not expired, attempts left)."""
    row = db.session.scalar(
        select(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.used_at.is_(None))
        .order_by(PhoneCode.id.desc())
        .limit(1)
    )
    if row is None or _aware(row.expires_at) <= utcnow() or row.attempts >= MAX_ATTEMPTS:
        return None
    return row


def confirm_code(user: User, code: str) -> PhoneNumber:
    """Check the code the user typed against their newest code; on success the number is
    theirs and verified. Wrong codes count; an expired, used or exhausted code is refused."""
    typed = ascii_digits(code or "").strip().replace(" ", "")
    row = db.session.scalar(
        select(PhoneCode)
        .where(PhoneCode.user_id == user.id)
        .order_by(PhoneCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None or row.used_at is not None:
        raise InvalidInput(_l("This code is no longer valid. Ask for a new one."))
    if _aware(row.expires_at) <= utcnow():
        raise InvalidInput(_l("This code has expired. Ask for a new one."))
    if row.attempts >= MAX_ATTEMPTS:
        raise TooManyRequests(_l("Too many wrong codes. Ask for a new one."))
    salt, _, digest = row.code_hash.partition("$")
    if not hmac.compare_digest(digest, _hash_code(typed, salt)):
        row.attempts += 1
        db.session.flush()
        if row.attempts >= MAX_ATTEMPTS:
            raise TooManyRequests(_l("Too many wrong codes. Ask for a new one."))
        raise InvalidInput(_l("This code is not the one we sent."))
    now = utcnow()
    row.used_at = now
    phone = phone_of(user)
    if phone is None:
        phone = PhoneNumber(user_id=user.id, e164=row.e164)
        db.session.add(phone)
    if phone.e164 != row.e164:
        phone.sms_stopped_at = phone.whatsapp_stopped_at = None
    phone.e164 = row.e164
    phone.verified_at = now
    phone.verified_channel = row.channel
    # Confirming a code is asking for messages again on that channel.
    if row.channel == Channel.WHATSAPP:
        phone.whatsapp_stopped_at = None
    else:
        phone.sms_stopped_at = None
    db.session.flush()
    return phone


def remove_phone(user: User) -> None:
    phone = phone_of(user)
    if phone is not None:
        db.session.delete(phone)
        db.session.flush()


# --- preferences --------------------------------------------------------------------------


def kinds_for(user: User) -> list[NoticeKind]:
    """The kinds of notice this user can receive."""
    if user.cooperative_id:
        return [NoticeKind.NEW_ORDER, NoticeKind.ORDER_STATUS, *MEMBER_KINDS[1:]]
    return [NoticeKind.ORDER_STATUS]


def default_channels(user: User, kind: str, phone: PhoneNumber | None) -> set[str]:
    """E-mail for everything; a cooperative member with a verified number also gets new
    orders on WhatsApp (when the number was verified on WhatsApp) or else by SMS."""
    channels = {Channel.EMAIL.value}
    if kind == NoticeKind.NEW_ORDER and user.cooperative_id and phone and phone.verified:
        if phone.verified_channel == Channel.WHATSAPP:
            channels.add(Channel.WHATSAPP.value)
        else:
            channels.add(Channel.SMS.value)
    return channels


def chosen_channels(user: User, kind: str, phone: PhoneNumber | None = None) -> set[str]:
    """The channels ``user`` wants ``kind`` on: their choice, or the defaults."""
    row = db.session.scalar(
        select(NoticePreference).where(
            NoticePreference.user_id == user.id, NoticePreference.kind == str(kind)
        )
    )
    if row is None:
        phone = phone if phone is not None else phone_of(user)
        return default_channels(user, kind, phone)
    return {c for c in row.channels.split(",") if c}


def preference_table(user: User) -> list[tuple[NoticeKind, set[str]]]:
    phone = phone_of(user)
    return [(kind, chosen_channels(user, kind, phone)) for kind in kinds_for(user)]


def save_preferences(user: User, chosen: dict[str, set[str]]) -> None:
    """``chosen``: {kind: channels} for the kinds this user can receive; phone channels
    need a verified number."""
    phone = phone_of(user)
    allowed = {kind.value for kind in kinds_for(user)}
    for kind, channels in chosen.items():
        if kind not in allowed:
            raise InvalidInput()
        unknown = channels - {c.value for c in Channel}
        if unknown:
            raise InvalidInput()
        if channels & {Channel.SMS.value, Channel.WHATSAPP.value} and not (
            phone and phone.verified
        ):
            raise InvalidInput(_l("Verify your mobile number before choosing SMS or WhatsApp."))
        _set_preference(user.id, kind, channels)
    db.session.flush()


def _set_preference(user_id: int, kind: str, channels: set[str]) -> None:
    row = db.session.scalar(
        select(NoticePreference).where(
            NoticePreference.user_id == user_id, NoticePreference.kind == kind
        )
    )
    value = ",".join(c.value for c in Channel if c.value in channels)
    if row is None:
        db.session.add(NoticePreference(user_id=user_id, kind=kind, channels=value))
    else:
        row.channels = value
        row.updated_at = utcnow()


def wants_email(user: User | None, kind: str) -> bool:
    """Whether an e-mail of ``kind`` goes to ``user`` (guests: always)."""
    return user is None or Channel.EMAIL.value in chosen_channels(user, kind)


# --- unsubscribe links --------------------------------------------------------------------

_UNSUBSCRIBE_SALT = "notify-unsubscribe"


def unsubscribe_token(user_id: int, kind: str, channel: str) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)
    return serializer.dumps([user_id, kind, channel])


def unsubscribe_url(
    user: User | None, kind: str, locale: str, channel: str = "email"
) -> str | None:
    """The link a notice of ``kind`` carries to stop it on ``channel`` (None for a guest, who
    gets only the e-mails about the order they placed)."""
    if user is None:
        return None
    token = unsubscribe_token(user.id, str(kind), channel)
    return external_url("notify.unsubscribe", locale=locale, token=token)


@dataclass(frozen=True)
class Unsubscribe:
    user: User
    kind: str
    channel: str


def read_unsubscribe(token: str) -> Unsubscribe:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)
    try:
        user_id, kind, channel = serializer.loads(token or "")
    except (BadSignature, ValueError, TypeError) as error:
        raise NotFound() from error
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or kind not in {k.value for k in NoticeKind} or channel not in set(Channel):
        raise NotFound()
    return Unsubscribe(user, kind, channel)


def unsubscribe(token: str) -> Unsubscribe:
    """Turn off the channel of the link for its kind of notice."""
    target = read_unsubscribe(token)
    channels = chosen_channels(target.user, target.kind) - {target.channel}
    _set_preference(target.user.id, target.kind, channels)
    db.session.flush()
    return target


# --- telling people -----------------------------------------------------------------------


def notify_user(
    user: User, kind: str, template: str, *, number: str, endpoint: str, values: dict
) -> int:
    """Queue ``template`` to ``user`` on each phone channel they want ``kind`` on (e-mail
    stays with the caller, see ``wants_email``), in their language, with a link to
    ``endpoint`` in that language. Returns how many messages were queued."""
    if not user.active:
        return 0
    phone = phone_of(user)
    if phone is None or not phone.verified:
        return 0
    channels = chosen_channels(user, kind, phone)
    locale = _locale(user.locale)
    queued = 0
    for channel in PHONE_CHANNELS:
        if channel.value not in channels or phone.stopped(channel):
            continue
        url = external_url(endpoint, locale=locale, **values)
        _queue(user, channel, phone.e164, kind, template, locale, number=number, url=url)
        queued += 1
    return queued


def notify_cooperative(
    cooperative_id: int, kind: str, template: str, *, number: str, endpoint: str, values: dict
) -> int:
    members = db.session.scalars(
        select(User).where(User.cooperative_id == cooperative_id, User.active.is_(True))
    ).all()
    return sum(
        notify_user(m, kind, template, number=number, endpoint=endpoint, values=values)
        for m in members
    )


def quiet_until(moment: datetime, spec: str | None) -> datetime | None:
    """When ``moment`` falls within the quiet hours ``spec`` ("21:00-08:00", Casablanca
    time), the end of those hours (UTC); else None."""
    if not spec:
        return None
    start_text, _, end_text = spec.partition("-")
    start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    local = moment.astimezone(CASABLANCA)
    now = local.time()
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=CASABLANCA).astimezone(moment.tzinfo)


def _queue(
    user: User | None, channel: str, to: str, kind: str, template: str, locale: str, **values
) -> QueuedMessage:
    body, variables = messages.render(template, locale, **values)
    now = utcnow()
    urgent = template in URGENT_TEMPLATES
    due = None if urgent else quiet_until(now, current_app.config.get("NOTIFY_QUIET_HOURS"))
    row = QueuedMessage(
        user_id=user.id if user is not None else None,
        channel=str(channel),
        recipient=to,
        kind=str(kind),
        template=template,
        locale=locale,
        body=body,
        variables=json.dumps(variables, ensure_ascii=False),
        segments=messages.sms_segments(body),
        urgent=urgent,
        status=MessageStatus.QUEUED.value,
        created_at=now,
        next_attempt_at=due or now,
        attempts=0,
    )
    db.session.add(row)
    db.session.info[_QUEUED_KEY] = True
    return row


@after_outermost_commit
def _after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED_KEY, False):
        request_sending()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED_KEY, None)


def request_sending() -> None:
    """After a commit that queued messages: ask for a ``send-messages`` run (inline without a
    broker). The job runner sits above notify and answers ``signals.queue_committed``."""
    signals.queue_committed.send("send-messages")


# --- sending (the send-messages job) --------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _claim_due(limit: int) -> list[QueuedMessage]:
    now = utcnow()
    token = secrets.token_hex(8)
    available = (
        QueuedMessage.status == MessageStatus.QUEUED.value,
        QueuedMessage.next_attempt_at <= now,
        or_(QueuedMessage.claimed_until.is_(None), QueuedMessage.claimed_until < now),
    )
    ids = list(
        db.session.scalars(
            select(QueuedMessage.id).where(*available).order_by(QueuedMessage.id).limit(limit)
        )
    )
    if ids:
        db.session.execute(
            update(QueuedMessage)
            .where(QueuedMessage.id.in_(ids), *available)
            .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return list(
        db.session.scalars(
            select(QueuedMessage)
            .where(QueuedMessage.claimed_by == token)
            .order_by(QueuedMessage.id)
        )
    )


def _still_allowed(row: QueuedMessage) -> bool:
    """A message queued before a STOP reply or a changed number is not sent."""
    if row.template == "code" or row.user_id is None:
        return True
    phone = db.session.scalar(select(PhoneNumber).where(PhoneNumber.user_id == row.user_id))
    return (
        phone is not None
        and phone.verified
        and phone.e164 == row.recipient
        and not phone.stopped(row.channel)
    )


def send_due(limit: int = 50) -> dict[str, int]:
    """Send the messages that are due; record each outcome in one commit."""
    sent = failed = skipped = 0
    callback = external_url("notify_root.twilio_status")
    for row in _claim_due(limit):
        row.claimed_by = row.claimed_until = None
        if not _still_allowed(row):
            row.status = MessageStatus.FAILED.value
            row.failed_at = utcnow()
            row.last_error = "not sent: the number opted out or is no longer verified"
            skipped += 1
            continue
        provider = provider_for(row.channel)
        outgoing = OutgoingText(
            channel=row.channel,
            to=row.recipient,
            body=row.body,
            template=row.template,
            locale=row.locale,
            variables=json.loads(row.variables or "{}"),
            status_callback=callback,
        )
        row.attempts += 1
        row.provider = provider.name
        try:
            row.provider_id = provider.send(outgoing)
        except Exception as error:  # noqa: BLE001 - any provider error: retry or give up
            permanent = isinstance(error, SendFailed) and error.permanent
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            if permanent or row.attempts >= MAX_SEND_ATTEMPTS:
                row.status = MessageStatus.FAILED.value
                row.failed_at = utcnow()
                failed += 1
                log.error("gave up %s %s: %s", row.channel, row.id, row.last_error)
            else:
                row.next_attempt_at = utcnow() + retry_delay(row.attempts)
                log.warning("%s %s failed, retrying: %s", row.channel, row.id, error)
        else:
            row.status = MessageStatus.SENT.value
            row.sent_at = row.status_at = utcnow()
            row.last_error = None
            sent += 1
    db.session.commit()
    return {"sent": sent, "failed": failed, "skipped": skipped}


def deliver_all() -> dict[str, int]:
    totals = {"sent": 0, "failed": 0, "skipped": 0}
    while True:
        result = send_due()
        for key in totals:
            totals[key] += result[key]
        if not any(result.values()):
            return totals


# --- provider callbacks -------------------------------------------------------------------

FINAL_FAILURES = {"failed", "undelivered"}
KNOWN_STATUSES = {
    "accepted",
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "failed",
    "undelivered",
}


def record_status(provider_id: str, status: str, error_code: str | None) -> bool:
    """Apply a delivery-status callback; False when the message is unknown."""
    row = db.session.scalar(
        select(QueuedMessage).where(QueuedMessage.provider_id == provider_id).with_for_update()
    )
    if row is None or status not in KNOWN_STATUSES:
        return False
    row.status_at = utcnow()
    if status in FINAL_FAILURES:
        row.status = MessageStatus.FAILED.value
        row.failed_at = row.status_at
        row.last_error = f"{status} (error {error_code or 'unknown'})"
    elif status in ("delivered", "read"):
        row.status = MessageStatus.DELIVERED.value
    elif row.status != MessageStatus.DELIVERED.value:
        row.status = MessageStatus.SENT.value
    db.session.flush()
    return True


STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT", "توقف"}
START_WORDS = {"START", "UNSTOP", "YES"}


def record_reply(sender: str, text: str) -> str | None:
    """An inbound reply: STOP (and its usual synonyms) stops that channel for every account
    with this number; START resumes it. Returns "stop", "start" or None."""
    channel = Channel.SMS
    if sender.startswith("whatsapp:"):
        channel, sender = Channel.WHATSAPP, sender.removeprefix("whatsapp:")
    e164 = normalize_number(sender) or sender
    word = (text or "").strip().upper()
    if word in STOP_WORDS:
        action, value = "stop", utcnow()
    elif word in START_WORDS:
        action, value = "start", None
    else:
        return None
    column = "whatsapp_stopped_at" if channel == Channel.WHATSAPP else "sms_stopped_at"
    db.session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.e164 == e164)
        .values({column: value})
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return action


# --- the operator's view --------------------------------------------------------------------


def message_page(failed: bool, page: int, per_page: int) -> tuple[list[QueuedMessage], int]:
    if failed:
        condition = QueuedMessage.status == MessageStatus.FAILED.value
        order = (QueuedMessage.failed_at.desc(), QueuedMessage.id.desc())
    else:
        condition = QueuedMessage.status == MessageStatus.QUEUED.value
        order = (QueuedMessage.next_attempt_at, QueuedMessage.id)
    total = db.session.scalar(select(func.count()).select_from(QueuedMessage).where(condition))
    rows = db.session.scalars(
        select(QueuedMessage)
        .where(condition)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), max(1, -(-(total or 0) // per_page))


def message_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(QueuedMessage.status, func.count()).group_by(QueuedMessage.status)
    ).all()
    counts = {status.value: 0 for status in MessageStatus}
    for status, count in rows:
        counts[status] = count
    return counts


def send_again(message_id: int) -> QueuedMessage | None:
    row = db.session.get(QueuedMessage, message_id)
    if row is None or row.status != MessageStatus.FAILED.value:
        return None
    row.status = MessageStatus.QUEUED.value
    row.failed_at = row.claimed_by = row.claimed_until = None
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.info[_QUEUED_KEY] = True
    return row
