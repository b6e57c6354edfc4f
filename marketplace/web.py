"""Request-wide behaviour: error pages, security headers, template helpers."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.i18n import current_lang
from marketplace.money import format_mad

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("File or request too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
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
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def render_error(status: int, message=None):
    wants_json = request.accept_mimetypes.best == "application/json" or request.path.startswith(
        ("/payments/", "/api/")
    )
    text = message if message is not None else ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    if wants_json:
        return {"error": str(text)}, status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
            message=text,
        ),
        status,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
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
        log.exception("unhandled error on %s %s", request.method, request.path)
        from marketplace.extensions import db

        db.session.rollback()
        return render_error(500)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if app.config.get("QUERY_COUNT_HEADER"):
            headers["X-Query-Count"] = str(getattr(g, "query_count", 0))
        return response

    @app.template_filter("money")
    def money_filter(cents: int | None) -> str:
        return "" if cents is None else format_mad(int(cents), current_lang())

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["site_name"] = lambda: app.config["SITE_NAME"]
