"""Where a cart is kept: in the session for anonymous shoppers, in the database (Cart,
CartItem) for logged-in ones. An anonymous cart is merged into the account's on login.

Entries are ``{variant_id: (quantity, price_seen_cents)}`` (a line is one variant of a
product); prices are always recomputed from the variants (``pricing.price_cart``) — the
stored price only tells the shopper that it changed since they saw it.

The session cart was keyed by product id before variants (under ``LEGACY_SESSION_KEY``):
such a cart is read as the products' default variants, and written back in the new form by
the next change.

Reading a cart writes nothing: what a page showed the shopper (a product no longer for sale,
a new price) is remembered in the session (``SEEN_KEY``) and laid over the stored lines, so
the notice is given once; the next request that changes the cart (a POST) stores it.
"""

from __future__ import annotations

import logging

from flask import has_request_context, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from marketplace.catalogue.models import ProductVariant
from marketplace.catalogue.variants import default_variant
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.http import parse_int
from marketplace.orders.models import Cart, CartItem
from marketplace.orders.pricing import (
    MAX_LINE_QUANTITY,
    Quote,
    check_quantity_for,
    is_buyable,
    load_products,
    load_variants,
    parse_id,
    parse_quantity,
    purchasable_variant,
)

log = logging.getLogger(__name__)

SESSION_KEY = "cart_lines"
# The session cart of before variants: {"<product id>": [quantity, price seen]}.
LEGACY_SESSION_KEY = "cart"
# What the shopper was shown and the stored cart does not say yet: {"gone": [variant ids no
# longer for sale], "prices": {"<variant id>": price seen in centimes}}.
SEEN_KEY = "cart_seen_lines"
LEGACY_SEEN_KEY = "cart_seen"
Entries = dict[int, tuple[int, int | None]]


def _user():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


# --- the session cart -----------------------------------------------------------------------


def _parse_session(raw) -> Entries:
    entries: Entries = {}
    if not isinstance(raw, dict):
        return entries
    for key, value in raw.items():
        try:
            quantity, price = int(value[0]), value[1]
            price = int(price) if price is not None else None
            key_id = int(key)
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if 0 < quantity <= MAX_LINE_QUANTITY and key_id > 0:
            entries[key_id] = (quantity, price)
    return entries


def _session_entries() -> Entries:
    entries = _parse_session(session.get(SESSION_KEY))
    legacy = _parse_session(session.get(LEGACY_SESSION_KEY))
    if legacy:
        # A cart kept before variants, by product: each product's default variant.
        products = load_products(legacy)
        for product_id, (quantity, price) in legacy.items():
            product = products.get(product_id)
            variant = default_variant(product) if product is not None else None
            if variant is not None and variant.id not in entries:
                entries[variant.id] = (quantity, price)
    return entries


def _save_session(entries: Entries) -> None:
    session.pop(LEGACY_SESSION_KEY, None)
    session.pop(LEGACY_SEEN_KEY, None)
    if entries:
        session[SESSION_KEY] = {str(k): [q, p] for k, (q, p) in entries.items()}
    else:
        session.pop(SESSION_KEY, None)


# --- the database cart ----------------------------------------------------------------------


def _db_cart(user, create: bool = False) -> Cart | None:
    cart = db.session.scalar(select(Cart).where(Cart.user_id == user.id))
    if cart is None and create:
        cart = Cart(user_id=user.id)
        db.session.add(cart)
        db.session.flush()
    return cart


def _db_entries(user) -> Entries:
    rows = db.session.execute(
        select(CartItem.variant_id, CartItem.quantity, CartItem.price_seen_cents)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.user_id == user.id)
    ).all()
    return {vid: (q, p) for vid, q, p in rows}


def _db_set(
    user, variant_id: int, quantity: int, price_seen: int | None, product_id: int | None = None
) -> None:
    """Store a line of ``user``'s cart (``product_id``, the variant's product, is needed
    only for a new line)."""
    cart = _db_cart(user, create=True)
    item = db.session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)
    )
    if quantity <= 0:
        if item is not None:
            db.session.delete(item)
    elif item is None:
        if product_id is None:
            product_id = db.session.scalar(
                select(ProductVariant.product_id).where(ProductVariant.id == variant_id)
            )
        db.session.add(
            CartItem(
                cart_id=cart.id,
                product_id=product_id,
                variant_id=variant_id,
                quantity=quantity,
                price_seen_cents=price_seen or 0,
            )
        )
    else:
        item.quantity = quantity
        if price_seen is not None:
            item.price_seen_cents = price_seen
    db.session.flush()


# --- the public interface -------------------------------------------------------------------


def entries(user=None) -> Entries:
    """The cart's lines as the shopper last saw them; never writes (an anonymous cart is
    merged when its owner logs in, in the login's transaction: ``_on_login``)."""
    return _with_seen(_stored_entries(user))


def _stored_entries(user=None) -> Entries:
    user = user or _user()
    if user is None:
        return _session_entries()
    return _db_entries(user)


def _seen() -> tuple[set[int], dict[int, int]]:
    """The variants the shopper was told are gone, and the prices they were shown."""
    raw = session.get(SEEN_KEY) if has_request_context() else None
    if not isinstance(raw, dict):
        return set(), {}
    try:
        gone = {int(pid) for pid in raw.get("gone") or ()}
        prices = {int(pid): int(cents) for pid, cents in (raw.get("prices") or {}).items()}
    except (TypeError, ValueError, AttributeError):
        return set(), {}
    return gone, prices


def _with_seen(stored: Entries) -> Entries:
    gone, prices = _seen()
    if not gone and not prices:
        return stored
    return {
        pid: (quantity, prices.get(pid, price))
        for pid, (quantity, price) in stored.items()
        if pid not in gone
    }


def _remember_seen(gone: set[int], prices: dict[int, int]) -> None:
    if gone or prices:
        session[SEEN_KEY] = {
            "gone": sorted(gone),
            "prices": {str(pid): cents for pid, cents in prices.items()},
        }
    else:
        session.pop(SEEN_KEY, None)


def store_seen(user=None) -> None:
    """Store what the shopper was shown (drop the products gone, keep the prices seen):
    called by every change of the cart, in its POST's transaction."""
    gone, prices = _seen()
    if not gone and not prices:
        return
    stored = _stored_entries(user)
    for pid in gone & stored.keys():
        _set(pid, 0, None, user)
    for pid, cents in prices.items():
        if pid in stored and pid not in gone:
            _set(pid, stored[pid][0], cents, user)
    if has_request_context():
        session.pop(SEEN_KEY, None)


def count(user=None) -> int:
    """Units in the cart (for the navigation badge); never writes."""
    user = user or _user()
    if user is None:
        return sum(q for q, _ in _with_seen(_session_entries()).values())
    merged = _db_entries(user)
    for vid, (q, p) in _session_entries().items():
        merged[vid] = (merged.get(vid, (0, p))[0] + q, p)
    return sum(min(q, MAX_LINE_QUANTITY) for q, _ in _with_seen(merged).values())


def _set(
    variant_id: int,
    quantity: int,
    price_seen: int | None,
    user=None,
    product_id: int | None = None,
) -> None:
    user = user or _user()
    if user is None:
        current = _session_entries()
        if quantity <= 0:
            current.pop(variant_id, None)
        else:
            current[variant_id] = (quantity, price_seen)
        _save_session(current)
    else:
        _db_set(user, variant_id, quantity, price_seen, product_id)


def add(product_id, quantity, user=None, variant_id=None) -> tuple[ProductVariant, int]:
    """Add ``quantity`` of a variant of a product (its default variant when ``variant_id``
    is not given). Raises a DomainError for anything wrong: unknown or hidden product, a
    variant that is not an active one of it, bad quantity, above the variant's stock or the
    per-line maximum. Returns the variant (its ``product`` loaded) and its new quantity in
    the cart."""
    quantity = parse_quantity(quantity)
    variant = purchasable_variant(product_id, variant_id)
    store_seen(user)
    current = entries(user).get(variant.id, (0, None))[0]
    new_quantity = current + quantity
    check_quantity_for(variant, new_quantity)
    _set(variant.id, new_quantity, variant.price_cents, user, product_id=variant.product_id)
    return variant, new_quantity


def line_key(variant_id=None, product_id=None, user=None) -> int:
    """The cart line a form names: its ``variant_id``; from a form of before variants, the
    line of product ``product_id`` (an error when neither is a line of the cart)."""
    if variant_id is not None and str(variant_id).strip() != "":
        vid = parse_int(variant_id, maximum=10**12)
        if vid is None:
            raise InvalidInput(_not_in_cart())
        return vid
    pid = parse_id(product_id)
    current = entries(user)
    if not current:
        raise InvalidInput(_not_in_cart())
    vid = db.session.scalar(
        select(ProductVariant.id)
        .where(ProductVariant.product_id == pid, ProductVariant.id.in_(sorted(current)))
        .order_by(ProductVariant.position, ProductVariant.id)
        .limit(1)
    )
    if vid is None:
        raise InvalidInput(_not_in_cart())
    return vid


def set_quantity(variant_id, quantity, user=None) -> int:
    """Change a line's quantity (0 removes it). Returns the new quantity."""
    quantity = parse_quantity(quantity, allow_zero=True)
    vid = variant_id if isinstance(variant_id, int) else line_key(variant_id, user=user)
    store_seen(user)
    current = entries(user)
    if vid not in current:
        raise InvalidInput(_not_in_cart())
    if quantity == 0:
        _set(vid, 0, None, user)
        return 0
    variant = load_variants([vid]).get(vid)
    if not is_buyable(variant.product if variant is not None else None, variant):
        _set(vid, 0, None, user)
        raise InvalidInput(_l("This product does not exist or is no longer available."))
    check_quantity_for(variant, quantity)
    _set(vid, quantity, current[vid][1], user)
    return quantity


def remove(variant_id, user=None) -> None:
    vid = variant_id if isinstance(variant_id, int) else line_key(variant_id, user=user)
    store_seen(user)
    if vid not in entries(user):
        raise InvalidInput(_not_in_cart())
    _set(vid, 0, None, user)


def clear(user=None) -> None:
    user = user or _user()
    if has_request_context():
        session.pop(SEEN_KEY, None)
    if user is None:
        session.pop(SESSION_KEY, None)
        session.pop(LEGACY_SESSION_KEY, None)
        return
    cart = _db_cart(user)
    if cart is not None:
        for item in list(cart.items):
            db.session.delete(item)
        db.session.flush()


def acknowledge(quote: Quote, user=None) -> None:
    """The shopper has seen ``quote`` (a GET is fine: only the session changes): the lines
    that cannot be bought any more are gone from their cart, and the prices shown are the
    prices seen. The next change of the cart stores it (``store_seen``)."""
    _acknowledge(quote, user, prices=True)


def acknowledge_unavailable(quote: Quote, user=None) -> None:
    """The shopper was told which lines cannot be bought any more (on the cart page): they
    are gone from their cart. Only the session changes."""
    _acknowledge(quote, user, prices=False)


def _acknowledge(quote: Quote, user, *, prices: bool) -> None:
    if not has_request_context():
        return
    gone, seen_prices = _seen()
    shown = {line.variant_id: line for line in quote.lines}
    for vid in entries(user):
        line = shown.get(vid)
        if line is None:
            gone.add(vid)
        elif prices and line.price_seen_cents != line.unit_price_cents:
            seen_prices[vid] = line.unit_price_cents
    _remember_seen(gone, seen_prices)


def _not_in_cart():
    return _l("This product is not in your cart.")


# --- merging on login -----------------------------------------------------------------------


def merge_session_cart(user) -> bool:
    """Move the anonymous cart into ``user``'s cart (quantities added, capped at the stock
    and the per-line maximum). Flushes in the request's transaction: the login commits it
    with the rest; the session cart is emptied at once (the cookie goes back to what the
    request brought when that commit fails, see marketplace/web.py)."""
    if not has_request_context():
        return False
    anonymous = _session_entries()
    if not anonymous:
        return False
    variants = load_variants(anonymous)
    existing = _db_entries(user)
    for vid, (quantity, price) in anonymous.items():
        variant = variants.get(vid)
        if not is_buyable(variant.product if variant is not None else None, variant):
            continue
        total = existing.get(vid, (0, None))[0] + quantity
        total = min(total, MAX_LINE_QUANTITY, max(variant.stock, 0))
        if total <= 0:
            continue
        _db_set(
            user,
            vid,
            total,
            price if price is not None else variant.price_cents,
            variant.product_id,
        )
    session.pop(SESSION_KEY, None)
    session.pop(LEGACY_SESSION_KEY, None)
    return True


def _on_login(sender, user, **extra) -> None:
    """Logging in (auth's views call ``login_user``) takes the anonymous cart along, in the
    login's own transaction (Flask-Login's ``user_logged_in``, connected by
    ``marketplace.connect_receivers``). A savepoint keeps a failed merge from spoiling the
    login: the cart then stays in the session."""
    if not has_request_context() or not (
        session.get(SESSION_KEY) or session.get(LEGACY_SESSION_KEY)
    ):
        return
    saved = {key: session.get(key) for key in (SESSION_KEY, LEGACY_SESSION_KEY)}
    try:
        with db.session.begin_nested():
            merge_session_cart(user)
    except Exception:  # the login itself must not fail because of the cart
        log.exception("could not merge the anonymous cart of user %s", user.id)
        for key, value in saved.items():
            if value:
                session[key] = value
