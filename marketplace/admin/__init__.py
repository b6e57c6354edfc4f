"""The `admin` domain: blueprint `bp` (pages under /<locale>/)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from marketplace.admin import views  # noqa: E402,F401
