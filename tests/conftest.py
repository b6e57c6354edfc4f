"""Shared fixtures: one database per test worker built through the migrations, emptied
after every test; an app context per test; a test client whose requests run in their own
app context, as in production.

How each test is isolated: every table is emptied after it (``_empty_database``; on
PostgreSQL the id sequences restart too), not rolled back. A transaction per test with a
savepoint for the code's commit would not hold here: each request of the test client commits
its own transaction (marketplace/transaction.py) on its own session, the concurrency tests run
requests in threads and other processes (gunicorn nodes, job workers) on their own
connections, and all of them must see what the test wrote and what the others committed, which
an outer transaction left open would hide from them."""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db, limiter
from tests.helpers import pg_admin_url, postgres_reachable

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
# The local fake of the Stripe API: fixtures stripe_fake and stripe_keys; a local S3 server
# (moto): fixtures s3_server and s3.
pytest_plugins = ("tests.fakes.stripe_server", "tests.fakes.s3_server", "tests.fakes.twilio_server")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE=postgres)")
    for item in items:
        if "postgres" in item.keywords and TEST_DATABASE != "postgres":
            item.add_marker(skip_pg)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own g, session and current_user),
    even when the test itself has one pushed; afterwards the test's session is expired so it
    reads what the request committed."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first (reading an expired factory object opens
        # one): on SQLite it holds the write lock (BEGIN IMMEDIATE) and the request would
        # wait for it until "database is locked".
        with contextlib.suppress(RuntimeError):
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        with contextlib.suppress(RuntimeError):  # RuntimeError: no app context in the test
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if TEST_DATABASE == "sqlite":
        path = tmp_path_factory.mktemp("db") / f"test-{worker_id}.sqlite3"
        yield f"sqlite:///{path}"
        return
    if not postgres_reachable():
        pytest.fail("TEST_DATABASE=postgres but PostgreSQL is unreachable")
    import psycopg

    name = f"souk_test_{worker_id}_{os.getpid()}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url().rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    work = tmp_path_factory.mktemp("instance")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_OUTBOX_DIR=str(work / "outbox"),
        UPLOAD_DIR=str(work / "uploads"),
        MEDIA_DIR=str(work / "media"),
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_database() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            # Restart sequences so ids do not depend on test order.
            for table in tables:
                if "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
                        )
                    )


@pytest.fixture(autouse=True)
def app_ctx(app):
    with app.app_context():
        yield app
        db.session.remove()
        _empty_database()
        # The limiter is one object shared by every app: an app made by a test (e.g. in
        # production configuration) switches it on for all. Forget its counts and put the
        # suite's own setting back.
        if getattr(limiter, "_storage", None) is not None:
            limiter.reset()
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        for key in ("MAIL_OUTBOX_DIR", "UPLOAD_DIR", "MEDIA_DIR"):
            shutil.rmtree(app.config[key], ignore_errors=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    """Messages written to the test outbox so far (parsed e-mail messages)."""
    from marketplace.mail import read_outbox

    return lambda: read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


@pytest.fixture
def cached(app):
    """The page cache (and with it the card cache) switched on, on a fresh per-test
    in-memory store."""
    from flask_caching.backends.simplecache import SimpleCache

    from marketplace import cache as page_cache
    from marketplace.catalogue import cards
    from marketplace.extensions import cache

    saved = app.extensions["cache"][cache], app.extensions["page_cache_enabled"]
    app.extensions["cache"][cache] = SimpleCache()
    app.extensions["page_cache_enabled"] = True
    page_cache._local.clear()
    page_cache._version[:] = [None, 0.0]
    cards._local.clear()
    yield
    app.extensions["cache"][cache], app.extensions["page_cache_enabled"] = saved
    cards._local.clear()
