"""Whole-page cache of the public catalogue for anonymous visitors (Flask-Caching, Redis).

What is cached: the HTML of GET pages of the endpoints in ``CACHEABLE_ENDPOINTS`` (home,
catalogue, categories, products, search, cooperatives), rendered for a visitor without any
personal state, keyed by scheme + host + language + path + query string.

Who gets it: only requests whose session holds nothing personal (at most the CSRF secret and
Flask-Login's bookkeeping; no user, no cart, no flashed message) and that carry no
"remember me" cookie. Everybody else (logged-in users, shoppers with a cart) is served by the
views as usual, so a cached page never shows one visitor's content to another.

Per-request values: the CSRF token of the add-to-cart forms and the CSP nonce are stored as
placeholders and replaced by the current visitor's values on every hit, so forms keep working.

Freshness: every entry carries the *catalogue version*; any change to products (other than
their stock), their texts and images, categories, cooperatives or labels and certificates
(the badges) bumps the version after the
commit (SQLAlchemy session events), so an edit or a suspension is visible on the next request.
Stock, which every order changes, is not part of the version: entries expire after
``PAGE_CACHE_SECONDS`` (30 s by default), and the cart and checkout check the real stock.

On by default when the cache is Redis (``REDIS_URL``); ``PAGE_CACHE=1``/``0`` forces it.

Redis down or hung: pages are rendered without the cache. After a failed call the cache is
left alone for ``RETRY_SECONDS`` (a hung Redis then costs one request a short socket timeout
per interval, not every request a wait), the outage is logged at most once a minute, and the
first call that succeeds afterwards starts a new version (changes made meanwhile never
reached Redis, so what it still holds may be stale).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from marketplace.database import after_outermost_commit
from marketplace.extensions import cache

log = logging.getLogger(__name__)

CACHEABLE_ENDPOINTS = frozenset(
    {
        "storefront.home",
        "storefront.products",
        "storefront.category",
        "storefront.product",
        "storefront.search",
        "cooperatives.index",
        "cooperatives.detail",
    }
)
# Session keys that carry nothing personal: the CSRF secret (replaced per visitor) and
# Flask-Login's session-protection bookkeeping.
NEUTRAL_SESSION_KEYS = frozenset({"csrf_token", "_id", "_fresh", "_permanent"})
VERSION_KEY = "page-cache:version"
# Stand-ins for the per-visitor values in stored pages (never valid HTML text).
CSRF_MARK = b"\x00csrf\x00"
NONCE_MARK = b"\x00nonce\x00"
MAX_KEYED_URL = 1024  # longer URLs are served without the cache
BYPASS_HEADER = "X-Bypass-Page-Cache"  # honoured only in bench/debug mode (QUERY_COUNT_HEADER)
STATUS_HEADER = "X-Page-Cache"

# Model modules whose rows the cached pages show; a change to any of them bumps the version.
CATALOGUE_MODULES = (
    "marketplace.catalogue.models",
    "marketplace.cooperatives.models",
    "marketplace.labels.models",  # labels and certificates: the badges on cards and pages
)
# Columns of products and their variants that change without making cached pages wrong for
# long (orders move stock all the time: covered by the entries' expiry).
VOLATILE_PRODUCT_COLUMNS = frozenset({"stock", "updated_at"})


def enabled() -> bool:
    return bool(current_app.extensions.get("page_cache_enabled"))


# --- Redis outages ----------------------------------------------------------------------------

RETRY_SECONDS = 5.0
LOG_SECONDS = 60.0


class _Outage:
    """This process's view of the cache server (plain attributes: a race between threads
    costs at most one more try or one more log line)."""

    def __init__(self) -> None:
        self.down = False
        self.retry_at = 0.0
        self.logged_at: float | None = None


_outage = _Outage()


def available() -> bool:
    """False for a while after the cache failed: do not even try it."""
    return not _outage.down or time.monotonic() >= _outage.retry_at


def failed(what: str) -> None:
    """Note that a cache call failed (call it from the ``except`` block: the first log line
    of an outage carries the traceback)."""
    now = time.monotonic()
    _outage.down = True
    _outage.retry_at = now + RETRY_SECONDS
    if _outage.logged_at is None or now - _outage.logged_at >= LOG_SECONDS:
        log.warning(
            "cache unavailable (%s): serving pages without it, trying again every %d s",
            what,
            RETRY_SECONDS,
            exc_info=_outage.logged_at is None,
        )
        _outage.logged_at = now


def _recovered() -> None:
    if _outage.logged_at is not None:
        log.warning("cache available again")
    _outage.down, _outage.logged_at = False, None


# --- version ----------------------------------------------------------------------------------


def bump_version() -> None:
    """Make every cached page stale (catalogue content changed)."""
    version = secrets.token_hex(8)
    _version[:] = [version, time.monotonic()]
    if not available():
        return  # a new version is started when the cache answers again
    try:
        cache.set(VERSION_KEY, version, timeout=0)
    except Exception:  # noqa: BLE001 - any cache failure: serve without it
        failed("new catalogue version")


def _touches_catalogue(session: Session) -> bool:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if type(obj).__module__ not in CATALOGUE_MODULES:
            continue
        if obj in session.dirty and type(obj).__name__ in ("Product", "ProductVariant"):
            state = inspect(obj)
            changed = {
                attr.key
                for attr in state.mapper.column_attrs
                if state.attrs[attr.key].history.has_changes()
            }
            if not changed - VOLATILE_PRODUCT_COLUMNS:
                continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        return True
    return False


@event.listens_for(Session, "before_flush")
def _note_catalogue_changes(session: Session, flush_context, instances) -> None:
    if not session.info.get("page_cache_stale") and _touches_catalogue(session):
        session.info["page_cache_stale"] = True


@after_outermost_commit
def _bump_after_commit(session: Session) -> None:
    if session.info.pop("page_cache_stale", False):
        bump_version()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop("page_cache_stale", None)


# --- serving ----------------------------------------------------------------------------------


def _neutral_session() -> bool:
    return not (set(session.keys()) - NEUTRAL_SESSION_KEYS)


def _cacheable_request() -> bool:
    if request.method != "GET" or request.endpoint not in CACHEABLE_ENDPOINTS:
        return False
    if current_app.config.get("QUERY_COUNT_HEADER") and request.headers.get(BYPASS_HEADER):
        return False
    if len(request.full_path) > MAX_KEYED_URL:
        return False
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False  # Flask-Login would log this visitor in while rendering
    return _neutral_session()


def page_key() -> str:
    url = f"{request.scheme}://{request.host}{request.full_path}"
    return "page:" + hashlib.sha256(url.encode()).hexdigest()


# The last pages served, per worker process: a hit then costs one small Redis read (the
# version) instead of moving and unpickling the whole page. Entries keep their expiry time.
LOCAL_ENTRIES = 256
_local: OrderedDict[str, tuple] = OrderedDict()


# The version as this process last read it, and when: read again at most every
# PAGE_CACHE_VERSION_SECONDS (a Redis round trip per hit was a third of a hit's cost). The
# process that commits a change bumps its own copy at once; the others follow within that time.
_version: list = [None, 0.0]


def current_version() -> str:
    """The catalogue version (any cached rendering of catalogue content is keyed by it)."""
    now = time.monotonic()
    if _outage.down:
        # Back after an outage (the caller checked available()): raises if still down.
        version = secrets.token_hex(8)
        cache.set(VERSION_KEY, version, timeout=0)
        _recovered()
    elif _version[0] is not None and now - _version[1] < _version_seconds():
        return _version[0]
    else:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = secrets.token_hex(8)
            cache.set(VERSION_KEY, version, timeout=0)
    _version[:] = [version, now]
    return version


def _version_seconds() -> float:
    return float(current_app.config.get("PAGE_CACHE_VERSION_SECONDS", 1.0))


def _lookup(key: str, version: str) -> tuple | None:
    now = time.time()
    entry = _local.get(key)
    if entry is None or entry[0] != version or entry[1] <= now:
        entry = cache.get(key)
        if entry is None or entry[0] != version or entry[1] <= now:
            _local.pop(key, None)
            return None
        _local[key] = entry
        if len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return entry


def serve_cached() -> Response | None:
    """before_request: the cached page for this anonymous visitor, if there is one."""
    if not enabled() or not available() or not _cacheable_request():
        return None
    key = page_key()
    try:
        version = current_version()
        entry = _lookup(key, version)
    except Exception:  # noqa: BLE001 - any cache failure: serve without it
        failed("page cache")
        return None
    g.page_cache_key, g.page_cache_version = key, version
    if entry is None:
        return None
    _, _, status, mimetype, parts = entry
    values = {}
    if CSRF_MARK in parts:
        from flask_wtf.csrf import generate_csrf

        values[CSRF_MARK] = generate_csrf().encode()
    if NONCE_MARK in parts:
        from marketplace.web import csp_nonce

        values[NONCE_MARK] = csp_nonce().encode()
    body = b"".join(values.get(part, part) for part in parts)
    response = Response(body, status=status, mimetype=mimetype)
    response.headers[STATUS_HEADER] = "hit"
    g.page_cache_key = None  # nothing to store
    return response


def split_marks(body, marks: dict) -> tuple:
    """``body`` (bytes or str) cut around every occurrence of the values of ``marks``
    (replaced by their keys), so that a hit only joins the pieces."""
    parts = [body]
    for mark, value in marks.items():
        if not value:
            continue
        cut: list = []
        for part in parts:
            if part in marks:
                cut.append(part)
                continue
            pieces = part.split(value)
            for index, piece in enumerate(pieces):
                if index:
                    cut.append(mark)
                cut.append(piece)
        parts = cut
    return tuple(part for part in parts if part)


def store_page(response: Response) -> Response:
    """after_request: keep a freshly rendered anonymous page."""
    key = g.get("page_cache_key")
    if not key or response.status_code != 200 or response.mimetype != "text/html":
        return response
    if not available():
        return response
    if response.direct_passthrough or not _neutral_session():
        return response  # the view gave this visitor personal state (cart, message, login)
    if "Set-Cookie" in response.headers:
        return response  # the view set a cookie: not ours to replay to others
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) or ""
    nonce = g.get("csp_nonce") or ""
    parts = split_marks(
        response.get_data(), {CSRF_MARK: token.encode(), NONCE_MARK: nonce.encode()}
    )
    ttl = current_app.config["PAGE_CACHE_SECONDS"]
    entry = (
        g.page_cache_version,
        time.time() + ttl,
        response.status_code,
        response.mimetype,
        parts,
    )
    try:
        cache.set(key, entry, timeout=ttl)
    except Exception:  # noqa: BLE001 - any cache failure: serve without it
        failed("storing a page")
    response.headers[STATUS_HEADER] = "miss"
    return response


def init_app(app: Flask) -> None:
    cache_type = str(app.config.get("CACHE_TYPE", ""))
    wanted = app.config.get("PAGE_CACHE", os.environ.get("PAGE_CACHE"))
    if wanted is None:
        wanted = "redis" in cache_type.lower()
    elif isinstance(wanted, str):
        wanted = wanted.strip().lower() in {"1", "true", "yes", "on"}
    app.extensions["page_cache_enabled"] = bool(wanted) and "null" not in cache_type.lower()
    app.config.setdefault("PAGE_CACHE_SECONDS", int(os.environ.get("PAGE_CACHE_SECONDS", 30)))
    # After the other before_request functions (timing, CSRF, rate limits), so a cached page
    # is timed, logged and rate limited like any other.
    app.before_request(serve_cached)
    app.after_request(store_page)
