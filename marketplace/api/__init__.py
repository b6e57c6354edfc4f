"""The public JSON API under /api/v1/ (unprefixed by language) and the seller dashboard's
page for personal access tokens.

``blp`` is a flask-smorest blueprint: its marshmallow schemas validate the requests and
describe the API in the OpenAPI 3.1 document served at /api/v1/openapi.json. ``bp`` holds the
dashboard page (under /<locale>/, like every page)."""

from __future__ import annotations

from flask import Blueprint
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint

API_PREFIX = "/api/v1"

bp = Blueprint("api_dashboard", __name__)
# The description and its documentation page: not operations of the API themselves.
docs_bp = Blueprint("api_docs", __name__, url_prefix=API_PREFIX)
blp = ApiBlueprint(
    "api",
    __name__,
    url_prefix=API_PREFIX,
    description="Souk Drâa-Tafilalet API, version 1.",
)


class SoukApi(Api):
    """flask-smorest's Api without its application-wide error handlers: the site keeps its
    own error pages, and the API's blueprint answers problem+json (see problems.py)."""

    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own problem answers

    def _register_error_handlers(self):
        pass


api = SoukApi()


def init_app(app) -> None:
    from marketplace.api import problems

    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    app.config.setdefault("API_CACHE_SECONDS", 60)
    api.init_app(
        app,
        spec_kwargs={
            "title": "Souk Drâa-Tafilalet API",
            "version": "1.0.0",
            "openapi_version": "3.1.0",
            "info": {
                "description": (
                    "Public, read-only catalogue (categories, products, cooperatives, "
                    "search) and, with a cooperative's personal access token, its orders, "
                    "their status, and its stock and prices. Texts come in the language of "
                    "?lang= or Accept-Language; each says its language and whether it is a "
                    "fallback. Errors are application/problem+json (RFC 9457)."
                ),
                "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
            },
            "servers": [{"url": "/"}],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token made in the seller dashboard.",
        },
    )
    api.register_blueprint(blp)
    app.register_blueprint(docs_bp)
    problems.init_app(app)
    from marketplace.extensions import csrf

    csrf.exempt(blp)  # bearer tokens, never cookies: nothing for a forged form to ride on


from marketplace.api import seller_views, views  # noqa: E402, F401  (routes)
