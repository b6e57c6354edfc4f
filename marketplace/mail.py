"""Translated e-mails, queued during a transaction and delivered only after it commits.

Two ways of delivering, chosen by ``MAIL_DELIVERY``:

- ``queue`` (production): each message is stored in the ``mail_queue`` table in the
  transaction that queues it, so an order and its confirmation are committed (or rolled
  back) together and no message is lost when the mail server is down. A commit that queued
  mail enqueues the ``send-mail`` job (marketplace/jobs/), which a worker process runs; the
  scheduler also enqueues it every minute (retries, and mail committed while the broker was
  down). Failures are retried with a growing delay; a sent message is deleted. Sending never
  happens in a web process when a broker is configured (without one the job runs inline,
  right after the commit). ``flask mail deliver`` sends what is due by hand.
- ``after_commit`` (development, tests): messages are handed over right after the commit,
  in the same request.

In development and tests (``MAIL_OUTBOX_DIR`` set) messages are written there as .eml files
and logged instead of being sent.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import DateTime, Integer, String, Text, delete, event, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace import signals
from marketplace.database import after_outermost_commit
from marketplace.extensions import db, mail
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
_OUTBOX_KEY = "outgoing_mail"
_QUEUED_KEY = "outgoing_mail_stored"
QUEUE = "queue"
AFTER_COMMIT = "after_commit"
MAX_ATTEMPTS = 14  # about a day and a half of retries: 1, 2, 4 … minutes, then every 6 hours
CLAIM_SECONDS = 300  # a sender that died mid-batch gives its messages back after this


class QueuedMail(db.Model):
    """A message waiting to be sent (``MAIL_DELIVERY=queue``); deleted once sent. One that
    failed MAX_ATTEMPTS times stays, with ``failed_at`` and its last error, for the operator."""

    __tablename__ = "mail_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None


# Unicode isolates in plain-text e-mails. Templates print no bidi control (Jinja's finalize
# strips them from every value, see web.strip_bidi_controls), so the ``isolate`` and ``ltr``
# filters mark the isolates with private-use characters, made real here after rendering.
_FSI_MARK, _LRI_MARK, _PDI_MARK = "\ue068", "\ue066", "\ue069"
_MARKS_TO_ISOLATES = {ord(_FSI_MARK): "\u2068", ord(_LRI_MARK): "\u2066", ord(_PDI_MARK): "\u2069"}
_NO_MARKS = dict.fromkeys(_MARKS_TO_ISOLATES)


def isolate_marked(text, *, ltr: bool = False) -> str:
    """``text`` between the marks of a first-strong (or left-to-right) isolate."""
    if text is None:
        return ""
    inner = str(text).translate(_NO_MARKS)  # typed marks never become isolates
    return f"{_LRI_MARK if ltr else _FSI_MARK}{inner}{_PDI_MARK}"


def render_mail(to: str, locale: str, template: str, subject, **context) -> OutgoingMail:
    """Render ``templates/email/<template>.txt`` (and ``.html`` when it exists) in ``locale``.

    ``subject`` is a lazy string or a callable returning one, evaluated in ``locale``.
    """
    with force_locale(locale):
        subject_text = str(subject() if callable(subject) else subject)
        context.setdefault("mail_locale", locale)
        text = render_template(f"email/{template}.txt", **context).translate(_MARKS_TO_ISOLATES)
        html = None
        if current_app.jinja_env.loader and _template_exists(f"email/{template}.html"):
            html = render_template(f"email/{template}.html", **context)
    return OutgoingMail(to=to, subject=subject_text, text=text, html=html)


def _template_exists(name: str) -> bool:
    try:
        current_app.jinja_env.get_template(name)
    except Exception:  # noqa: BLE001
        return False
    return True


def delivery_mode() -> str:
    return current_app.config.get("MAIL_DELIVERY") or AFTER_COMMIT


def queue_mail(to: str, locale: str, template: str, subject, **context) -> None:
    """Queue an e-mail on the current database transaction; it leaves after the commit."""
    message = render_mail(to, locale, template, subject, **context)
    if delivery_mode() == QUEUE:
        db.session.add(
            QueuedMail(
                recipient=message.to, subject=message.subject, text=message.text, html=message.html
            )
        )
        db.session.info[_QUEUED_KEY] = True
        return
    db.session.info.setdefault(_OUTBOX_KEY, []).append(message)


def encode_subject(subject: str) -> str:
    """``subject`` as RFC 2047 encoded words, one per line, when it is not ASCII.

    Flask-Mail (``email.header.Header``), and the standard library's own folding too, cut a
    long Arabic subject into encoded words at its spaces and leave the space between two
    words as folding white space, which readers drop: "تعاونيتكم:مرحبا". Here the subject is
    cut by characters into base64 words of at most 39 bytes (a line of at most 73 columns
    with "Subject: "), so every space is inside a word and the folds between words, which
    readers ignore, lose nothing."""
    subject = " ".join(subject.split())  # no line breaks in a header
    if subject.isascii():
        return subject
    words, chunk = [], b""
    for char in subject:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 39:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


class _Message(Message):
    """Flask-Mail's message with the subject folded by ``encode_subject``: set raw, so the
    e-mail policy emits it as it is instead of folding it again."""

    def _message(self):
        msg = super()._message()
        subject = encode_subject(self.subject)
        if "=?" in subject:
            del msg["Subject"]
            msg.set_raw("Subject", subject)
        return msg


def deliver(message: OutgoingMail) -> None:
    outbox = current_app.config.get("MAIL_OUTBOX_DIR")
    msg = _Message(
        subject=message.subject,
        recipients=[message.to],
        body=message.text,
        html=message.html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    if outbox:
        folder = Path(outbox)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
        (folder / name).write_bytes(msg.as_bytes())
        log.info("mail to %s written to %s: %s", message.to, folder / name, message.subject)
        return
    mail.send(msg)


def read_outbox(folder: str | Path) -> list:
    """Parsed messages of an outbox folder, oldest first (for tests and operators)."""
    import email
    from email import policy

    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(Path(folder).glob("*.eml"))
    ]


@after_outermost_commit
def _send_after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED_KEY, False):
        request_delivery()
    for message in session.info.pop(_OUTBOX_KEY, []):
        try:
            deliver(message)
        except Exception:  # the data is committed; a mail failure must not undo it
            log.exception("could not deliver mail to %s", message.to)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)
    session.info.pop(_QUEUED_KEY, None)


# --- the queue (MAIL_DELIVERY=queue) ---------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def claim_due(limit: int = 50) -> tuple[str, list[QueuedMail]]:
    """Take up to ``limit`` messages that are due and not being sent by another process, and
    commit the claim. The UPDATE repeats the conditions, so two senders racing for the same
    rows cannot both take one: the second re-reads a row it waited for and skips it."""
    now = utcnow()
    token = secrets.token_hex(8)
    available = (
        QueuedMail.failed_at.is_(None),
        QueuedMail.next_attempt_at <= now,
        or_(QueuedMail.claimed_until.is_(None), QueuedMail.claimed_until < now),
    )
    due = select(QueuedMail.id).where(*available).order_by(QueuedMail.id).limit(limit)
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            update(QueuedMail)
            .where(QueuedMail.id.in_(ids), *available)
            .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    claimed = db.session.scalars(
        select(QueuedMail).where(QueuedMail.claimed_by == token).order_by(QueuedMail.id)
    ).all()
    return token, list(claimed)


def deliver_due(limit: int = 50) -> int:
    """Send the messages that are due, then record the outcome in one commit (sent: deleted;
    failed: tried again later, given up after MAX_ATTEMPTS). Returns how many were sent.
    A process that dies between sending and that commit leaves its claim to expire: those
    messages go again (at least once, never lost)."""
    _, claimed = claim_due(limit)
    sent: list[int] = []
    for row in claimed:
        try:
            deliver(OutgoingMail(row.recipient, row.subject, row.text, row.html))
        except Exception as error:  # noqa: BLE001 - any transport error: try again later
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.claimed_by = row.claimed_until = None
            if row.attempts >= MAX_ATTEMPTS:
                row.failed_at = utcnow()
                log.error("gave up mail %s to %s: %s", row.id, row.recipient, row.last_error)
            else:
                row.next_attempt_at = utcnow() + retry_delay(row.attempts)
                log.warning("mail %s to %s failed, retrying: %s", row.id, row.recipient, error)
        else:
            sent.append(row.id)
    if sent:
        db.session.execute(
            delete(QueuedMail)
            .where(QueuedMail.id.in_(sent))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return len(sent)


def queued_page(given_up: bool, page: int, per_page: int) -> tuple[list[QueuedMail], int]:
    """One page of the queue for the operator: the messages given up, newest first, or those
    waiting, next due first; and how many pages there are."""
    condition = QueuedMail.failed_at.is_not(None) if given_up else QueuedMail.failed_at.is_(None)
    order = (
        (QueuedMail.failed_at.desc(), QueuedMail.id.desc())
        if given_up
        else (QueuedMail.next_attempt_at, QueuedMail.id)
    )
    total = db.session.scalar(select(func.count()).select_from(QueuedMail).where(condition))
    rows = db.session.scalars(
        select(QueuedMail)
        .where(condition)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), max(1, -(-(total or 0) // per_page))


def queue_counts() -> dict[str, int]:
    """How many messages wait to be (re)tried and how many were given up."""
    rows = db.session.execute(
        select(QueuedMail.failed_at.is_not(None), func.count()).group_by(
            QueuedMail.failed_at.is_not(None)
        )
    ).all()
    counts = {"waiting": 0, "given_up": 0}
    for given_up, count in rows:
        counts["given_up" if given_up else "waiting"] += count
    return counts


def send_again(mail_id: int) -> QueuedMail | None:
    """Put a message back at the head of the queue (a new series of attempts); None when it
    is not in the queue any more (sent meanwhile). The commit enqueues the sending job."""
    row = db.session.get(QueuedMail, mail_id)
    if row is None:
        return None
    row.failed_at = row.claimed_by = row.claimed_until = None
    row.attempts = 0
    row.next_attempt_at = utcnow()
    db.session.info[_QUEUED_KEY] = True
    return row


# --- handing the queue to the job runner ----------------------------------------------------


def request_delivery() -> None:
    """After a commit that queued mail: enqueue the ``send-mail`` job (one waiting run is
    enough for any number of commits). The web process never sends itself when a broker is
    configured. A broker that does not answer loses nothing: the message is committed and
    the scheduler's next ``send-mail`` run takes it. The job runner sits above mail and
    answers ``signals.queue_committed`` (``jobs.runner.run_soon``)."""
    signals.queue_committed.send("send-mail")


@click.group("mail")
def mail_cli() -> None:
    """The e-mail queue (MAIL_DELIVERY=queue)."""


@mail_cli.command("deliver")
@with_appcontext
def deliver_command() -> None:
    """Send every queued message that is due now, and report what is left."""
    sent = 0
    while batch := deliver_due():
        sent += batch
    counts = queue_counts()
    click.echo(
        f"{sent} sent; {counts['waiting']} waiting to be tried again; {counts['given_up']} given up"
    )
