"""The `fairs` domain: the region's fairs (public pages, calendar file), stand applications
from cooperatives, admin decisions, and orders collected at a fair. Blueprint `bp` (pages
under /<locale>/)."""

from flask import Blueprint

bp = Blueprint("fairs", __name__)

from marketplace.fairs import admin_views, seller_views, services, views  # noqa: E402,F401
