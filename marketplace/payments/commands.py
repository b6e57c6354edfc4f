"""``flask payments reconcile``: apply what Stripe knows and we missed (a webhook that never
arrived), through the same idempotent functions as the webhook; send again the refunds and
payout transfers whose answer was lost."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.commands import orders_cli
from marketplace.payments import ledger, payouts, refunds, services, webhooks
from marketplace.payments import stripe_gateway as gateway
from marketplace.payments.models import Payment, PaymentProvider, PaymentStatus, Refund

log = logging.getLogger(__name__)
payments_cli = AppGroup("payments", help="Card payments: reconciliation with Stripe.")


def reconcile(hours: int = 72) -> dict[str, int]:
    """Replay recent Stripe events (each applied at most once), then apply recent Checkout
    Sessions and ask Stripe about every card payment still waiting. Commits after each item
    so one failure does not undo the others."""
    counts = {
        "events": 0,
        "duplicates": 0,
        "deferred": 0,
        "sessions": 0,
        "refunds": 0,
        "transfers": 0,
        "failed": 0,
    }
    since = int(time.time()) - hours * 3600
    events = gateway.list_events(since, sorted(webhooks.handled_types()))
    for stripe_event in sorted(events, key=lambda e: e.created):
        event = stripe_event.to_dict()
        try:
            webhooks.handle_event(event)
            db.session.commit()
            counts["events"] += 1
        except webhooks.DuplicateEvent:
            db.session.rollback()
            counts["duplicates"] += 1
        except webhooks.NotReady:
            db.session.rollback()
            counts["deferred"] += 1
        except Exception:  # noqa: BLE001 - report and go on with the others
            db.session.rollback()
            counts["failed"] += 1
    seen: set[str] = set()
    for stripe_session in gateway.list_checkout_sessions(since):
        checkout = stripe_session.to_dict()
        seen.add(checkout["id"])
        if checkout.get("status") == "open":
            continue
        counts["failed" if not _fulfil(checkout) else "sessions"] += 1
    waiting = db.session.scalars(
        select(Payment.stripe_session_id).where(
            Payment.provider == PaymentProvider.STRIPE.value,
            Payment.status.in_([PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value]),
            Payment.stripe_session_id.is_not(None),
        )
    ).all()
    for session_id in waiting:
        if session_id in seen:
            continue
        try:
            checkout = gateway.retrieve_checkout_session(session_id).to_dict()
        except gateway.StripeUnavailable:
            counts["failed"] += 1
            continue
        counts["failed" if not _fulfil(checkout) else "sessions"] += 1
    for refund_id in refunds.pending_card_refunds():
        db.session.commit()
        try:
            answered = refunds.settle_pending(db.session.get(Refund, refund_id))
            db.session.commit()
        except Exception:  # report it and go on with the others
            db.session.rollback()
            log.exception("settling refund %s failed", refund_id)
            answered = False
        counts["refunds" if answered else "failed"] += 1
    for payout_id in payouts.pending_transfers():
        db.session.commit()
        try:  # the recorded transfer, sent again under its key with the same parameters
            outcome = payouts.send_transfer(payout_id)
            db.session.commit()
        except Exception:  # report it and go on with the others
            db.session.rollback()
            log.exception("sending the transfer of payout %s failed", payout_id)
            outcome = "pending"
        counts["failed" if outcome == "pending" else "transfers"] += 1
    return counts


def _fulfil(checkout: dict) -> bool:
    try:
        services.fulfil_checkout_session(checkout)
        db.session.commit()
    except Exception:  # noqa: BLE001 - report and go on with the others
        db.session.rollback()
        return False
    return True


def expire_unpaid(limit: int = 500) -> dict[str, int]:
    """Release every unpaid card order past its time to pay, one transaction each (a
    failure, or another worker holding one, leaves the others done)."""
    counts = {"expired": 0, "paid": 0, "skipped": 0, "failed": 0}
    due = services.unpaid_due(limit=limit)
    db.session.commit()
    for payment_id in due:
        try:
            outcome = services.expire_unpaid(payment_id)
            db.session.commit()
        except Exception:  # report it and go on with the others
            db.session.rollback()
            log.exception("expiring payment %s failed", payment_id)
            outcome = "failed"
        counts[outcome] += 1
    return counts


@orders_cli.command("expire-unpaid")
@click.option("--limit", default=500, show_default=True, help="At most this many per run.")
def expire_unpaid_command(limit: int) -> None:
    """Release unpaid card orders whose time to pay has run out (UNPAID_CARD_ORDER_MINUTES,
    60 by default): their stock goes back on sale, once. Safe to run often and concurrently;
    run it every 5 minutes."""
    counts = expire_unpaid(limit)
    summary = "expired: {expired}, paid meanwhile: {paid}, skipped: {skipped}, failures: {failed}"
    click.echo(summary.format(**counts))
    if counts["failed"]:
        raise SystemExit(1)


@payments_cli.command("check-ledger")
def check_ledger_command() -> None:
    """Verify the books: every transaction balances and every cooperative's balance is
    what its sales, refunds and payouts say. Exit status 1 on any problem."""
    problems = ledger.check()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    accounts = ", ".join(f"{a} {v}" for a, v in sorted(ledger.account_balances().items()))
    click.echo(f"the ledger balances ({accounts or 'no entries'})")


@payments_cli.command("reconcile")
@click.option("--hours", default=72, show_default=True, help="How far back to look.")
def reconcile_command(hours: int) -> None:
    """Fetch recent Checkout Sessions and events from Stripe and apply any that were missed."""
    if not services.card_payments_enabled():
        click.echo("Stripe is not configured: nothing to reconcile.")
        return
    try:
        counts = reconcile(hours)
    except gateway.StripeUnavailable as exc:
        click.echo(f"Stripe did not answer: {exc}", err=True)
        raise SystemExit(1) from exc
    click.echo(
        "events applied: {events}, already applied: {duplicates}, not ready yet: "
        "{deferred}, sessions checked: {sessions}, refunds settled: {refunds}, "
        "transfers settled: {transfers}, failures: {failed}".format(**counts)
    )
    if counts["failed"]:
        raise SystemExit(1)


COMMANDS = [payments_cli]
