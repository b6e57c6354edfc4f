"""Three languages everywhere: every public page type in ar/fr/en, Arabic right-to-left,
the language switcher keeps the page and its query string, translated-content fallback with
its marker, and complete translation catalogs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from flask import render_template_string
from flask_babel import force_locale

from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shop(app):
    category = CategoryFactory(slug="dates", names={"ar": "التمور", "fr": "Dattes", "en": "Dates"})
    cooperative = CooperativeFactory(
        slug="nakhil", names={"ar": "تعاونية النخيل", "fr": "Coopérative Nakhil"}
    )
    ProductFactory(
        slug="mejhoul",
        cooperative=cooperative,
        category=category,
        names={"ar": "تمر المجهول", "fr": "Dattes Mejhoul", "en": "Mejhoul dates"},
    )
    ProductFactory(
        slug="boufeggous", cooperative=cooperative, category=category, names={"fr": "Boufeggous"}
    )


PAGES = [
    "/{locale}/",
    "/{locale}/products",
    "/{locale}/products?sort=price_asc&in_stock=y",
    "/{locale}/products/mejhoul",
    "/{locale}/categories/dates",
    "/{locale}/cooperatives",
    "/{locale}/cooperatives/nakhil",
    "/{locale}/search?q=dattes",
    "/{locale}/products/unknown",  # the 404 page
]
EXPECTED = {
    # a phrase of the page chrome, in each language
    "ar": "تعاونيات",
    "fr": "Coopératives",
    "en": "Cooperatives",
}


@pytest.mark.parametrize("locale", ["ar", "fr", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_type_renders_in_every_language(client, shop, locale, page):
    url = page.format(locale=locale)
    response = client.get(url)
    assert response.status_code == (404 if "unknown" in url else 200)
    html = response.get_data(as_text=True)
    direction = "rtl" if locale == "ar" else "ltr"
    assert f'<html lang="{locale}" dir="{direction}">' in html
    assert EXPECTED[locale] in html
    for code in ("ar", "fr", "en"):
        assert f'hreflang="{code}"' in html
    assert 'class="locale-switcher"' in html and 'name="q"' in html  # switcher and search box


def test_arabic_pages_show_arabic_content_and_chrome(client, shop):
    html = client.get("/ar/products/mejhoul").get_data(as_text=True)
    assert "تمر المجهول" in html and "تعاونية النخيل" in html
    assert "درهم" in html  # MAD in Arabic (the word: the symbol "د.م." doubled full stops)
    assert "Add to cart" not in html and "Description" not in html


def test_language_switcher_keeps_the_page_and_query_string(client, shop):
    html = client.get("/fr/products?sort=price_desc&province=errachidia").get_data(as_text=True)
    switcher = html.split('class="locale-switcher"', 1)[1].split("</nav>", 1)[0]
    links = dict(re.findall(r'href="([^"]+)" lang="(ar|fr|en)"', switcher))
    assert {locale: url.replace("&amp;", "&") for url, locale in links.items()} == {
        "ar": "/ar/products?sort=price_desc&province=errachidia",
        "fr": "/fr/products?sort=price_desc&province=errachidia",
        "en": "/en/products?sort=price_desc&province=errachidia",
    }
    # A query sent as raw UTF-8 (browsers percent-encode it, some clients do not).
    html = client.get("/en/search?q=تمر&page=1").get_data(as_text=True)
    assert 'href="/ar/search?q=%D8%AA%D9%85%D8%B1&amp;page=1" lang="ar"' in html
    assert 'hreflang="fr" href="http://localhost/fr/search?q=%D8%AA%D9%85%D8%B1&amp;page=1"' in html
    html = client.get("/en/search?q=%D8%AA%D9%85%D8%B1+bio").get_data(as_text=True)
    assert 'href="/ar/search?q=%D8%AA%D9%85%D8%B1+bio" lang="ar"' in html


def test_switching_language_remembers_it(client, shop):
    client.get("/ar/products")
    response = client.get("/products")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ar/products")


def test_fallback_marker_when_content_is_missing_in_the_language(client, shop):
    html = client.get("/en/products/boufeggous").get_data(as_text=True)
    assert "Boufeggous" in html
    assert '<span class="fallback-marker" lang="fr">original language: Français</span>' in html
    html = client.get("/ar/cooperatives/nakhil").get_data(as_text=True)
    assert "fallback-marker" not in html.split("<main", 1)[1].split("product-grid")[0]
    html = client.get("/en/cooperatives/nakhil").get_data(as_text=True)
    assert 'class="fallback-marker" lang="fr"' in html  # no English name: French shown


def test_prices_are_formatted_for_the_locale(client, shop):
    assert "120,00" in client.get("/fr/products/mejhoul").get_data(as_text=True)
    assert "MAD120.00" in client.get("/en/products/mejhoul").get_data(as_text=True).replace(
        "\xa0", ""
    )


@pytest.mark.parametrize(
    ("locale", "expected_date", "expected_datetime", "expected_price"),
    [
        ("fr", "6 novembre 2025", "06/11/2025 00:30", "1\u202f234,50\xa0MAD"),
        ("en", "November 6, 2025", "11/6/25, 12:30\u202fAM", "MAD\xa01,234.50"),
        ("ar", "6 نوفمبر 2025", "6\u200f/11\u200f/2025، 12:30 ص", "\u200f1,234.50\xa0درهم\u200f"),
    ],
)
def test_dates_and_prices_are_formatted_by_babel_for_the_locale(
    app, locale, expected_date, expected_datetime, expected_price
):
    # 23:30 UTC is already the next day in Casablanca (UTC+1 in November 2025).
    moment = datetime(2025, 11, 5, 23, 30, tzinfo=UTC)
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        rendered = render_template_string(
            "{{ d|date('long') }}|{{ d|datetime('short') }}|{{ cents|money }}",
            d=moment,
            cents=123450,
        )
    assert rendered.split("|") == [expected_date, expected_datetime, expected_price]


def test_translation_catalogs_are_complete_and_up_to_date():
    result = subprocess.run(
        [sys.executable, "tools/i18n.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_catalog_check_fails_on_fuzzy_untranslated_or_stale_entries(tmp_path):
    """`make i18n-check` (run by `make test`) really fails: on a copy of the project, an ar
    entry left untranslated, a fr entry marked fuzzy and a new template string not extracted."""
    skip = shutil.ignore_patterns("__pycache__", "*.mo", ".lock")
    for name in ("tools", "marketplace", "templates", "translations"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=skip)
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    for locale, spoil in (("ar", "untranslated"), ("fr", "fuzzy")):
        path = tmp_path / "translations" / locale / "LC_MESSAGES" / "messages.po"
        catalog = polib.pofile(str(path))
        entry = next(e for e in catalog if not e.obsolete and not e.msgid_plural and e.msgstr)
        if spoil == "fuzzy":
            entry.flags.append("fuzzy")
        else:
            entry.msgstr = ""
        catalog.save()
    (tmp_path / "templates" / "audit_new.html").write_text("{{ _('A sentence nobody extracted') }}")
    result = subprocess.run(
        [sys.executable, "tools/i18n.py", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "messages.pot is stale: 1 new" in result.stderr
    assert "ar: 1 untranslated or fuzzy" in result.stderr
    assert "fr: 1 untranslated or fuzzy" in result.stderr
