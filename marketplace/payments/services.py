"""Payments: Stripe Checkout, webhooks, cash on delivery, refunds, ledger, payouts."""

from __future__ import annotations

from flask import current_app


def card_payments_enabled() -> bool:
    """Card payments are offered only when Stripe is configured (never in the keyless demo)."""
    config = current_app.config
    return bool(
        config.get("STRIPE_SECRET_KEY")
        and config.get("STRIPE_PUBLISHABLE_KEY")
        and config.get("STRIPE_WEBHOOK_SECRET")
    )
