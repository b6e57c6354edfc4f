"""Languages: URL prefixes, locale negotiation, right-to-left, translated-content fallback."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, redirect, request, url_for
from flask.globals import _cv_app
from flask_babel import Domain, get_locale
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, RequestRedirect

LOCALES = ("ar", "fr", "en")
LOCALE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}
LOCALE_COOKIE = "lang"  # the name browsers already hold
# Order in which a missing translation falls back to another language.
FALLBACK_ORDER = ("fr", "ar", "en")


class LocaleConverter(BaseConverter):
    """Matches only the supported language codes, so ``/de/...`` is a 404."""

    regex = "ar|fr|en"


def current_locale() -> str:
    return getattr(g, "locale", None) or str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def text_direction(locale: str) -> str:
    return Locale.parse(locale).text_direction  # "rtl" for Arabic


def negotiate_locale() -> str:
    """Cookie first, then Accept-Language, then DEFAULT_LOCALE."""
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in LOCALES:
        return cookie
    best = request.accept_languages.best_match(LOCALES)
    return best or current_app.config["DEFAULT_LOCALE"]


def select_locale() -> str:
    if not has_request_context():  # CLI commands, services called from tests
        return getattr(g, "locale", None) or current_app.config["DEFAULT_LOCALE"]
    return getattr(g, "locale", None) or negotiate_locale()


QUERY_SAFE = "/?:@&=+$,;%!*'()~"


def switch_locale_url(locale: str) -> str:
    """The current page in another language, keeping its query string."""
    if request.url_rule is None or "locale" not in request.url_rule.arguments:
        return url_for("storefront.home", locale=locale)
    args = dict(request.view_args or {})
    args["locale"] = locale
    url = url_for(request.endpoint, **args)
    if request.query_string:
        # As sent, but with any raw (non-ASCII or unsafe) byte percent-encoded: some clients
        # send "?q=تمر" as raw UTF-8.
        url = f"{url}?{quote(request.query_string, safe=QUERY_SAFE)}"
    return url


def alternate_urls() -> dict[str, str]:
    """hreflang alternates of the current page (empty for unprefixed routes)."""
    if request.url_rule is None or "locale" not in request.url_rule.arguments:
        return {}
    return {code: switch_locale_url(code) for code in LOCALES}


def _redirect_unprefixed(error: Exception):
    """A path without a language prefix goes to the same path in the best language."""
    path = request.path
    first = path.strip("/").split("/", 1)[0]
    if first in LOCALES or request.method not in ("GET", "HEAD"):
        return None
    target = f"/{negotiate_locale()}{path if path != '/' else '/'}"
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(target, method="GET")
    except (NotFound, MethodNotAllowed):
        return None
    except RequestRedirect:  # e.g. a missing trailing slash: the page exists
        pass
    if request.query_string:
        target = f"{target}?{urlencode(request.args, doseq=True)}"
    return redirect(target, code=302)


class RequestDomain(Domain):
    """Flask-Babel's message domain, with each context's translations remembered for its
    language. Flask-Babel finds them again at every gettext call (the context three times,
    the locale's name formatted as a cache key: 8 µs; a page makes 50 to 300 calls)."""

    MEMO = "request_translations"  # on Flask-Babel's namespace of the context: (locale, t)

    def get_translations(self) -> NullTranslations:
        app_context = _cv_app.get(None)
        if app_context is None:
            return super().get_translations()
        namespace = vars(app_context.g).get("_flask_babel")
        if namespace is not None:
            memo = vars(namespace).get(self.MEMO)
            # force_locale() and refresh() replace or remove babel_locale: found again.
            if memo is not None and memo[0] is vars(namespace).get("babel_locale"):
                return memo[1]
        translations = super().get_translations()
        namespace = app_context.g._flask_babel  # made by the lookup, with its babel_locale
        setattr(namespace, self.MEMO, (namespace.babel_locale, translations))
        return translations


def install_request_domain(app: Flask, babel) -> None:
    """Flask-Babel's functions (gettext, lazy_gettext…) and the templates' ``_`` use the
    RequestDomain (the templates straight, as no request here picks a domain of its own)."""
    domain = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    babel.domain_instance = domain  # Flask-Babel's default domain (a cached property)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )


def init_app(app: Flask) -> None:
    app.url_map.converters["locale"] = LocaleConverter

    @app.url_value_preprocessor
    def pull_locale(endpoint, values):
        if values and "locale" in values:
            g.locale = values.pop("locale")

    @app.url_defaults
    def add_locale(endpoint, values):
        if "locale" in values or not endpoint:
            return
        if app.url_map.is_endpoint_expecting(endpoint, "locale"):
            values["locale"] = current_locale()

    @app.after_request
    def remember_locale(response):
        locale = getattr(g, "locale", None)
        if locale and request.cookies.get(LOCALE_COOKIE) != locale:
            response.set_cookie(
                LOCALE_COOKIE,
                locale,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response

    app.extensions["i18n_redirect_unprefixed"] = _redirect_unprefixed


def country_name(code: str | None, locale: str | None = None) -> str:
    """A country's name in ``locale`` (the page's language by default), from CLDR."""
    return Locale.parse(locale or current_locale()).territories.get(code or "", code or "")


# --- translated content -------------------------------------------------------------


class Translation(Protocol):
    locale: str


@dataclass(frozen=True)
class Picked:
    """The translation to show, and whether it is in another language than asked."""

    translation: Any
    fallback: bool

    @property
    def locale(self) -> str | None:
        return self.translation.locale if self.translation is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.translation, name) if self.translation is not None else ""

    def __bool__(self) -> bool:
        return self.translation is not None


def pick(translations: Iterable[Translation], locale: str | None = None) -> Picked:
    """Best translation for ``locale``: that language, else the first of FALLBACK_ORDER."""
    locale = locale or current_locale()
    by_locale = {t.locale: t for t in translations}
    if locale in by_locale:
        return Picked(by_locale[locale], False)
    for code in FALLBACK_ORDER:
        if code in by_locale:
            return Picked(by_locale[code], True)
    return Picked(None, False)
