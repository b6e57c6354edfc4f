"""Public cooperative pages: the list of verified cooperatives and each one's page."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.catalogue import queries
from marketplace.catalogue.views import listing, province_name
from marketplace.cooperatives import bp
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.i18n import current_lang, pick


@bp.get("/cooperatives")
def index():
    """Verified cooperatives, grouped by province (optionally one province)."""
    lang = current_lang()
    province = request.args.get("province", "")
    if province and province not in queries.PROVINCES:
        raise NotFound(_l("This province is not part of the Drâa-Tafilalet region."))
    statement = (
        select(Cooperative)
        .where(queries.visible_cooperatives_filter())
        .options(selectinload(Cooperative.translations))
    )
    if province:
        statement = statement.where(Cooperative.province == province)
    cooperatives = list(db.session.scalars(statement))
    counts = {f.id: f.product_count for f in queries.facets(lang)["cooperatives"]}
    groups = []
    for code in queries.PROVINCES:
        members = [c for c in cooperatives if c.province == code]
        members.sort(key=lambda c: (pick(c.translations, lang).name or c.slug).lower())
        if members:
            groups.append((code, province_name(code), members))
    return render_template(
        "cooperatives/index.html",
        groups=groups,
        counts=counts,
        province=province,
        total=len(cooperatives),
    )


@bp.get("/cooperatives/<slug>")
def detail(slug: str):
    cooperative = queries.visible_cooperative_by_slug(slug)
    if cooperative is None:
        raise NotFound(_l("This cooperative does not exist or is not listed."))
    return listing("cooperatives/detail.html", cooperative=cooperative)
