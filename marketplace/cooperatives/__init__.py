"""The `cooperatives` domain: blueprint `bp` (pages under /<locale>/)."""

from flask import Blueprint

bp = Blueprint("cooperatives", __name__)

from marketplace.cooperatives import seller_views, views  # noqa: E402,F401
