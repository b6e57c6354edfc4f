"""Public pages of the fairs: upcoming and past fairs, a fair with its exhibitors, its
iCalendar file."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for

from marketplace.catalogue.views import SITEMAP_SOURCES
from marketplace.cooperatives.models import province_label
from marketplace.errors import NotFound
from marketplace.fairs import bp, services
from marketplace.http import download_name
from marketplace.i18n import current_locale


def _fair_or_404(slug: str):
    try:
        return services.fair_by_slug(slug)
    except NotFound:
        abort(404)


def sitemap_pages() -> list[tuple[str, dict, str | None]]:
    pages: list[tuple[str, dict, str | None]] = [("fairs.index", {}, None)]
    for fair in services.all_fairs():
        pages.append(("fairs.detail", {"slug": fair.slug}, fair.updated_at.date().isoformat()))
    return pages


SITEMAP_SOURCES.append(sitemap_pages)


@bp.get("/fairs")
def index():
    return render_template(
        "fairs/index.html",
        upcoming=services.upcoming(),
        past=services.past(),
        fair_name=services.fair_name,
        province_label=province_label,
    )


@bp.get("/fairs/<slug>")
def detail(slug: str):
    fair = _fair_or_404(slug)
    return render_template(
        "fairs/detail.html",
        fair=fair,
        name=services.fair_name(fair),
        text=services.pick(fair.translations) if fair.translations else None,
        exhibitors=services.exhibitors(fair),
        province_label=province_label,
        map_url=services.map_url(fair),
        is_upcoming=fair.ends_on >= services.today(),
        page_url=request.url_root.rstrip("/") + url_for("fairs.detail", slug=fair.slug),
    )


@bp.get("/fairs/<slug>.ics")
def calendar(slug: str):
    fair = _fair_or_404(slug)
    url = request.url_root.rstrip("/") + url_for("fairs.detail", slug=fair.slug)
    body = services.ics(fair, current_locale(), url)
    response = Response(body, mimetype="text/calendar")
    name = download_name(f"{fair.slug}.ics", "fair.ics")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
