"""Helpers for tests: CSRF tokens, logging in, PostgreSQL availability."""

from __future__ import annotations

import os
import re

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pg_admin_url() -> str:
    """URL of the maintenance database on the test PostgreSQL server."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
    return url if not url.endswith("/") else f"{url}postgres"


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on ``url`` (the real one, as a browser would post it)."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """Post ``data`` to ``url`` with the CSRF token taken from ``form_url`` (default ``url``)."""
    payload = {"csrf_token": csrf_token(client, form_url or url), **data}
    return client.post(url, data=payload, **kwargs)


def release_test_transaction() -> None:
    """End the test's own read transaction (reading an expired factory object opens one):
    on SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so the request
    would otherwise wait for it."""
    import contextlib

    from marketplace.extensions import db

    with contextlib.suppress(RuntimeError):  # no app context
        db.session.commit()


def login(client, user_or_email, password: str = "correct horse battery staple") -> None:
    """Log in through the real login form."""
    email = getattr(user_or_email, "email", user_or_email)
    release_test_transaction()
    response = post_form(client, "/en/login", {"email": email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def subject_is(subject: str, msgid: str) -> bool:
    """Whether an e-mail ``subject`` is the message ``msgid`` (its ``%(…)s`` values being
    anything) in one of the site's languages: each recipient gets it in their own."""
    from flask_babel import force_locale, gettext

    from marketplace.i18n import LOCALES

    for locale in LOCALES:
        with force_locale(locale):
            translated = gettext(msgid)
        pattern = re.sub(r"%\\\(\w+\\\)s", ".+", re.escape(translated))
        if re.fullmatch(pattern, subject):
            return True
    return False
