"""``flask notify deliver``: send the SMS and WhatsApp messages that are due now (the
``send-messages`` job does it in the background)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.notify import services

notify_cli = AppGroup("notify", help="SMS and WhatsApp notices.")


@notify_cli.command("deliver")
def deliver_command() -> None:
    """Send every queued message that is due now, and report what is left."""
    totals = services.deliver_all()
    counts = services.message_counts()
    click.echo(
        f"{totals['sent']} sent, {totals['failed']} given up, {totals['skipped']} skipped; "
        f"{counts['queued']} waiting"
    )


COMMANDS = [notify_cli]
