"""``flask orders …``: scheduled upkeep of orders."""

from __future__ import annotations

from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Orders: scheduled upkeep.")
# ``flask orders expire-unpaid`` is declared in payments/commands.py: card orders are
# released only after asking Stripe, and payments sit above orders.

COMMANDS = [orders_cli]
