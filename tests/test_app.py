"""The application skeleton: factory, languages, error pages."""

from marketplace.i18n import pick
from tests.factories import ProductFactory


def test_unprefixed_path_redirects_to_the_best_language(client):
    response = client.get("/", headers={"Accept-Language": "ar,fr;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ar/")


def test_language_cookie_wins_over_accept_language(client):
    client.set_cookie("lang", "en")
    response = client.get("/", headers={"Accept-Language": "ar"})
    assert response.headers["Location"].endswith("/en/")


def test_default_locale_when_nothing_is_known(client, app):
    response = client.get("/")
    assert response.headers["Location"].endswith(f"/{app.config['DEFAULT_LOCALE']}/")


def test_arabic_pages_are_right_to_left(client):
    html = client.get("/ar/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    html = client.get("/fr/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html


def test_unsupported_language_prefix_is_a_translated_404(client):
    response = client.get("/de/", headers={"Accept-Language": "fr"})
    assert response.status_code == 404


def test_pick_falls_back_to_another_language(app):
    product = ProductFactory(names={"ar": "تمر المجهول"})
    picked = pick(product.translations, "en")
    assert picked.name == "تمر المجهول"
    assert picked.fallback is True
    assert pick(product.translations, "ar").fallback is False
