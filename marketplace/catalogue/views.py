"""The catalogue's unprefixed routes, the sitemap and media, and how a product's province
and description are shown (the storefront's pages, the API and the templates share them)."""

from __future__ import annotations

import nh3
from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from marketplace import object_storage, storage
from marketplace.catalogue import queries, root_bp
from marketplace.catalogue.models import Category, Product
from marketplace.catalogue.services import ALLOWED_TAGS
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.i18n import LOCALES

MEDIA_MAX_AGE = 365 * 24 * 3600

PROVINCE_NAMES = {
    "errachidia": _l("Errachidia"),
    "ouarzazate": _l("Ouarzazate"),
    "midelt": _l("Midelt"),
    "tinghir": _l("Tinghir"),
    "zagora": _l("Zagora"),
}


def province_name(code: str | None) -> str:
    return str(PROVINCE_NAMES.get(code or "", code or ""))


def safe_description(html: str | None) -> Markup:
    """A product description as HTML, cleaned again with the editing allow-list."""
    cleaned = nh3.clean(html or "", tags=set(ALLOWED_TAGS), attributes={}, link_rel=None)
    return Markup(cleaned)  # noqa: S704  # nosec B704


# --- unprefixed: media and sitemap ----------------------------------------------------------


@root_bp.get("/media/<path:name>")
def media(name: str):
    """Public images (random, never reused names): cached for a year."""
    if not storage.MEDIA_FILE.match(name):
        abort(404)
    if object_storage.enabled():  # images live in the bucket (links made before the move)
        return redirect(object_storage.media_url(name), code=301)
    response = send_from_directory(current_app.config["MEDIA_DIR"], name, max_age=MEDIA_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# Public pages of higher domains (e.g. the fairs): callables returning
# [(endpoint, url arguments, lastmod or None), ...], registered by those domains.
SITEMAP_SOURCES: list = []


@root_bp.get("/sitemap.xml")
def sitemap():
    """Every public page in every language, with its hreflang alternates."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    pages: list[tuple[str, dict, str | None]] = [
        ("storefront.home", {}, None),
        ("storefront.products", {}, None),
        ("cooperatives.index", {}, None),
    ]
    for slug in db.session.scalars(select(Category.slug).order_by(Category.id)):
        pages.append(("storefront.category", {"slug": slug}, None))
    for slug in db.session.scalars(
        select(Cooperative.slug)
        .where(queries.visible_cooperatives_filter())
        .order_by(Cooperative.id)
    ):
        pages.append(("cooperatives.detail", {"slug": slug}, None))
    for slug, updated in db.session.execute(
        select(Product.slug, Product.updated_at)
        .where(queries.visible_products_filter())
        .order_by(Product.id)
    ):
        pages.append(("storefront.product", {"slug": slug}, updated.date().isoformat()))
    for source in SITEMAP_SOURCES:
        pages.extend(source())
    entries = []
    for endpoint, args, lastmod in pages:
        urls = {code: base + url_for(endpoint, locale=code, **args) for code in LOCALES}
        entries.append({"urls": urls, "lastmod": lastmod})
    xml = render_template("catalogue/sitemap.xml", entries=entries, locales=LOCALES)
    return Response(xml, mimetype="application/xml")
