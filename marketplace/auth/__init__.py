"""The `auth` domain: accounts, login, registration, password reset, roles."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from marketplace.auth import loader, seller_views, views  # noqa: E402,F401
