"""The application skeleton: factory, languages, error pages, the test run's set-up."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
    html = response.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html and "<h1>Page introuvable</h1>" in html
    response = client.get("/xx/products/mejhoul", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert "الصفحة غير موجودة" in response.get_data(as_text=True)


def test_pick_falls_back_to_another_language(app):
    product = ProductFactory(names={"ar": "تمر المجهول"})
    picked = pick(product.translations, "en")
    assert picked.name == "تمر المجهول"
    assert picked.fallback is True
    assert pick(product.translations, "ar").fallback is False


@pytest.mark.parametrize(("ci", "fails"), [("true", True), ("", False)])
def test_unreachable_postgresql_fails_make_test_only_in_ci(ci, fails):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(CI=ci, TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:1/")
    result = subprocess.run(
        # -o: the venv and the compiled catalogs are already there (make test made them).
        ["make", "--no-print-directory", "-o", "install", "-o", "i18n-compile", "test-postgres"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "127.0.0.1:1/ is unreachable" in output
    assert (result.returncode != 0) is fails, output


def test_unprefixed_page_redirects_with_its_query_string(client):
    response = client.get("/search?q=تمر&page=2", headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/search?q=%D8%AA%D9%85%D8%B1&page=2"
    assert client.get("/no-such-page").status_code == 404


def test_stylesheet_mirrors_for_arabic_and_loads_nothing_from_outside():
    css = (Path(__file__).resolve().parent.parent / "static/css/main.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments may name left and right
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:"
        r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b",
        css,
    )
    assert physical == []
    assert "@font-face" not in css and "@import" not in css
    assert re.search(r"url\(\s*['\"]?(?:https?:)?//", css) is None
    assert "Noto Naskh Arabic" in css  # a local Arabic font stack, nothing downloaded


def test_configuration_comes_from_the_environment(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "FLASK_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/env.sqlite3",
        SITE_NAME="Souk Test",
        DEFAULT_LOCALE="ar",
        SECRET_KEY="an-environment-secret-key-of-enough-length-0123",
    )
    script = (
        "from wsgi import app; c = app.config; "
        "print(c['SQLALCHEMY_DATABASE_URI'], c['SITE_NAME'], c['DEFAULT_LOCALE'], "
        "c['BABEL_DEFAULT_LOCALE'], c['SECRET_KEY'][:14])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        f"sqlite:///{tmp_path}/env.sqlite3",
        "Souk",
        "Test",
        "ar",
        "ar",
        "an-environment",
    ]
