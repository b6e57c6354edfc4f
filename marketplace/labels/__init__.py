"""The `labels` domain: labels of origin, quality, organic farming and sanitary
authorisation; the certificates cooperatives hold for them; their expiry and reminders."""

from flask import Blueprint

bp = Blueprint("labels", __name__)

from marketplace.labels import admin_views, seller_views, views  # noqa: E402,F401
