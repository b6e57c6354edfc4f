"""Refunds decided by admins: card refunds through the Stripe Refund API (idempotency key
per refund), cash-on-delivery refunds recorded by hand. Never more than what was paid."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n import current_lang
from marketplace.mail import queue_mail
from marketplace.money import format_mad
from marketplace.orders import services as orders
from marketplace.orders.models import CooperativeOrder
from marketplace.payments import ledger
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import (
    LedgerEntry,
    LedgerKind,
    Payment,
    Refund,
    RefundStatus,
)
from marketplace.payments.services import (
    PaymentUnavailable,
    cash_collection_for,
    paid_cents,
    payment_for,
)

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
) -> Refund:
    """Refund ``amount_cents`` of ``sub_order`` to the shopper."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Please give the reason for the refund."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_REASON))
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_l("The amount to refund must be more than zero."))
    payment = payment_for(sub_order.order, lock=True)  # serialises refunds of one order
    left = refundable_cents(sub_order, payment)
    if left <= 0:
        raise InvalidInput(_l("Nothing paid for this order is left to refund."))
    if amount_cents > left:
        raise InvalidInput(
            _l(
                "At most %(amount)s can be refunded for this order.",
                amount=format_mad(left, current_lang()),
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
        idempotency_key=f"suborder-{sub_order.id}-refund-{number}",
        created_by_id=getattr(actor, "id", None),
        status=RefundStatus.PENDING.value,
    )
    db.session.add(refund)
    db.session.flush()
    if payment.is_card:
        try:
            stripe_refund = gateway.create_refund(
                {
                    "payment_intent": payment.stripe_payment_intent_id,
                    "amount": amount_cents,
                    "reason": "requested_by_customer",
                    "metadata": {
                        "refund_id": str(refund.id),
                        "sub_order_id": str(sub_order.id),
                        "order_id": str(sub_order.order_id),
                    },
                },
                idempotency_key=refund.idempotency_key,
            ).to_dict()
        except gateway.StripeUnavailable as exc:
            log.error("stripe refund for sub-order %s failed: %s", sub_order.id, exc)
            raise PaymentUnavailable(
                _l("Stripe did not accept the refund. Nothing was refunded; please try again.")
            ) from exc
        refund.stripe_refund_id = stripe_refund["id"]
        refund.status = STRIPE_STATUSES.get(stripe_refund.get("status"), RefundStatus.PENDING).value
    else:
        refund.status = RefundStatus.SUCCEEDED.value  # the cash was handed back
    db.session.flush()
    ledger.post_refund(refund)
    if goods_returned:
        orders.return_stock(sub_order)
    order = sub_order.order
    queue_mail(
        order.email,
        order.language,
        "payment_refund",
        _l("Refund for your order %(number)s", number=order.number),
        order=order,
        refund=refund,
        amount=format_mad(refund.amount_cents, order.language),
        cooperative=orders.cooperative_name(sub_order.cooperative, order.language),
        order_url=_order_url(order),
    )
    return refund


def _order_url(order) -> str:
    from marketplace.orders.notifications import absolute_url

    return absolute_url("orders.detail", number=order.number, lang=order.language)


def _apply_stripe_refund(data: dict) -> None:
    refund = db.session.scalar(
        select(Refund)
        .where(Refund.stripe_refund_id == data.get("id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if refund is None:
        log.warning("stripe refund %s is not one of ours (made in the dashboard?)", data.get("id"))
        return
    new = STRIPE_STATUSES.get(data.get("status"))
    if new is None or new.value == refund.status:
        return
    old = refund.status
    refund.status = new.value
    db.session.flush()
    if new == RefundStatus.SUCCEEDED:
        ledger.post_refund(refund)
    elif old == RefundStatus.SUCCEEDED.value:
        _reverse_posted(refund)


def _reverse_posted(refund: Refund) -> None:
    """A refund that had succeeded failed after all: cancel its ledger effect."""
    posted = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.refund_id == refund.id
        )
    )
    if posted:
        ledger.post(
            refund.sub_order.cooperative_id,
            LedgerKind.REFUND_REVERSAL,
            -int(posted),
            sub_order_id=refund.sub_order_id,
            refund_id=refund.id,
            description="refund failed after it had succeeded",
        )


def on_refund_updated(refund: dict) -> None:
    _apply_stripe_refund(refund)


def on_charge_refunded(charge: dict) -> None:
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None and charge.get("payment_intent"):
        listed = [r.to_dict() for r in gateway.list_refunds(charge["payment_intent"])]
    for data in listed or []:
        _apply_stripe_refund(data)
