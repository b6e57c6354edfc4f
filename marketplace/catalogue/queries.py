"""Read-side queries of the public catalogue.

``visible_products_filter()`` is THE rule of what the public sees: an active product of a
verified cooperative. Listings use keyset pagination (a cursor on the sort key and the id)
so that a deep page costs the same as the first one, and load everything a product card shows
(texts, first image, cooperative and its names) in a constant number of queries.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select, true, tuple_, union_all
from sqlalchemy.orm import defer, joinedload, selectinload

from marketplace import cache as page_cache
from marketplace import signals
from marketplace.catalogue.models import (
    Category,
    Product,
    ProductStatus,
    ProductTranslation,
    ProductVariant,
)
from marketplace.cooperatives.models import Cooperative, CooperativeStatus, Province
from marketplace.extensions import db
from marketplace.i18n import FALLBACK_ORDER, pick

PROVINCES = tuple(p.value for p in Province)


def visible_cooperatives_filter():
    return Cooperative.status == CooperativeStatus.VERIFIED.value


def visible_products_filter():
    """Active products of verified cooperatives (usable in any query on Product), that meet
    the conditions higher domains add through ``signals.product_visibility`` (labels: with
    HIDE_FOOD_WITHOUT_SANITARY, not those whose sanitary authorisation expired)."""
    conditions = [
        Product.status == ProductStatus.ACTIVE.value,
        Product.cooperative_id.in_(select(Cooperative.id).where(visible_cooperatives_filter())),
    ]
    for _receiver, condition in signals.product_visibility.send(None):
        if condition is not None:
            conditions.append(condition)
    return and_(*conditions)


def card_options():
    """Loader options for everything a product card shows, in a fixed number of queries."""
    return (
        # The search document (every language's text) is for the database, not for cards.
        defer(Product.search_document),
        selectinload(Product.translations),
        selectinload(Product.images),
        joinedload(Product.cooperative).selectinload(Cooperative.translations),
    )


def grid_options() -> tuple:
    """Loader options for products about to be shown as a grid (``cards.product_grid``):
    with cached cards, only the products' own columns (the grid loads what a card missing
    from the cache needs); otherwise everything a card shows, in the listing's own queries."""
    return () if page_cache.enabled() else card_options()


def page_options():
    """Loader options for the product page."""
    return (
        *card_options(),
        joinedload(Product.category).selectinload(Category.translations),
    )


def price_range_condition(price_min_cents: int | None, price_max_cents: int | None):
    """Products with an active variant priced within the range (either bound may be None):
    an EXISTS answered from ix_product_variants_product_active_price, inside the listing's
    own query. The summary's cheapest price alone would let a 50 MAD filter miss nothing
    but a "from 40 to 60" one miss a product sold at 30 and 55."""
    conditions = [ProductVariant.product_id == Product.id, ProductVariant.active == true()]
    if price_min_cents is not None:
        conditions.append(ProductVariant.price_cents >= price_min_cents)
    if price_max_cents is not None:
        conditions.append(ProductVariant.price_cents <= price_max_cents)
    return select(ProductVariant.id).where(*conditions).correlate(Product).exists()


# --- sorting and keyset pagination ---------------------------------------------------------

SORTS = ("newest", "price_asc", "price_desc", "name")
DEFAULT_SORT = "newest"


def name_sort_key(locale: str):
    """The product's name in ``locale`` (else in the fallback order), lower-cased, as SQL."""
    order = [locale, *(code for code in FALLBACK_ORDER if code != locale)]
    preference = case(
        *((ProductTranslation.locale == code, rank) for rank, code in enumerate(order)),
        else_=len(order),
    )
    return (
        select(func.lower(ProductTranslation.name))
        .where(ProductTranslation.product_id == Product.id)
        .order_by(preference)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


def sort_columns(sort: str, locale: str) -> list[tuple[Any, bool, str]]:
    """(expression, descending, kind) for each sort key, the id last as a tie-breaker. Prices
    sort by the cheapest active variant's (the product's summary, ``price_cents``)."""
    if sort == "price_asc":
        return [(Product.price_cents, False, "int"), (Product.id, False, "int")]
    if sort == "price_desc":
        return [(Product.price_cents, True, "int"), (Product.id, True, "int")]
    if sort == "name":
        return [
            (func.coalesce(name_sort_key(locale), ""), False, "str"),
            (Product.id, False, "int"),
        ]
    return [(Product.created_at, True, "datetime"), (Product.id, True, "int")]


def _cursor_values(keys) -> list[Any]:
    """A row's sort keys as a cursor stores them (JSON: dates as ISO text)."""
    return [key.isoformat() if isinstance(key, datetime) else key for key in keys]


class BadCursor(ValueError):
    pass


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, columns: list[tuple[Any, bool, str]]) -> list[Any]:
    """Values of a cursor made by ``encode_cursor``, checked against the sort's key types."""
    if len(cursor) > 600:
        raise BadCursor("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("unreadable") from exc
    if not isinstance(values, list) or len(values) != len(columns):
        raise BadCursor("wrong shape")
    result = []
    for value, (_, _, kind) in zip(values, columns, strict=True):
        if (kind == "int" and isinstance(value, int) and not isinstance(value, bool)) or (
            kind == "str" and isinstance(value, str)
        ):
            result.append(value)
        elif kind == "datetime" and isinstance(value, str):
            try:
                result.append(datetime.fromisoformat(value))
            except ValueError as exc:
                raise BadCursor("bad date") from exc
        else:
            raise BadCursor("wrong type")
    return result


def _keyset_condition(columns, values, backwards: bool):
    """Rows strictly after (or before, when ``backwards``) ``values`` in the sort order.

    When every key sorts the same way (always so here: the id follows the main key's
    direction) this is one row-value comparison, which both databases answer with an index
    range scan; otherwise the expanded OR form."""
    directions = {descending for _, descending, _ in columns}
    if len(directions) == 1:
        greater = (not directions.pop()) != backwards
        row = tuple_(*(expr for expr, _, _ in columns))
        bound = tuple_(*(literal(value) for value in values))
        return row > bound if greater else row < bound
    clauses = []
    for index, (expr, descending, _) in enumerate(columns):
        equal = [columns[i][0] == values[i] for i in range(index)]
        forward_is_greater = not descending
        greater = forward_is_greater != backwards
        step = expr > values[index] if greater else expr < values[index]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


@dataclass
class Filters:
    category_ids: list[int] | None = None  # a category and its sub-categories
    province: str | None = None
    cooperative_id: int | None = None
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    in_stock: bool = False
    # Conditions on Product of filters owned by higher domains (the storefront's label filter).
    extra_conditions: list = field(default_factory=list)

    def conditions(self) -> list:
        conditions = [visible_products_filter()]
        if self.category_ids is not None:
            conditions.append(Product.category_id.in_(self.category_ids))
        if self.province:
            conditions.append(
                Product.cooperative_id.in_(
                    select(Cooperative.id).where(Cooperative.province == self.province)
                )
            )
        if self.cooperative_id is not None:
            conditions.append(Product.cooperative_id == self.cooperative_id)
        if self.price_min_cents is not None or self.price_max_cents is not None:
            conditions.append(price_range_condition(self.price_min_cents, self.price_max_cents))
        if self.in_stock:  # the stock of every active variant (the product's summary)
            conditions.append(Product.stock > 0)
        conditions.extend(self.extra_conditions)
        return conditions


@dataclass
class ProductPage:
    products: list[Product] = field(default_factory=list)
    page: int = 1
    next_cursor: str | None = None
    prev_cursor: str | None = None  # None on the first page


MAX_OFFSET_PAGE = 20  # page=N without a cursor (links shared by people) up to this page


def list_products(
    filters: Filters,
    sort: str,
    locale: str,
    *,
    per_page: int,
    page: int = 1,
    after: str | None = None,
    before: str | None = None,
    options: tuple | None = None,
) -> ProductPage:
    """One page of the catalogue. With ``after``/``before`` (cursors of a previous page) the
    database seeks directly to the page (keyset); ``page`` alone uses a small OFFSET and is
    accepted only up to MAX_OFFSET_PAGE. Raises BadCursor on a tampered cursor. ``options``:
    the loader options of the products (default: ``grid_options()``)."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    columns = sort_columns(sort, locale)
    # The sort keys come with each row, as the database computed them: the cursors are
    # made of exactly what the next page's condition compares.
    statement = (
        select(Product, *(expr for expr, _, _ in columns))
        .where(*filters.conditions())
        .options(*(grid_options() if options is None else options))
    )
    backwards = False
    if after:
        statement = statement.where(
            _keyset_condition(columns, decode_cursor(after, columns), False)
        )
    elif before:
        backwards = True
        statement = statement.where(
            _keyset_condition(columns, decode_cursor(before, columns), True)
        )
    elif page > 1:
        statement = statement.offset((page - 1) * per_page)
    order = [
        (expr.asc() if descending == backwards else expr.desc()) for expr, descending, _ in columns
    ]
    rows = db.session.execute(statement.order_by(*order).limit(per_page + 1)).all()
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    result = ProductPage(products=[row[0] for row in rows], page=page)
    if rows:
        if has_more or backwards:
            result.next_cursor = encode_cursor(_cursor_values(rows[-1][1:]))
        if page > 1 and (has_more or not backwards):
            result.prev_cursor = encode_cursor(_cursor_values(rows[0][1:]))
    return result


def featured_products(limit: int = 8) -> list[Product]:
    statement = (
        select(Product)
        .where(visible_products_filter())
        .options(*grid_options())
        .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def related_products(product: Product, limit: int = 4) -> list[Product]:
    """Other visible products of the same category, else of the same cooperative."""
    same = (
        Product.category_id == product.category_id
        if product.category_id
        else Product.cooperative_id == product.cooperative_id
    )
    statement = (
        select(Product)
        .where(visible_products_filter(), same, Product.id != product.id)
        .options(*card_options())
        .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def product_with_related(slug: str, limit: int = 4) -> tuple[Product | None, list[Product]]:
    """The visible product of ``slug`` and up to ``limit`` related products (as
    ``related_products``), loaded by one statement with their variants: the product page's
    queries stay those of the product alone (five), whatever the size of the catalogue or
    the number of variants."""
    target = (
        select(Product.id, Product.category_id, Product.cooperative_id)
        .where(Product.slug == slug)
        .cte("target")
    )
    same = or_(
        and_(target.c.category_id.is_not(None), Product.category_id == target.c.category_id),
        and_(target.c.category_id.is_(None), Product.cooperative_id == target.c.cooperative_id),
    )
    related_ids = (
        select(Product.id)
        .join(target, same)
        .where(visible_products_filter(), Product.id != target.c.id)
        .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
        .limit(limit)
    )
    wanted = union_all(select(target.c.id), related_ids.subquery().select())
    statement = (
        select(Product)
        .where(visible_products_filter(), Product.id.in_(wanted))
        # The variants (the page's choice, its offers) come joined to the products' rows:
        # a few rows more, no query more.
        .options(*page_options(), joinedload(Product.variants))
    )
    found = list(db.session.scalars(statement).unique())
    product = next((p for p in found if p.slug == slug), None)
    related = sorted(
        (p for p in found if p.slug != slug),
        key=lambda p: (not p.featured, -p.created_at.timestamp(), -p.id),
    )
    return product, related


def visible_product_by_slug(slug: str) -> Product | None:
    statement = (
        select(Product)
        .where(Product.slug == slug, visible_products_filter())
        .options(*page_options())
    )
    return db.session.scalar(statement)


def visible_cooperative_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(
        select(Cooperative).where(Cooperative.slug == slug, visible_cooperatives_filter())
    )


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(
        select(Category)
        .where(Category.slug == slug)
        .options(
            selectinload(Category.translations),
            selectinload(Category.children).selectinload(Category.translations),
            joinedload(Category.parent).selectinload(Category.translations),
        )
    )


def category_ids(category_id: int, facet_categories: list[Facet]) -> list[int]:
    """A category's id and those of its descendants, from the facet list (no query)."""
    ids, frontier = [category_id], [category_id]
    while frontier:
        children = [f.id for f in facet_categories if f.parent_id in frontier and f.id not in ids]
        ids.extend(children)
        frontier = children
    return ids


# --- facets: category, cooperative and province lists (cached briefly) ----------------------


@dataclass(frozen=True)
class Facet:
    id: int
    slug: str
    name: str
    fallback_locale: str | None
    parent_id: int | None = None
    province: str | None = None
    product_count: int = 0


_facet_cache: dict[str, tuple[float, dict[str, list[Facet]]]] = {}


def _cache_seconds() -> float:
    default = 0 if current_app.testing else 60
    return float(current_app.config.get("CATALOGUE_FACET_CACHE_SECONDS", default))


def clear_facet_cache() -> None:
    _facet_cache.clear()


def facets(locale: str) -> dict[str, list[Facet]]:
    """Categories and cooperatives that have visible products, with their names in ``locale``
    and product counts. Two queries, cached for a minute (filters and menus only)."""
    seconds = _cache_seconds()
    cached = _facet_cache.get(locale)
    if cached and seconds and time.monotonic() - cached[0] < seconds:
        return cached[1]
    visible = visible_products_filter()
    category_counts = dict(
        db.session.execute(
            select(Product.category_id, func.count(Product.id))
            .where(visible)
            .group_by(Product.category_id)
        ).all()
    )
    categories = db.session.scalars(
        select(Category).options(selectinload(Category.translations))
    ).all()
    by_id = {c.id: c for c in categories}
    totals: dict[int, int] = {}
    for category_id, count in category_counts.items():
        seen = set()
        while category_id is not None and category_id in by_id and category_id not in seen:
            seen.add(category_id)
            totals[category_id] = totals.get(category_id, 0) + count
            category_id = by_id[category_id].parent_id
    category_facets = []
    for category in sorted(categories, key=lambda c: (c.position, c.id)):
        picked = pick(category.translations, locale)
        category_facets.append(
            Facet(
                id=category.id,
                slug=category.slug,
                name=picked.name or category.slug,
                fallback_locale=picked.locale if picked.fallback else None,
                parent_id=category.parent_id,
                product_count=totals.get(category.id, 0),
            )
        )
    cooperative_counts = dict(
        db.session.execute(
            select(Product.cooperative_id, func.count(Product.id))
            .where(visible)
            .group_by(Product.cooperative_id)
        ).all()
    )
    cooperatives = db.session.scalars(
        select(Cooperative)
        .where(visible_cooperatives_filter())
        .options(selectinload(Cooperative.translations))
    ).all()
    cooperative_facets = []
    for cooperative in cooperatives:
        picked = pick(cooperative.translations, locale)
        cooperative_facets.append(
            Facet(
                id=cooperative.id,
                slug=cooperative.slug,
                name=picked.name or cooperative.slug,
                fallback_locale=picked.locale if picked.fallback else None,
                province=cooperative.province,
                product_count=cooperative_counts.get(cooperative.id, 0),
            )
        )
    cooperative_facets.sort(key=lambda f: (f.name.lower(), f.id))
    province_counts = dict.fromkeys(PROVINCES, 0)
    for facet in cooperative_facets:
        if facet.province in province_counts:
            province_counts[facet.province] += facet.product_count
    result = {
        "categories": category_facets,
        "cooperatives": cooperative_facets,
        "provinces": [
            Facet(id=i, slug=code, name=code, fallback_locale=None, product_count=count)
            for i, (code, count) in enumerate(province_counts.items())
        ],
    }
    if seconds:
        _facet_cache[locale] = (time.monotonic(), result)
    return result
