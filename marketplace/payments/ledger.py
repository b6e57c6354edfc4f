"""The double-entry ledger: every money event is a transaction of entries over named
accounts (``models.Account``) whose signed amounts (credit positive) sum to zero.

The life of a card order:
- paid (``card_payment``): CARD_PAYMENTS -R, ORDERS_PREPAID +R;
- a sub-order delivered (``card_sale``): ORDERS_PREPAID -total, PAYABLE +total (``gross``),
  PAYABLE -commission (``commission``), COMMISSION +commission;
- a refund sent by Stripe (``card_refund``): CARD_PAYMENTS +a, REFUNDS -a; it is then
  charged (``refund_charged``) to the delivered sale: PAYABLE -a + c' (``refund_reversal``,
  c' the commission returned), COMMISSION -c', REFUNDS +a; or, for a cancelled sub-order
  never delivered, to the prepaid money: ORDERS_PREPAID -a, REFUNDS +a.
The life of a cash-on-delivery order:
- delivered (``cod_sale``): PAYABLE -commission (``cod_commission_debit``), COMMISSION
  +commission (the cooperative keeps the cash, so it owes the commission);
- cash collected (``cod_collected``): COD_CASH -total, COD_SALES +total (the cash the
  cooperative holds); handed back in a refund (``cod_refund``): the reverse, and the
  commission on it returned: PAYABLE +c', COMMISSION -c'.
A payout (``payout``): PAYABLE -p (``payout``), PAYOUTS +p; a Stripe Transfer that Stripe
refused is taken back (``payout_returned``): PAYABLE +p, PAYOUTS -p.
A dispute (a chargeback): the card network takes the amount from Stripe
(``dispute_withdrawn``): CARD_PAYMENTS +d, DISPUTES -d; won (``dispute_won``): the reverse;
lost (``dispute_lost``): DISPUTES +d, REFUNDS -s (the shares charged to sub-orders, each a
chargeback ``Refund`` charged like a refund: ``refund_charged`` with a ``chargeback`` line),
DISPUTE_LOSSES -(d - s) (what no sale can bear: its money was refunded already).

A cooperative's balance is the sum of its PAYABLE entries; entries are never changed,
corrections are new transactions. ``check`` verifies it all (``flask payments check-ledger``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace import timeutil
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, PaymentMethod, SubOrderStatus
from marketplace.payments.models import (
    Account,
    LedgerEntry,
    LedgerKind,
    LedgerTransaction,
    Refund,
    RefundStatus,
)

KIND_LABELS = {
    LedgerKind.GROSS.value: _l("Sale (card)"),
    LedgerKind.COMMISSION.value: _l("Platform commission"),
    LedgerKind.COD_COMMISSION_DEBIT.value: _l("Commission on a cash-on-delivery sale (owed)"),
    LedgerKind.REFUND_REVERSAL.value: _l("Refund"),
    LedgerKind.CHARGEBACK.value: _l("Dispute lost (chargeback)"),
    LedgerKind.PAYOUT.value: _l("Payout"),
    LedgerKind.PAYOUT_RETURNED.value: _l("Payout returned (the transfer failed)"),
}
DELIVERY_KINDS = (LedgerKind.GROSS.value, LedgerKind.COD_COMMISSION_DEBIT.value)
PAYABLE = Account.PAYABLE.value
PAYOUT_DELAY_DAYS_DEFAULT = 7


class UnbalancedTransaction(RuntimeError):
    pass


@dataclass(frozen=True)
class Line:
    account: Account
    amount_cents: int
    cooperative_id: int | None = None
    kind: str = ""  # on a payable account: a LedgerKind (the cooperative's statement)


def lock_accounts(cooperative_ids) -> None:
    """Lock the cooperatives' ledgers until the end of the transaction (their rows, in id
    order, so two lockers never deadlock): a payout reads a balance nobody changes meanwhile."""
    ids = sorted({i for i in cooperative_ids if i is not None})
    if ids:
        db.session.execute(
            select(Cooperative.id)
            .where(Cooperative.id.in_(ids))
            .order_by(Cooperative.id)
            .with_for_update()
        ).all()


def record(kind: str, lines: list[Line], *, description: str = "", **refs) -> LedgerTransaction:
    """Post one balanced transaction (``refs``: payment_id, sub_order_id, refund_id,
    payout_id, dispute_id). A transaction that does not sum to zero is refused. Lines of zero are
    kept: a sale without commission still shows its commission line."""
    if sum(line.amount_cents for line in lines) != 0:
        raise UnbalancedTransaction(f"{kind}: {lines}")
    lock_accounts(line.cooperative_id for line in lines if line.account == Account.PAYABLE)
    transaction = LedgerTransaction(kind=kind, description=description[:255], **refs)
    db.session.add(transaction)
    for line in lines:
        on_payable = line.account == Account.PAYABLE
        transaction.entries.append(
            LedgerEntry(
                account=line.account.value,
                cooperative_id=line.cooperative_id,
                kind=line.kind or kind,
                amount_cents=line.amount_cents,
                description=description[:255],
                # the cooperative's statement links its own lines to what they are about
                sub_order_id=refs.get("sub_order_id") if on_payable else None,
                refund_id=refs.get("refund_id") if on_payable else None,
                payout_id=refs.get("payout_id") if on_payable else None,
            )
        )
    db.session.flush()
    return transaction


# --- reading ------------------------------------------------------------------------------


def balance_cents(cooperative_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.cooperative_id == cooperative_id, LedgerEntry.account == PAYABLE
        )
    )
    return int(total or 0)


def balances() -> dict[int, int]:
    rows = db.session.execute(
        select(LedgerEntry.cooperative_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.account == PAYABLE)
        .group_by(LedgerEntry.cooperative_id)
    )
    return {coop_id: int(total) for coop_id, total in rows}


def account_balances() -> dict[str, int]:
    rows = db.session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount_cents)).group_by(
            LedgerEntry.account
        )
    )
    return {account: int(total) for account, total in rows}


def _statement(cooperative_id: int):
    return LedgerEntry.cooperative_id == cooperative_id, LedgerEntry.account == PAYABLE


def entry_count(cooperative_id: int) -> int:
    """How many entries the cooperative's statement has (counted by the database)."""
    return db.session.scalar(select(func.count(LedgerEntry.id)).where(*_statement(cooperative_id)))


def entries_for(
    cooperative_id: int, limit: int | None = None, offset: int = 0
) -> list[LedgerEntry]:
    """The cooperative's statement: the entries of its payable account, newest first
    (``limit`` of them after the first ``offset``: one page of the balance page)."""
    query = (
        select(LedgerEntry)
        .where(*_statement(cooperative_id))
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        # Each line shows its order's number or its payout's batch: read with the entries.
        .options(
            joinedload(LedgerEntry.sub_order).joinedload(CooperativeOrder.order),
            joinedload(LedgerEntry.payout),
        )
    )
    if limit:
        query = query.limit(limit).offset(offset)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class StatementPage:
    """One page of a cooperative's statement, newest entries first."""

    entries: list[LedgerEntry]
    page: int  # 1 for the newest
    pages: int  # at least 1
    count: int  # entries on every page


def statement_page(cooperative_id: int, page: int, per_page: int) -> StatementPage:
    """Page ``page`` of the statement (past the last page: the last page)."""
    count = entry_count(cooperative_id)
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    entries = entries_for(cooperative_id, limit=per_page, offset=(page - 1) * per_page)
    return StatementPage(entries, page, pages, count)


def net_cents(sub_order: CooperativeOrder) -> int:
    return sub_order.total_cents - sub_order.commission_cents


def _is_card(sub_order: CooperativeOrder) -> bool:
    return sub_order.order.payment_method == PaymentMethod.CARD.value


def _posted(kind: str, **refs) -> bool:
    query = select(LedgerTransaction.id).where(LedgerTransaction.kind == kind)
    for name, value in refs.items():
        query = query.where(getattr(LedgerTransaction, name) == value)
    return db.session.scalar(query.limit(1)) is not None


def _delivery_posted(sub_order: CooperativeOrder) -> bool:
    return (
        db.session.scalar(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.sub_order_id == sub_order.id,
                LedgerEntry.account == PAYABLE,
                LedgerEntry.kind.in_(DELIVERY_KINDS),
            )
            .limit(1)
        )
        is not None
    )


# --- card payments ------------------------------------------------------------------------


def post_card_payment(payment) -> None:
    """A card payment accepted for its order (once): the money is at Stripe, owed to the
    order's sub-orders until they are delivered."""
    if payment.received_cents <= 0 or _posted("card_payment", payment_id=payment.id):
        return
    record(
        "card_payment",
        [
            Line(Account.CARD_PAYMENTS, -payment.received_cents),
            Line(Account.ORDERS_PREPAID, payment.received_cents),
        ],
        payment_id=payment.id,
    )


# --- deliveries ---------------------------------------------------------------------------


def post_delivery(sub_order: CooperativeOrder) -> None:
    """Entries of a delivered sub-order (once), then the charge of refunds made before."""
    if _delivery_posted(sub_order):
        return
    coop = sub_order.cooperative_id
    commission = sub_order.commission_cents
    if _is_card(sub_order):
        record(
            "card_sale",
            [
                Line(Account.ORDERS_PREPAID, -sub_order.total_cents),
                Line(Account.PAYABLE, sub_order.total_cents, coop, LedgerKind.GROSS.value),
                Line(Account.PAYABLE, -commission, coop, LedgerKind.COMMISSION.value),
                Line(Account.COMMISSION, commission),
            ],
            sub_order_id=sub_order.id,
        )
    else:
        record(
            "cod_sale",
            [
                Line(Account.PAYABLE, -commission, coop, LedgerKind.COD_COMMISSION_DEBIT.value),
                Line(Account.COMMISSION, commission),
            ],
            sub_order_id=sub_order.id,
        )
    earlier = db.session.scalars(
        select(Refund)
        .where(Refund.sub_order_id == sub_order.id, Refund.status == RefundStatus.SUCCEEDED.value)
        .order_by(Refund.id)
    )
    for refund in earlier:
        post_refund(refund)


def post_cash_collected(collection) -> None:
    sub_order = collection.sub_order
    record(
        "cod_collected",
        [
            Line(Account.COD_CASH, -collection.amount_cents, sub_order.cooperative_id),
            Line(Account.COD_SALES, collection.amount_cents, sub_order.cooperative_id),
        ],
        sub_order_id=sub_order.id,
    )


# --- refunds ------------------------------------------------------------------------------


def commission_share(sub_order: CooperativeOrder, refunded_cents: int) -> int:
    """The part of the sub-order's commission that belongs to ``refunded_cents`` of its
    items (shipping carries no commission: a shipping-only refund is not counted here).

    Computed on the running total of the item refunds, rounded half up, so that successive
    partial refunds return exactly the commission of their sum, and a refund of every item
    returns the whole commission, never more."""
    items = sub_order.items_cents
    if items <= 0 or refunded_cents <= 0:
        return 0
    share = Decimal(sub_order.commission_cents) * min(refunded_cents, items) / items
    return min(
        sub_order.commission_cents, int(share.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    )


def refund_entry_amount(
    sub_order: CooperativeOrder, before_cents: int, amount_cents: int, shipping_only: bool = False
) -> int:
    """Signed effect on the cooperative's payable of refunding ``amount_cents`` after item
    refunds of ``before_cents``.

    Card: the cooperative gives back the amount, the platform gives back its commission on
    it (none for a shipping-only refund). Cash on delivery: the cooperative gave the cash
    back itself, the platform returns its commission on it (the debit is reversed).
    """
    returned = 0
    if not shipping_only:
        returned = commission_share(sub_order, before_cents + amount_cents) - commission_share(
            sub_order, before_cents
        )
    if _is_card(sub_order):
        return -amount_cents + returned
    return returned


def post_refund_sent(refund: Refund) -> None:
    """The money of a succeeded refund left (once): from Stripe for a card, from the
    cooperative's cash for cash on delivery. Then it is charged where it belongs."""
    if refund.status != RefundStatus.SUCCEEDED.value:
        return
    sub_order = refund.sub_order
    if (
        refund.dispute_id is None
        and not _posted("card_refund", refund_id=refund.id)
        and not _posted("cod_refund", refund_id=refund.id)
    ):
        if refund.manual:
            coop = sub_order.cooperative_id
            record(
                "cod_refund",
                [
                    Line(Account.COD_CASH, refund.amount_cents, coop),
                    Line(Account.COD_SALES, -refund.amount_cents, coop),
                ],
                refund_id=refund.id,
                sub_order_id=sub_order.id,
            )
        else:
            record(
                "card_refund",
                [
                    Line(Account.CARD_PAYMENTS, refund.amount_cents),
                    Line(Account.REFUNDS, -refund.amount_cents),
                ],
                refund_id=refund.id,
                sub_order_id=sub_order.id,
            )
    post_refund(refund)


def post_refund(refund: Refund) -> None:
    """Charge a succeeded refund, once: to the delivered sale (the cooperative gives back
    the amount net of the commission returned), or, for a card sub-order cancelled before
    delivery, to the money prepaid for it. A refund of a sub-order still on its way waits
    for its delivery or its cancellation."""
    if refund.status != RefundStatus.SUCCEEDED.value or _posted(
        "refund_charged", refund_id=refund.id
    ):
        return
    sub_order = refund.sub_order
    card = _is_card(sub_order)
    if card and refund.dispute_id is None and not _posted("card_refund", refund_id=refund.id):
        post_refund_sent(refund)  # posts its own charge
        return
    if _delivery_posted(sub_order):
        before = db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.sub_order_id == sub_order.id,
                Refund.id != refund.id,
                Refund.status == RefundStatus.SUCCEEDED.value,
                Refund.shipping_only.is_(False),
                select(LedgerTransaction.id)
                .where(
                    LedgerTransaction.refund_id == Refund.id,
                    LedgerTransaction.kind == "refund_charged",
                    LedgerTransaction.sub_order_id == sub_order.id,
                )
                .exists(),
            )
        )
        payable = refund_entry_amount(
            sub_order, int(before or 0), refund.amount_cents, refund.shipping_only
        )
        returned = payable + refund.amount_cents if card else payable
        lines = [
            Line(
                Account.PAYABLE,
                payable,
                sub_order.cooperative_id,
                (
                    LedgerKind.CHARGEBACK.value
                    if refund.dispute_id is not None
                    else LedgerKind.REFUND_REVERSAL.value
                ),
            ),
            Line(Account.COMMISSION, -returned),
        ]
        if card:
            lines.append(Line(Account.REFUNDS, refund.amount_cents))
        record("refund_charged", lines, refund_id=refund.id, sub_order_id=sub_order.id)
    elif card and sub_order.status == SubOrderStatus.CANCELLED.value:
        record(
            "refund_charged",
            [
                Line(Account.ORDERS_PREPAID, -refund.amount_cents),
                Line(Account.REFUNDS, refund.amount_cents),
            ],
            refund_id=refund.id,
            sub_order_id=sub_order.id,
        )


def reverse_refund(refund: Refund, reason: str) -> None:
    """A refund that had succeeded failed after all: every transaction about it is
    reversed by a new one (entries are never changed)."""
    entries = db.session.scalars(
        select(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.refund_id == refund.id)
    ).all()
    if not entries or sum(e.amount_cents for e in entries) != 0:
        return
    totals: dict[tuple, int] = {}
    for entry in entries:
        key = (Account(entry.account), entry.cooperative_id, entry.kind)
        totals[key] = totals.get(key, 0) + entry.amount_cents
    if not any(totals.values()):
        return  # already reversed
    record(
        "refund_reversed",
        [Line(account, -amount, coop, kind) for (account, coop, kind), amount in totals.items()],
        description=reason,
        refund_id=refund.id,
        sub_order_id=refund.sub_order_id,
    )


# --- payouts ------------------------------------------------------------------------------


def post_payout(payout, reference: str) -> None:
    record(
        "payout",
        [
            Line(Account.PAYABLE, -payout.amount_cents, payout.cooperative_id, LedgerKind.PAYOUT),
            Line(Account.PAYOUTS, payout.amount_cents),
        ],
        description=reference,
        payout_id=payout.id,
    )


def post_payout_returned(payout, reason: str) -> None:
    """A payout whose Stripe Transfer was refused goes back into the balance (once)."""
    if _posted("payout_returned", payout_id=payout.id) or not _posted(
        "payout", payout_id=payout.id
    ):
        return
    record(
        "payout_returned",
        [
            Line(
                Account.PAYABLE,
                payout.amount_cents,
                payout.cooperative_id,
                LedgerKind.PAYOUT_RETURNED,
            ),
            Line(Account.PAYOUTS, -payout.amount_cents),
        ],
        description=reason,
        payout_id=payout.id,
    )


# --- disputes -----------------------------------------------------------------------------


def post_dispute_withdrawn(dispute) -> None:
    """The card network took the disputed amount from the platform's Stripe balance (once)."""
    if dispute.amount_cents <= 0 or _posted("dispute_withdrawn", dispute_id=dispute.id):
        return
    record(
        "dispute_withdrawn",
        [
            Line(Account.CARD_PAYMENTS, dispute.amount_cents),
            Line(Account.DISPUTES, -dispute.amount_cents),
        ],
        description=dispute.stripe_dispute_id,
        payment_id=dispute.payment_id,
        dispute_id=dispute.id,
    )


def post_dispute_won(dispute) -> None:
    """A won dispute: the amount taken comes back to the Stripe balance (once)."""
    if not _posted("dispute_withdrawn", dispute_id=dispute.id) or _posted(
        "dispute_won", dispute_id=dispute.id
    ):
        return
    record(
        "dispute_won",
        [
            Line(Account.DISPUTES, dispute.amount_cents),
            Line(Account.CARD_PAYMENTS, -dispute.amount_cents),
        ],
        description=dispute.stripe_dispute_id,
        payment_id=dispute.payment_id,
        dispute_id=dispute.id,
    )


def post_dispute_lost(dispute, chargebacks: list[Refund]) -> None:
    """A lost dispute (once): the amount went to the cardholder. Each sub-order's share is a
    succeeded chargeback ``Refund`` charged like a refund (to the delivered sale: the
    cooperative gives it back, the platform its commission on it; or to the prepaid money of
    a cancelled sub-order; or at the delivery); what no sale can bear is a loss."""
    if _posted("dispute_lost", dispute_id=dispute.id):
        return
    post_dispute_withdrawn(dispute)
    charged = sum(r.amount_cents for r in chargebacks)
    lines = [Line(Account.DISPUTES, dispute.amount_cents), Line(Account.REFUNDS, -charged)]
    if dispute.amount_cents != charged:
        lines.append(Line(Account.DISPUTE_LOSSES, charged - dispute.amount_cents))
    record(
        "dispute_lost",
        lines,
        description=dispute.stripe_dispute_id,
        payment_id=dispute.payment_id,
        dispute_id=dispute.id,
    )
    for refund in chargebacks:
        post_refund(refund)


# --- payout eligibility -------------------------------------------------------------------


def payout_delay() -> timedelta:
    """How long after its delivery a card sale becomes payable (``PAYOUT_DELAY_DAYS``)."""
    days = current_app.config.get("PAYOUT_DELAY_DAYS", PAYOUT_DELAY_DAYS_DEFAULT)
    return timedelta(days=max(0, int(days)))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite gives naive UTC values back
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class Held:
    """A sale of a cooperative not payable yet: ``amount_cents`` (its net, after refunds)
    becomes payable on ``until`` (None while a dispute about it is open)."""

    sub_order: CooperativeOrder
    amount_cents: int
    until: datetime | None
    disputed: bool


def held_sales(cooperative_ids=None, now: datetime | None = None) -> dict[int, list[Held]]:
    """{cooperative id: its held sales}: card sales delivered less than ``payout_delay``
    ago, and sales an open dispute is about. Each holds what its entries on the
    cooperative's payable account add up to (never less than zero: a sale that owes
    is netted at once)."""
    from marketplace.orders.models import Order
    from marketplace.payments.models import DISPUTE_OPEN, Dispute, DisputeShare

    now = now or timeutil.utcnow()
    cutoff = now - payout_delay()
    recent = (
        select(CooperativeOrder.id)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .where(
            Order.payment_method == PaymentMethod.CARD.value,
            CooperativeOrder.status == SubOrderStatus.DELIVERED.value,
            CooperativeOrder.delivered_at > cutoff,
        )
    )
    disputed_query = (
        select(DisputeShare.sub_order_id)
        .join(Dispute, Dispute.id == DisputeShare.dispute_id)
        .where(Dispute.status.in_(DISPUTE_OPEN))
    )
    if cooperative_ids is not None:
        ids = list(cooperative_ids)
        recent = recent.where(CooperativeOrder.cooperative_id.in_(ids))
        disputed_query = disputed_query.join(
            CooperativeOrder, CooperativeOrder.id == DisputeShare.sub_order_id
        ).where(CooperativeOrder.cooperative_id.in_(ids))
    disputed = set(db.session.scalars(disputed_query))
    candidates = set(db.session.scalars(recent)) | disputed
    if not candidates:
        return {}
    sums = dict(
        db.session.execute(
            select(LedgerEntry.sub_order_id, func.sum(LedgerEntry.amount_cents))
            .where(
                LedgerEntry.account == PAYABLE,
                LedgerEntry.sub_order_id.in_(candidates),
            )
            .group_by(LedgerEntry.sub_order_id)
        ).all()
    )
    held: dict[int, list[Held]] = {}
    subs = db.session.scalars(
        select(CooperativeOrder)
        .options(joinedload(CooperativeOrder.order))  # the balance page links each one
        .where(CooperativeOrder.id.in_([i for i in candidates if int(sums.get(i) or 0) > 0]))
        .order_by(CooperativeOrder.delivered_at, CooperativeOrder.id)
    )
    for sub in subs:
        until = None
        if sub.id not in disputed:
            until = (_aware(sub.delivered_at) or now) + payout_delay()
        held.setdefault(sub.cooperative_id, []).append(
            Held(sub, int(sums[sub.id]), until, sub.id in disputed)
        )
    return held


def available_cents(cooperative_id: int, now: datetime | None = None) -> int:
    """What the cooperative can be paid now: its balance less its held sales (negative
    when it owes the platform: carried, and netted in a later payout)."""
    held = held_sales([cooperative_id], now).get(cooperative_id, [])
    return balance_cents(cooperative_id) - sum(h.amount_cents for h in held)


def available_balances(now: datetime | None = None) -> dict[int, int]:
    """{cooperative id: what it can be paid now} for every cooperative with entries."""
    totals = balances()
    for coop_id, held in held_sales(None, now).items():
        totals[coop_id] = totals.get(coop_id, 0) - sum(h.amount_cents for h in held)
    return totals


# --- checking the books -------------------------------------------------------------------


def expected_balances() -> dict[int, int]:
    """Each cooperative's balance recomputed from the facts alone (delivered sub-orders,
    succeeded refunds, paid payouts), without reading the ledger."""
    from marketplace.orders.models import Order
    from marketplace.payments.models import Payout

    expected: dict[int, int] = {}
    delivered = db.session.scalars(
        select(CooperativeOrder)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .where(CooperativeOrder.status == SubOrderStatus.DELIVERED.value)
    ).all()
    refunded: dict[int, list[int]] = {}
    for sub_id, shipping_only, amount in db.session.execute(
        select(Refund.sub_order_id, Refund.shipping_only, func.sum(Refund.amount_cents))
        .where(Refund.status == RefundStatus.SUCCEEDED.value)
        .group_by(Refund.sub_order_id, Refund.shipping_only)
    ):
        refunded.setdefault(sub_id, [0, 0])[1 if shipping_only else 0] += int(amount)
    for sub in delivered:
        items, shipping = refunded.get(sub.id, [0, 0])
        if _is_card(sub):
            value = sub.total_cents - sub.commission_cents - items - shipping
        else:
            value = -sub.commission_cents
        value += commission_share(sub, items)
        expected[sub.cooperative_id] = expected.get(sub.cooperative_id, 0) + value
    for coop_id, paid in db.session.execute(
        select(Payout.cooperative_id, func.sum(Payout.amount_cents))
        .where(Payout.paid_at.is_not(None))
        .group_by(Payout.cooperative_id)
    ):
        expected[coop_id] = expected.get(coop_id, 0) - int(paid)
    return expected


def check() -> list[str]:
    """Everything wrong with the books (an empty list when they are right): every
    transaction balances, every entry belongs to one, and each cooperative's balance (the
    sum of its payable entries) equals what its sales, refunds and payouts say."""
    problems = []
    for transaction_id, total in db.session.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_cents) != 0)
    ):
        problems.append(f"transaction {transaction_id} does not balance: {total}")
    orphans = db.session.scalar(
        select(func.count(LedgerEntry.id)).where(LedgerEntry.transaction_id.is_(None))
    )
    if orphans:
        problems.append(f"{orphans} entries belong to no transaction")
    total = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)))
    if total:
        problems.append(f"the ledger as a whole does not balance: {total}")
    actual, expected = balances(), expected_balances()
    for coop_id in sorted(set(actual) | set(expected)):
        if actual.get(coop_id, 0) != expected.get(coop_id, 0):
            problems.append(
                f"cooperative {coop_id}: balance {actual.get(coop_id, 0)}, "
                f"its sales, refunds and payouts say {expected.get(coop_id, 0)}"
            )
    return problems


# --- reacting to the orders domain --------------------------------------------------------


def _on_sub_order_status_changed(sub_order, **info) -> None:
    if info.get("new") == SubOrderStatus.DELIVERED.value:
        post_delivery(sub_order)
    elif info.get("new") == SubOrderStatus.CANCELLED.value and _is_card(sub_order):
        for refund in db.session.scalars(
            select(Refund).where(
                Refund.sub_order_id == sub_order.id,
                Refund.status == RefundStatus.SUCCEEDED.value,
            )
        ):
            post_refund(refund)
