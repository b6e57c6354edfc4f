"""``flask orders …``: scheduled upkeep of orders."""

from __future__ import annotations

import click
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Orders: scheduled upkeep.")


@orders_cli.command("expire-unpaid")
@click.option("--limit", default=500, show_default=True, help="At most this many per run.")
def expire_unpaid_command(limit: int) -> None:
    """Release unpaid card orders whose time to pay has run out (UNPAID_CARD_ORDER_MINUTES,
    60 by default): their stock goes back on sale, once. Safe to run often and concurrently;
    run it every 5 minutes."""
    # Card payments live above orders: the payments domain asks Stripe before releasing.
    from marketplace.payments.commands import expire_unpaid

    counts = expire_unpaid(limit)
    summary = "expired: {expired}, paid meanwhile: {paid}, skipped: {skipped}, failures: {failed}"
    click.echo(summary.format(**counts))
    if counts["failed"]:
        raise SystemExit(1)


COMMANDS = [orders_cli]
