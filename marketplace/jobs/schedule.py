"""Every background job, declared once: what it runs, how often the scheduler enqueues it
(``period``; None: only when asked), whether at most one run at a time may go on across all
workers (``exclusive``: a row claim in ``job_state``), and how long a run may take.

Every job is idempotent and safe when two workers run it at once: the exclusive ones hold
their row claim; ``send-mail`` claims each message (``mail.claim_due``), so two runs share
the queue between them and never send a message twice; ``order-notices`` claims the orders
(SKIP LOCKED) and deletes each claim with the e-mails it queued, in one commit;
``impact-refresh`` claims the pending rows (SKIP LOCKED) and writes each order under its
advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function"; the function returns a summary dict of counts
    description: Any  # lazy string, shown to the operator
    period: timedelta | None
    exclusive: bool
    timeout: timedelta

    def function(self):
        module, _, attribute = self.target.partition(":")
        return getattr(import_module(module), attribute)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "send-mail",
            "marketplace.jobs.tasks:send_due_mail",
            _l("Send the e-mails that are due (also enqueued after each commit that queues one)."),
            period=timedelta(minutes=1),
            exclusive=False,
            timeout=timedelta(minutes=10),
        ),
        Job(
            "send-messages",
            "marketplace.jobs.tasks:send_due_messages",
            _l("Send the SMS and WhatsApp messages that are due (also after each commit)."),
            period=timedelta(minutes=1),
            exclusive=False,
            timeout=timedelta(minutes=10),
        ),
        Job(
            "order-notices",
            "marketplace.orders.notifications:write_due_notices",
            _l(
                "Write the e-mails and messages of the orders just placed: the shopper's "
                "confirmation and each cooperative's new order (also after each order)."
            ),
            period=timedelta(minutes=1),
            exclusive=False,
            timeout=timedelta(minutes=10),
        ),
        Job(
            "expire-unpaid-orders",
            "marketplace.jobs.tasks:expire_unpaid_orders",
            _l("Release the stock of card orders not paid in time."),
            period=timedelta(minutes=5),
            exclusive=True,
            timeout=timedelta(minutes=10),
        ),
        Job(
            "reconcile-payments",
            "marketplace.jobs.tasks:reconcile_payments",
            _l("Apply what Stripe knows and a lost webhook did not tell us."),
            period=timedelta(minutes=10),
            exclusive=True,
            timeout=timedelta(minutes=9),
        ),
        Job(
            "remind-certificates",
            "marketplace.jobs.tasks:remind_certificates",
            _l("E-mail cooperatives whose certificates expire in 30 days, then in 7 days."),
            period=timedelta(days=1),
            exclusive=True,
            timeout=timedelta(minutes=30),
        ),
        Job(
            "impact-refresh",
            "marketplace.impact.rollup:refresh_pending",
            _l(
                "Write the orders changed since the last run into the impact dashboard's "
                "figures (also enqueued after each commit that changes an order)."
            ),
            period=timedelta(minutes=1),
            exclusive=False,
            timeout=timedelta(minutes=10),
        ),
        Job(
            "impact-months",
            "marketplace.impact.rollup:close_months",
            _l("Add the month that has just ended to the impact dashboard's monthly figures."),
            period=timedelta(hours=1),
            exclusive=True,
            timeout=timedelta(minutes=30),
        ),
        Job(
            "check-ledger",
            "marketplace.jobs.tasks:check_ledger",
            _l("Verify the books: every transaction balances, every balance is right."),
            period=timedelta(days=1),
            exclusive=True,
            timeout=timedelta(minutes=30),
        ),
    )
}


def get(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; declared: {', '.join(JOBS)}") from None


def scheduled() -> list[Job]:
    return [job for job in JOBS.values() if job.period is not None]
