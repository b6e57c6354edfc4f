"""The API's routes: the public catalogue (read-only, cached, open to every origin) and a
cooperative's own orders and products (personal access token)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import wraps

import flask_babel
from flask import current_app, g, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from marketplace import storage
from marketplace.api import api, blp, docs_bp, services, tokens
from marketplace.api import schemas as s
from marketplace.api.models import Scope
from marketplace.api.problems import (
    PROBLEM_TYPE,
    domain_problem,
    http_problem,
    unexpected_problem,
)
from marketplace.catalogue import queries, units, variants
from marketplace.catalogue.models import Category, Product, ProductVariant
from marketplace.catalogue.search import search_products
from marketplace.catalogue.views import safe_description
from marketplace.cooperatives.models import Cooperative, province_label
from marketplace.errors import DomainError, InvalidInput, NotFound
from marketplace.extensions import db, limiter
from marketplace.i18n import LOCALES, pick
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.queries import get_sub_order_for_cooperative
from marketplace.orders.status import COOPERATIVE, allowed_next

ID = "int(max=2147483647)"
PUBLIC_ENDPOINTS = frozenset(
    {
        "api.categories",
        "api.products",
        "api.product",
        "api.cooperatives",
        "api.cooperative",
        "api.search",
    }
)
BAD_CURSOR = _l("This cursor is not valid. Start again from the first page.")


# --- request-wide: language, errors, caching, CORS, rate limits ----------------------------


def api_locale() -> str:
    """?lang= when it is a language of the site, else the best of Accept-Language, else the
    default (French)."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    best = request.accept_languages.best_match(LOCALES)
    return best or current_app.config["DEFAULT_LOCALE"]


@blp.before_request
def choose_locale() -> None:
    g.locale = g.api_locale = api_locale()
    flask_babel.refresh()  # the locale may have been read before this


@blp.after_request
def api_headers(response):
    g.pop("locale", None)  # no language cookie for API clients: the language is per request
    response.headers["Content-Language"] = g.get("api_locale", "fr")
    response.vary.add("Accept-Language")
    if request.endpoint in PUBLIC_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Content-Language, Retry-After, X-Request-ID, X-RateLimit-Limit, "
            "X-RateLimit-Remaining, X-RateLimit-Reset"
        )
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Accept-Language, If-None-Match"
            )
            response.headers["Access-Control-Max-Age"] = "86400"
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            seconds = int(current_app.config["API_CACHE_SECONDS"])
            response.headers["Cache-Control"] = f"public, max-age={seconds}"
            response.add_etag()
            response.make_conditional(request)
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.errorhandler(HTTPException)
def _http_error(error):
    return http_problem(error)


@blp.errorhandler(DomainError)
def _domain_error(error):
    return domain_problem(error)


@blp.errorhandler(Exception)
def _unexpected(error):
    return unexpected_problem(error)


limiter.limit(
    lambda: current_app.config["API_RATE_LIMIT"],
    key_func=lambda: request.remote_addr or "unknown",
    scope="api-v1",
)(blp)


def problems(*codes: int):
    """Document the problem+json answers of an operation."""

    def decorator(view):
        for code in codes:
            view = blp.alt_response(
                code,
                schema=s.Problem,
                content_type=PROBLEM_TYPE,
                description=str(_PROBLEM_DESCRIPTIONS.get(code, "Error")),
            )(view)
        return view

    return decorator


_PROBLEM_DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid access token",
    403: "The token lacks the scope this needs",
    404: "Not found (or not yours)",
    409: "Conflict: not allowed in the current state, or changed meanwhile",
    422: "Invalid parameters or body",
    429: "Too many requests from this address",
}
# 400: unreadable request (a NUL character, a cursor the API did not make, a rule the
# schema cannot express); 422: parameters or body that do not match the schema.
PUBLIC_PROBLEMS = (400, 422, 429)


def cacheable(view):
    """Document the conditional answer of a cached GET."""
    return blp.alt_response(304, description="Not modified (If-None-Match)")(view)


# --- serialising ----------------------------------------------------------------------------


def aware(moment: datetime | None) -> datetime | None:
    """A timestamp with its UTC offset (SQLite gives back naive UTC values)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def text(translations, attribute: str, locale: str) -> dict:
    picked = pick(translations, locale)
    if not picked:
        return {"value": "", "lang": None, "fallback": False}
    return {
        "value": getattr(picked.translation, attribute) or "",
        "lang": picked.locale,
        "fallback": picked.fallback,
    }


def image(stored) -> dict:
    width, height = storage.display_size(stored.width, stored.height, "card")
    return {"url": storage.image_url(stored.stored_name, "card"), "width": width, "height": height}


def category_ref(category: Category | None, locale: str) -> dict | None:
    if category is None:
        return None
    return {
        "id": category.id,
        "slug": category.slug,
        "name": text(category.translations, "name", locale),
    }


def cooperative_ref(cooperative: Cooperative, locale: str) -> dict:
    return {
        "id": cooperative.id,
        "slug": cooperative.slug,
        "name": text(cooperative.translations, "name", locale),
    }


def option_label(variant: ProductVariant, locale: str) -> dict:
    """A variant's name as a translated text: its label in ``locale``, else in another language
    (a fallback), else its unit and size in ``locale``."""
    label = variants.option_label(variant, locale)
    return {"value": label.text, "lang": label.locale, "fallback": label.fallback}


def variant_data(variant: ProductVariant, locale: str) -> dict:
    return {
        "id": variant.id,
        "sku": variant.sku,
        "label": option_label(variant, locale),
        "price_cents": variant.price_cents,
        "stock": variant.stock,
        "in_stock": variant.stock > 0,
        "unit": units.as_json(variant, locale),
        "weight_grams": variant.weight_grams,
    }


def product_summary(product: Product, locale: str) -> dict:
    shown = variants.active_variants(product)
    return {
        "id": product.id,
        "slug": product.slug,
        "url": url_for("storefront.product", slug=product.slug, locale=locale),
        "name": text(product.translations, "name", locale),
        "unit": units.as_json(product, locale),
        "price_cents": product.price_cents,
        "price_min_cents": min((v.price_cents for v in shown), default=product.price_cents),
        "price_max_cents": max((v.price_cents for v in shown), default=product.price_cents),
        "currency": "MAD",
        "stock": product.stock,
        "in_stock": product.stock > 0,
        "variants": [variant_data(v, locale) for v in shown],
        "category": category_ref(product.category, locale),
        "cooperative": cooperative_ref(product.cooperative, locale),
        "image": image(product.images[0]) if product.images else None,
        "created_at": aware(product.created_at),
        "updated_at": aware(product.updated_at),
    }


def product_detail(product: Product, locale: str) -> dict:
    data = product_summary(product, locale)
    description = text(product.translations, "description", locale)
    description["value"] = str(safe_description(description["value"]))
    chosen = variants.default_variant(product)
    data.update(
        description=description,
        weight_grams=chosen.weight_grams if chosen is not None else None,
        images=[image(i) for i in product.images],
    )
    return data


def api_options() -> tuple:
    """Everything a product in an answer shows, in a constant number of queries."""
    return (
        *queries.card_options(),
        selectinload(Product.category).selectinload(Category.translations),
        selectinload(Product.variants),
    )


# --- public: categories ---------------------------------------------------------------------


@blp.get("/categories", endpoint="categories")
@blp.arguments(s.LocaleQuery, location="query")
@blp.response(200, s.CategoryList)
@cacheable
@problems(*PUBLIC_PROBLEMS)
def categories(args):
    """The categories.

    Every category, with its number of products on sale (its sub-categories' included)."""
    locale = g.api_locale
    rows = db.session.scalars(
        select(Category)
        .options(selectinload(Category.translations))
        .order_by(Category.position, Category.id)
    ).all()
    counts = dict(
        db.session.execute(
            select(Product.category_id, func.count(Product.id))
            .where(queries.visible_products_filter())
            .group_by(Product.category_id)
        ).all()
    )
    parents = {c.id: c.parent_id for c in rows}
    totals: dict[int, int] = {}
    for category_id, count in counts.items():
        seen: set[int] = set()
        while category_id in parents and category_id not in seen:  # up to the root
            seen.add(category_id)
            totals[category_id] = totals.get(category_id, 0) + count
            category_id = parents[category_id]
    items = [
        {
            **category_ref(c, locale),
            "parent_id": c.parent_id,
            "position": c.position,
            "description": text(c.translations, "description", locale),
            "product_count": totals.get(c.id, 0),
        }
        for c in rows
    ]
    return {"lang": locale, "items": items}


# --- public: products -----------------------------------------------------------------------


def _catalogue_filters(args) -> queries.Filters | None:
    """The catalogue's filters from the query; None when a named category or cooperative
    does not exist (the answer is then an empty list, as on the site)."""
    filters = queries.Filters(
        province=args.get("province"),
        price_min_cents=args.get("min_price_cents"),
        price_max_cents=args.get("max_price_cents"),
        in_stock=bool(args.get("in_stock")),
    )
    if not (args.get("category") or args.get("cooperative")):
        return filters
    facet_data = queries.facets(g.api_locale)  # cached for a minute
    if args.get("category"):
        by_slug = {f.slug: f for f in facet_data["categories"]}
        if args["category"] not in by_slug:
            return None
        filters.category_ids = queries.category_ids(
            by_slug[args["category"]].id, facet_data["categories"]
        )
    if args.get("cooperative"):
        by_slug = {f.slug: f for f in facet_data["cooperatives"]}
        if args["cooperative"] not in by_slug:
            return None
        filters.cooperative_id = by_slug[args["cooperative"]].id
    return filters


@blp.get("/products", endpoint="products")
@blp.arguments(s.ProductListQuery, location="query")
@blp.response(200, s.ProductPage)
@cacheable
@problems(*PUBLIC_PROBLEMS)
def products(args):
    """Products on sale.

    Filtered and sorted like the catalogue, a page at a time: pass the answer's
    ``next_cursor`` as ``after`` for the next page (null on the last one)."""
    locale = g.api_locale
    filters = _catalogue_filters(args)
    if filters is None:
        return {"lang": locale, "items": [], "next_cursor": None}
    try:
        page = queries.list_products(
            filters,
            args["sort"],
            locale,
            per_page=args["limit"],
            after=args.get("after"),
            options=api_options(),
        )
    except queries.BadCursor as exc:
        raise InvalidInput(BAD_CURSOR) from exc
    return {
        "lang": locale,
        "items": [product_summary(p, locale) for p in page.products],
        "next_cursor": page.next_cursor,
    }


@blp.get(f"/products/<{ID}:product_id>", endpoint="product")
@blp.arguments(s.LocaleQuery, location="query")
@blp.response(200, s.ProductDetail)
@cacheable
@problems(404, *PUBLIC_PROBLEMS)
def product(args, product_id: int):
    """One product on sale.

    With its description (sanitised HTML) and every photo."""
    found = db.session.scalar(
        select(Product)
        .where(Product.id == product_id, queries.visible_products_filter())
        .options(*api_options())
    )
    if found is None:
        raise NotFound(_l("This product does not exist or is no longer for sale."))
    return product_detail(found, g.api_locale)


# --- public: cooperatives -------------------------------------------------------------------


def cooperative_data(cooperative: Cooperative, locale: str, product_count: int) -> dict:
    return {
        **cooperative_ref(cooperative, locale),
        "url": url_for("cooperatives.detail", slug=cooperative.slug, locale=locale),
        "story": text(cooperative.translations, "story", locale),
        "province": cooperative.province,
        "province_name": province_label(cooperative.province),
        "commune": cooperative.commune or "",
        "founded_year": cooperative.founded_year,
        "members_count": cooperative.members_count,
        "women_members_count": cooperative.women_members_count,
        "logo_url": storage.image_url(cooperative.logo_path, "thumb")
        if cooperative.logo_path
        else None,
        "product_count": product_count,
    }


def _product_counts(cooperative_ids: list[int]) -> dict[int, int]:
    if not cooperative_ids:
        return {}
    return dict(
        db.session.execute(
            select(Product.cooperative_id, func.count(Product.id))
            .where(queries.visible_products_filter(), Product.cooperative_id.in_(cooperative_ids))
            .group_by(Product.cooperative_id)
        ).all()
    )


ID_COLUMNS = [(Cooperative.id, False, "int")]


@blp.get("/cooperatives", endpoint="cooperatives")
@blp.arguments(s.CursorQuery, location="query")
@blp.response(200, s.CooperativePage)
@cacheable
@problems(*PUBLIC_PROBLEMS)
def cooperatives(args):
    """The cooperatives.

    Verified cooperatives, oldest first, a page at a time (``after`` = ``next_cursor``)."""
    locale = g.api_locale
    statement = select(Cooperative).where(queries.visible_cooperatives_filter())
    if args.get("after"):
        try:
            (after_id,) = queries.decode_cursor(args["after"], ID_COLUMNS)
        except queries.BadCursor as exc:
            raise InvalidInput(BAD_CURSOR) from exc
        statement = statement.where(Cooperative.id > after_id)
    rows = db.session.scalars(
        statement.options(selectinload(Cooperative.translations))
        .order_by(Cooperative.id)
        .limit(args["limit"] + 1)
    ).all()
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    counts = _product_counts([c.id for c in rows])
    return {
        "lang": locale,
        "items": [cooperative_data(c, locale, counts.get(c.id, 0)) for c in rows],
        "next_cursor": queries.encode_cursor([rows[-1].id]) if more else None,
    }


@blp.get(f"/cooperatives/<{ID}:cooperative_id>", endpoint="cooperative")
@blp.arguments(s.LocaleQuery, location="query")
@blp.response(200, s.Cooperative)
@cacheable
@problems(404, *PUBLIC_PROBLEMS)
def cooperative(args, cooperative_id: int):
    """One cooperative."""
    found = db.session.scalar(
        select(Cooperative)
        .where(Cooperative.id == cooperative_id, queries.visible_cooperatives_filter())
        .options(selectinload(Cooperative.translations))
    )
    if found is None:
        raise NotFound(_l("This cooperative does not exist."))
    return cooperative_data(found, g.api_locale, _product_counts([found.id]).get(found.id, 0))


# --- public: search -------------------------------------------------------------------------


@blp.get("/search", endpoint="search")
@blp.arguments(s.SearchQuery, location="query")
@blp.response(200, s.SearchResult)
@cacheable
@problems(*PUBLIC_PROBLEMS)
def search(args):
    """Search products.

    Products matching every word of ``q``, best first, with the site's folding: Arabic
    without diacritics, tatweel or letter variants, French without accents or case; a word
    matches by its beginning, in any language. Counting stops past 100 results."""
    locale = g.api_locale
    results = search_products(
        args["q"], locale, page=args["page"], per_page=args["limit"], options=api_options()
    )
    return {
        "lang": locale,
        "query": args["q"],
        "total": min(results.total, 100),
        "more_than_counted": results.more_than_counted,
        "page": args["page"],
        "items": [product_summary(p, locale) for p in results.products],
    }


# --- the description itself -----------------------------------------------------------------


@docs_bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description, generated from the schemas and routes of this module."""
    response = jsonify(api.spec.to_dict())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


@docs_bp.get("/docs")
def docs():
    """The interactive documentation (Swagger UI, served from static/vendor)."""
    return render_template("api/docs.html", spec_url=url_for("api_docs.openapi"))


# --- cooperatives' own data (bearer token) --------------------------------------------------

SECURED = [{"bearerAuth": []}]
TOKEN_PROBLEMS = (400, 401, 403, 422, 429)


def token_required(scope: Scope):
    """The view runs with ``g.api_token``, a usable token of a verified cooperative that has
    ``scope``; else 401 (no, unknown, revoked or expired token) or 403 (scope)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = tokens.authenticate(request.headers.get("Authorization"))
            tokens.require_scope(token, scope)
            g.api_token = token
            return view(*args, **kwargs)

        return blp.doc(security=SECURED)(wrapped)

    return decorator


def sub_order_data(sub: CooperativeOrder, locale: str) -> dict:
    order = sub.order
    return {
        "id": sub.id,
        "order_number": order.number,
        "status": sub.status,
        "allowed_next": allowed_next(sub, COOPERATIVE),
        "payment_method": order.payment_method,
        "currency": order.currency,
        "items_cents": sub.items_cents,
        "shipping_cents": sub.shipping_cents,
        "total_cents": sub.total_cents,
        "carrier": sub.carrier or "",
        "tracking_number": sub.tracking_number or "",
        "created_at": aware(sub.created_at),
        "updated_at": aware(sub.updated_at),
        "shipping_address": {
            "contact_name": order.contact_name,
            "phone": order.phone,
            "address_line1": order.address_line1,
            "address_line2": order.address_line2 or "",
            "city": order.city,
            "region": order.region or "",
            "postal_code": order.postal_code or "",
            "country": order.country,
        },
        "lines": [
            {
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "sku": line.sku or "",
                "variant_label": _ordered_label(line, locale),
                "name": dict(zip(("value", "lang", "fallback"), line.name_in(locale), strict=True)),
                "unit": units.as_json(line, locale),
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "line_total_cents": line.line_total_cents,
            }
            for line in sub.lines
        ],
    }


def _ordered_label(line, locale: str) -> dict | None:
    """The variant's option label as ordered, in ``locale`` or a fallback; None when the
    variant had none (its unit, ``unit``, names it)."""
    label = line.variant_label_in(locale)
    if label is None:
        return None
    return {"value": label.text, "lang": label.locale, "fallback": label.fallback}


SUB_ORDER_COLUMNS = [(CooperativeOrder.id, True, "int")]


@blp.get("/cooperative/orders", endpoint="orders")
@token_required(Scope.ORDERS_READ)
@blp.arguments(s.SubOrderQuery, location="query")
@blp.response(200, s.SubOrderPage)
@problems(*TOKEN_PROBLEMS)
def orders(args):
    """Your orders.

    Your cooperative's part of each order (sub-orders), newest first, a page at a time.
    Needs the ``orders:read`` scope."""
    locale = g.api_locale
    statement = select(CooperativeOrder).where(
        CooperativeOrder.cooperative_id == g.api_token.cooperative_id
    )
    if args.get("status"):
        statement = statement.where(CooperativeOrder.status == args["status"])
    if args.get("after"):
        try:
            (before_id,) = queries.decode_cursor(args["after"], SUB_ORDER_COLUMNS)
        except queries.BadCursor as exc:
            raise InvalidInput(BAD_CURSOR) from exc
        statement = statement.where(CooperativeOrder.id < before_id)
    rows = db.session.scalars(
        statement.options(
            selectinload(CooperativeOrder.order), selectinload(CooperativeOrder.lines)
        )
        .order_by(CooperativeOrder.id.desc())
        .limit(args["limit"] + 1)
    ).all()
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {
        "lang": locale,
        "items": [sub_order_data(sub, locale) for sub in rows],
        "next_cursor": queries.encode_cursor([rows[-1].id]) if more else None,
    }


def _own_sub_order(sub_order_id: int) -> CooperativeOrder:
    return get_sub_order_for_cooperative(sub_order_id, g.api_token.cooperative_id)


@blp.get(f"/cooperative/orders/<{ID}:sub_order_id>", endpoint="order")
@token_required(Scope.ORDERS_READ)
@blp.arguments(s.LocaleQuery, location="query")
@blp.response(200, s.SubOrder)
@problems(404, *TOKEN_PROBLEMS)
def order(args, sub_order_id: int):
    """One of your orders.

    One of your cooperative's sub-orders (another cooperative's id: 404). Needs the
    ``orders:read`` scope."""
    return sub_order_data(_own_sub_order(sub_order_id), g.api_locale)


@blp.post(f"/cooperative/orders/<{ID}:sub_order_id>/status", endpoint="order_status")
@token_required(Scope.ORDERS_STATUS)
@blp.arguments(s.StatusChange)
@blp.response(200, s.SubOrder)
@problems(404, 409, *TOKEN_PROBLEMS)
def order_status(data, sub_order_id: int):
    """Change the status of an order.

    Moves a sub-order through the status machine, with the dashboard's rules: confirmed →
    shipped (carrier, tracking number) → delivered; cancelled (with a reason) before
    delivery. Needs the ``orders:status`` scope; recorded with the token's name."""
    sub = _own_sub_order(sub_order_id)
    services.change_status(g.api_token, sub, data)
    return sub_order_data(_own_sub_order(sub_order_id), g.api_locale)


@blp.get("/cooperative/products", endpoint="own_products")
@token_required(Scope.PRODUCTS_WRITE)
@blp.arguments(s.CursorQuery, location="query")
@blp.response(200, s.OwnProductPage)
@problems(*TOKEN_PROBLEMS)
def own_products(args):
    """Your products.

    Your cooperative's products (drafts and hidden ones too) by id, each with its variants
    (inactive ones too): their id, SKU, stock and price, for a bulk update. Needs the
    ``products:write`` scope."""
    locale = g.api_locale
    statement = select(Product).where(Product.cooperative_id == g.api_token.cooperative_id)
    if args.get("after"):
        try:
            (after_id,) = queries.decode_cursor(args["after"], ID_COLUMNS)
        except queries.BadCursor as exc:
            raise InvalidInput(BAD_CURSOR) from exc
        statement = statement.where(Product.id > after_id)
    rows = db.session.scalars(
        statement.options(selectinload(Product.translations), selectinload(Product.variants))
        .order_by(Product.id)
        .limit(args["limit"] + 1)
    ).all()
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {
        "lang": locale,
        "items": [
            {
                "id": p.id,
                "slug": p.slug,
                "name": text(p.translations, "name", locale),
                "status": p.status,
                "unit": units.as_json(p, locale),
                "stock": p.stock,
                "price_cents": p.price_cents,
                "price_max_cents": p.price_max_cents,
                "variants": [
                    {
                        "id": v.id,
                        "sku": v.sku,
                        "label": option_label(v, locale),
                        "active": v.active,
                        "position": v.position,
                        "unit": units.as_json(v, locale),
                        "stock": v.stock,
                        "price_cents": v.price_cents,
                        "weight_grams": v.weight_grams,
                        "updated_at": aware(v.updated_at),
                    }
                    for v in p.variants
                ],
                "updated_at": aware(p.updated_at),
            }
            for p in rows
        ],
        "next_cursor": queries.encode_cursor([rows[-1].id]) if more else None,
    }


@blp.post("/cooperative/products/bulk-update", endpoint="bulk_update")
@token_required(Scope.PRODUCTS_WRITE)
@blp.arguments(s.BulkUpdate)
@blp.response(200, s.BulkResult)
@problems(404, 409, *TOKEN_PROBLEMS)
def bulk_update(data):
    """Update stock and prices.

    Sets the stock and/or price of many of your variants at once: all lines or none. A line
    names its variant by ``variant_id`` or ``sku`` (a product sold in a single variant may
    also be named by its ``product_id``). A refused request lists the error of each line
    (``errors[].line`` and what it named). With ``expected_stock`` a line changes the stock
    only if nobody (no order) changed it since your tool read it. Needs the
    ``products:write`` scope; each change is recorded with the token's name."""
    changes = services.bulk_update(g.api_token, data["items"])
    return {"updated": changes}
