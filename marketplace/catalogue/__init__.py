"""The `catalogue` domain: blueprint `bp` (the seller's product pages under /<locale>/dashboard;
the public pages are the storefront's) and `root_bp` (unprefixed: /sitemap.xml and
/media/<name>)."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)
root_bp = Blueprint("catalogue_root", __name__)

from marketplace.catalogue import seller_views, views  # noqa: E402,F401
