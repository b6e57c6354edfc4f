"""The cooperatives' ledger: what the platform owes each cooperative (+) or is owed (-).

Per delivered sub-order:
- card: ``gross`` (+ what the shopper paid for it, shipping included) and ``commission``
  (- the platform's commission fixed when the order was placed); the net is their sum;
- cash on delivery: the cooperative already holds the cash, so only the commission is posted,
  as a ``cod_commission_debit`` (-) netted against its card earnings in the next payout.
Refunds post a ``refund_reversal``; payouts post a ``payout`` (-). Entries are never changed;
the balance is the sum of the entries.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace import signals
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, PaymentMethod, SubOrderStatus
from marketplace.payments.models import LedgerEntry, LedgerKind, Refund, RefundStatus

KIND_LABELS = {
    LedgerKind.GROSS.value: _l("Sale (card)"),
    LedgerKind.COMMISSION.value: _l("Platform commission"),
    LedgerKind.COD_COMMISSION_DEBIT.value: _l("Commission on a cash-on-delivery sale (owed)"),
    LedgerKind.REFUND_REVERSAL.value: _l("Refund"),
    LedgerKind.PAYOUT.value: _l("Payout"),
}
DELIVERY_KINDS = (LedgerKind.GROSS.value, LedgerKind.COD_COMMISSION_DEBIT.value)


def lock_accounts(cooperative_ids) -> None:
    """Lock the cooperatives' ledgers until the end of the transaction (their rows, in id
    order, so two lockers never deadlock): a payout reads a balance nobody changes meanwhile."""
    ids = sorted(set(cooperative_ids))
    if ids:
        db.session.execute(
            select(Cooperative.id)
            .where(Cooperative.id.in_(ids))
            .order_by(Cooperative.id)
            .with_for_update()
        ).all()


def post(cooperative_id: int, kind: LedgerKind, amount_cents: int, **refs) -> LedgerEntry:
    lock_accounts([cooperative_id])
    entry = LedgerEntry(
        cooperative_id=cooperative_id, kind=kind.value, amount_cents=amount_cents, **refs
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def balance_cents(cooperative_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.cooperative_id == cooperative_id
        )
    )
    return int(total or 0)


def balances() -> dict[int, int]:
    rows = db.session.execute(
        select(LedgerEntry.cooperative_id, func.sum(LedgerEntry.amount_cents)).group_by(
            LedgerEntry.cooperative_id
        )
    )
    return {coop_id: int(total) for coop_id, total in rows}


def entries_for(cooperative_id: int, limit: int | None = None) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.cooperative_id == cooperative_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def net_cents(sub_order: CooperativeOrder) -> int:
    return sub_order.total_cents - sub_order.commission_cents


def _is_card(sub_order: CooperativeOrder) -> bool:
    return sub_order.order.payment_method == PaymentMethod.CARD.value


def _delivery_posted(sub_order: CooperativeOrder) -> bool:
    return (
        db.session.scalar(
            select(LedgerEntry.id)
            .where(LedgerEntry.sub_order_id == sub_order.id, LedgerEntry.kind.in_(DELIVERY_KINDS))
            .limit(1)
        )
        is not None
    )


def post_delivery(sub_order: CooperativeOrder) -> None:
    """Entries of a delivered sub-order (once), then those of refunds made before."""
    if _delivery_posted(sub_order):
        return
    coop = sub_order.cooperative_id
    if _is_card(sub_order):
        post(coop, LedgerKind.GROSS, sub_order.total_cents, sub_order_id=sub_order.id)
        post(coop, LedgerKind.COMMISSION, -sub_order.commission_cents, sub_order_id=sub_order.id)
    else:
        post(
            coop,
            LedgerKind.COD_COMMISSION_DEBIT,
            -sub_order.commission_cents,
            sub_order_id=sub_order.id,
        )
    earlier = db.session.scalars(
        select(Refund)
        .where(Refund.sub_order_id == sub_order.id, Refund.status == RefundStatus.SUCCEEDED.value)
        .order_by(Refund.id)
    )
    for refund in earlier:
        post_refund(refund)


def commission_share(sub_order: CooperativeOrder, refunded_cents: int) -> int:
    """The part of the sub-order's commission that belongs to ``refunded_cents`` of it."""
    if sub_order.total_cents <= 0:
        return 0
    share = Decimal(sub_order.commission_cents) * refunded_cents / sub_order.total_cents
    return min(
        sub_order.commission_cents, int(share.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    )


def refund_entry_amount(sub_order: CooperativeOrder, before_cents: int, amount_cents: int) -> int:
    """Signed ledger effect of refunding ``amount_cents`` after ``before_cents`` were.

    Card: the cooperative gives back the amount, the platform gives back its commission on
    it. Cash on delivery: the cooperative gave the cash back itself, the platform returns its
    commission on it (the debit is reversed).
    """
    returned = commission_share(sub_order, before_cents + amount_cents) - commission_share(
        sub_order, before_cents
    )
    if _is_card(sub_order):
        return -amount_cents + returned
    return returned


def post_refund(refund: Refund) -> None:
    """The reversal of a succeeded refund, once, when the sub-order's sale is in the ledger
    (a refund before delivery is posted together with the delivery)."""
    if refund.status != RefundStatus.SUCCEEDED.value:
        return
    sub_order = refund.sub_order
    if not _delivery_posted(sub_order):
        return
    already = db.session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.refund_id == refund.id).limit(1)
    )
    if already is not None:
        return
    before = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
            Refund.sub_order_id == sub_order.id,
            Refund.id != refund.id,
            Refund.status == RefundStatus.SUCCEEDED.value,
            select(LedgerEntry.id).where(LedgerEntry.refund_id == Refund.id).exists(),
        )
    )
    amount = refund_entry_amount(sub_order, int(before or 0), refund.amount_cents)
    post(
        sub_order.cooperative_id,
        LedgerKind.REFUND_REVERSAL,
        amount,
        sub_order_id=sub_order.id,
        refund_id=refund.id,
    )


def _on_sub_order_status_changed(sub_order, **info) -> None:
    if info.get("new") == SubOrderStatus.DELIVERED.value:
        post_delivery(sub_order)


signals.sub_order_status_changed.connect(_on_sub_order_status_changed)
