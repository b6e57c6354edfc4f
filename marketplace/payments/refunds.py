"""Refunds decided by admins: card refunds through the Stripe Refund API (idempotency key
per refund), cash-on-delivery refunds recorded by hand. Never more than what was paid."""

from __future__ import annotations

import logging

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.i18n import current_locale
from marketplace.mail import queue_mail
from marketplace.money import format_mad
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.names import cooperative_name
from marketplace.orders.stock import return_stock
from marketplace.payments import ledger, notices
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import (
    DISPUTE_OPEN,
    Dispute,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from marketplace.payments.services import (
    cash_collection_for,
    flag,
    paid_cents,
    payment_for,
)
from marketplace.payments.webhooks import NotReady

log = logging.getLogger(__name__)

REFUND_STATUS_LABELS = {
    RefundStatus.PENDING.value: _l("Pending"),
    RefundStatus.SUCCEEDED.value: _l("Refunded"),
    RefundStatus.FAILED.value: _l("Failed"),
    RefundStatus.CANCELED.value: _l("Cancelled"),
}
# Stripe refund statuses → ours ("requires_action" waits like "pending").
STRIPE_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}
LIVE = (RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value)
MAX_REASON = 1000


def status_label(value: str) -> str:
    label = REFUND_STATUS_LABELS.get(value)
    return str(label) if label is not None else value


def refunds_of(sub_order: CooperativeOrder) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund).where(Refund.sub_order_id == sub_order.id).order_by(Refund.id)
        )
    )


def _refunded(*conditions) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.status.in_(LIVE), *conditions
            )
        )
        or 0
    )


def sub_order_paid_cents(sub_order: CooperativeOrder, payment: Payment) -> int:
    """What the shopper paid for this sub-order."""
    if payment.is_card:
        return min(sub_order.total_cents, paid_cents(payment))
    collection = cash_collection_for(sub_order)
    return collection.amount_cents if collection is not None else 0


def refundable_cents(sub_order: CooperativeOrder, payment: Payment | None = None) -> int:
    payment = payment or payment_for(sub_order.order)
    left = sub_order_paid_cents(sub_order, payment) - _refunded(Refund.sub_order_id == sub_order.id)
    if payment.is_card:  # and never more than the whole payment, across sub-orders
        left = min(left, paid_cents(payment) - _refunded(Refund.payment_id == payment.id))
    return max(left, 0)


def create_refund(
    sub_order: CooperativeOrder,
    amount_cents: int,
    reason: str,
    actor,
    *,
    goods_returned: bool = False,
    shipping_only: bool = False,
) -> Refund:
    """Refund ``amount_cents`` of ``sub_order`` to the shopper.

    Cash: recorded as done. Card: the refund is recorded (pending, with the key and the
    exact parameters of the Stripe call) and committed, then sent (``send_refund``). The
    result is pending and unsent when Stripe did not answer, failed when it refused."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Please give the reason for the refund."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_REASON))
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_l("The amount to refund must be more than zero."))
    payment = payment_for(sub_order.order, lock=True)  # serialises refunds of one order
    if _disputed(payment):
        raise Conflict(
            _l(
                "The customer's bank disputes this payment: it cannot be refunded while the "
                "dispute is open. Answer the dispute in Stripe's dashboard."
            )
        )
    left = refundable_cents(sub_order, payment)
    if left <= 0:
        raise InvalidInput(_l("Nothing paid for this order is left to refund."))
    if amount_cents > left:
        raise InvalidInput(
            _l(
                "At most %(amount)s can be refunded for this order.",
                amount=format_mad(left, current_locale()),
            )
        )
    if shipping_only:
        shipping_left = sub_order.shipping_cents - _refunded(
            Refund.sub_order_id == sub_order.id, Refund.shipping_only.is_(True)
        )
        if amount_cents > shipping_left:
            raise InvalidInput(
                _l(
                    "At most %(amount)s of shipping costs can be refunded for this order.",
                    amount=format_mad(max(shipping_left, 0), current_locale()),
                )
            )
    number = (
        db.session.scalar(select(func.count(Refund.id)).where(Refund.sub_order_id == sub_order.id))
        or 0
    ) + 1
    refund = Refund(
        sub_order_id=sub_order.id,
        payment_id=payment.id,
        amount_cents=amount_cents,
        reason=reason,
        manual=not payment.is_card,
        goods_returned=goods_returned,
        shipping_only=shipping_only,
        idempotency_key=f"suborder-{sub_order.id}-refund-{number}",
        created_by_id=getattr(actor, "id", None),
        status=RefundStatus.PENDING.value,
    )
    db.session.add(refund)
    db.session.flush()
    if goods_returned:
        return_stock(sub_order)
    if not payment.is_card:
        refund.status = RefundStatus.SUCCEEDED.value  # the cash was handed back
        db.session.flush()
        ledger.post_refund_sent(refund)
        _tell_the_shopper(refund)
        return refund
    refund.stripe_params = {
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": amount_cents,
        "reason": "requested_by_customer",
        "metadata": {
            "refund_id": str(refund.id),
            "sub_order_id": str(sub_order.id),
            "order_id": str(sub_order.order_id),
        },
    }
    db.session.commit()  # the intent, before Stripe is asked (a webhook may come first)
    return send_refund(refund.id)


def send_refund(refund_id: int) -> Refund:
    """Ask Stripe for a recorded card refund: its stored key and parameters, exactly (after
    a lost answer Stripe replays the first one; it never refunds twice). Without an answer
    the refund stays pending and unsent: ``flask payments reconcile`` sends it again."""
    refund = db.session.get(Refund, refund_id)
    if refund.stripe_refund_id or refund.status != RefundStatus.PENDING.value:
        return refund
    params, key = refund.stripe_params, refund.idempotency_key
    db.session.commit()  # no transaction (nor SQLite's write lock) held while Stripe answers
    try:
        answer = gateway.create_refund(params, idempotency_key=key).to_dict()
    except gateway.StripeUnavailable as exc:
        refund = _locked(refund_id)
        if isinstance(exc.__cause__, stripe.InvalidRequestError):  # refused for good
            log.error("stripe refused refund %s: %s", refund_id, exc)
            if refund.status == RefundStatus.PENDING.value and not refund.stripe_refund_id:
                refund.status = RefundStatus.FAILED.value
                db.session.flush()
            return refund
        log.error("stripe refund %s not sent: %s", refund_id, exc)
        return refund
    _apply_answer(_locked(refund_id), answer)
    refund = _locked(refund_id)
    _tell_the_shopper(refund)
    return refund


def _disputed(payment: Payment) -> bool:
    """Whether a dispute about this payment is open (Stripe refuses to refund it then)."""
    return (
        payment.is_card
        and payment.id is not None
        and db.session.scalar(
            select(Dispute.id)
            .where(Dispute.payment_id == payment.id, Dispute.status.in_(DISPUTE_OPEN))
            .limit(1)
        )
        is not None
    )


def _locked(refund_id: int) -> Refund:
    return db.session.scalar(
        select(Refund)
        .where(Refund.id == refund_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _apply_answer(refund: Refund, data: dict) -> None:
    """What Stripe says of one of our refunds (its answer, a webhook, or reconcile)."""
    if not refund.stripe_refund_id:
        refund.stripe_refund_id = data.get("id")
    new = STRIPE_STATUSES.get(data.get("status"))
    if new is None or new.value == refund.status:
        db.session.flush()
        return
    if new == RefundStatus.PENDING:  # never back to pending (a late, older answer)
        db.session.flush()
        return
    old = refund.status
    refund.status = new.value
    db.session.flush()
    if new == RefundStatus.SUCCEEDED:
        ledger.post_refund_sent(refund)
    elif old == RefundStatus.SUCCEEDED.value:
        ledger.reverse_refund(refund, "refund failed after it had succeeded")


def _tell_the_shopper(refund: Refund) -> None:
    sub_order = refund.sub_order
    order = sub_order.order
    queue_mail(
        order.email,
        order.locale,
        "payment_refund",
        _l("Refund for your order %(number)s", number=order.number),
        order=order,
        refund=refund,
        amount=format_mad(refund.amount_cents, order.locale),
        cooperative=cooperative_name(sub_order.cooperative, order.locale),
        order_url=_order_url(order),
    )


def _order_url(order) -> str:
    from marketplace.orders.notifications import absolute_url

    return absolute_url("orders.detail", number=order.number, locale=order.locale)


class RefundNotKnownYet(NotReady):
    """A Stripe event about a refund of ours that this database does not hold (yet): the
    event is not recorded as handled, so Stripe (or reconcile) delivers it again."""


def _apply_stripe_refund(data: dict) -> None:
    refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == data.get("id")))
    if refund is None:
        ours = parse_int((data.get("metadata") or {}).get("refund_id"))
        if ours is not None:
            refund = db.session.get(Refund, ours)
            if refund is None or refund.stripe_refund_id not in (None, data.get("id")):
                raise RefundNotKnownYet(data.get("id"))
    if refund is None:
        refund = _record_outside_refund(data)
        if refund is None:
            return
    _apply_answer(_locked(refund.id), data)


def _record_outside_refund(data: dict) -> Refund | None:
    """A refund made in Stripe's dashboard (not through the app): recorded against the part
    of the order with the most left to refund, so the ledger and the cooperative's balance
    follow, and the payment flagged for an admin to check."""
    intent = data.get("payment_intent")
    payment = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent))
    if payment is None or not isinstance(data.get("amount"), int) or data["amount"] <= 0:
        log.warning("stripe refund %s matches no payment of ours: ignored", data.get("id"))
        return None
    payment = payment_for(payment.order, lock=True)
    subs = sorted(payment.order.sub_orders, key=lambda s: (-refundable_cents(s, payment), s.id))
    refund = Refund(
        sub_order_id=subs[0].id,
        payment_id=payment.id,
        amount_cents=data["amount"],
        reason="Refund made in the Stripe dashboard",
        manual=False,
        stripe_refund_id=data["id"],
        idempotency_key=f"stripe-{data['id']}"[:100],
        status=RefundStatus.PENDING.value,
    )
    db.session.add(refund)
    db.session.flush()
    flag(
        payment,
        f"refund {data['id']} of {data['amount']} made in the Stripe dashboard: recorded "
        f"against sub-order {subs[0].id}; check it",
    )
    _tell_outside_refund(refund)
    return refund


def _tell_outside_refund(refund: Refund) -> None:
    """The admins and the cooperative learn of a refund made in Stripe's dashboard (which
    lowers the cooperative's balance once it is charged to its sale)."""
    sub_order = refund.sub_order
    order = sub_order.order
    subject = _l("A refund for order %(number)s was made in Stripe", number=order.number)
    notices.tell_admins(
        order, "payment_outside_refund_admin", subject, sub_order=sub_order, refund=refund
    )
    notices.tell_cooperative(
        sub_order, "payment_outside_refund_cooperative", subject, refund=refund
    )


def settle_pending(refund: Refund) -> bool:
    """Reconcile one pending card refund: send it if its answer never came, else ask Stripe
    what became of it. Whether Stripe answered."""
    if refund.manual or refund.status != RefundStatus.PENDING.value:
        return True
    if not refund.stripe_refund_id:
        return send_refund(refund.id).stripe_refund_id is not None
    refund_id, stripe_id = refund.id, refund.stripe_refund_id
    db.session.commit()
    try:
        data = gateway.retrieve_refund(stripe_id).to_dict()
    except gateway.StripeUnavailable:
        return False
    _apply_answer(_locked(refund_id), data)
    return True


def pending_card_refunds() -> list[int]:
    return list(
        db.session.scalars(
            select(Refund.id)
            .where(Refund.status == RefundStatus.PENDING.value, Refund.manual.is_(False))
            .order_by(Refund.id)
        )
    )


class RefundFirst(Conflict):
    pass


def _on_sub_order_cancelling(sub_order: CooperativeOrder, **info) -> None:
    """A paid card sub-order is cancelled only once its money went back (or is on its way):
    cancelling returns the stock, and must never keep the shopper's money."""
    payment = payment_for(sub_order.order)
    if not payment.is_card or payment.status != PaymentStatus.PAID.value:
        return
    left = refundable_cents(sub_order, payment)
    if left <= 0:
        return
    amount = format_mad(left, current_locale())
    if info.get("role") == "admin":
        raise RefundFirst(
            _l(
                "This part of the order was paid by card: refund it first (%(amount)s not "
                "refunded yet), then cancel it.",
                amount=amount,
            )
        )
    raise RefundFirst(
        _l(
            "This part of the order was paid by card, so only the platform team can cancel "
            "it, with a refund. Please contact us."
        )
    )


def on_refund_updated(refund: dict) -> None:
    _apply_stripe_refund(refund)


def on_charge_refunded(charge: dict) -> None:
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None and charge.get("payment_intent"):
        listed = [r.to_dict() for r in gateway.list_refunds(charge["payment_intent"])]
    for data in listed or []:
        _apply_stripe_refund(data)
