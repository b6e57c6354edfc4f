"""The `impact` domain: the council's impact dashboard (observers and admins), its charts and
exports, and the public transparency page. Blueprint `bp` (pages under /<locale>/)."""

from flask import Blueprint

bp = Blueprint("impact", __name__)

from marketplace.impact import admin_views, rollup, views  # noqa: E402,F401
