"""Stripe webhooks: signature verification, event de-duplication and dispatch.

``verify_event`` checks the ``Stripe-Signature`` header with Stripe's own scheme
(``stripe.Webhook.construct_event``, which also refuses timestamps older than the tolerance)
and refuses timestamps too far in the future, which the SDK accepts.

``handle_event`` inserts the event id first (a primary key): a replayed event, or the same
event delivered twice at the same moment, collides there and has no second effect.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.payments.models import StripeEvent

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookRejected(Exception):
    """The request is not a genuine, fresh Stripe event (answered with 400)."""


class DuplicateEvent(Exception):
    """This event was already applied (answered with 200, nothing changes)."""


class NotReady(Exception):
    """The event is about something this database does not hold yet (a refund whose row is
    not committed, say): nothing is recorded, and the event is answered so that Stripe
    delivers it again later (``reconcile`` replays it too)."""


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            return int(value)
    raise ValueError("no timestamp")


def verify_event(
    payload: bytes, header: str | None, secret: str | None, tolerance: int
) -> dict[str, Any]:
    """The verified event as plain dicts, or ``WebhookRejected``."""
    if not secret:
        raise WebhookRejected("webhook secret not configured")
    if not header:
        raise WebhookRejected("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, header, secret, tolerance=tolerance)
        timestamp = _timestamp(header)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"bad signature: {exc}") from exc
    except (ValueError, TypeError, AttributeError, KeyError, UnicodeDecodeError) as exc:
        raise WebhookRejected(f"malformed payload: {exc}") from exc
    if timestamp > time.time() + tolerance:
        raise WebhookRejected("timestamp in the future")
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise WebhookRejected("not an event")
    obj = (data.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise WebhookRejected("event without an object")
    return data


def record_event(event_id: str, event_type: str) -> None:
    """Insert the event id; ``DuplicateEvent`` when it was already applied."""
    if db.session.get(StripeEvent, event_id) is not None:
        raise DuplicateEvent(event_id)
    db.session.add(StripeEvent(id=event_id, type=event_type))
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same event, applied at this moment by another worker
        raise DuplicateEvent(event_id) from exc


def handled_types() -> dict:
    from marketplace.payments import disputes, refunds, services

    return {
        "checkout.session.completed": services.on_session_completed,
        "checkout.session.async_payment_succeeded": services.on_session_completed,
        "checkout.session.async_payment_failed": services.on_session_failed,
        "checkout.session.expired": services.on_session_expired,
        "charge.refunded": refunds.on_charge_refunded,
        "charge.refund.updated": refunds.on_refund_updated,
        "refund.updated": refunds.on_refund_updated,
        "refund.failed": refunds.on_refund_updated,
        "charge.dispute.created": disputes.on_dispute_event,
        "charge.dispute.updated": disputes.on_dispute_event,
        "charge.dispute.funds_withdrawn": disputes.on_dispute_event,
        "charge.dispute.funds_reinstated": disputes.on_dispute_event,
        "charge.dispute.closed": disputes.on_dispute_event,
    }


def handle_event(event: dict[str, Any]) -> str:
    """Apply a verified event inside the caller's transaction: "handled", "ignored" or
    ``DuplicateEvent``. The caller commits (or rolls everything back on an exception)."""
    handler = handled_types().get(event["type"])
    if handler is None:
        log.info("stripe event %s of type %s ignored", event["id"], event["type"])
        return "ignored"
    record_event(event["id"], event["type"])
    handler(event["data"]["object"])
    return "handled"
