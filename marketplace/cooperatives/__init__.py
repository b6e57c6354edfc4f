"""The `cooperatives` domain: blueprint `bp` (pages under /<lang>/)."""

from flask import Blueprint

bp = Blueprint("cooperatives", __name__)

from marketplace.cooperatives import dashboard, onboarding, views  # noqa: E402,F401
