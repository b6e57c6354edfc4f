"""Translated e-mails, queued during a transaction and delivered only after it commits.

In development and tests (``MAIL_OUTBOX_DIR`` set) messages are written there as .eml files
and logged instead of being sent.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db, mail
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
_OUTBOX_KEY = "outgoing_mail"


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None


def render_mail(to: str, locale: str, template: str, subject, **context) -> OutgoingMail:
    """Render ``templates/email/<template>.txt`` (and ``.html`` when it exists) in ``locale``.

    ``subject`` is a lazy string or a callable returning one, evaluated in ``locale``.
    """
    with force_locale(locale):
        subject_text = str(subject() if callable(subject) else subject)
        context.setdefault("mail_lang", locale)
        text = render_template(f"email/{template}.txt", **context)
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


def queue_mail(to: str, locale: str, template: str, subject, **context) -> None:
    """Queue an e-mail on the current database transaction; it leaves after the commit."""
    message = render_mail(to, locale, template, subject, **context)
    db.session.info.setdefault(_OUTBOX_KEY, []).append(message)


def deliver(message: OutgoingMail) -> None:
    outbox = current_app.config.get("MAIL_OUTBOX_DIR")
    msg = Message(
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


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for message in session.info.pop(_OUTBOX_KEY, []):
        try:
            deliver(message)
        except Exception:  # the data is committed; a mail failure must not undo it
            log.exception("could not deliver mail to %s", message.to)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX_KEY, None)
