"""Payments, Stripe events already handled, refunds, the cooperatives' ledger and payouts.

The ledger is append-only: a ``LedgerEntry`` is never updated nor deleted (an ORM event refuses
it); corrections are new entries. A cooperative's balance is the sum of its entries.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.cooperatives.models import Cooperative
    from marketplace.orders.models import CooperativeOrder, Order


class PaymentProvider(enum.StrEnum):
    STRIPE = "stripe"
    CASH = "cash"  # cash on delivery


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # session open / cash not collected yet
    PROCESSING = "processing"  # checkout completed, asynchronous payment not settled yet
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # cash order refused or cancelled before collection


class Payment(db.Model):
    """How an order is paid: one row per order."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint("attempt >= 0", name="attempt_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING.value, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="MAD")
    # The number of Checkout Sessions created so far (the "v<n>" of the idempotency key).
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    # The Checkout Session being created: its idempotency key and the exact parameters it was
    # first sent with, committed before Stripe is called, so a retry sends the same.
    checkout_key: Mapped[str | None] = mapped_column(String(100))
    checkout_params: Mapped[dict | None] = mapped_column(JSON)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_session_url: Mapped[str | None] = mapped_column(Text)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # What Stripe actually captured (also when the payment was flagged instead of accepted).
    received_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    flagged_for_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship()

    @property
    def is_card(self) -> bool:
        return self.provider == PaymentProvider.STRIPE.value


class StripeEvent(db.Model):
    """A Stripe event already applied. Inserted first in the handler's transaction, so a
    replayed or concurrently duplicated event collides on the primary key: one effect."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CashCollection(db.Model):
    """The cooperative collected the cash of a delivered cash-on-delivery sub-order."""

    __tablename__ = "cash_collections"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_order_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="CASCADE"), unique=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sub_order: Mapped[CooperativeOrder] = relationship()


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Refund(db.Model):
    """Money given back to the shopper for (part of) a sub-order."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_order_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING.value)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # cash: recorded, not sent
    goods_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shipping costs only: they carry no commission, so none is returned.
    shipping_only: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    # The parameters of the Stripe call, stored with its key before the call: a retry (after
    # a lost answer) sends exactly these.
    stripe_params: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    sub_order: Mapped[CooperativeOrder] = relationship()
    payment: Mapped[Payment] = relationship()
    created_by: Mapped[User | None] = relationship()
    # A chargeback: the part of a lost dispute charged to this sub-order (no Stripe refund:
    # the card network took the money back).
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("disputes.id", ondelete="RESTRICT"), index=True
    )


class DisputeStatus(enum.StrEnum):
    """Stripe's statuses of a dispute, stored as Stripe says them."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"  # an inquiry: no money taken yet
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"  # the inquiry ended without a chargeback
    NEEDS_RESPONSE = "needs_response"  # a chargeback: the amount was taken from Stripe
    UNDER_REVIEW = "under_review"
    WON = "won"  # the amount came back
    LOST = "lost"  # the amount went to the cardholder for good


DISPUTE_INQUIRY = (
    DisputeStatus.WARNING_NEEDS_RESPONSE.value,
    DisputeStatus.WARNING_UNDER_REVIEW.value,
    DisputeStatus.WARNING_CLOSED.value,
)
DISPUTE_CLOSED = (
    DisputeStatus.WARNING_CLOSED.value,
    DisputeStatus.WON.value,
    DisputeStatus.LOST.value,
)
DISPUTE_OPEN = tuple(s.value for s in DisputeStatus if s.value not in DISPUTE_CLOSED)


class Dispute(db.Model):
    """A shopper's bank disputing a card payment (Stripe's ``charge.dispute.*`` events).

    Applied from whatever event arrives first, in any order and any number of times: a
    closed dispute never opens again, and each of its ledger transactions is posted once.
    Its amount is shared between the order's sub-orders (``DisputeShare``)."""

    __tablename__ = "disputes"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="MAD")
    reason: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(30), index=True)
    evidence_due_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    payment: Mapped[Payment] = relationship()
    shares: Mapped[list[DisputeShare]] = relationship(
        back_populates="dispute", cascade="all, delete-orphan", order_by="DisputeShare.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in DISPUTE_OPEN

    @property
    def is_inquiry(self) -> bool:
        return self.status in DISPUTE_INQUIRY


class DisputeShare(db.Model):
    """The part of a dispute's amount that falls on one sub-order (its sale is held from
    payouts while the dispute is open, and charged with that part if it is lost)."""

    __tablename__ = "dispute_shares"
    __table_args__ = (
        UniqueConstraint("dispute_id", "sub_order_id"),
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    sub_order_id: Mapped[int] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    dispute: Mapped[Dispute] = relationship(back_populates="shares")
    sub_order: Mapped[CooperativeOrder] = relationship()


class PayoutBatchStatus(enum.StrEnum):
    OPEN = "open"  # created, exported, waiting for the bank transfer
    PAID = "paid"


class PayoutBatch(db.Model):
    """At most one batch is open at a time (a partial unique index): two admins, or one
    double click, can never build two batches that would pay the same balance twice."""

    __tablename__ = "payout_batches"
    __table_args__ = (
        Index(
            "uq_payout_batches_one_open",
            "status",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=PayoutBatchStatus.OPEN.value)
    transfer_reference: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    payouts: Mapped[list[Payout]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="Payout.id"
    )

    @property
    def total_cents(self) -> int:
        return sum(p.amount_cents for p in self.payouts)

    @property
    def transfer_group(self) -> str:
        return f"payout-batch-{self.id}"


class TransferStatus(enum.StrEnum):
    """A payout sent by Stripe Transfer (Connect): recorded (key and parameters) and
    committed before Stripe is asked, then what Stripe answered."""

    PENDING = "pending"  # recorded; sent, or to send again (its answer was lost)
    SENT = "sent"  # Stripe made the transfer (``stripe_transfer_id``)
    FAILED = "failed"  # Stripe refused it: the payout was taken back into the balance


class Payout(db.Model):
    """What one cooperative receives in a batch (what it could be paid when the batch was
    made: its balance less the sales not payable yet)."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("batch_id", "cooperative_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("payout_batches.id", ondelete="CASCADE"), index=True
    )
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    rib: Mapped[str] = mapped_column(String(24), default="")  # snapshot for the bank file
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255))
    transfer_status: Mapped[str | None] = mapped_column(String(10), index=True)
    transfer_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    transfer_params: Mapped[dict | None] = mapped_column(JSON)
    transfer_error: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    batch: Mapped[PayoutBatch] = relationship(back_populates="payouts")
    cooperative: Mapped[Cooperative] = relationship()


class LedgerKind(enum.StrEnum):
    """What an entry on a cooperative's payable account is (the cooperative's statement)."""

    GROSS = "gross"  # card sub-order delivered: what the shopper paid for it (+)
    COMMISSION = "commission"  # the platform's commission on it (-)
    COD_COMMISSION_DEBIT = "cod_commission_debit"  # cash kept by the cooperative (-)
    REFUND_REVERSAL = "refund_reversal"  # money given back, commission returned
    CHARGEBACK = "chargeback"  # a lost dispute: taken back by the bank, commission returned
    PAYOUT = "payout"  # paid out to the cooperative (-)
    PAYOUT_RETURNED = "payout_returned"  # a transfer Stripe refused: back in the balance (+)


class Account(enum.StrEnum):
    """The ledger's accounts. Amounts are signed, credit positive: a transaction's entries
    sum to zero. Accounts marked (per cooperative) carry the cooperative's id."""

    CARD_PAYMENTS = "card_payments"  # shoppers' card payments held at Stripe (asset: -)
    ORDERS_PREPAID = "orders_prepaid"  # paid by card, not delivered yet (owed to orders: +)
    REFUNDS = "refunds"  # card refunds sent, not yet charged to a sale (-)
    COD_CASH = "cod_cash"  # cash a cooperative collected on delivery (per cooperative, -)
    COD_SALES = "cod_sales"  # the cash-on-delivery sales that cash paid (per cooperative, +)
    PAYABLE = "payable"  # what the platform owes a cooperative (per cooperative, +)
    COMMISSION = "commission"  # the platform's commission earned (+)
    PAYOUTS = "payouts"  # paid out to cooperatives by bank transfer or Stripe (+)
    DISPUTES = "disputes"  # taken from Stripe by the card networks for open disputes (-)
    DISPUTE_LOSSES = "dispute_losses"  # lost disputes beyond what any sale can bear (-)


ACCOUNTS_SQL = ", ".join(f"'{a.value}'" for a in Account)
PER_COOPERATIVE = (Account.COD_CASH, Account.COD_SALES, Account.PAYABLE)


class LedgerTransaction(db.Model):
    """One money event: entries over accounts whose amounts sum to zero. Never changed."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    sub_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="RESTRICT"), index=True
    )
    refund_id: Mapped[int | None] = mapped_column(
        ForeignKey("refunds.id", ondelete="RESTRICT"), index=True
    )
    payout_id: Mapped[int | None] = mapped_column(
        ForeignKey("payouts.id", ondelete="RESTRICT"), index=True
    )
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("disputes.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id"
    )


class LedgerEntry(db.Model):
    """One signed amount on one account, part of a balanced transaction. On a cooperative's
    payable account: owed to (+) or by (-) the cooperative. Never changed in place."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # A cooperative's statement (its payable account) newest first; its sum and count
        # read the index alone on PostgreSQL (amount_cents included): 1.5 ms each at 5,000
        # orders, against 16 ms when they read the cooperative's entries in the table.
        Index(
            "ix_ledger_entries_statement",
            "cooperative_id",
            "account",
            "created_at",
            "id",
            postgresql_include=["amount_cents"],
        ),
        CheckConstraint(f"account IN ({ACCOUNTS_SQL})", name="account_known"),
        CheckConstraint(
            "cooperative_id IS NOT NULL OR account NOT IN ('payable', 'cod_cash', 'cod_sales')",
            name="cooperative_account_has_cooperative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="RESTRICT"), index=True
    )
    account: Mapped[str] = mapped_column(String(20), default=Account.PAYABLE.value, index=True)
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    sub_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperative_orders.id", ondelete="RESTRICT"), index=True
    )
    refund_id: Mapped[int | None] = mapped_column(
        ForeignKey("refunds.id", ondelete="RESTRICT"), index=True
    )
    payout_id: Mapped[int | None] = mapped_column(
        ForeignKey("payouts.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    sub_order: Mapped[CooperativeOrder | None] = relationship()
    refund: Mapped[Refund | None] = relationship()
    payout: Mapped[Payout | None] = relationship()


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, LedgerEntry | LedgerTransaction) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise LedgerIsAppendOnly("ledger entries are never changed or deleted")
