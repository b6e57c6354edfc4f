"""Payout batches: what the platform pays each cooperative with a positive balance.

An admin creates a batch (each cooperative's balance at that moment; one open batch at a
time), exports it as CSV for the bank transfer, then marks it paid with the transfer
reference (refused if a balance fell below what the batch pays: the admin rebuilds it): a
``payout`` entry per cooperative brings its balance down by what it
received. A cooperative with a Stripe Connect account id may be paid by a Stripe Transfer
instead (separate charges and transfers, grouped by ``transfer_group``).
"""

from __future__ import annotations

import csv
import io
import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from marketplace.audit import record_audit
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import current_lang
from marketplace.money import format_mad, from_cents
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.services import cooperative_name
from marketplace.payments import ledger
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import (
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
)
from marketplace.payments.services import PaymentUnavailable, card_payments_enabled
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_REFERENCE = 120


def batches() -> list[PayoutBatch]:
    """Every batch, newest first, with its payouts (the list shows their count and total)."""
    return list(
        db.session.scalars(
            select(PayoutBatch)
            .options(selectinload(PayoutBatch.payouts))
            .order_by(PayoutBatch.id.desc())
        )
    )


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
    return {coop_id: amount for coop_id, amount in ledger.balances().items() if amount > 0}


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
        raise InvalidInput(_l("No cooperative has a positive balance to pay out."))
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
    locked.created_at = utcnow()
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
    """The bank transfer was made: post the payouts (Stripe Transfers for Connect accounts)."""
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_l("Please give the reference of the bank transfer."))
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_REFERENCE))
    locked = _lock_batch(batch)
    if locked.status == PayoutBatchStatus.PAID.value:
        raise Conflict(_l("This payout batch was already marked as paid."))
    # Never pay more than a cooperative is owed now: its ledger is locked (ledger.record
    # takes the same lock) and its balance compared with what the batch captured.
    ledger.lock_accounts([p.cooperative_id for p in locked.payouts])
    for payout in locked.payouts:
        current = ledger.balance_cents(payout.cooperative_id)
        if payout.amount_cents > current:
            raise Conflict(
                _l(
                    "%(cooperative)s is now owed %(amount)s, less than this batch pays "
                    "(%(batch_amount)s): a refund was made since. Rebuild the batch, "
                    "download its new file, then mark it as paid.",
                    cooperative=cooperative_name(payout.cooperative, current_lang()),
                    amount=format_mad(current, current_lang()),
                    batch_amount=format_mad(payout.amount_cents, current_lang()),
                )
            )
    now = utcnow()
    for payout in locked.payouts:
        coop = payout.cooperative
        if coop.stripe_account_id and card_payments_enabled() and not payout.stripe_transfer_id:
            try:
                transfer = gateway.create_transfer(
                    {
                        "amount": payout.amount_cents,
                        "currency": "mad",
                        "destination": coop.stripe_account_id,
                        "transfer_group": locked.transfer_group,
                        "metadata": {"payout_id": str(payout.id), "batch_id": str(locked.id)},
                    },
                    idempotency_key=f"payout-{payout.id}-transfer",
                )
            except gateway.StripeUnavailable as exc:
                log.error("stripe transfer for payout %s failed: %s", payout.id, exc)
                raise PaymentUnavailable(
                    _l("Stripe did not accept a transfer. Nothing was marked as paid.")
                ) from exc
            payout.stripe_transfer_id = transfer.to_dict()["id"]
        payout.paid_at = now
        ledger.post_payout(payout, reference)
        notify.notify_cooperative(
            payout.cooperative_id,
            NoticeKind.PAYMENT,
            "payout_sent",
            number=bank_reference(payout),
            endpoint="payments.balance",
            values={},
        )
    locked.status = PayoutBatchStatus.PAID.value
    locked.transfer_reference = reference
    locked.paid_at = now
    db.session.flush()
    return locked
