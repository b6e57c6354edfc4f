"""The jobs' bodies (declared in schedule.py). Each returns a summary dict of counts; a
``failed`` count above zero marks the run as failed for the operator."""

from __future__ import annotations

import logging
import time

from marketplace import mail

log = logging.getLogger(__name__)

# A run gives the worker back after this long even while mail keeps arriving (the next
# commit or the scheduler enqueues another run).
MAIL_RUN_SECONDS = 60


def send_due_mail() -> dict[str, int]:
    sent = 0
    deadline = time.monotonic() + MAIL_RUN_SECONDS
    while time.monotonic() < deadline and (batch := mail.deliver_due()):
        sent += batch
    counts = mail.queue_counts()
    return {"sent": sent, "waiting": counts["waiting"], "given_up": counts["given_up"]}


def send_due_messages() -> dict[str, int]:
    """SMS and WhatsApp (marketplace/notify/): each message is claimed, as the e-mails are."""
    from marketplace.notify.services import send_due

    totals = {"sent": 0, "failed": 0, "skipped": 0}
    deadline = time.monotonic() + MAIL_RUN_SECONDS
    while time.monotonic() < deadline:
        batch = send_due()
        for key in totals:
            totals[key] += batch[key]
        if not any(batch.values()):
            break
    return totals


def expire_unpaid_orders() -> dict[str, int]:
    # Card payments live above orders: the payments domain asks Stripe before releasing.
    from marketplace.payments.commands import expire_unpaid

    return expire_unpaid()


def reconcile_payments() -> dict[str, int]:
    from marketplace.payments import services
    from marketplace.payments.commands import reconcile

    if not services.card_payments_enabled():
        return {"stripe_not_configured": 1}
    return reconcile()


def check_ledger() -> dict[str, int]:
    """A problem in the books marks the run as failed: the operator sees it in the admin."""
    from marketplace.payments import ledger

    problems = ledger.check()
    for problem in problems:
        log.error("ledger: %s", problem)
    return {"problems": len(problems), "failed": len(problems)}


def remind_certificates() -> dict[str, int]:
    """Each reminder is recorded with a unique key: safe to run again or concurrently."""
    from marketplace.labels.services import send_reminders

    return {"reminders_sent": send_reminders()}
