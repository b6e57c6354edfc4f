"""``flask labels …``: scheduled upkeep of certificates."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db

labels_cli = AppGroup("labels", help="Labels and certificates: scheduled upkeep.")


@labels_cli.command("remind")
def remind_command() -> None:
    """E-mail cooperatives whose certificates expire in 30 days and again in 7 days, each
    reminder once. Safe to run often and concurrently; run it once a day."""
    from marketplace.labels.services import send_reminders

    try:
        sent = send_reminders()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"reminders sent: {sent}")


COMMANDS = [labels_cli]
