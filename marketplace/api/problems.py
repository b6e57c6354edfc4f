"""Errors of the API as ``application/problem+json`` (RFC 9457), with a translated ``title``
and ``detail`` in the language of the request."""

from __future__ import annotations

import logging

from flask import json, make_response, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from marketplace.errors import DomainError
from marketplace.ops.logs import request_id

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Access denied"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    422: _l("Invalid data"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Temporarily unavailable"),
}
DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("A valid access token is required."),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing at this address."),
    405: _l("This method is not allowed at this address."),
    406: _l("This resource is only available as JSON."),
    409: _l("This changed in the meantime; please try again."),
    413: _l("What you sent is too large."),
    415: _l("Send the request body as JSON (Content-Type: application/json)."),
    422: _l("Some of the values sent are not valid."),
    429: _l("Too many requests in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error happened on our side. It has been recorded; please try again."),
    503: _l("We could not finish your request just now. Please try again in a few moments."),
}
# Headers of an HTTP error worth keeping on its problem response.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def problem(status: int, detail=None, *, headers=None, **extra):
    """A problem+json response: type, title, status, detail, instance, request_id, and any
    ``extra`` members (e.g. ``errors``)."""
    body = {
        "type": "about:blank",
        "title": str(TITLES.get(status, TITLES[500 if status >= 500 else 400])),
        "status": status,
        "detail": str(detail if detail is not None else DETAILS.get(status, DETAILS[400])),
        "instance": request.path,
        "request_id": request_id(),
        **extra,
    }
    response = make_response(json.dumps(body, ensure_ascii=False), status)
    response.content_type = PROBLEM_TYPE
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_errors(error: HTTPException) -> list[dict]:
    """webargs/marshmallow messages ({location: {field: [message]}}) as a flat list."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    errors: list[dict] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            errors.append({"field": prefix, "message": " ".join(value)})
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            errors.append({"field": prefix, "message": str(value)})

    for location, fields in messages.items():
        walk(str(location), fields)
    return errors


def http_problem(error: HTTPException):
    status = error.code or 500
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in error.get_headers():
        if name in KEPT_HEADERS:
            headers[name] = value
    if status == 422:
        return problem(status, headers=headers, errors=_validation_errors(error))
    if status == 429:
        headers.setdefault("Retry-After", "60")
    return problem(status, headers=headers)


def domain_problem(error: DomainError):
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if error.status_code == 401 else {}
    extra = {"errors": error.details["errors"]} if "errors" in error.details else {}
    return problem(error.status_code, error.message, headers=headers, **extra)


def unexpected_problem(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    from marketplace.extensions import db

    db.session.rollback()
    return problem(500)


def init_app(app) -> None:
    """Errors raised outside the API's views (no route matched, wrong method) on API paths
    are problems too: ``web`` asks this hook first."""
    app.extensions["api_problem"] = http_problem
