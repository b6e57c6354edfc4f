"""HTTP hardening: the Content-Security-Policy written out, HSTS in production, nosniff,
Referrer-Policy, no caching of personal pages, bidi controls never printed. (The access
matrix checks CSP, nosniff and Referrer-Policy on every route; here the details.)"""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from marketplace.web import BIDI_CONTROLS, STRIPE_CHECKOUT_ORIGIN
from tests.factories import UserFactory
from tests.helpers import login
from tests.other_apps import make_app_fixture  # noqa: F401
from tests.test_access_matrix import ROUTES, build_cases
from tests.world import build_world

ONE_YEAR = 365 * 24 * 3600


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        assert name not in directives, f"directive {name} given twice"
        directives[name] = values
    return directives


def test_the_csp_is_explicit_and_strict(client):
    csp = csp_directives(client.get("/fr/"))
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]  # no inline style="" attributes
    script = csp["script-src"]
    assert script[0] == "'self'"
    assert all(v.startswith("'nonce-") for v in script[1:]), script
    for values in csp.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values
        assert "*" not in values
        assert not any(v.startswith("http:") for v in values)


def test_forms_may_post_only_here_and_redirect_to_stripe_checkout(client):
    form_action = csp_directives(client.get("/fr/"))["form-action"]
    assert form_action[0] == "'self'"
    assert STRIPE_CHECKOUT_ORIGIN in form_action


def test_the_script_nonce_is_new_on_every_response_and_usable_in_templates(make_app):
    other = make_app()
    other.add_url_rule(
        "/nonce",
        "nonce",
        lambda: render_template_string('<script nonce="{{ csp_nonce() }}"></script>'),
    )
    client = other.test_client()
    first, second = client.get("/nonce"), client.get("/nonce")
    nonces = []
    for response in (first, second):
        (nonce,) = re.findall(r'nonce="([^"]+)"', response.get_data(as_text=True))
        assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
        assert len(nonce) >= 16
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_page_has_inline_script_or_style(client):
    build_world()
    for url in ("/fr/", "/ar/products", "/en/cooperatives", "/fr/login", "/fr/register"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", html), url
        assert not re.search(r"\sstyle\s*=", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url  # inline event handlers


def test_other_security_headers(client):
    response = client.get("/fr/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_headers_are_on_static_files_and_error_pages_too(client):
    for url in ("/static/css/main.css", "/fr/no-such-page", "/healthz", "/media/../config.py"):
        response = client.get(url)
        response.close()
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url


def test_hsts_of_at_least_a_year_on_every_route_in_production(make_app):
    prod = make_app("production")
    world = build_world()
    client = prod.test_client()
    cases = [c for c in build_cases(prod, world) if ROUTES[c.endpoint].get is not None]
    assert len(cases) > 30
    for case in cases:
        response = client.get(case.url, base_url="https://souk.example.ma")
        response.close()
        hsts = response.headers.get("Strict-Transport-Security", "")
        match = re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
        assert match and int(match.group(1)) >= ONE_YEAR, (case.url, hsts)


def test_pages_of_a_logged_in_user_are_not_cached(client):
    login(client, UserFactory())
    response = client.get("/fr/account")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    # Static files stay cacheable.
    static = client.get("/static/css/main.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize("control", [chr(c) for c in BIDI_CONTROLS])
def test_bidi_controls_are_never_printed_by_templates(app, control):
    with app.test_request_context("/ar/"):
        html = render_template_string(
            "<p>{{ name }}</p><p>{{ safe|safe }}</p>",
            name=f"exe.{control}gpj",
            safe=f"<b>{control}x</b>",
        )
    assert control not in html
    assert "<p>exe.gpj</p>" in html
    assert "<b>x</b>" in html  # Markup stays Markup


def test_ordinary_arabic_and_direction_marks_are_kept(app):
    text = "تمور المجهول\u200f 5 كغ \u200e(Erfoud)"  # RLM/LRM are harmless and useful
    with app.test_request_context("/ar/"):
        assert render_template_string("{{ t }}", t=text) == text


def test_production_cookies_are_host_only_secure_and_httponly(make_app):
    prod = make_app("production")
    response = prod.test_client().get("/fr/login", base_url="https://souk.example.ma")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in session_cookie, (flag, session_cookie)
    assert "Domain=" not in session_cookie
    locale_cookie = next(c for c in cookies if c.startswith("lang="))
    assert "Secure" in locale_cookie
