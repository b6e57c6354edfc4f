"""Payments: Stripe Checkout for card orders, the one fulfilment function, cash on delivery.

An order becomes paid only from what Stripe itself says (a verified webhook, or the session
retrieved from the Stripe API by the id we stored), after checking amount and currency.
``fulfil_checkout_session`` is idempotent and safe in any order of arrival: the payment row is
locked, and every step checks the state it moves from.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from marketplace.audit import record_audit
from marketplace.errors import Conflict, DomainError, IllegalTransition, InvalidInput
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.i18n import current_locale
from marketplace.money import format_mad
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    PaymentMethod,
    SubOrderStatus,
)
from marketplace.orders.names import cooperative_name
from marketplace.orders.status import confirm_payment, release_unpaid_order, transition
from marketplace.payments import ledger
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import (
    CashCollection,
    Payment,
    PaymentProvider,
    PaymentStatus,
)
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING.value: _l("Awaiting payment"),
    PaymentStatus.PROCESSING.value: _l("Payment being confirmed"),
    PaymentStatus.PAID.value: _l("Paid"),
    PaymentStatus.FAILED.value: _l("Payment failed"),
    PaymentStatus.EXPIRED.value: _l("Payment not completed in time"),
    PaymentStatus.CANCELLED.value: _l("Cancelled"),
}
CHECKOUT_MINUTES_DEFAULT = 60  # Stripe accepts 30 minutes to 24 hours
UNPAID_MINUTES_DEFAULT = 60  # an unpaid card order releases its stock after this


class PaymentUnavailable(DomainError):
    status_code = 503
    default_message = _l("Card payment is not available at the moment. Please try again later.")


def card_payments_enabled() -> bool:
    """Card payments are offered only when Stripe is configured (never in the keyless demo)."""
    config = current_app.config
    return bool(
        config.get("STRIPE_SECRET_KEY")
        and config.get("STRIPE_PUBLISHABLE_KEY")
        and config.get("STRIPE_WEBHOOK_SECRET")
    )


def status_label(value: str) -> str:
    label = PAYMENT_STATUS_LABELS.get(value)
    return str(label) if label is not None else value


def _plain(obj: Any) -> dict:
    """A Stripe object (or an already plain dict) as plain dicts."""
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


# --- the payment row --------------------------------------------------------------------


def payment_for(order: Order, *, lock: bool = False) -> Payment:
    """The order's payment row. A lookup never writes: for an order placed before payments
    existed it gets an unsaved row that describes the payment to come. For a change
    (``lock=True``: the row is locked until the commit) a missing row is created."""
    query = select(Payment).where(Payment.order_id == order.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    payment = db.session.scalar(query)
    if payment is None:
        payment = _new_payment(order)
        if lock:
            db.session.add(payment)
            db.session.flush()
    return payment


def _new_payment(order: Order) -> Payment:
    card = order.payment_method == PaymentMethod.CARD.value
    return Payment(  # the columns' defaults written out: an unsaved row is read as it is
        order_id=order.id,
        order=order,
        provider=(PaymentProvider.STRIPE if card else PaymentProvider.CASH).value,
        status=PaymentStatus.PENDING.value,
        amount_cents=order.total_cents,
        currency=order.currency,
        attempt=0,
        received_cents=0,
        flagged_for_review=False,
        review_reason="",
    )


def start_payment(order: Order) -> Payment:
    """The payment row of an order just placed (its payment starts with the order).
    ``signals.order_placed`` is sent once, for a new order: it has no payment yet."""
    payment = _new_payment(order)
    db.session.add(payment)
    db.session.flush()
    return payment


def offered_methods(_sender, **_kwargs) -> list[str]:
    """Receiver of ``signals.payment_methods``: checkout offers the card when Stripe is
    configured."""
    return [PaymentMethod.CARD.value] if card_payments_enabled() else []


def _on_order_placed(order: Order, **info) -> None:
    start_payment(order)


def flag(payment: Payment, reason: str) -> None:
    """Put the payment in the admins' review queue (never silently accepted)."""
    payment.flagged_for_review = True
    payment.review_reason = "\n".join(r for r in (payment.review_reason, reason) if r)
    log.warning("payment %s of order %s flagged: %s", payment.id, payment.order_id, reason)
    db.session.flush()


# --- starting a card payment ------------------------------------------------------------


def checkout_line_items(order: Order) -> list[dict]:
    """One line per variant bought (named with its option label when it had one) and one
    shipping line per cooperative, from the server's totals (what the order stored when it
    was placed)."""
    currency = order.currency.lower()
    items: list[dict] = []
    for sub in order.sub_orders:
        if sub.status == SubOrderStatus.CANCELLED.value:
            continue
        for line in sub.lines:
            name = line.product_name
            choice = line.variant_label_in(order.locale)
            if choice is not None:
                name = f"{name} — {choice.text}"
            if line.unit:
                name = f"{name} ({line.unit})"
            items.append(
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": line.unit_price_cents,
                        "product_data": {"name": name[:250]},
                    },
                    "quantity": line.quantity,
                }
            )
        if sub.shipping_cents > 0:
            coop = cooperative_name(sub.cooperative, order.locale)
            items.append(
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": sub.shipping_cents,
                        "product_data": {
                            "name": str(_l("Shipping: %(cooperative)s", cooperative=coop))[:250]
                        },
                    },
                    "quantity": 1,
                }
            )
    return items


def amount_due_cents(order: Order) -> int:
    """What the shopper pays by card: the parts of the order that are not cancelled."""
    return sum(
        s.total_cents for s in order.sub_orders if s.status != SubOrderStatus.CANCELLED.value
    )


def unpaid_minutes() -> int:
    return int(current_app.config.get("UNPAID_CARD_ORDER_MINUTES", UNPAID_MINUTES_DEFAULT))


def payment_deadline(order: Order) -> datetime:
    """When an unpaid card order releases its stock (``flask orders expire-unpaid``)."""
    created = order.created_at
    if created.tzinfo is None:  # SQLite gives naive UTC values back
        created = created.replace(tzinfo=UTC)
    return created + timedelta(minutes=unpaid_minutes())


def start_card_checkout(
    order: Order, *, locale: str, success_url: str, cancel_url: str
) -> str | None:
    """The Stripe Checkout URL where the shopper pays ``order`` (an open session for the same
    amount is reused), or None when Stripe says the current session already ended (it was
    applied: show the payment status).

    A new session is first recorded (its idempotency key and exact parameters) and
    COMMITTED, then asked of Stripe: when Stripe's answer is lost, the next try sends the
    same parameters under the same key and Stripe replays its first answer.

    Raises InvalidInput/Conflict when the order cannot be paid by card (any more) and
    PaymentUnavailable when Stripe is not configured or does not answer.
    """
    if not card_payments_enabled():
        raise PaymentUnavailable()
    if order.payment_method != PaymentMethod.CARD.value:
        raise InvalidInput(_l("This order is paid in cash on delivery."))
    payment = payment_for(order, lock=True)
    if payment.status == PaymentStatus.PAID.value:
        raise Conflict(_l("This order is already paid."))
    if not any(sub.status == SubOrderStatus.PENDING_PAYMENT.value for sub in order.sub_orders):
        raise Conflict(_l("This order can no longer be paid."))
    if utcnow() >= payment_deadline(order):
        raise Conflict(
            _l(
                "The time to pay this order has run out: its products are being put back on "
                "sale. Please order again."
            )
        )
    line_items = checkout_line_items(order)
    due = amount_due_cents(order)
    if sum(i["price_data"]["unit_amount"] * i["quantity"] for i in line_items) != due:
        raise Conflict(_l("This order can no longer be paid."))
    try:
        if not payment.stripe_session_id and payment.checkout_key:
            _replay_checkout(payment)  # the answer to the last attempt was lost
        if payment.stripe_session_id:
            session = _plain(gateway.retrieve_checkout_session(payment.stripe_session_id))
            if session.get("status") in ("complete", "expired"):
                fulfil_checkout_session(session)
                return None
            if session.get("amount_total") == due and session.get("url"):
                return session["url"]
            # part of the order was cancelled since: this session asks too much
            gateway.expire_checkout_session(
                session["id"], idempotency_key=f"order-{order.id}-expire-v{payment.attempt}"
            )
        payment.attempt += 1
        minutes = int(current_app.config.get("STRIPE_CHECKOUT_MINUTES", CHECKOUT_MINUTES_DEFAULT))
        metadata = {"order_id": str(order.id), "order_number": order.number}
        payment.checkout_key = f"order-{order.id}-checkout-v{payment.attempt}"
        payment.checkout_params = {
            "mode": "payment",
            "line_items": line_items,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "transfer_group": f"order-{order.id}"},
            "client_reference_id": order.number,
            "customer_email": order.email,
            "locale": gateway.checkout_locale(locale),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(time.time()) + max(30, min(minutes, 1440)) * 60,
        }
        payment.amount_cents = due
        payment.stripe_session_id = None
        payment.stripe_session_url = None
        params, key, order_id = payment.checkout_params, payment.checkout_key, order.id
        db.session.commit()  # the intent, before Stripe is asked; no lock held meanwhile
        session = _plain(gateway.create_checkout_session(params, idempotency_key=key))
        payment = db.session.scalar(
            select(Payment)
            .where(Payment.order_id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment.checkout_key == key and not payment.stripe_session_id:
            _record_session(payment, session)
    except gateway.StripeUnavailable as exc:
        log.error("stripe checkout for order %s failed: %s", order.id, exc)
        raise PaymentUnavailable() from exc
    db.session.flush()
    return session.get("url")


def _replay_checkout(payment: Payment) -> str | None:
    """Send the recorded Checkout Session request again (same key, same parameters: Stripe
    answers as the first time) and record the session."""
    session = _plain(
        gateway.create_checkout_session(
            payment.checkout_params, idempotency_key=payment.checkout_key
        )
    )
    _record_session(payment, session)
    return session.get("url")


def _record_session(payment: Payment, session: dict) -> None:
    payment.stripe_session_id = session["id"]
    payment.stripe_session_url = session.get("url")
    db.session.flush()


# --- unpaid card orders expire ----------------------------------------------------------


def expire_unpaid(payment_id: int, now: datetime | None = None) -> str:
    """Release an unpaid card order whose time to pay has run out, exactly once; "expired",
    "paid" (Stripe had it paid: applied instead), "skipped" (not due, done already, or
    being handled by another worker) or "failed" (Stripe could not say; try again later).

    Stripe is asked first when a session exists: an open one is expired there (nobody can
    pay it afterwards), a completed one is applied. Without an answer, the order is released
    only once its session's own expiry time has passed.
    """
    now = now or utcnow()
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if (
        payment is None
        or not payment.is_card
        or payment.status != PaymentStatus.PENDING.value
        or now < payment_deadline(payment.order)
        or not any(
            s.status == SubOrderStatus.PENDING_PAYMENT.value for s in payment.order.sub_orders
        )
    ):
        return "skipped"
    if (payment.checkout_key or payment.stripe_session_id) and card_payments_enabled():
        session_expires = int((payment.checkout_params or {}).get("expires_at") or 0)
        try:
            if not payment.stripe_session_id:
                _replay_checkout(payment)
            try:
                session = gateway.expire_checkout_session(
                    payment.stripe_session_id,
                    idempotency_key=f"order-{payment.order_id}-expire-v{payment.attempt}",
                )
            except gateway.StripeUnavailable:  # not open any more: what became of it?
                session = gateway.retrieve_checkout_session(payment.stripe_session_id)
        except gateway.StripeUnavailable as exc:
            if now.timestamp() < session_expires:
                log.warning("order %s: Stripe did not answer (%s)", payment.order_id, exc)
                return "failed"
        else:
            fulfil_checkout_session(session)
            if payment.status == PaymentStatus.PAID.value:
                return "paid"
            if payment.status == PaymentStatus.PROCESSING.value:
                return "skipped"  # paid by a slower method: its outcome decides
            if payment.status != PaymentStatus.PENDING.value:
                return "expired"
    _release(payment, PaymentStatus.EXPIRED, "not paid in time")
    db.session.flush()
    return "expired"


def unpaid_due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of card payments still pending whose order's time to pay has run out."""
    cutoff = (now or utcnow()) - timedelta(minutes=unpaid_minutes())
    return list(
        db.session.scalars(
            select(Payment.id)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.provider == PaymentProvider.STRIPE.value,
                Payment.status == PaymentStatus.PENDING.value,
                Order.created_at < cutoff,
            )
            .order_by(Payment.id)
            .limit(limit)
        )
    )


def _on_sub_order_status_changed(sub_order: CooperativeOrder, **info) -> None:
    """A card order whose every part was cancelled before payment: close its open Checkout
    Session so that nobody pays for nothing (best effort; a late payment is flagged)."""
    order = sub_order.order
    if (
        info.get("new") != SubOrderStatus.CANCELLED.value
        or order.payment_method != PaymentMethod.CARD.value
        or any(s.status == SubOrderStatus.PENDING_PAYMENT.value for s in order.sub_orders)
        or not card_payments_enabled()
    ):
        return
    payment = payment_for(order)
    if payment.status != PaymentStatus.PENDING.value or not payment.stripe_session_id:
        return
    try:
        gateway.expire_checkout_session(
            payment.stripe_session_id,
            idempotency_key=f"order-{order.id}-expire-v{payment.attempt}",
        )
    except gateway.StripeUnavailable as exc:
        log.warning("could not expire session %s: %s", payment.stripe_session_id, exc)
        return
    payment.status = PaymentStatus.CANCELLED.value
    db.session.flush()


# --- what Stripe tells us ---------------------------------------------------------------


def _payment_of_session(session: dict, *, lock: bool = True) -> Payment | None:
    payment = db.session.scalar(select(Payment).where(Payment.stripe_session_id == session["id"]))
    if payment is None:
        order_id = parse_int((session.get("metadata") or {}).get("order_id"))
        if order_id is None:
            return None
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        if (
            payment is None
            or payment.provider != PaymentProvider.STRIPE.value
            or (session.get("metadata") or {}).get("order_number") != payment.order.number
        ):
            return None
    if lock:
        payment = db.session.scalar(
            select(Payment)
            .where(Payment.id == payment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    return payment


def fulfil_checkout_session(session: Any, *, failed: bool = False) -> Payment | None:
    """Apply what a Checkout Session says to its order; idempotent.

    Used by the webhook, the success page (session retrieved from Stripe by our stored id) and
    ``flask payments reconcile``. ``failed`` marks an asynchronous payment that failed.
    """
    session = _plain(session)
    payment = _payment_of_session(session)
    if payment is None:
        log.warning("checkout session %s matches no order: ignored", session.get("id"))
        return None
    status = session.get("status")
    current = session.get("id") == payment.stripe_session_id
    if (failed or status == "expired") and not current:
        return payment  # an older session of this order: the current one decides
    if failed:
        _release(payment, PaymentStatus.FAILED, "card payment failed")
    elif status == "expired":
        _release(payment, PaymentStatus.EXPIRED, "checkout session expired")
    elif status == "complete":
        if session.get("payment_status") in ("paid", "no_payment_required"):
            _mark_paid(payment, session)
        elif payment.status == PaymentStatus.PENDING.value:
            payment.status = PaymentStatus.PROCESSING.value  # waiting for the async events
    db.session.flush()
    return payment


def _release(payment: Payment, status: PaymentStatus, reason: str) -> None:
    if payment.status not in (PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value):
        return  # paid (a late expiry changes nothing) or already released
    payment.status = status.value
    release_unpaid_order(payment.order, reason)


def _mark_paid(payment: Payment, session: dict) -> None:
    order = payment.order
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    amount = session.get("amount_total")
    currency = str(session.get("currency") or "").upper()
    if payment.status != PaymentStatus.PAID.value and isinstance(amount, int):
        payment.received_cents = amount
    if payment.status == PaymentStatus.PAID.value:
        if (
            intent
            and payment.stripe_payment_intent_id
            and intent != payment.stripe_payment_intent_id
        ):
            flag(payment, f"second payment {intent} received for an order already paid")
        return
    if amount != payment.amount_cents or currency != order.currency:
        if not payment.flagged_for_review:
            flag(
                payment,
                f"amount or currency mismatch: Stripe says {amount} {currency}, "
                f"we asked {payment.amount_cents} {order.currency} (session {session.get('id')})",
            )
        payment.stripe_payment_intent_id = intent or payment.stripe_payment_intent_id
        return
    payment.stripe_payment_intent_id = intent
    if payment.status in (PaymentStatus.EXPIRED.value, PaymentStatus.FAILED.value):
        flag(payment, f"paid after the order was released (session {session.get('id')})")
        return
    try:
        confirm_payment(order)
    except IllegalTransition:
        flag(payment, f"paid after the order was cancelled (session {session.get('id')})")
        return
    payment.status = PaymentStatus.PAID.value
    payment.paid_at = utcnow()
    ledger.post_card_payment(payment)
    if amount != amount_due_cents(order):
        flag(payment, "paid for a part of the order that was cancelled meanwhile: refund it")


def on_session_completed(session: dict) -> None:
    fulfil_checkout_session(session)


def on_session_failed(session: dict) -> None:
    fulfil_checkout_session(session, failed=True)


def on_session_expired(session: dict) -> None:
    fulfil_checkout_session(session)


def status_seen_by_stripe(payment: Payment) -> str:
    """The success page: what Stripe says of the session we stored (never the query
    string), read only. The payment row itself changes only through the webhook and
    ``flask payments reconcile``: a page view never writes (on SQLite a write in a read
    transaction fails when the webhook commits at the same moment)."""
    if (
        not payment.is_card
        or not payment.stripe_session_id
        or payment.status not in (PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value)
        or not card_payments_enabled()
    ):
        return payment.status
    try:
        session = _plain(gateway.retrieve_checkout_session(payment.stripe_session_id))
    except gateway.StripeUnavailable as exc:
        log.warning("could not retrieve session %s: %s", payment.stripe_session_id, exc)
        return payment.status
    if (
        session.get("status") == "complete"
        and session.get("payment_status") in ("paid", "no_payment_required")
        and session.get("amount_total") == payment.amount_cents
        and str(session.get("currency") or "").upper() == payment.currency
    ):
        return PaymentStatus.PAID.value
    if session.get("status") == "expired":
        return PaymentStatus.EXPIRED.value
    return payment.status


def paid_cents(payment: Payment) -> int:
    """What the shopper actually paid on this payment (0 while unpaid)."""
    if payment.is_card:
        return payment.received_cents if payment.stripe_payment_intent_id else 0
    if payment.provider == PaymentProvider.CASH.value:
        return int(
            db.session.scalar(
                select(db.func.coalesce(db.func.sum(CashCollection.amount_cents), 0))
                .join(CooperativeOrder, CooperativeOrder.id == CashCollection.sub_order_id)
                .where(CooperativeOrder.order_id == payment.order_id)
            )
            or 0
        )
    return 0


# --- flagged payments: the admin's decisions ------------------------------------------


def _audit(actor, action: str, payment: Payment, reason: str = "") -> None:
    record_audit(
        actor,
        action,
        target_type="payment",
        target_id=payment.id,
        target_label=payment.order.number,
        new_value=payment.status,
        reason=reason,
    )


def _clear_flag(payment: Payment, actor, note: str) -> None:
    payment.flagged_for_review = False
    who = getattr(actor, "email", "") or "admin"
    payment.review_reason = "\n".join(p for p in (payment.review_reason, f"{note} by {who}") if p)


def accept_flagged(payment: Payment, actor) -> Payment:
    """The admin accepts a flagged card payment: the order is confirmed (what was received
    beyond its price stays refundable)."""
    payment = payment_for(payment.order, lock=True)
    order = payment.order
    if not payment.is_card or not payment.flagged_for_review:
        raise Conflict(_l("This payment is not waiting for a review."))
    if payment.status == PaymentStatus.PAID.value:
        raise Conflict(_l("This order is already paid."))
    if not payment.stripe_payment_intent_id or payment.received_cents <= 0:
        raise Conflict(_l("No money was received for this order: it cannot be accepted."))
    if not any(s.status == SubOrderStatus.PENDING_PAYMENT.value for s in order.sub_orders):
        raise Conflict(
            _l(
                "This order was released or cancelled meanwhile (its products may be sold "
                "already): refund the payment instead."
            )
        )
    due = amount_due_cents(order)
    if payment.received_cents < due:
        raise Conflict(
            _l(
                "Only %(received)s was received for %(due)s: refund the payment instead.",
                received=format_mad(payment.received_cents, current_locale()),
                due=format_mad(due, current_locale()),
            )
        )
    confirm_payment(order, actor)
    payment.status = PaymentStatus.PAID.value
    payment.paid_at = utcnow()
    ledger.post_card_payment(payment)
    _clear_flag(payment, actor, "accepted")
    _audit(actor, "payment.accepted", payment)
    db.session.flush()
    return payment


def release_flagged(payment: Payment, actor) -> Payment:
    """The admin releases the order of a flagged payment: its sub-orders awaiting payment are
    cancelled and their stock returned. Refused while money received is not refunded."""
    from marketplace.payments.models import Refund, RefundStatus

    payment = payment_for(payment.order, lock=True)
    if not payment.is_card or not payment.flagged_for_review:
        raise Conflict(_l("This payment is not waiting for a review."))
    refunded = int(
        db.session.scalar(
            select(db.func.coalesce(db.func.sum(Refund.amount_cents), 0)).where(
                Refund.payment_id == payment.id,
                Refund.status.in_([RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value]),
            )
        )
        or 0
    )
    if paid_cents(payment) - refunded > 0:
        raise Conflict(
            _l(
                "Money received for this order is not refunded yet: refund it first, then "
                "release the order."
            )
        )
    release_unpaid_order(payment.order, "released by the platform team after a review")
    if payment.status in (PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value):
        payment.status = PaymentStatus.CANCELLED.value
    _clear_flag(payment, actor, "released")
    _audit(actor, "payment.released", payment)
    db.session.flush()
    return payment


# --- cash on delivery -------------------------------------------------------------------


def _cod_sub_order(sub_order: CooperativeOrder) -> None:
    if sub_order.order.payment_method != PaymentMethod.CASH_ON_DELIVERY.value:
        raise InvalidInput(_l("This order is not paid in cash on delivery."))


def cash_collection_for(sub_order: CooperativeOrder) -> CashCollection | None:
    return db.session.scalar(
        select(CashCollection).where(CashCollection.sub_order_id == sub_order.id)
    )


def mark_cash_collected(sub_order: CooperativeOrder, actor) -> CashCollection:
    """The cooperative received the cash for a delivered sub-order: its payment is settled."""
    _cod_sub_order(sub_order)
    if sub_order.status != SubOrderStatus.DELIVERED.value:
        raise Conflict(_l("Mark the order as delivered before recording the cash."))
    payment = payment_for(sub_order.order, lock=True)
    if cash_collection_for(sub_order) is not None:
        raise Conflict(_l("The cash for this order was already recorded."))
    collection = CashCollection(
        sub_order_id=sub_order.id,
        amount_cents=sub_order.total_cents,
        collected_by_id=getattr(actor, "id", None),
    )
    db.session.add(collection)
    db.session.flush()
    ledger.post_cash_collected(collection)
    live = [s for s in sub_order.order.sub_orders if s.status != SubOrderStatus.CANCELLED.value]
    collected = set(
        db.session.scalars(
            select(CashCollection.sub_order_id).where(
                CashCollection.sub_order_id.in_([s.id for s in live])
            )
        )
    )
    if all(s.id in collected for s in live):
        payment.status = PaymentStatus.PAID.value
        payment.paid_at = utcnow()
    db.session.flush()
    return collection


def refuse_delivery(sub_order: CooperativeOrder, actor, reason: str = "") -> CooperativeOrder:
    """The parcel came back unpaid: the sub-order is cancelled and its stock returned
    (through the orders status machine)."""
    _cod_sub_order(sub_order)
    if sub_order.status != SubOrderStatus.SHIPPED.value:
        raise Conflict(_l("Only a shipped order can come back refused."))
    reason = (reason or "").strip() or str(_l("Delivery refused by the customer"))
    transition(sub_order, SubOrderStatus.CANCELLED.value, actor, reason=reason)
    payment = payment_for(sub_order.order, lock=True)
    if all(s.status == SubOrderStatus.CANCELLED.value for s in sub_order.order.sub_orders):
        payment.status = PaymentStatus.CANCELLED.value
    db.session.flush()
    return sub_order


def cod_awaiting_cash(cooperative_id: int) -> list[CooperativeOrder]:
    """Delivered cash-on-delivery sub-orders whose cash is not recorded yet, and shipped ones
    (which may still come back refused)."""
    return list(
        db.session.scalars(
            select(CooperativeOrder)
            .join(Order, Order.id == CooperativeOrder.order_id)
            .outerjoin(CashCollection, CashCollection.sub_order_id == CooperativeOrder.id)
            .where(
                CooperativeOrder.cooperative_id == cooperative_id,
                Order.payment_method == PaymentMethod.CASH_ON_DELIVERY.value,
                CooperativeOrder.status.in_(
                    [SubOrderStatus.SHIPPED.value, SubOrderStatus.DELIVERED.value]
                ),
                CashCollection.id.is_(None),
            )
            .options(contains_eager(CooperativeOrder.order))  # its number is shown
            .order_by(CooperativeOrder.id)
        )
    )
