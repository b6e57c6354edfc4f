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
