"""Product grids, with each card rendered once and reused while nothing it shows changes.

A rendered catalogue page spent two thirds of its time on its 24 cards: loading each
product's texts, images and cooperative through the ORM, then the Jinja macro. Those cards
are the same for every visitor, so with the page cache on (Redis, see ``marketplace.cache``)
each card's HTML is kept, keyed by:

- the catalogue version, which any change to products, texts, images, categories or
  cooperatives bumps after its commit (``marketplace.cache``);
- what changes without a version bump: the product's stock (the card shows "only 3 left",
  "out of stock" and the highest quantity that can be added) and the day (a label's badge
  shows until its certificate's expiry date);
- the page's language and whether the image loads lazily;
- a digest of the templates the card is made of, so a new release never serves old markup.

Per-visitor values are stand-ins in the stored HTML, replaced on every use: the CSRF token of
the add-to-cart form and the page to come back to. This serves every visitor, including those
the page cache cannot (logged-in shoppers, shoppers with a cart): the grid then costs one
query for the products' own columns, whatever it shows.

Without the page cache (development, tests) every card is rendered on each request, from
products loaded with everything a card shows in the listing's own queries.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import inspect, select

from marketplace import cache as page_cache
from marketplace import timeutil
from marketplace.catalogue.models import Product
from marketplace.catalogue.queries import card_options
from marketplace.extensions import cache, db
from marketplace.i18n import current_locale

CSRF_MARK = "\x00csrf\x00"
NEXT_MARK = "\x00next\x00"  # what the add-to-cart form is given as the page to come back to
SEPARATOR = "\x00card\x00"
CARD_TEMPLATES = ("_macros/product.html", "orders/_add_to_cart.html", "catalogue/_cards.html")
CARD_RELATIONSHIPS = ("translations", "images", "cooperative")
# Stored cards leave Redis after this long unless used (markup changes come with the digest).
CARD_SECONDS = 3600
LOCAL_CARDS = 4096  # per worker process: a hit then costs no Redis round trip at all
_local: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def enabled() -> bool:
    return page_cache.enabled()


def product_grid(products: Sequence[Product], lazy_after: int = 4) -> Markup:
    """The ``<ul class="product-grid">`` of ``products``, images after the first
    ``lazy_after`` loading lazily."""
    lazies = [index >= lazy_after for index in range(len(products))]
    cards = _cached_cards(products, lazies) if enabled() else _render(products, lazies)
    values = {
        CSRF_MARK: generate_csrf(),
        NEXT_MARK: str(escape(request.full_path if request.query_string else request.path)),
    }
    html = "".join(values.get(part, part) for card in cards for part in card)
    return Markup(f'<ul class="product-grid">{html}</ul>')  # noqa: S704  # nosec B704 - rendered by Jinja (escaped), values escaped


def _cached_cards(products: Sequence[Product], lazies: list[bool]) -> list[tuple[str, ...]]:
    locale = current_locale()
    if not page_cache.available():  # Redis failed a moment ago: do not wait on it again
        return _render(products, lazies)
    try:
        version = page_cache.current_version()
    except Exception:  # noqa: BLE001 - any cache failure: serve without it
        page_cache.failed("card cache")
        return _render(products, lazies)
    day = timeutil.today().isoformat()  # a label's badge shows until its expiry date
    keys = [
        f"card:{_templates_digest()}:{version}:{day}:{locale}:{product.id}:"
        f"{product.stock}:{int(lazy)}"
        for product, lazy in zip(products, lazies, strict=True)
    ]
    found = {key: _local[key] for key in keys if key in _local}
    wanted = [key for key in keys if key not in found]
    if wanted:
        try:
            stored = cache.get_many(*wanted)
        except Exception:  # noqa: BLE001 - any cache failure: serve without it
            page_cache.failed("card cache")
            stored = [None] * len(wanted)
        found.update({key: parts for key, parts in zip(wanted, stored, strict=True) if parts})
    missing = [index for index, key in enumerate(keys) if key not in found]
    if missing:
        rendered = _render([products[i] for i in missing], [lazies[i] for i in missing])
        fresh = {keys[i]: parts for i, parts in zip(missing, rendered, strict=True)}
        found.update(fresh)
        if page_cache.available():
            try:
                cache.set_many(fresh, timeout=CARD_SECONDS)
            except Exception:  # noqa: BLE001 - any cache failure: serve without it
                page_cache.failed("storing cards")
    for key in keys:
        _local[key] = found[key]
        _local.move_to_end(key)
    while len(_local) > LOCAL_CARDS:
        _local.popitem(last=False)
    return [found[key] for key in keys]


def _render(products: Sequence[Product], lazies: list[bool]) -> list[tuple[str, ...]]:
    """Each product's card as pieces around the per-visitor stand-ins."""
    if not products:
        return []
    _load_what_cards_show(products)
    html = render_template(
        "catalogue/_cards.html",
        cards=list(zip(products, lazies, strict=True)),
        separator=SEPARATOR,  # NUL and words: the same once escaped
        cart_next=NEXT_MARK,
    )
    token = generate_csrf()
    return [
        page_cache.split_marks(card, {CSRF_MARK: token, NEXT_MARK: NEXT_MARK})
        for card in html.split(SEPARATOR)[: len(products)]
    ]


def _load_what_cards_show(products: Sequence[Product]) -> None:
    """Texts, images and cooperative of the products that were loaded without them, in the
    same fixed number of queries as a listing loaded with them."""
    bare = [
        product.id
        for product in products
        if any(name in inspect(product).unloaded for name in CARD_RELATIONSHIPS)
    ]
    if bare:
        db.session.scalars(
            select(Product)
            .where(Product.id.in_(bare))
            .options(*card_options())
            .execution_options(populate_existing=True)
        ).all()


_digest: dict[str, str] = {}


def _templates_digest() -> str:
    """A short digest of the card's templates (read once per process)."""
    digest = _digest.get("value")
    if digest is None:
        env = current_app.jinja_env
        hashed = hashlib.sha256()
        for name in CARD_TEMPLATES:
            hashed.update(env.loader.get_source(env, name)[0].encode())
        digest = _digest["value"] = hashed.hexdigest()[:12]
    return digest
