"""The `reviews` domain: reviews by shoppers whose sub-order was delivered, the cooperative's
reply, reports and moderation, and the stored averages."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from marketplace.reviews import admin_views, seller_views, views  # noqa: E402,F401
