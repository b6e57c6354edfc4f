"""Three languages everywhere: every public page type in ar/fr/en, Arabic right-to-left,
the language switcher keeps the page and its query string, translated-content fallback with
its marker, and complete translation catalogs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

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
    "/{lang}/",
    "/{lang}/products",
    "/{lang}/products?sort=price_asc&in_stock=y",
    "/{lang}/products/mejhoul",
    "/{lang}/categories/dates",
    "/{lang}/cooperatives",
    "/{lang}/cooperatives/nakhil",
    "/{lang}/search?q=dattes",
    "/{lang}/products/unknown",  # the 404 page
]
EXPECTED = {
    # a phrase of the page chrome, in each language
    "ar": "تعاونيات",
    "fr": "Coopératives",
    "en": "Cooperatives",
}


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_type_renders_in_every_language(client, shop, lang, page):
    url = page.format(lang=lang)
    response = client.get(url)
    assert response.status_code == (404 if "unknown" in url else 200)
    html = response.get_data(as_text=True)
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert EXPECTED[lang] in html
    for code in ("ar", "fr", "en"):
        assert f'hreflang="{code}"' in html


def test_arabic_pages_show_arabic_content_and_chrome(client, shop):
    html = client.get("/ar/products/mejhoul").get_data(as_text=True)
    assert "تمر المجهول" in html and "تعاونية النخيل" in html
    assert "د.م." in html  # Babel's MAD symbol in Arabic
    assert "Add to cart" not in html and "Description" not in html


def test_language_switcher_keeps_the_page_and_query_string(client, shop):
    html = client.get("/fr/products?sort=price_desc&province=errachidia").get_data(as_text=True)
    switcher = html.split('class="lang-switcher"', 1)[1].split("</nav>", 1)[0]
    links = dict(re.findall(r'href="([^"]+)" lang="(ar|fr|en)"', switcher))
    assert {lang: url.replace("&amp;", "&") for url, lang in links.items()} == {
        "ar": "/ar/products?sort=price_desc&province=errachidia",
        "fr": "/fr/products?sort=price_desc&province=errachidia",
        "en": "/en/products?sort=price_desc&province=errachidia",
    }
    html = client.get("/en/search?q=تمر").get_data(as_text=True)
    assert "/ar/search?q=" in html


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
