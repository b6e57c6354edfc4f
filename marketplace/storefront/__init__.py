"""The storefront: the public pages that show the catalogue's products with what the domains
above it say of them (the labels' filter and badges, the reviews). It sits above catalogue,
labels and reviews, so it asks each of them directly."""

from flask import Blueprint

bp = Blueprint("storefront", __name__)

from marketplace.storefront import views  # noqa: E402,F401
