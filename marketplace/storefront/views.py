"""The storefront's pages: home, product grid with filters (the catalogue's, the labels'),
product (with its reviews), category and search."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l

from marketplace.catalogue import queries, variants
from marketplace.catalogue.models import Category, Product, ProductVariant
from marketplace.catalogue.search import MAX_QUERY_CHARS, search_products
from marketplace.catalogue.views import province_name
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import InvalidInput
from marketplace.errors import NotFound as DomainNotFound
from marketplace.http import int_arg, page_arg
from marketplace.i18n import current_locale
from marketplace.labels import services as labels
from marketplace.reviews import services as reviews
from marketplace.reviews.forms import ReportForm
from marketplace.storefront import bp
from marketplace.storefront.forms import FilterForm

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
    locale = current_locale()
    facet_data = queries.facets(locale)
    label_facets = labels.label_facets(locale)
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
    )
    label_id = next((i for s, _, i in label_facets if s == form.clean_value("label")), None)
    if label_id is not None:
        filters.extra_conditions.append(labels.products_with_label_condition(label_id))
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
            locale,
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
    locale = current_locale()
    facet_data = queries.facets(locale)
    return render_template(
        "storefront/home.html",
        featured=queries.featured_products(8),
        facets=facet_data,
        top_categories=[f for f in facet_data["categories"] if f.parent_id is None],
    )


@bp.get("/products")
def products():
    return listing("storefront/products.html")


@bp.get("/categories/<slug>")
def category(slug: str):
    found = queries.category_by_slug(slug)
    if found is None:
        raise DomainNotFound(_l("This category does not exist."))
    return listing("storefront/category.html", category=found)


@bp.get("/products/<slug>")
def product(slug: str):
    found, related = queries.product_with_related(slug, 4)
    if found is None:
        raise DomainNotFound(_l("This product does not exist or is no longer for sale."))
    # Reviews are read only when the stored count says there are some.
    rated = found.rating_count > 0
    return render_template(
        "storefront/product.html",
        product=found,
        choice=variant_choice(found, int_arg("variant", minimum=1)),
        related=related,
        reviews=reviews.product_reviews(found.id, current_locale(), per_page=5) if rated else None,
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
        query, current_locale(), page=page, per_page=current_app.config["PAGE_SIZE"]
    )
    if page > 1 and not results.products:
        raise DomainNotFound(_l("This page of results does not exist."))
    return render_template(
        "storefront/search.html",
        query=query[:MAX_QUERY_CHARS],
        too_long=too_long,
        results=results,
    )
