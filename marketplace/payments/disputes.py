"""Disputes: a shopper's bank contests a card payment (Stripe's ``charge.dispute.*`` events).

The accounting rule (README, "Payments"):
- opened as a chargeback (``needs_response``, ``under_review``): Stripe takes the disputed
  amount from the platform's balance (``dispute_withdrawn``). The amount is shared between
  the order's sub-orders in proportion to what is left to refund of each
  (``DisputeShare``); their sales are held (left out of payouts) while it is open;
- an inquiry (``warning_*``) takes no money; its sales are held too until it closes;
- won: the amount comes back (``dispute_won``); nothing changes for the cooperatives;
- lost: the amount is gone for good (``dispute_lost``). Each sub-order's share is charged to
  it like a refund: a succeeded chargeback ``Refund`` row (the cooperative gives back the
  share, the platform returns its commission on it); what no sale can bear (its money was
  refunded already) is the platform's loss.
Stripe's own dispute fee is not in these books (nor are its card fees).

Events are applied in any order, any number of times: the dispute row is found by its
Stripe id under the payment's lock, a closed dispute never opens again, and each ledger
transaction is posted once. The payment is flagged for the admins; the admins and each
cooperative concerned are told by e-mail when a dispute opens and when it closes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import timeutil
from marketplace.extensions import db
from marketplace.orders.models import SubOrderStatus
from marketplace.payments import ledger, notices
from marketplace.payments.models import (
    DISPUTE_CLOSED,
    DISPUTE_INQUIRY,
    DISPUTE_OPEN,
    Dispute,
    DisputeShare,
    DisputeStatus,
    Payment,
    Refund,
    RefundStatus,
)
from marketplace.payments.refunds import refundable_cents
from marketplace.payments.services import flag, payment_for

log = logging.getLogger(__name__)

KNOWN_STATUSES = {s.value for s in DisputeStatus}
STATUS_LABELS = {
    DisputeStatus.WARNING_NEEDS_RESPONSE.value: _l("Inquiry: answer needed"),
    DisputeStatus.WARNING_UNDER_REVIEW.value: _l("Inquiry under review"),
    DisputeStatus.WARNING_CLOSED.value: _l("Inquiry closed"),
    DisputeStatus.NEEDS_RESPONSE.value: _l("Disputed: answer needed"),
    DisputeStatus.UNDER_REVIEW.value: _l("Disputed: under review"),
    DisputeStatus.WON.value: _l("Dispute won"),
    DisputeStatus.LOST.value: _l("Dispute lost"),
}


# Stripe's reasons (others are shown as Stripe writes them).
REASON_LABELS = {
    "fraudulent": _l("the cardholder says they did not make this payment"),
    "product_not_received": _l("the customer says the order never arrived"),
    "product_unacceptable": _l("the customer says the products were defective or not as described"),
    "duplicate": _l("the customer says they were charged twice"),
    "credit_not_processed": _l("the customer says a promised refund never came"),
    "unrecognized": _l("the cardholder does not recognise the payment"),
    "general": _l("no precise reason"),
}


def reason_label(value: str):
    return REASON_LABELS.get(value) or value or REASON_LABELS["general"]


def status_label(value: str) -> str:
    label = STATUS_LABELS.get(value)
    return str(label) if label is not None else value


def open_disputes(limit: int = 100) -> list[Dispute]:
    return list(
        db.session.scalars(
            select(Dispute)
            .options(joinedload(Dispute.payment).joinedload(Payment.order))  # each row's order
            .where(Dispute.status.in_(DISPUTE_OPEN))
            .order_by(Dispute.evidence_due_by.is_(None), Dispute.evidence_due_by, Dispute.id)
            .limit(limit)
        )
    )


def disputes_of(payment: Payment) -> list[Dispute]:
    if payment.id is None:
        return []
    return list(
        db.session.scalars(
            select(Dispute).where(Dispute.payment_id == payment.id).order_by(Dispute.id)
        )
    )


def _moment(value) -> datetime | None:
    if isinstance(value, int) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _due_by(data: dict) -> datetime | None:
    details = data.get("evidence_details")
    return _moment(details.get("due_by")) if isinstance(details, dict) else None


def _intent_id(data: dict) -> str | None:
    intent = data.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return intent if isinstance(intent, str) else None


def _payment_of(data: dict) -> Payment | None:
    intent = _intent_id(data)
    if not intent:
        return None
    return db.session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent))


def split(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """``amount`` shared in proportion to ``weights`` (largest remainders, ties to the
    smaller key), never more than each weight: the shares add up to min(amount, total)."""
    weights = {k: w for k, w in weights.items() if w > 0}
    total = sum(weights.values())
    amount = min(max(amount, 0), total)
    if amount <= 0:
        return {}
    shares = {k: amount * w // total for k, w in weights.items()}
    left = amount - sum(shares.values())
    order = sorted(weights, key=lambda k: (-((amount * weights[k]) % total), k))
    for key in order[:left]:
        shares[key] += 1
    return {k: v for k, v in shares.items() if v > 0}


def _share_out(dispute: Dispute, payment: Payment) -> None:
    weights = {sub.id: refundable_cents(sub, payment) for sub in payment.order.sub_orders}
    for sub_id, amount in sorted(split(dispute.amount_cents, weights).items()):
        dispute.shares.append(DisputeShare(sub_order_id=sub_id, amount_cents=amount))
    db.session.flush()


def apply_stripe_dispute(data: dict) -> Dispute | None:
    """Apply what a ``charge.dispute.*`` event says of a dispute (idempotent, any order)."""
    payment = _payment_of(data)
    status = data.get("status")
    if payment is None or not isinstance(data.get("id"), str) or status not in KNOWN_STATUSES:
        log.warning(
            "dispute %s (%s) matches no card payment of ours: ignored", data.get("id"), status
        )
        return None
    payment = payment_for(payment.order, lock=True)  # serialises the events of one payment
    dispute = db.session.scalar(
        select(Dispute)
        .where(Dispute.stripe_dispute_id == data["id"])
        .execution_options(populate_existing=True)
    )
    opened = closed = False
    if dispute is None:
        amount = data.get("amount")
        dispute = Dispute(
            stripe_dispute_id=data["id"],
            payment_id=payment.id,
            amount_cents=amount if isinstance(amount, int) and amount > 0 else 0,
            currency=str(data.get("currency") or payment.currency).upper()[:3],
            reason=str(data.get("reason") or "")[:50],
            status=status,
            evidence_due_by=_due_by(data),
            opened_at=_moment(data.get("created")) or timeutil.utcnow(),
        )
        db.session.add(dispute)
        db.session.flush()
        _share_out(dispute, payment)
        opened = True
        flag(
            payment,
            f"dispute {dispute.stripe_dispute_id} ({dispute.reason or 'no reason given'}) of "
            f"{dispute.amount_cents} {dispute.currency}: answer it in Stripe's dashboard",
        )
    elif dispute.status in DISPUTE_CLOSED:
        return dispute  # decided: an older event changes nothing
    elif status != dispute.status:
        dispute.status = status
        due = _due_by(data)
        dispute.evidence_due_by = due or dispute.evidence_due_by
    if dispute.status in DISPUTE_CLOSED:
        dispute.closed_at = dispute.closed_at or timeutil.utcnow()
        closed = True
    db.session.flush()
    _post(dispute, payment)
    _tell(dispute, opened=opened and not closed, closed=closed)
    return dispute


def _post(dispute: Dispute, payment: Payment) -> None:
    if dispute.status not in DISPUTE_INQUIRY:  # a chargeback: the money was taken
        ledger.post_dispute_withdrawn(dispute)
    if dispute.status == DisputeStatus.WON.value:
        ledger.post_dispute_won(dispute)
    elif dispute.status == DisputeStatus.LOST.value:
        ledger.post_dispute_lost(dispute, _chargebacks(dispute, payment))


def _chargebacks(dispute: Dispute, payment: Payment) -> list[Refund]:
    """The lost dispute's share of each sub-order, as succeeded chargeback refunds (once;
    never more than is left to refund of it)."""
    existing = list(db.session.scalars(select(Refund).where(Refund.dispute_id == dispute.id)))
    if existing:
        return existing
    rows = []
    for share in dispute.shares:
        amount = min(share.amount_cents, refundable_cents(share.sub_order, payment))
        if amount <= 0:
            continue
        refund = Refund(
            sub_order_id=share.sub_order_id,
            payment_id=payment.id,
            amount_cents=amount,
            reason=f"Dispute {dispute.stripe_dispute_id} lost ({dispute.reason or 'chargeback'})",
            status=RefundStatus.SUCCEEDED.value,
            manual=False,
            idempotency_key=f"dispute-{dispute.id}-{share.sub_order_id}",
            dispute_id=dispute.id,
        )
        db.session.add(refund)
        rows.append(refund)
    db.session.flush()
    return rows


def _tell(dispute: Dispute, *, opened: bool, closed: bool) -> None:
    if not (opened or closed):
        return
    order = dispute.payment.order
    template = "payment_dispute_closed" if closed else "payment_dispute_opened"
    if closed:
        subject = _l("Dispute about order %(number)s decided", number=order.number)
    else:
        subject = _l("A bank disputes the payment of order %(number)s", number=order.number)
    chargebacks = {
        r.sub_order_id: r.amount_cents
        for r in db.session.scalars(select(Refund).where(Refund.dispute_id == dispute.id))
    }
    charged = sum(chargebacks.values())
    lost = dispute.status == DisputeStatus.LOST.value
    notices.tell_admins(
        order,
        f"{template}_admin",
        subject,
        dispute=dispute,
        status=dispute.status,
        reason=reason_label(dispute.reason),
        outcome=STATUS_LABELS.get(dispute.status, dispute.status),
        charged_cents=charged,
        loss_cents=dispute.amount_cents - charged if lost else 0,
    )
    for share in dispute.shares:
        sub = share.sub_order
        if sub.status == SubOrderStatus.CANCELLED.value and not chargebacks.get(sub.id):
            continue  # nothing of it was paid to the cooperative, nothing is taken
        notices.tell_cooperative(
            sub,
            f"{template}_cooperative",
            subject,
            dispute=dispute,
            status=dispute.status,
            share_cents=share.amount_cents,
            charged_cents=chargebacks.get(sub.id, 0),
        )


def on_dispute_event(data: dict) -> None:
    apply_stripe_dispute(data)
