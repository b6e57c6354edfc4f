"""The `catalogue` domain: blueprint `bp` (pages under /<lang>/)."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from marketplace.catalogue import views  # noqa: E402,F401
