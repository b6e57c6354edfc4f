"""Where a cart is kept: in the session for anonymous shoppers, in the database (Cart,
CartItem) for logged-in ones. An anonymous cart is merged into the account's on login.

Entries are ``{product_id: (quantity, price_seen_cents)}``; prices are always recomputed
from the products (``services.price_cart``) — the stored price only tells the shopper that
it changed since they saw it.

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

from marketplace.catalogue.models import Product
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.orders.models import Cart, CartItem
from marketplace.orders.pricing import (
    MAX_LINE_QUANTITY,
    Quote,
    check_quantity_for,
    is_purchasable,
    load_products,
    parse_id,
    parse_quantity,
    purchasable_product,
)

log = logging.getLogger(__name__)

SESSION_KEY = "cart"
# What the shopper was shown and the stored cart does not say yet: {"gone": [product ids no
# longer for sale], "prices": {"<product id>": price seen in centimes}}.
SEEN_KEY = "cart_seen"
Entries = dict[int, tuple[int, int | None]]


def _user():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


# --- the session cart -----------------------------------------------------------------------


def _session_entries() -> Entries:
    raw = session.get(SESSION_KEY) or {}
    entries: Entries = {}
    if not isinstance(raw, dict):
        return entries
    for key, value in raw.items():
        try:
            quantity, price = int(value[0]), value[1]
            price = int(price) if price is not None else None
            product_id = int(key)
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if 0 < quantity <= MAX_LINE_QUANTITY:
            entries[product_id] = (quantity, price)
    return entries


def _save_session(entries: Entries) -> None:
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
        select(CartItem.product_id, CartItem.quantity, CartItem.price_seen_cents)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.user_id == user.id)
    ).all()
    return {pid: (q, p) for pid, q, p in rows}


def _db_set(user, product_id: int, quantity: int, price_seen: int | None) -> None:
    cart = _db_cart(user, create=True)
    item = db.session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.product_id == product_id)
    )
    if quantity <= 0:
        if item is not None:
            db.session.delete(item)
    elif item is None:
        db.session.add(
            CartItem(
                cart_id=cart.id,
                product_id=product_id,
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
    """The products the shopper was told are gone, and the prices they were shown."""
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
    for pid, (q, p) in _session_entries().items():
        merged[pid] = (merged.get(pid, (0, p))[0] + q, p)
    return sum(min(q, MAX_LINE_QUANTITY) for q, _ in _with_seen(merged).values())


def _set(product_id: int, quantity: int, price_seen: int | None, user=None) -> None:
    user = user or _user()
    if user is None:
        current = _session_entries()
        if quantity <= 0:
            current.pop(product_id, None)
        else:
            current[product_id] = (quantity, price_seen)
        _save_session(current)
    else:
        _db_set(user, product_id, quantity, price_seen)


def add(product_id, quantity, user=None) -> tuple[Product, int]:
    """Add ``quantity`` of a product (raises a DomainError for anything wrong: unknown or
    hidden product, bad quantity, above stock or the per-line maximum). Returns the product
    and its new quantity in the cart."""
    quantity = parse_quantity(quantity)
    product = purchasable_product(product_id)
    store_seen(user)
    current = entries(user).get(product.id, (0, None))[0]
    new_quantity = current + quantity
    check_quantity_for(product, new_quantity)
    _set(product.id, new_quantity, product.price_cents, user)
    return product, new_quantity


def set_quantity(product_id, quantity, user=None) -> int:
    """Change a line's quantity (0 removes it). Returns the new quantity."""
    quantity = parse_quantity(quantity, allow_zero=True)
    pid = parse_id(product_id)
    store_seen(user)
    current = entries(user)
    if pid not in current:
        raise InvalidInput(_not_in_cart())
    if quantity == 0:
        _set(pid, 0, None, user)
        return 0
    product = load_products([pid]).get(pid)
    if not is_purchasable(product):
        _set(pid, 0, None, user)
        raise InvalidInput(_l("This product does not exist or is no longer available."))
    check_quantity_for(product, quantity)
    _set(pid, quantity, current[pid][1], user)
    return quantity


def remove(product_id, user=None) -> None:
    pid = parse_id(product_id)
    store_seen(user)
    if pid not in entries(user):
        raise InvalidInput(_not_in_cart())
    _set(pid, 0, None, user)


def clear(user=None) -> None:
    user = user or _user()
    if has_request_context():
        session.pop(SEEN_KEY, None)
    if user is None:
        session.pop(SESSION_KEY, None)
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
    shown = {line.product_id: line for line in quote.lines}
    for pid in entries(user):
        line = shown.get(pid)
        if line is None:
            gone.add(pid)
        elif prices and line.price_seen_cents != line.unit_price_cents:
            seen_prices[pid] = line.unit_price_cents
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
    products = load_products(anonymous)
    existing = _db_entries(user)
    for pid, (quantity, price) in anonymous.items():
        product = products.get(pid)
        if not is_purchasable(product):
            continue
        total = existing.get(pid, (0, None))[0] + quantity
        total = min(total, MAX_LINE_QUANTITY, max(product.stock, 0))
        if total <= 0:
            continue
        _db_set(user, pid, total, price if price is not None else product.price_cents)
    session.pop(SESSION_KEY, None)
    return True


def _on_login(sender, user, **extra) -> None:
    """Logging in (auth's views call ``login_user``) takes the anonymous cart along, in the
    login's own transaction (Flask-Login's ``user_logged_in``, connected by
    ``marketplace.connect_receivers``). A savepoint keeps a failed merge from spoiling the
    login: the cart then stays in the session."""
    if not has_request_context() or not _session_entries():
        return
    saved = dict(session.get(SESSION_KEY) or {})
    try:
        with db.session.begin_nested():
            merge_session_cart(user)
    except Exception:  # the login itself must not fail because of the cart
        log.exception("could not merge the anonymous cart of user %s", user.id)
        session[SESSION_KEY] = saved
