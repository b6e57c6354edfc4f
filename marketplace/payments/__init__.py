"""The `payments` domain: blueprint `bp` (pages under /<lang>/)."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from marketplace.payments import views  # noqa: E402,F401
