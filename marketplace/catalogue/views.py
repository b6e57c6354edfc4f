"""Public catalogue pages: home, product grid with filters, product, category, search, plus
the unprefixed sitemap and media routes."""

from __future__ import annotations

from dataclasses import dataclass

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
from marketplace.catalogue import bp, queries, root_bp, variants
from marketplace.catalogue.forms import FilterForm
from marketplace.catalogue.models import Category, Product, ProductVariant
from marketplace.catalogue.search import MAX_QUERY_CHARS, search_products
from marketplace.catalogue.services import ALLOWED_TAGS
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import InvalidInput
from marketplace.errors import NotFound as DomainNotFound
from marketplace.extensions import db
from marketplace.http import int_arg, page_arg
from marketplace.i18n import LANGUAGES, current_lang

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


# --- request parsing ----------------------------------------------------------------------


def cursor_param(name: str) -> str | None:
    value = request.args.get(name) or None
    if value is not None and len(value) > 600:
        raise InvalidInput(_l("This link is not valid. Please start again from the first page."))
    return value


def listing(
    template: str,
    *,
    category: Category | None = None,
    cooperative: Cooperative | None = None,
    **context,
):
    """The product grid of the catalogue, a category or a cooperative, with its filters."""
    from marketplace.labels import services as labels  # a domain above the catalogue

    lang = current_lang()
    facet_data = queries.facets(lang)
    label_facets = labels.label_facets(lang)
    form = FilterForm(request.args)
    form.set_choices(
        [(f.slug, f.name) for f in facet_data["categories"]],
        [(code, province_name(code)) for code in queries.PROVINCES],
        [(f.slug, f.name) for f in facet_data["cooperatives"]],
        [(slug, name) for slug, name, _ in label_facets],
    )
    form.validate()
    filters = queries.Filters(
        cooperative_id=cooperative.id if cooperative is not None else None,
        province=form.clean_value("province") or None,
        price_min_cents=form.price_min.cents,
        price_max_cents=form.price_max.cents,
        in_stock=bool(form.in_stock.data),
        label_id=next((i for s, _, i in label_facets if s == form.clean_value("label")), None),
    )
    category_slug = category.slug if category is not None else form.clean_value("category")
    if category_slug:
        by_slug = {f.slug: f for f in facet_data["categories"]}
        if category_slug in by_slug:
            filters.category_ids = queries.category_ids(
                by_slug[category_slug].id, facet_data["categories"]
            )
        else:  # a category created a moment ago (facets are cached briefly)
            filters.category_ids = [category.id] if category is not None else []
    if cooperative is None and form.clean_value("cooperative"):
        by_slug = {f.slug: f for f in facet_data["cooperatives"]}
        filters.cooperative_id = by_slug[form.clean_value("cooperative")].id
    page = page_arg(strict=True)
    after, before = cursor_param("after"), cursor_param("before")
    if page > queries.MAX_OFFSET_PAGE and not (after or before):
        raise DomainNotFound(_l("This page of results does not exist."))
    try:
        result = queries.list_products(
            filters,
            form.sort.data,
            lang,
            per_page=current_app.config["PAGE_SIZE"],
            page=page,
            after=after,
            before=before,
        )
    except queries.BadCursor as exc:
        raise InvalidInput(
            _l("This link is not valid. Please start again from the first page.")
        ) from exc
    if not result.products and (page > 1 or after or before):
        raise DomainNotFound(_l("This page of results does not exist."))
    return render_template(
        template,
        form=form,
        result=result,
        facets=facet_data,
        filtered=any(
            [
                form.clean_value("category"),
                form.clean_value("province"),
                form.clean_value("cooperative"),
                form.price_min.cents is not None,
                form.price_max.cents is not None,
                form.in_stock.data,
                form.clean_value("label"),
            ]
        ),
        category=category,
        cooperative=cooperative,
        **context,
    )


@dataclass(frozen=True)
class VariantOption:
    variant: ProductVariant
    label: variants.OptionLabel
    checked: bool


@dataclass(frozen=True)
class VariantChoice:
    """What the product page offers. ``options``: one radio button per active variant, empty
    when the product has a single one (its page is a product page as it always was).
    ``selected``: the variant of a shared ``?variant=`` link, whose price, stock and unit the
    page shows; None without one (or with one that is not an active variant of the product)."""

    options: list[VariantOption]
    selected: ProductVariant | None


def variant_choice(product: Product, variant_id: int | None) -> VariantChoice:
    """The choice of ``product``'s variants, preselecting ``variant_id`` when it is one of
    its active variants (else the default variant); no query (the variants came with the
    product). An out-of-stock variant is offered disabled and is never the checked one."""
    if not variants.shows_choice(product):
        return VariantChoice(options=[], selected=None)
    selected = variants.find_active(product, variant_id) if variant_id is not None else None
    checked = selected if selected is not None else variants.default_variant(product)
    return VariantChoice(
        options=[
            VariantOption(
                variant=variant,
                label=variants.option_label(variant),
                checked=variant is checked and variant.stock > 0,
            )
            for variant in variants.active_variants(product)
        ],
        selected=selected,
    )


# --- pages --------------------------------------------------------------------------------


@bp.get("/")
def home():
    lang = current_lang()
    facet_data = queries.facets(lang)
    return render_template(
        "catalogue/home.html",
        featured=queries.featured_products(8),
        facets=facet_data,
        top_categories=[f for f in facet_data["categories"] if f.parent_id is None],
    )


@bp.get("/products")
def products():
    return listing("catalogue/products.html")


@bp.get("/categories/<slug>")
def category(slug: str):
    found = queries.category_by_slug(slug)
    if found is None:
        raise DomainNotFound(_l("This category does not exist."))
    return listing("catalogue/category.html", category=found)


@bp.get("/products/<slug>")
def product(slug: str):
    from marketplace.reviews import services as reviews  # a domain above the catalogue
    from marketplace.reviews.forms import ReportForm

    found, related = queries.product_with_related(slug, 4)
    if found is None:
        raise DomainNotFound(_l("This product does not exist or is no longer for sale."))
    # Reviews are read only when the stored count says there are some.
    rated = found.rating_count > 0
    return render_template(
        "catalogue/product.html",
        product=found,
        choice=variant_choice(found, int_arg("variant", minimum=1)),
        related=related,
        reviews=reviews.product_reviews(found.id, current_lang(), per_page=5) if rated else None,
        distribution=reviews.distribution(found.id) if rated else None,
        report_form=ReportForm(),
    )


@bp.get("/search")
def search():
    query = request.args.get("q", "")
    too_long = len(query) > MAX_QUERY_CHARS
    page = page_arg(strict=True)
    if page > queries.MAX_OFFSET_PAGE:
        raise DomainNotFound(_l("This page of results does not exist."))
    results = search_products(
        query, current_lang(), page=page, per_page=current_app.config["PAGE_SIZE"]
    )
    if page > 1 and not results.products:
        raise DomainNotFound(_l("This page of results does not exist."))
    return render_template(
        "catalogue/search.html",
        query=query[:MAX_QUERY_CHARS],
        too_long=too_long,
        results=results,
    )


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
        ("catalogue.home", {}, None),
        ("catalogue.products", {}, None),
        ("cooperatives.index", {}, None),
    ]
    for slug in db.session.scalars(select(Category.slug).order_by(Category.id)):
        pages.append(("catalogue.category", {"slug": slug}, None))
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
        pages.append(("catalogue.product", {"slug": slug}, updated.date().isoformat()))
    for source in SITEMAP_SOURCES:
        pages.extend(source())
    entries = []
    for endpoint, args, lastmod in pages:
        urls = {code: base + url_for(endpoint, lang=code, **args) for code in LANGUAGES}
        entries.append({"urls": urls, "lastmod": lastmod})
    xml = render_template("catalogue/sitemap.xml", entries=entries, languages=LANGUAGES)
    return Response(xml, mimetype="application/xml")
