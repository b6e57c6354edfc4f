"""Language-aware product search.

Every product keeps in ``products.search_document`` the normalised text (``text.normalize``:
Arabic without diacritics, tatweel, letter variants or article; French without accents and
case) of its names and descriptions, its active variants' option labels ("Grand", "كبير"),
its category's names and its cooperative's names, in all languages. The database indexes
that column with its own full-text engine (FTS5 on SQLite, a GIN-indexed generated tsvector
column on PostgreSQL, see migration 0002_search); queries are normalised the same way and
each token matches by prefix, so both engines return the same products.

The document is refreshed automatically before every flush that touches a product, its texts,
its variants, its category's names or its cooperative's names; ``refresh_search_document`` and
``refresh_cooperative_products`` do it explicitly (the seller side needs neither: adding,
changing or deactivating a variant flushes it, which refreshes its product).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, bindparam, event, func, inspect, literal_column, select, text
from sqlalchemy.orm import Session, object_session

from marketplace.catalogue.models import (
    Category,
    CategoryTranslation,
    Product,
    ProductTranslation,
    ProductVariant,
)
from marketplace.cooperatives.models import Cooperative, CooperativeTranslation
from marketplace.database import after_outermost_commit
from marketplace.extensions import db
from marketplace.text import normalize, strip_html, tokens

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 8
MAX_COUNTED = 100  # counting (and ranking) stops there, see pg_ranked_page


def build_search_document(product: Product) -> str:
    parts: list[str] = []
    for translation in product.translations:
        parts.append(translation.name or "")
        parts.append(strip_html(translation.description or ""))
    session = object_session(product)
    deleted = session.deleted if session is not None else ()
    for variant in product.variants:
        if variant.active and variant not in deleted:
            parts.extend(label for label in (variant.labels or {}).values() if label)
    category = product.category
    seen = set()
    while category is not None and category.id not in seen:  # the category and its parents
        seen.add(category.id)
        parts.extend(t.name for t in category.translations)
        category = category.parent
    if product.cooperative is not None:
        parts.extend(t.name for t in product.cooperative.translations)
    return normalize(" ".join(parts))


def refresh_search_document(product: Product) -> None:
    product.search_document = build_search_document(product)


def refresh_cooperative_products(cooperative: Cooperative) -> None:
    for product in cooperative.products:
        refresh_search_document(product)


def _on_cooperative_renamed(cooperative: Cooperative, **_kwargs) -> None:
    """``signals.cooperative_renamed``: the cooperative's products are found by its names."""
    refresh_cooperative_products(cooperative)
    db.session.flush()


def _on_cooperative_status_changed(cooperative: Cooperative, **_kwargs) -> None:
    """``signals.cooperative_status_changed``: the cooperative's products are indexed again
    (whether they are shown is the public filter's: active product of a verified cooperative)."""
    refresh_cooperative_products(cooperative)


def refresh_category_products(category: Category) -> None:
    ids = [category.id, *(child.id for child in category.children)]
    for product in db.session.scalars(select(Product).where(Product.category_id.in_(ids))):
        refresh_search_document(product)


@event.listens_for(Session, "before_flush")
def _refresh_touched_products(session: Session, flush_context, instances) -> None:
    """Keep search documents in step with whatever the flush changes."""
    products: set[Product] = set()
    cooperatives: set[Cooperative] = set()
    categories: set[Category] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Product):
            if obj not in session.deleted:
                products.add(obj)
        elif isinstance(obj, ProductTranslation):
            if obj.product is not None:
                products.add(obj.product)
        elif isinstance(obj, ProductVariant):
            if obj.product is not None and _changes_labels(session, obj):
                products.add(obj.product)
        elif isinstance(obj, CooperativeTranslation):
            if obj.cooperative is not None and obj.cooperative.id is not None:
                cooperatives.add(obj.cooperative)
        elif (
            isinstance(obj, CategoryTranslation)
            and obj.category is not None
            and obj.category.id is not None
        ):
            categories.add(obj.category)
    if _changes_facets(session):
        session.info["catalogue_facets_changed"] = True
    if not (products or cooperatives or categories):
        return
    with session.no_autoflush:
        for cooperative in cooperatives:
            products.update(cooperative.products)
        for category in categories:
            ids = [category.id, *(child.id for child in category.children)]
            products.update(session.scalars(select(Product).where(Product.category_id.in_(ids))))
        for product in products:
            if product in session.deleted:
                continue
            document = build_search_document(product)
            if product.search_document != document:
                product.search_document = document


def _changes_labels(session: Session, variant: ProductVariant) -> bool:
    """Whether a variant's change can change its product's document (its labels are in it
    while it is active): not an order moving its stock."""
    if variant in session.new or variant in session.deleted:
        return True
    state = inspect(variant)
    return any(state.attrs[name].history.has_changes() for name in ("labels", "active"))


def _changes_facets(session: Session) -> bool:
    """Whether the flush changes what the filter lists and menus show."""
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Category | CategoryTranslation | Cooperative | CooperativeTranslation):
            return True
        if isinstance(obj, Product):
            return True
    for obj in session.dirty:
        if isinstance(obj, Category | CategoryTranslation | Cooperative | CooperativeTranslation):
            return True
        if isinstance(obj, Product):
            state = inspect(obj)
            if any(
                state.attrs[name].history.has_changes()
                for name in ("status", "category_id", "cooperative_id")
            ):
                return True
    return False


@after_outermost_commit
def _clear_stale_facets(session: Session) -> None:
    if session.info.pop("catalogue_facets_changed", False):
        from marketplace.catalogue.queries import clear_facet_cache

        clear_facet_cache()


@event.listens_for(Session, "after_rollback")
def _forget_facet_changes(session: Session) -> None:
    session.info.pop("catalogue_facets_changed", None)


# --- querying -------------------------------------------------------------------------------


def query_tokens(query: str) -> list[str]:
    """The normalised tokens of a query typed by a person (length-capped, deduplicated)."""
    result: list[str] = []
    for token in tokens((query or "")[:MAX_QUERY_CHARS]):
        if token not in result:
            result.append(token)
    return result[:MAX_QUERY_TOKENS]


def match_products(statement, query_tokens_: list[str]):
    """``statement`` (a select of Product) restricted to the products whose document holds
    every token by prefix, and an expression ranking them (lower is better), using the
    current database's full-text index."""
    if db.engine.dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"{tok}:*" for tok in query_tokens_))
        vector = literal_column("products.search_vector")  # generated column, see 0002_search
        return statement.where(vector.op("@@")(tsquery)), -func.ts_rank(vector, tsquery)
    fts = " ".join(f'"{tok}"*' for tok in query_tokens_)
    matches = (
        select(literal_column("rowid").label("id"), literal_column("bm25(products_fts)").label("r"))
        .select_from(text("products_fts"))
        .where(text("products_fts MATCH :fts").bindparams(fts=fts))
        .subquery("fts_match")
    )
    return statement.join(matches, matches.c.id == Product.id), matches.c.r


@dataclass
class SearchResults:
    query: str
    tokens: list[str]
    products: list[Product] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 24

    @property
    def more_than_counted(self) -> bool:
        return self.total > MAX_COUNTED

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_COUNTED) // self.per_page))


def search_products(
    query: str,
    locale: str | None = None,
    *,
    page: int = 1,
    per_page: int = 24,
    options: tuple | None = None,
) -> SearchResults:
    """Visible products matching every word of ``query`` (any language), best first.

    ``locale`` is the page's language; matching covers all languages so that a shopper finds a
    product whatever language its cooperative wrote it in. ``options``: the loader options of
    the products (default: ``grid_options()``).
    """
    from marketplace.catalogue.queries import grid_options, visible_products_filter

    words = query_tokens(query)
    results = SearchResults(query=query, tokens=words, page=page, per_page=per_page)
    if not words:
        return results
    options = grid_options() if options is None else options
    if db.engine.dialect.name == "postgresql":
        return _search_postgres(results, words, options)
    matching, rank = match_products(select(Product).where(visible_products_filter()), words)
    # Counting stops past MAX_COUNTED: "more than 500 products" is all a shopper needs.
    counted = matching.with_only_columns(Product.id).limit(MAX_COUNTED + 1).subquery()
    results.total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    if results.total == 0 or (page - 1) * per_page >= results.total:
        return results
    statement = (
        matching.options(*options)
        .order_by(rank, Product.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    results.products = list(db.session.scalars(statement))
    return results


def _pg_candidates(words: list[str], *, prefix: bool) -> list[tuple[int, float]]:
    """(id, rank) of at most MAX_COUNTED + 1 visible products matching every word, ranked
    among themselves: ranking every match of a word found in 40,000 products would read and
    score 40,000 vectors for a page of 24."""
    from marketplace.catalogue.queries import visible_products_filter

    terms = " & ".join(f"{tok}:*" if prefix else tok for tok in words)
    # The tsquery is rendered into the SQL (escaped by SQLAlchemy), not sent as a parameter:
    # psycopg prepares a statement run five times and PostgreSQL then plans it once for any
    # tsquery, without knowing how selective it is (70 ms instead of 20 at 200,000 products).
    # A literal_execute parameter is rendered at each execution into SQL compiled once
    # (SQLAlchemy's statement cache), where literal_binds compiled it all again (an A/B at
    # 200,000 products: p50 1 to 2 ms lower).
    tsquery = func.to_tsquery(
        literal_column("'simple'::regconfig"),
        bindparam("terms", terms, type_=String, literal_execute=True),
    )
    vector = literal_column("products.search_vector")  # generated column, see 0002_search
    candidates = (
        select(Product.id.label("id"), vector.label("v"))
        .where(visible_products_filter(), vector.op("@@")(tsquery))
        .limit(MAX_COUNTED + 1)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    rows = db.session.execute(select(candidates.c.id, func.ts_rank(candidates.c.v, tsquery)))
    return [(row[0], float(row[1])) for row in rows]


def pg_ranked_page(words: list[str], page: int, per_page: int) -> tuple[int, list[int]]:
    """The ranked search itself on PostgreSQL: how many visible products match (counted up
    to MAX_COUNTED + 1) and the ids of one page of them, best first.

    Words match by prefix. A GIN prefix match reads the whole posting list of every word
    starting with each token (about 40 ms for a word found in 40,000 of 200,000 products),
    while whole words intersect their lists cheaply: when the words as typed already match
    more than MAX_COUNTED products (the usual case for a common word), those matches are the
    results ("more than MAX_COUNTED"); otherwise the prefix query finds the complete set.

    For a word found in one product in ten, the planner prefers reading the table in order
    until MAX_COUNTED + 1 rows match, not knowing that testing a row means de-TOASTing its
    vector: 13 ms instead of 3 through the GIN index at 200,000 products. Sequential scans
    are therefore off for these queries only (SET LOCAL, back to the default after them).
    """
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    found = _pg_candidates(words, prefix=False)
    if len(found) <= MAX_COUNTED:
        found = _pg_candidates(words, prefix=True)
    db.session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    start = (page - 1) * per_page
    found.sort(key=lambda item: (-item[1], item[0]))
    return len(found), [product_id for product_id, _ in found[start : start + per_page]]


def _search_postgres(results: SearchResults, words: list[str], options: tuple) -> SearchResults:
    results.total, ids = pg_ranked_page(words, results.page, results.per_page)
    if not ids:
        return results
    loaded = {
        product.id: product
        for product in db.session.scalars(
            select(Product).where(Product.id.in_(ids)).options(*options)
        )
    }
    results.products = [loaded[i] for i in ids if i in loaded]
    return results
