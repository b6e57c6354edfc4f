"""Operations: /healthz, request ids, structured request logs, errors logged not shown,
ProxyFix, the request size limit, the Redis cache."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask_babel import force_locale, gettext

from marketplace.extensions import cache
from marketplace.ops.logs import JsonFormatter
from tests.other_apps import make_app_fixture  # noqa: F401


def request_records(caplog):
    return [r for r in caplog.records if r.name == "marketplace.request"]


# --- /healthz -----------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # no session, no language cookie


def test_healthz_is_503_when_the_database_is_unreachable(make_app, tmp_path, caplog):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    with caplog.at_level(logging.ERROR, logger="marketplace"):
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert "unable to open database file" not in response.get_data(as_text=True)
    (record,) = [r for r in caplog.records if r.name == "marketplace.ops.health"]
    assert record.exc_info is not None  # logged with its traceback


def test_healthz_is_not_language_prefixed(client):
    assert client.get("/fr/healthz").status_code == 404


# --- request ids and logs -----------------------------------------------------------------


def test_a_valid_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"


@pytest.mark.parametrize(
    "incoming", [None, "", "a" * 200, "x\ty", "<script>", "id with space", "é-accent"]
)
def test_a_missing_or_unsafe_request_id_is_replaced(client, incoming):
    headers = {"X-Request-ID": incoming} if incoming is not None else {}
    response = client.get("/fr/", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_request_is_logged_as_one_structured_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        response = client.get("/fr/products?page=2", headers={"X-Request-ID": "req-123"})
    (record,) = request_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-123"
    assert line["method"] == "GET"
    assert line["path"] == "/fr/products"  # no query string: it may hold personal data
    assert line["status"] == response.status_code
    assert line["endpoint"] == "storefront.products"
    assert line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"


def test_refused_requests_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        client.post("/fr/login", data={"email": "a@b.ma", "password": "x"})  # no CSRF token
    (record,) = request_records(caplog)
    assert record.fields["status"] == 400
    assert record.fields["duration_ms"] is not None


def test_secret_tokens_in_urls_are_not_logged(client, caplog):
    token = "SeCrEtToKeN-1234567890abcdef"
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        client.get(f"/fr/password/reset/{token}")
    (record,) = request_records(caplog)
    assert token not in JsonFormatter().format(record)
    assert record.fields["path"] == "/fr/password/reset/<token>"


def test_logged_in_user_is_identified_by_id_only(client, caplog):
    from tests.factories import UserFactory
    from tests.helpers import login

    user = UserFactory(email="private@example.ma")
    login(client, user)
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        client.get("/fr/account")
    (record,) = request_records(caplog)
    assert record.fields["user_id"] == str(user.id)
    assert "private@example.ma" not in JsonFormatter().format(record)


# --- errors: logged with their traceback, never shown ---------------------------------------


@pytest.fixture
def failing_app(make_app):
    other = make_app()

    def explode():
        raise RuntimeError("database password is hunter2")

    other.add_url_rule("/<locale:locale>/explode", "explode", explode)
    return other


def test_unexpected_errors_are_logged_with_traceback_and_never_shown(failing_app, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace"):
        response = failing_app.test_client().get("/fr/explode", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "hunter2" not in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    assert "boom-1" in html  # a reference the user can quote to support
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = json.loads(JsonFormatter().format(errors[0]))
    assert line["request_id"] == "boom-1"
    assert "RuntimeError: database password is hunter2" in line["traceback"]
    assert "explode" in line["traceback"]
    (access,) = request_records(caplog)
    assert access.fields["status"] == 500


def test_the_500_page_is_translated(failing_app):
    html = failing_app.test_client().get("/ar/explode").get_data(as_text=True)
    with failing_app.test_request_context("/ar/"), force_locale("ar"):
        title = gettext("Something went wrong")
    assert title != "Something went wrong"
    assert title in html
    assert '<html lang="ar" dir="rtl">' in html


def test_json_errors_carry_the_request_id_but_no_details(failing_app):
    response = failing_app.test_client().get(
        "/fr/explode", headers={"Accept": "application/json", "X-Request-ID": "api-9"}
    )
    assert response.status_code == 500
    assert response.get_json()["request_id"] == "api-9"
    assert "hunter2" not in response.get_data(as_text=True)


def test_production_logs_are_json_lines(make_app, capsys):
    prod = make_app("production", LOG_JSON=True)
    logger = logging.getLogger("marketplace")
    try:
        assert any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers)
        prod.test_client().get("/healthz")
        logging.getLogger("marketplace.request").info("probe", extra={"fields": {"k": 1}})
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        assert {"message": "probe", "k": 1}.items() <= lines[-1].items()
    finally:
        for handler in [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]:
            logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


# --- behind a reverse proxy ---------------------------------------------------------------


def test_without_proxy_fix_forwarded_headers_are_ignored(client, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        client.get("/fr/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert request_records(caplog)[0].fields["remote_addr"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("hops", "forwarded", "client_addr"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.66, 203.0.113.7", "203.0.113.7"),  # the first value is spoofable
        (2, "198.51.100.66, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    ],
)
def test_proxy_fix_takes_the_client_address_from_the_trusted_hops(
    make_app, caplog, hops, forwarded, client_addr
):
    behind = make_app(PROXY_FIX_HOPS=hops)
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        behind.test_client().get(
            "/fr/", headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"}
        )
    assert request_records(caplog)[0].fields["remote_addr"] == client_addr


# --- request size limit -------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ar", "fr", "en"])
def test_too_large_requests_get_a_translated_413_page(app, client, monkeypatch, locale):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post(f"/{locale}/login", data={"email": "x" * 4000, "password": "y"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        title = gettext("File or request too large")
    if locale != "en":
        assert title != "File or request too large", "413 title not translated"
    assert title in html
    assert "Content-Security-Policy" in response.headers


# --- cache --------------------------------------------------------------------------------


def test_tests_run_without_a_shared_cache(app):
    assert app.config["CACHE_TYPE"] == "NullCache"


def test_the_cache_is_redis_when_redis_url_is_set(make_app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    with_redis = make_app(REDIS_URL=url)
    assert with_redis.config["CACHE_TYPE"] == "RedisCache"
    assert with_redis.config["CACHE_REDIS_URL"] == url
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    with with_redis.app_context():
        cache.set("souk-test-key", {"ok": 1}, timeout=5)
        assert cache.get("souk-test-key") == {"ok": 1}
        cache.clear()  # every souk: key of this test database (15)


def test_production_keeps_rate_limits_and_cache_in_redis(tmp_path):
    """The real start-up path (settings from the environment, as under gunicorn)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "PUBLIC_BASE_URL": "https://souk.example.ma",
        "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "INSTANCE_PATH": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "LOG_JSON": "0",
    }
    env.pop("RATELIMIT_STORAGE_URI", None)
    script = (
        "from wsgi import app; "
        "print(app.config['RATELIMIT_STORAGE_URI'], app.config['CACHE_TYPE'], "
        "app.config['CACHE_REDIS_URL'], app.config['SESSION_COOKIE_SECURE'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [env["REDIS_URL"], "RedisCache", env["REDIS_URL"], "True"]
