"""Payout batches: what the platform pays each cooperative that can be paid.

An admin creates a batch (what each cooperative can be paid at that moment: its balance less
the card sales delivered less than ``PAYOUT_DELAY_DAYS`` ago and the sales under an open
dispute; one open batch at a time), exports it as CSV for the bank transfer, then marks it
paid with the transfer reference (refused if what a cooperative can be paid fell below what
the batch pays: the admin rebuilds it): a ``payout`` entry per cooperative brings its
balance down by what it received. A negative balance (commission owed on cash-on-delivery
sales) is never paid: it stays on the cooperative's account and the next payout is net of
it. A cooperative with a Stripe Connect account id is paid by a Stripe Transfer instead
(separate charges and transfers, grouped by ``transfer_group``), recorded and committed
before Stripe is asked.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace import timeutil
from marketplace.audit import record_audit
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import current_locale
from marketplace.money import format_mad, from_cents
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.names import cooperative_name
from marketplace.payments import ledger
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import (
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
    TransferStatus,
)
from marketplace.payments.services import card_payments_enabled

log = logging.getLogger(__name__)
MAX_REFERENCE = 120


@dataclass(frozen=True)
class BalanceSummary:
    """A cooperative's balance as its balance page shows it."""

    balance_cents: int  # the sum of its entries (what the platform owes it, or it owes)
    available_cents: int  # what it can be paid now (negative: what it owes, carried)
    held: list[ledger.Held]  # its sales not payable yet

    @property
    def held_cents(self) -> int:
        return sum(h.amount_cents for h in self.held)

    @property
    def next_payout_cents(self) -> int:
        return max(self.available_cents, 0)

    @property
    def owed_cents(self) -> int:
        """What the cooperative owes the platform now (netted in a later payout)."""
        return max(-self.available_cents, 0)


def balance_summary(cooperative_id: int) -> BalanceSummary:
    now = timeutil.utcnow()
    held = ledger.held_sales([cooperative_id], now).get(cooperative_id, [])
    balance = ledger.balance_cents(cooperative_id)
    return BalanceSummary(balance, balance - sum(h.amount_cents for h in held), held)


@dataclass(frozen=True)
class TransferOutcome:
    pending: list[Payout]
    failed: list[Payout]


def transfer_outcome(batch: PayoutBatch) -> TransferOutcome:
    """The batch's Stripe Transfers still waiting for Stripe's answer, and those refused."""
    return TransferOutcome(
        [p for p in batch.payouts if p.transfer_status == TransferStatus.PENDING.value],
        [p for p in batch.payouts if p.transfer_status == TransferStatus.FAILED.value],
    )


@dataclass(frozen=True)
class BatchLine:
    """A batch as the list of batches shows it: its payouts counted and summed in SQL."""

    batch: PayoutBatch
    cooperatives: int
    total_cents: int


@dataclass(frozen=True)
class BatchesPage:
    lines: list[BatchLine]
    page: int  # 1 for the newest
    pages: int  # at least 1


def batches_page(page: int, per_page: int) -> BatchesPage:
    """Page ``page`` of the batches, newest first (past the last page: the last page), each
    with how many cooperatives it pays and how much, counted by the database."""
    count = db.session.scalar(select(func.count(PayoutBatch.id))) or 0
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    newest = select(PayoutBatch.id).order_by(PayoutBatch.id.desc())
    shown = newest.limit(per_page).offset((page - 1) * per_page).subquery()
    rows = db.session.execute(
        select(
            PayoutBatch,
            func.count(Payout.id),
            func.coalesce(func.sum(Payout.amount_cents), 0),
        )
        .join(shown, shown.c.id == PayoutBatch.id)
        .outerjoin(Payout, Payout.batch_id == PayoutBatch.id)
        .group_by(PayoutBatch.id)
        .order_by(PayoutBatch.id.desc())
    ).all()
    lines = [BatchLine(batch, int(n), int(total)) for batch, n, total in rows]
    return BatchesPage(lines, page, pages)


def payouts_of(cooperative_id: int) -> list[Payout]:
    return list(
        db.session.scalars(
            select(Payout)
            .where(Payout.cooperative_id == cooperative_id)
            .options(joinedload(Payout.batch))  # its transfer reference is shown
            .order_by(Payout.id.desc())
        )
    )


def open_batch() -> PayoutBatch | None:
    return db.session.scalar(
        select(PayoutBatch).where(PayoutBatch.status == PayoutBatchStatus.OPEN.value)
    )


class BatchAlreadyOpen(Conflict):
    default_message = _l(
        "A payout batch is already open. Mark it as paid, or rebuild it, before making a new one."
    )


def _owed() -> dict[int, int]:
    """What each cooperative can be paid now, when it is more than nothing: its balance
    less its sales not payable yet (``ledger.held_sales``). A cooperative that owes the
    platform (commission on cash-on-delivery sales) is left out: its debt is carried and
    netted in a later payout."""
    return {
        coop_id: amount for coop_id, amount in ledger.available_balances().items() if amount > 0
    }


def _fill(batch: PayoutBatch, owed: dict[int, int]) -> None:
    cooperatives = db.session.scalars(select(Cooperative).where(Cooperative.id.in_(owed)))
    for coop in sorted(cooperatives, key=lambda c: c.id):
        batch.payouts.append(
            Payout(cooperative_id=coop.id, amount_cents=owed[coop.id], rib=coop.rib or "")
        )


def create_batch(actor) -> PayoutBatch:
    """A batch with every cooperative whose balance is positive (InvalidInput if none).

    The batch row is inserted first: the unique index on the open batch makes a concurrent
    second creation wait for the first and then fail (BatchAlreadyOpen), in the database.
    """
    if open_batch() is not None:
        raise BatchAlreadyOpen()
    batch = PayoutBatch(created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError as exc:
        raise BatchAlreadyOpen() from exc
    owed = _owed()
    if not owed:
        raise InvalidInput(
            _l(
                "No cooperative can be paid now: no balance is positive once the sales not "
                "payable yet are left out."
            )
        )
    _fill(batch, owed)
    db.session.flush()
    return batch


def rebuild_batch(batch: PayoutBatch, actor) -> PayoutBatch | None:
    """An open batch made again from the balances of now (after a refund, say). Returns
    None when nobody is owed anything any more: the batch is then removed."""
    locked = _lock_batch(batch)
    if locked.status != PayoutBatchStatus.OPEN.value:
        raise Conflict(_l("This payout batch was already marked as paid."))
    for payout in list(locked.payouts):
        locked.payouts.remove(payout)
    db.session.flush()
    owed = _owed()
    if not owed:
        db.session.delete(locked)
        db.session.flush()
        return None
    locked.created_by_id = getattr(actor, "id", None) or locked.created_by_id
    locked.created_at = timeutil.utcnow()
    _fill(locked, owed)
    db.session.flush()
    return locked


def _lock_batch(batch: PayoutBatch) -> PayoutBatch:
    locked = db.session.scalar(
        select(PayoutBatch)
        .where(PayoutBatch.id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise Conflict(_l("This payout batch no longer exists."))
    return locked


def bank_reference(payout: Payout) -> str:
    return f"SOUK-PAYOUT-{payout.batch_id}-{payout.cooperative_id}"


def csv_filename(batch: PayoutBatch) -> str:
    if batch.status == PayoutBatchStatus.PAID.value:
        return f"payout-batch-{batch.id}-ALREADY-PAID.csv"
    return f"payout-batch-{batch.id}.csv"


def export_csv(batch: PayoutBatch, locale: str = "fr") -> str:
    """The bank-transfer file: one line per cooperative (amounts in MAD, dot decimals).

    Every field is quoted, so spreadsheets keep a RIB's 24 digits as text. A batch already
    paid says so in its first line (and its file name): it must not be transferred again."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    if batch.status == PayoutBatchStatus.PAID.value:
        writer.writerow(
            [
                "ALREADY PAID - DO NOT TRANSFER AGAIN",
                batch.paid_at.date().isoformat() if batch.paid_at else "",
                batch.transfer_reference,
            ]
        )
    writer.writerow(
        [
            "batch",
            "cooperative_id",
            "cooperative",
            "registration_number",
            "rib",
            "amount_mad",
            "currency",
            "reference",
            "stripe_account",
        ]
    )
    for payout in batch.payouts:
        coop = payout.cooperative
        writer.writerow(
            [
                batch.id,
                coop.id,
                _csv_safe(cooperative_name(coop, locale)),
                _csv_safe(coop.registration_number),
                payout.rib,
                str(from_cents(payout.amount_cents)),
                "MAD",
                bank_reference(payout),
                coop.stripe_account_id or "",
            ]
        )
    return out.getvalue()


def record_download_again(batch: PayoutBatch, actor) -> None:
    """A paid batch's file downloaded again: written to the audit log."""
    record_audit(
        actor,
        "payout_batch.downloaded_again",
        target_type="payout_batch",
        target_id=batch.id,
        target_label=csv_filename(batch),
        new_value=batch.transfer_reference,
    )


def _csv_safe(value: str) -> str:
    """No spreadsheet formulas from user-typed names."""
    value = value or ""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def mark_paid(batch: PayoutBatch, reference: str, actor) -> PayoutBatch:
    """The bank transfer was made: post the payouts. A cooperative with a Stripe Connect
    account is paid by a Stripe Transfer instead: its intent (idempotency key and exact
    parameters) is recorded and COMMITTED with the payouts, then Stripe is asked
    (``send_transfers``); a transfer whose answer was lost stays pending and is sent again,
    the same, by marking the batch paid again or by ``flask payments reconcile``."""
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_l("Please give the reference of the bank transfer."))
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_REFERENCE))
    locked = _lock_batch(batch)
    if locked.status == PayoutBatchStatus.PAID.value:
        if pending_transfers(locked.id):
            send_transfers(locked.id)
            return _lock_batch(locked)
        raise Conflict(_l("This payout batch was already marked as paid."))
    # Never pay more than a cooperative can be paid now: its ledger is locked (ledger.record
    # takes the same lock) and what it can be paid compared with what the batch captured.
    ledger.lock_accounts([p.cooperative_id for p in locked.payouts])
    now = timeutil.utcnow()
    for payout in locked.payouts:
        current = ledger.available_cents(payout.cooperative_id, now)
        if payout.amount_cents > current:
            raise Conflict(
                _l(
                    "%(cooperative)s can now be paid %(amount)s, less than this batch pays "
                    "(%(batch_amount)s): a refund or a dispute was recorded since. Rebuild "
                    "the batch, download its new file, then mark it as paid.",
                    cooperative=cooperative_name(payout.cooperative, current_locale()),
                    amount=format_mad(max(current, 0), current_locale()),
                    batch_amount=format_mad(payout.amount_cents, current_locale()),
                )
            )
    transfers = False
    for payout in locked.payouts:
        coop = payout.cooperative
        payout.paid_at = now
        ledger.post_payout(payout, reference)
        if coop.stripe_account_id and card_payments_enabled():
            payout.transfer_status = TransferStatus.PENDING.value
            payout.transfer_key = f"payout-{payout.id}-transfer"
            payout.transfer_params = {
                "amount": payout.amount_cents,
                "currency": "mad",
                "destination": coop.stripe_account_id,
                "transfer_group": locked.transfer_group,
                "metadata": {"payout_id": str(payout.id), "batch_id": str(locked.id)},
            }
            transfers = True
        else:
            _tell_paid(payout)
    locked.status = PayoutBatchStatus.PAID.value
    locked.transfer_reference = reference
    locked.paid_at = now
    db.session.flush()
    if transfers:
        batch_id = locked.id
        db.session.commit()  # the transfers' intents, before Stripe is asked
        send_transfers(batch_id)
        locked = _lock_batch(db.session.get(PayoutBatch, batch_id))
    return locked


def _tell_paid(payout: Payout) -> None:
    notify.notify_cooperative(
        payout.cooperative_id,
        NoticeKind.PAYMENT,
        "payout_sent",
        number=bank_reference(payout),
        endpoint="payments.balance",
        values={},
    )


def pending_transfers(batch_id: int | None = None) -> list[int]:
    """Ids of the payouts whose Stripe Transfer is recorded but not answered yet."""
    query = select(Payout.id).where(Payout.transfer_status == TransferStatus.PENDING.value)
    if batch_id is not None:
        query = query.where(Payout.batch_id == batch_id)
    return list(db.session.scalars(query.order_by(Payout.id)))


def _locked_payout(payout_id: int) -> Payout:
    return db.session.scalar(
        select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def send_transfer(payout_id: int) -> str:
    """Ask Stripe for a recorded transfer: its stored key and parameters, exactly (after a
    lost answer Stripe replays the first one: it never pays twice). "sent", "failed"
    (refused by Stripe: the payout goes back into the cooperative's balance), "pending"
    (no answer: to send again) or "skipped" (not pending any more)."""
    payout = db.session.get(Payout, payout_id)
    if payout is None or payout.transfer_status != TransferStatus.PENDING.value:
        return "skipped"
    params, key = payout.transfer_params, payout.transfer_key
    db.session.commit()  # no transaction (nor SQLite's write lock) held while Stripe answers
    try:
        answer = gateway.create_transfer(params, idempotency_key=key).to_dict()
    except gateway.StripeUnavailable as exc:
        if not isinstance(exc.__cause__, stripe.InvalidRequestError):
            log.error("stripe transfer for payout %s not answered: %s", payout_id, exc)
            return "pending"
        log.error("stripe refused the transfer of payout %s: %s", payout_id, exc)
        payout = _locked_payout(payout_id)
        if payout.transfer_status != TransferStatus.PENDING.value:
            return "skipped"
        payout.transfer_status = TransferStatus.FAILED.value
        payout.transfer_error = str(exc)[:1000]
        payout.paid_at = None
        ledger.post_payout_returned(payout, "stripe transfer refused")
        db.session.flush()
        return "failed"
    payout = _locked_payout(payout_id)
    if payout.transfer_status != TransferStatus.PENDING.value:
        return "skipped"
    payout.stripe_transfer_id = answer.get("id")
    payout.transfer_status = TransferStatus.SENT.value
    _tell_paid(payout)
    db.session.flush()
    return "sent"


def send_transfers(batch_id: int | None = None) -> dict[str, int]:
    """Send every pending transfer (of one batch, or all): what became of them."""
    counts = {"sent": 0, "failed": 0, "pending": 0, "skipped": 0}
    for payout_id in pending_transfers(batch_id):
        counts[send_transfer(payout_id)] += 1
    return counts
