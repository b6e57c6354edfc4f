"""The `payments` domain: blueprint `bp` (pages under /<locale>/) and `root_bp` (unprefixed:
the Stripe webhook)."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
root_bp = Blueprint("payments_root", __name__)

from marketplace.payments import admin_views, ledger, seller_views, views  # noqa: E402,F401
