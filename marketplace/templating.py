"""The templates' vocabulary: every template global, filter and per-request variable is
registered here, once, under one name, so a name seen in a template is found in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from babel import dates
from flask import Flask, current_app, g
from flask_babel import format_decimal, get_locale, gettext

from marketplace import storage
from marketplace.catalogue import cards, units, variants
from marketplace.catalogue.views import province_name, safe_description
from marketplace.cooperatives.validators import format_phone
from marketplace.fairs import services as fairs
from marketplace.http import url_with
from marketplace.i18n import (
    LOCALE_NAMES,
    LOCALES,
    alternate_urls,
    country_name,
    current_locale,
    pick,
    switch_locale_url,
    text_direction,
)
from marketplace.labels import models as labels_models
from marketplace.labels import services as labels
from marketplace.mail import isolate_marked
from marketplace.money import format_mad
from marketplace.orders import cart
from marketplace.orders.names import actor_label, payment_method_label, status_label
from marketplace.orders.pricing import MAX_LINE_QUANTITY
from marketplace.payments import services as payments
from marketplace.reviews import services as reviews
from marketplace.reviews.structured import product_json_ld
from marketplace.web import csp_nonce, strip_bidi_controls


def money(cents: int | None, locale: str | None = None) -> str:
    """``cents|money`` on pages, ``cents|money(mail_locale)`` in a message."""
    return "" if cents is None else format_mad(int(cents), locale or current_locale())


@cache
def _zone(name: str):
    return dates.get_timezone(name)


def _platform_zone():
    """Where the platform's dates are read (Flask-Babel's default time zone: no user picks
    another)."""
    return _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def format_day(value: date | datetime | None, format: str = "medium") -> str:
    """``value|date('long')``: the day in the language of the page (or of force_locale), a
    stored datetime (naive: UTC) taken in the platform's time zone. The same text as
    Flask-Babel's format_date in a third of the time (tables call it once per row)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = aware.astimezone(_platform_zone())
    return dates.format_date(value, format, locale=get_locale())


def format_moment(value: datetime | None, format: str = "medium") -> str:
    """``value|datetime('short')``: date and time, as ``format_day``."""
    if value is None:
        return ""
    return dates.format_datetime(value, format, tzinfo=_platform_zone(), locale=get_locale())


def cart_count() -> int:
    try:
        return cart.count()
    except Exception:  # noqa: BLE001 - a broken cart must not break every page
        return 0


def cash_collected_for(sub_order) -> bool:
    return payments.cash_collection_for(sub_order) is not None


def unit_label(item, locale: str | None = None) -> str:
    """``product|unit_label``: the unit of sale of a product or order line in the page's
    language ("500 غرام", "500 g"), or in ``locale`` (e-mails); "" when it has none."""
    return units.label(item.unit_quantity_milli, item.unit_code, locale or current_locale())


def unit_text(item, locale: str | None = None) -> str:
    """``line|unit_text``: unit and size of a product or order line ("500 g", "150 × 230 cm")."""
    return units.describe(item, locale or current_locale())


def size_label(item, locale: str | None = None) -> str:
    """``product|size_label``: the size of a product or order line ("150 × 230 سم")."""
    return units.size_label(item.size, locale or current_locale())


def isolate(text) -> str:
    """Plain text (e-mails) typed by people, isolated in its own direction: FSI … PDI, so a
    Latin address in an Arabic e-mail keeps its order ("12 rue …", not "rue … ,12")."""
    return isolate_marked(text)


def ltr(text) -> str:
    """An identifier in plain text (order, tracking, certificate or phone number): a
    left-to-right isolate, LRI … PDI, read in one piece in an Arabic e-mail."""
    return isolate_marked(text, ltr=True)


DEFAULT_SITE_NAME = "Souk Drâa-Tafilalet"


def site_name() -> str:
    """The site's name in the page's (or the e-mail's) language, unless configured."""
    configured = current_app.config["SITE_NAME"]
    if configured != DEFAULT_SITE_NAME:
        return configured
    # Translators: the site's name (header, titles, e-mails); Arabic: سوق درعة تافيلالت
    return gettext("Souk Drâa-Tafilalet")


def product_badges(products, cooperative=None) -> dict:
    """{product id: [Badge]} of the products of a grid or page (labels), in one query for
    everything a page asks first (its product, related products and cooperative): what was
    loaded for this request is not asked again."""
    memo = g.setdefault("label_badges", {"p": {}, "c": {}})
    wanted = [p.id for p in products if p.id not in memo["p"]]
    coops = [cooperative.id] if cooperative is not None and cooperative.id not in memo["c"] else []
    if wanted or coops:
        by_product, by_cooperative = labels.badges(wanted, coops, current_locale())
        memo["p"].update({pid: by_product.get(pid, []) for pid in wanted})
        memo["c"].update({cid: by_cooperative.get(cid, []) for cid in coops})
    return {p.id: memo["p"][p.id] for p in products}


def cooperative_badges(cooperative) -> list:
    """Labels the cooperative holds itself (loaded with the page's products when asked
    through ``product_badges(products, cooperative)`` first)."""
    product_badges([], cooperative)
    return g.label_badges["c"][cooperative.id]


def format_rating(value: float | None) -> str:
    """An average rating with one decimal, as the page's language writes it ("4,5")."""
    return "" if value is None else format_decimal(round(value, 1), format="0.0")


def rating_stars(value: float | None) -> str:
    """Five stars, filled up to the rounded rating (decoration; the number is the text)."""
    filled = 0 if value is None else max(0, min(5, round(value)))
    return "★" * filled + "☆" * (5 - filled)


FILTERS = {
    "money": money,
    "date": format_day,
    "datetime": format_moment,
    "safe_description": safe_description,
    "isolate": isolate,
    "unit_label": unit_label,
    "size_label": size_label,
    "unit_text": unit_text,
    # ``variant|option_label``: the variant's name in the page's language (.text, .locale and
    # .fallback, as catalogue.variants.option_label).
    "option_label": variants.option_label,
    "ltr": ltr,
}
GLOBALS = {
    "site_name": site_name,
    # The one way an inline <script> may run under the CSP: <script nonce="{{ csp_nonce() }}">.
    "csp_nonce": csp_nonce,
    "pick": pick,
    "image_url": storage.image_url,
    "image_display_size": storage.display_size,
    "product_grid": cards.product_grid,
    "province_name": province_name,
    "url_with": url_with,
    "switch_locale_url": switch_locale_url,
    "alternate_urls": alternate_urls,
    "LOCALES": LOCALES,
    "LOCALE_NAMES": LOCALE_NAMES,
    "cart_count": cart_count,
    "order_status_label": status_label,
    "actor_label": actor_label,
    "payment_method_label": payment_method_label,
    "max_line_quantity": MAX_LINE_QUANTITY,
    "country_name": country_name,
    "format_phone": format_phone,
    "cash_collected_for": cash_collected_for,
    "card_payments_enabled": payments.card_payments_enabled,
    "next_fair": fairs.next_fair,
    "fair_name": fairs.fair_name,
    "collect_fair": fairs.collect_fair,
    "product_badges": product_badges,
    "cooperative_badges": cooperative_badges,
    "format_rating": format_rating,
    "rating_stars": rating_stars,
    "label_kind": labels_models.kind_label,
    "certificate_status_label": labels_models.certificate_status_label,
    "reviewer_name": reviews.reviewer_name,
    "product_json_ld": product_json_ld,
}


def per_request() -> dict[str, Any]:
    """The two values that change with each request's language."""
    locale = current_locale()
    return {"current_locale": locale, "text_dir": text_direction(locale)}


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = strip_bidi_controls
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.context_processor(per_request)
