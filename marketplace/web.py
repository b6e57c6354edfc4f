"""Request-wide behaviour: error pages, security headers, request ids and logs, template
helpers, the health check."""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, make_response, render_template, request, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.ops import health
from marketplace.ops.logs import REQUEST_ID_HEADER, configure_logging, loggable_path, request_id

log = logging.getLogger(__name__)
request_log = logging.getLogger("marketplace.request")

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("File or request too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}
ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered."),
    403: _l("You are not allowed to open this page."),
    404: _l("The page you are looking for does not exist or is no longer available."),
    405: _l("This action is not possible on this page."),
    409: _l("This changed in the meantime; please try again."),
    413: _l("What you sent is too large. Files may be at most 5 MB each."),
    429: _l("Too many attempts in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error happened on our side. It has been recorded; please try again."),
    503: _l("We could not finish your request just now. Please try again in a few moments."),
}

# The database went away (restart, failover, network): the request's transaction was rolled
# back, so trying again is safe (a repeated checkout finds its order by its token).
DATABASE_ERRORS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)
# Every SQLite error is an OperationalError, a missing column as much as a busy file: only
# these are worth trying again.
SQLITE_TRANSIENT = (
    "database is locked",
    "unable to open database file",
    "disk I/O error",
    "database or disk is full",
)
RETRY_AFTER_SECONDS = 5


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database cannot be reached now (not a bug in a query)."""
    if not isinstance(error, DATABASE_ERRORS):
        return False
    orig = getattr(error, "orig", None)
    if type(orig).__module__ == "sqlite3" and not getattr(error, "connection_invalidated", False):
        return any(text in str(orig) for text in SQLITE_TRANSIENT)
    return True


# Stripe Checkout is a redirect after a form POST: form-action must allow its origin.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
HSTS_DEFAULT_SECONDS = 2 * 365 * 24 * 3600
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"

# Bidirectional embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069): a stray
# RIGHT-TO-LEFT OVERRIDE in a name would reverse the rest of the line it is shown in
# (spoofed prices, file names). They are removed from everything templates output.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Searching is much faster than str.translate (a dict lookup per character), and values
# almost never hold one: translate only those that do.
BIDI_CONTROL_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def content_security_policy(
    nonce: str, form_targets: tuple[str, ...] = (), image_origins: tuple[str, ...] = ()
) -> str:
    """The Content-Security-Policy, written out: only our own files, no inline script except
    ``<script nonce="{{ csp_nonce() }}">``, no inline style, no plugins, no framing."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": " ".join(["'self'", "data:", "blob:", *image_origins]),
        "font-src": "'self'",
        "connect-src": "'self'",
        "form-action": " ".join(["'self'", STRIPE_CHECKOUT_ORIGIN, *form_targets]),
        "frame-ancestors": "'none'",
        "object-src": "'none'",
        "base-uri": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def csp_nonce() -> str:
    """The nonce of this response's CSP (for the rare inline ``<script>`` that needs one)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def strip_bidi_controls(value):
    """Jinja ``finalize``: drop bidi controls from every printed value (Markup stays Markup)."""
    if isinstance(value, str) and BIDI_CONTROL_RE.search(value):  # Markup.translate: Markup
        return value.translate(BIDI_CONTROLS)
    return value


def render_error(status: int, message=None):
    wants_json = request.accept_mimetypes.best == "application/json" or request.path.startswith(
        ("/payments/", "/api/")
    )
    text = message if message is not None else ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    if wants_json:
        return {"error": str(text), "request_id": request_id()}, status
    try:
        return (
            render_template(
                "errors/error.html",
                status=status,
                title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
                message=text,
                request_id=request_id() if status >= 500 else None,
            ),
            status,
        )
    except Exception:  # the error page itself failed (e.g. database down)
        log.exception("rendering the %s error page failed", status)
        return str(text), status, {"Content-Type": "text/plain; charset=utf-8"}


def database_unavailable(error: BaseException):
    """503 with Retry-After, and a clear page (never a traceback) for a database failure."""
    log.error(
        "database unavailable on %s %s: %s",
        request.method,
        loggable_path(),
        error,
        exc_info=error,
        extra={"fields": {"endpoint": request.endpoint, "user_id": _user_id()}},
    )
    from marketplace.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        log.debug("rollback after a database failure failed", exc_info=True)
    # Like the transaction, the session cookie goes back to what the request brought: a
    # checkout whose commit failed must not come back with an emptied cart and no checkout.
    original = current_app.session_interface.open_session(current_app, request)
    session.clear()
    session.update(original or {})
    response = make_response(render_error(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _user_id() -> str | None:
    """The logged-in user's id from the session, without loading the user."""
    raw = session.get("_user_id") if session else None
    return raw.partition(":")[0] if isinstance(raw, str) else None


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.register_blueprint(health.bp)

    from marketplace import object_storage

    # Images served from the bucket or its CDN (S3_* settings) are allowed in pages.
    image_origins = object_storage.public_origins(app)
    form_targets = ()
    if app.config.get("STRIPE_API_BASE"):  # the local Stripe fake serves its checkout pages
        parts = urlsplit(app.config["STRIPE_API_BASE"])
        form_targets = (f"{parts.scheme}://{parts.netloc}",)
    hsts_seconds = app.config.get(
        "HSTS_SECONDS", HSTS_DEFAULT_SECONDS if app.config.get("SESSION_COOKIE_SECURE") else 0
    )

    def start_request() -> None:
        g.request_started = time.perf_counter()
        request_id()

    def refuse_nul_characters() -> None:
        """NUL is never part of a name, an address or a search, and PostgreSQL refuses it in
        text: a request carrying one is a 400, not a 500 halfway through a query."""
        values = [*(request.view_args or {}).values()]
        sources = (
            (request.args,) if request.method in ("GET", "HEAD") else (request.args, request.form)
        )
        for source in sources:
            for key, value in source.items(multi=True):
                if key != "next":  # a return address falls back to a safe page instead
                    values += [key, value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            abort(400)

    # First of all before_request functions, so that even a CSRF refusal is timed and logged.
    app.before_request_funcs.setdefault(None, [])[0:0] = [start_request, refuse_nul_characters]

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        # An exception outside the view (an after_request commit) arrives wrapped in a 500.
        if is_database_unavailable(getattr(error, "original_exception", None)):
            return database_unavailable(error.original_exception)
        api_problem = current_app.extensions.get("api_problem")
        if api_problem is not None and request.path.startswith("/api/"):
            return api_problem(error)  # no route matched, wrong method: problem+json
        if error.code == 404:
            redirect_unprefixed = current_app.extensions["i18n_redirect_unprefixed"]
            response = redirect_unprefixed(error)
            if response is not None:
                return response
        return render_error(error.code or 500)

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return render_error(error.status_code, error.message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # The traceback goes to the log (with the request id); the user sees a plain page.
        log.exception(
            "unhandled error on %s %s",
            request.method,
            loggable_path(),
            extra={"fields": {"endpoint": request.endpoint, "user_id": _user_id()}},
        )
        from marketplace.extensions import db

        db.session.rollback()
        return render_error(500)

    def handle_database_error(error: Exception):
        if is_database_unavailable(error):
            return database_unavailable(error)
        return handle_unexpected(error)

    for error_class in DATABASE_ERRORS:
        app.register_error_handler(error_class, handle_database_error)

    @app.teardown_appcontext
    def close_session_on_a_broken_connection(exc) -> None:
        """Runs before Flask-SQLAlchemy's own teardown. A connection the database dropped
        (restart) fails the closing ROLLBACK, and an error there would turn the response
        already made into a 500: throw the connection away instead (the pool reconnects)."""
        from marketplace.extensions import db

        try:
            db.session.remove()
        except DATABASE_ERRORS:
            log.warning("database connection lost while closing the session", exc_info=True)
            db.session.registry().invalidate()  # the same Session, still registered
            db.session.remove()

    fixed_headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
    ]
    if hsts_seconds:
        fixed_headers.append(
            ("Strict-Transport-Security", f"max-age={int(hsts_seconds)}; includeSubDomains")
        )

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # A view may set its own value of any of these; one pass over the headers to know
        # (a setdefault per header scanned them each time: a tenth of a cached page's cost).
        present = {key.lower() for key, _ in headers.items()}
        if "content-security-policy" not in present:
            headers.add(
                "Content-Security-Policy",
                content_security_policy(csp_nonce(), form_targets, image_origins),
            )
        headers.extend([(k, v) for k, v in fixed_headers if k.lower() not in present])
        # Pages of a logged-in user (addresses, orders, bank details) stay out of caches.
        if request.endpoint != "static" and _user_id() and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"
        headers[REQUEST_ID_HEADER] = request_id()
        if app.config.get("QUERY_COUNT_HEADER"):
            headers["X-Query-Count"] = str(getattr(g, "query_count", 0))
        return response

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        fields = {
            "method": request.method,
            "path": loggable_path(),
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": request.remote_addr,
            "user_id": _user_id(),
            "bytes": response.content_length,
        }
        level = logging.DEBUG if request.endpoint in ("ops.healthz", "static") else logging.INFO
        request_log.log(
            level,
            "%s %s %s",
            request.method,
            fields["path"],
            response.status_code,
            extra={"fields": fields},
        )
        return response
