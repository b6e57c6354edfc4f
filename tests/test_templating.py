"""The templates' vocabulary is registered in one place (marketplace/templating.py), once."""

from __future__ import annotations

import re
from pathlib import Path

from marketplace import templating

PACKAGE = Path(templating.__file__).parent
REGISTRATION = re.compile(
    r"context_processor|template_filter|template_global|jinja_env\.(globals|filters)"
)


def test_no_template_name_is_registered_outside_templating():
    elsewhere = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "templating.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if REGISTRATION.search(line)
    ]
    assert not elsewhere, elsewhere


def test_each_name_has_one_meaning(app):
    assert not set(templating.FILTERS) & set(templating.GLOBALS)
    for name, value in {**templating.GLOBALS}.items():
        assert app.jinja_env.globals[name] is value
    for name, value in templating.FILTERS.items():
        assert app.jinja_env.filters[name] is value


def test_money_in_the_page_language_and_in_a_message_language(app):
    with app.test_request_context("/fr/"):
        from flask import g

        g.locale = "fr"
        french = app.jinja_env.from_string("{{ 123450|money }}").render()
        arabic = app.jinja_env.from_string("{{ 123450|money('ar') }}").render()
    assert "1" in french and "234,50" in french.replace("\u202f", " ").replace("\xa0", " ")
    assert "درهم" in arabic and "د.م." not in arabic  # issue #14: no "د.م.." at a full stop


def test_every_global_is_used_by_a_template():
    templates = "".join(p.read_text() for p in (PACKAGE.parent / "templates").rglob("*.*"))
    unused = [
        name
        for name in [*templating.GLOBALS, *templating.FILTERS]
        if not re.search(rf"\b{name}\b", templates) and name != "csp_nonce"  # for inline scripts
    ]
    assert not unused, f"registered for templates but used by none: {unused}"


def test_dates_read_as_flask_babel_formats_them_in_every_language(app):
    """The date filters are Flask-Babel's format_date and format_datetime, faster: the same
    text for every language and format, in the platform's time zone (Morocco leaves summer
    time for Ramadan: 2026-02-15 02:00 UTC is 02:00 there, 2026-03-22 02:00 UTC is 03:00)."""
    from datetime import UTC, date, datetime

    from flask_babel import force_locale, format_date, format_datetime

    moments = [
        datetime(2026, 2, 14, 23, 30),  # naive: UTC; already the 15th in Morocco (UTC+1)
        datetime(2026, 2, 15, 2, 0),
        datetime(2026, 3, 22, 2, 0),
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    ]
    with app.test_request_context("/en/"):
        for locale in ("ar", "fr", "en"):
            with force_locale(locale):
                for moment in moments:
                    for style in ("short", "medium", "long", "full", "MMMM y"):
                        assert templating.format_day(moment, style) == format_date(moment, style)
                        assert templating.format_moment(moment, style) == format_datetime(
                            moment, style
                        )
                assert templating.format_day(date(2026, 5, 1)) == format_date(date(2026, 5, 1))
        with force_locale("en"):
            rendered = app.jinja_env.from_string("{{ d|date('long') }}, {{ d|datetime('short') }}")
            text = rendered.render(d=datetime(2026, 2, 14, 23, 30))
        assert text.replace("\u202f", " ") == "February 15, 2026, 2/15/26, 12:30 AM"
        assert templating.format_day(None) == templating.format_moment(None) == ""


def test_translations_follow_force_locale_inside_a_request(app):
    """Each context's translations are remembered per language: an e-mail rendered in
    another language (force_locale) inside a page's request, and the page after it."""
    from flask import g
    from flask_babel import force_locale, gettext

    template = app.jinja_env.from_string("{{ _('My orders') }}")
    with app.test_request_context("/fr/"):
        g.locale = "fr"
        page = template.render()
        with force_locale("ar"):
            assert template.render() == gettext("My orders") != page
        assert template.render() == gettext("My orders") == page
    with app.app_context(), app.test_request_context("/en/"):  # a request of its own
        g.locale = "en"
        assert template.render() == "My orders"
