"""Keep serving through faults (issue #21): the real dependency goes away and comes back.

- Redis: a ``redis-server`` of the test's own, stopped, frozen (SIGSTOP: it accepts
  connections and never answers) and started again while the app keeps running.
- PostgreSQL: a cluster of the test's own (``initdb``/``pg_ctl`` into a temporary folder)
  restarted in the middle of concurrent checkouts.
- The mail server: a port nobody listens on. Stripe: a port nobody listens on, and a server
  that accepts and never answers. The disk: the image write fails halfway (ENOSPC).

The Redis and PostgreSQL tests skip when the binaries are missing, and fail instead on CI.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import io
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import redis
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import cache as page_cache
from marketplace import mail
from marketplace.catalogue import cards
from marketplace.catalogue.models import Product
from marketplace.extensions import db, limiter
from marketplace.orders.models import Order, OrderLine
from marketplace.payments import services as payments
from marketplace.payments.models import Payment
from tests.conftest import IsolatedClient
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.fakes.stripe_server import SECRET_KEY, WEBHOOK_SECRET, post_event
from tests.helpers import login, post_form, release_test_transaction
from tests.other_apps import make_app_fixture  # noqa: F401
from tests.payments_support import place

IN_CI = os.environ.get("CI", "").lower() == "true"
FIELD_RE = r'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"'


def need(binary: str | None, what: str) -> str:
    if binary:
        return binary
    message = f"{what} is not installed: this test stops and starts the real server"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def form_field(html: str, name: str) -> str:
    match = re.search(FIELD_RE.format(name=name), html)
    assert match, f"no {name} field"
    return match.group(1) or match.group(2) or ""


# --- a shopper's browser ----------------------------------------------------------------------


class Browser:
    """A test client that, like a patient shopper, tries again after a 503 (which must say
    when, with Retry-After) and records every status it saw."""

    def __init__(self, client, retry: bool = False) -> None:
        self.client, self.retry = client, retry
        self.statuses: Counter[int] = Counter()
        self.unavailable_without_retry_after = 0

    def open(self, url: str, method: str = "GET", **kwargs):
        deadline = time.monotonic() + 60
        while True:
            response = self.client.open(url, method=method, **kwargs)
            self.statuses[response.status_code] += 1
            if response.status_code != 503 or not self.retry or time.monotonic() > deadline:
                return response
            if not response.headers.get("Retry-After"):
                self.unavailable_without_retry_after += 1
            time.sleep(0.1)

    def token(self, url: str) -> str:
        return form_field(self.open(url).get_data(as_text=True), "csrf_token")

    def checkout_cod(self, slug: str, product_id: int, quantity: int, email: str) -> str:
        """Cart, checkout, review and confirm, cash on delivery; the new order's number."""
        confirm = self.review(slug, product_id, quantity, email)
        # Sent again as it is after a 503: the same token finds the order if it was placed.
        placed = self.open("/fr/checkout/review", "POST", data=confirm)
        assert placed.status_code == 303, placed.get_data(as_text=True)[:1000]
        match = re.search(r"/fr/orders/([^/?]+)$", placed.headers["Location"])
        assert match, placed.headers["Location"]
        return match.group(1)

    def review(self, slug: str, product_id: int, quantity: int, email: str) -> dict:
        """Fill the cart and the checkout form; the fields of the review's confirm form."""
        page = f"/fr/products/{slug}"
        added = self.open(
            "/fr/cart/add",
            "POST",
            data={"csrf_token": self.token(page), "product_id": product_id, "quantity": quantity},
        )
        assert added.status_code == 303, added.status_code
        details = {
            "csrf_token": self.token("/fr/checkout"),
            "email": email,
            "contact_name": "Hassan Ait Ali",
            "phone": "0612345678",
            "address_line1": "Ksar El Khorbat",
            "city": "Tinejdad",
            "country": "MA",
            "payment_method": "cod",
        }
        checkout = self.open("/fr/checkout", "POST", data=details)
        assert checkout.status_code == 303, checkout.get_data(as_text=True)[:1000]
        return self.confirm_fields()

    def confirm_fields(self) -> dict:
        review = self.open("/fr/checkout/review")
        assert review.status_code == 200, review.status_code
        html = review.get_data(as_text=True)
        return {name: form_field(html, name) for name in ("csrf_token", "token", "fingerprint")}


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own on a free port (no persistence)."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with self.client() as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def keys(self, pattern: str) -> list:
        with self.client() as client:
            return client.keys(pattern)


def forget_outage_state() -> None:
    """The caches' view of Redis is per process: leave none to the next test."""
    page_cache._outage.__init__()
    page_cache._version[:] = [None, 0.0]
    page_cache._local.clear()
    cards._local.clear()


class HttpsClient(IsolatedClient):
    """A browser on the production site: https, with the Referer that the strict CSRF check
    of https requests wants."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://localhost/")
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(need(shutil.which("redis-server"), "redis-server"), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(make_app, redis_server, monkeypatch):
    """Production settings with rate limits and caches on the test's Redis."""
    monkeypatch.setattr(page_cache, "RETRY_SECONDS", 0.5)  # a shorter wait before trying again
    forget_outage_state()
    app = make_app(
        "production",
        PUBLIC_BASE_URL="https://localhost",
        REDIS_URL=redis_server.url,
        RATELIMIT_STORAGE_URI=redis_server.url,
        AUTH_RATE_LIMIT="5 per minute",
        # Cheap password hashes: the test times requests, not argon2.
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_COST=1024,
        ARGON2_PARALLELISM=1,
        PAGE_CACHE_VERSION_SECONDS=0,  # every cached page asks Redis for the version
    )
    app.test_client_class = HttpsClient
    yield app
    forget_outage_state()
    # The limiter is one object shared by every app: back to memory before Redis stops.
    make_app("testing", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter._storage_dead = False


def timed(browser: Browser, url: str, method: str = "GET", **kwargs):
    started = time.monotonic()
    response = browser.open(url, method, **kwargs)
    return response, time.monotonic() - started


def test_login_registration_and_checkout_work_while_redis_is_stopped(
    redis_app, redis_server, caplog
):
    with redis_app.app_context():
        UserFactory(email="khadija@example.ma")
        product = ProductFactory(stock=10, price_cents=5000)
        slug, pid = product.slug, product.id
    release_test_transaction()
    login(redis_app.test_client(), "khadija@example.ma")
    assert redis_server.keys("LIMITS*"), "the rate limits are counted in Redis"

    redis_server.stop()
    with caplog.at_level(logging.INFO):
        shopper = Browser(redis_app.test_client())
        login(shopper.client, "khadija@example.ma")
        number = shopper.checkout_cod(slug, pid, 2, "khadija@example.ma")

        newcomer = Browser(redis_app.test_client())
        registered = post_form(
            newcomer.client,
            "/fr/register",
            {
                "name": "Youssef",
                "email": "youssef@example.ma",
                "password": "a camel crossing the erg",
                "password_confirm": "a camel crossing the erg",
                "locale": "fr",
            },
        )
        assert registered.status_code == 302, registered.get_data(as_text=True)[:1000]

        # The limit (5 a minute) still holds, counted in memory: the login above was one.
        intruder = Browser(redis_app.test_client())
        token = intruder.token("/fr/login")
        wrong = {"csrf_token": token, "email": "khadija@example.ma", "password": "not it"}
        answers = [intruder.open("/fr/login", "POST", data=wrong).status_code for _ in range(5)]
        assert answers == [401, 401, 401, 401, 429]

    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None and order.status == "confirmed"
    assert db.session.scalar(select(Product.stock).where(Product.id == pid)) == 8
    limiter_lines = [r for r in caplog.records if r.name == "flask-limiter"]
    assert [r.getMessage() for r in limiter_lines if r.levelno >= logging.WARNING] == [
        "Rate limit storage unreachable - falling back to in-memory storage"
    ], "logged once for the whole outage, not per request"
    assert all(500 not in b.statuses for b in (shopper, newcomer, intruder))

    # Redis is back: without a restart, the limits are counted in it again and pages are
    # cached in it again (Flask-Limiter looks again after 1, 2, 4… seconds).
    redis_server.start()
    assert not redis_server.keys("LIMITS*")
    visitor = Browser(redis_app.test_client())
    deadline = time.monotonic() + 20
    while not redis_server.keys("LIMITS*"):
        assert time.monotonic() < deadline, "the rate limits did not go back to Redis"
        visitor.open("/fr/login", "POST", data={"csrf_token": visitor.token("/fr/login")})
        time.sleep(0.3)
    statuses = [visitor.open(f"/fr/products/{slug}").headers.get("X-Page-Cache") for _ in "ab"]
    assert statuses == ["miss", "hit"]
    assert redis_server.keys("souk:page:*")


def test_a_frozen_redis_does_not_make_pages_slow_and_is_logged_once(
    redis_app, redis_server, caplog
):
    with redis_app.app_context():
        product = ProductFactory(names={"fr": "Dattes Mejhoul"})
        ProductFactory.create_batch(3)
        slug = product.slug
    release_test_transaction()
    visitor = Browser(redis_app.test_client())
    pages = [f"/fr/products/{slug}", "/fr/products", "/fr/"]
    for url in pages:
        visitor.open(url)
    assert visitor.open(pages[0]).headers["X-Page-Cache"] == "hit"

    def failed_login() -> float:
        token = visitor.token("/fr/login")
        data = {"csrf_token": token, "email": "nobody@example.ma", "password": "x"}
        response, seconds = timed(visitor, "/fr/login", "POST", data=data)
        assert response.status_code == 401
        return seconds

    usual_login = min(failed_login() for _ in range(2))  # production's password hashing

    redis_server.pause()
    try:
        with caplog.at_level(logging.INFO, logger="marketplace.cache"):
            timings = []
            for _ in range(4):
                for url in pages:
                    response, seconds = timed(visitor, url)
                    assert response.status_code == 200
                    assert "X-Page-Cache" not in response.headers  # rendered without it
                    timings.append(seconds)
            logins = [failed_login() for _ in range(3)]
    finally:
        redis_server.resume()
    timeout = redis_app.config["REDIS_SOCKET_TIMEOUT"]
    assert timeout <= 0.5
    # One request pays the socket timeout (then the cache is left alone for a while); the
    # others do not wait at all: twelve pages in far less than one 2 s Redis answer each.
    assert max(timings) < timeout + 1.5, timings
    # Had each page waited for Redis, the twelve would take 12 x the timeout at least
    # (12 x 2 s with a Redis answering in 2 s and no timeout).
    assert sum(timings) < len(timings) * timeout, timings
    # The first login finds Redis frozen (Flask-Limiter then checks it once more at once);
    # the next ones count in memory without waiting.
    assert logins[0] < usual_login + 2 * timeout + 1.0, (usual_login, logins)
    # (at most one more look at Redis if a slow machine made two seconds pass meanwhile)
    assert sum(logins[1:]) < 2 * usual_login + timeout + 1.0, (usual_login, logins)
    warnings = [r for r in caplog.records if r.name == "marketplace.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "cache unavailable" in warnings[0].getMessage() and warnings[0].exc_info

    # Answering again: the first call after the pause starts a new version (what changed
    # meanwhile never reached Redis) and the cache serves again.
    time.sleep(page_cache.RETRY_SECONDS)
    with caplog.at_level(logging.INFO, logger="marketplace.cache"):
        statuses = [visitor.open(pages[0]).headers.get("X-Page-Cache") for _ in "ab"]
    assert statuses == ["miss", "hit"]
    assert "cache available again" in caplog.text


def test_every_redis_client_has_short_timeouts(redis_app, redis_server):
    from marketplace.extensions import cache

    expected = redis_app.config["REDIS_OPTIONS"]
    clients = {
        "cache": redis_app.extensions["cache"][cache]._write_client,
        "rate limits": limiter.storage.storage,
    }
    with redis_app.test_request_context():
        from marketplace.ops import health

        assert health.redis_answers() is True
        clients["health check"] = redis_app.extensions["healthz_redis"]
    for name, client in clients.items():
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == expected["socket_timeout"], name
        assert kwargs["socket_connect_timeout"] == expected["socket_connect_timeout"], name
        assert kwargs["retry"] is None, name
    redis_server.stop()
    assert redis_app.test_client().get("/healthz").get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "error"},
    }


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_bindir() -> str | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class PostgresCluster:
    """A PostgreSQL cluster of the test's own, in a temporary folder, on a free port. initdb
    refuses to run as root: then the cluster belongs to the ``postgres`` user."""

    def __init__(self, bindir: str) -> None:
        self.bindir = Path(bindir)
        self.root = Path(tempfile.mkdtemp(prefix="souk-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            self.as_owner = [need(shutil.which("runuser"), "runuser"), "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bindir / program), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=50"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")  # its data goes away with it
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_cluster():
    bindir = need(postgres_bindir(), "PostgreSQL (initdb, pg_ctl)")
    cluster = PostgresCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE souk")
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_app(make_app, pg_cluster):
    other = make_app(SQLALCHEMY_DATABASE_URI=pg_cluster.url("souk", "postgresql+psycopg"))
    with other.app_context():
        upgrade()
    yield other
    with psycopg.connect(pg_cluster.url("souk"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


SHOPPERS = 12
ORDERS_EACH = 3


@pytest.mark.postgres
def test_a_database_restart_during_concurrent_checkouts_loses_and_doubles_nothing(
    pg_app, pg_cluster
):
    with pg_app.app_context():
        products = [ProductFactory(stock=200, price_cents=3000 + 500 * i) for i in range(3)]
        catalogue = [(p.id, p.slug) for p in products]
        db.session.remove()

    placed: list[tuple[str, str, int, int]] = []  # (email, number, product id, quantity)
    browsers: list[Browser] = []
    errors: list[str] = []
    lock = threading.Lock()

    def shop(i: int) -> None:
        browser = Browser(pg_app.test_client(), retry=True)
        with lock:
            browsers.append(browser)
        email = f"shopper{i}@example.ma"
        try:
            for n in range(ORDERS_EACH):
                pid, slug = catalogue[(i + n) % len(catalogue)]
                quantity = 1 + (i + n) % 3
                number = browser.checkout_cod(slug, pid, quantity, email)
                with lock:
                    placed.append((email, number, pid, quantity))
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            with lock:
                errors.append(f"{email}: {error!r}\n{traceback.format_exc()}")

    threads = [threading.Thread(target=shop, args=(i,)) for i in range(SHOPPERS)]
    for thread in threads:
        thread.start()
    # Restart once a third of the orders are in, with every shopper still mid-way.
    deadline = time.monotonic() + 60
    while len(placed) < SHOPPERS * ORDERS_EACH // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    monitor = Browser(pg_app.test_client())
    pg_cluster.stop()
    during = monitor.open("/healthz")
    page = monitor.open("/en/products")
    time.sleep(0.5)  # the shoppers keep trying meanwhile
    pg_cluster.start()
    for thread in threads:
        thread.join(timeout=120)
    after = monitor.open("/healthz")

    assert not errors, "\n".join(errors)
    assert during.status_code == 503 and during.get_json()["status"] == "unavailable"
    assert during.headers["Retry-After"]
    assert page.status_code == 503 and page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert "Please try again in a few moments." in html and "Traceback" not in html
    assert after.status_code == 200 and after.get_json()["status"] == "ok"

    statuses = sum((b.statuses for b in browsers), Counter())
    assert statuses[500] == 0, statuses
    assert statuses[503] > 0, "the restart must have hit requests in flight"
    assert sum(b.unavailable_without_retry_after for b in browsers) == 0

    assert len(placed) == SHOPPERS * ORDERS_EACH
    with pg_app.app_context():
        orders = db.session.scalars(select(Order)).all()
        assert len(orders) == len(placed), "each order placed once"
        by_number = {o.number: o for o in orders}
        for email, number, pid, quantity in placed:
            order = by_number[number]
            assert order.email == email
            assert [(ln.product_id, ln.quantity) for ln in order.lines] == [(pid, quantity)]
        per_shopper = Counter(o.email for o in orders)
        assert set(per_shopper.values()) == {ORDERS_EACH}
        for pid, _ in catalogue:
            sold = sum(q for _, _, p, q in placed if p == pid)
            in_lines = db.session.scalar(
                select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                    OrderLine.product_id == pid
                )
            )
            assert in_lines == sold
            assert db.session.scalar(select(Product.stock).where(Product.id == pid)) == 200 - sold
        db.session.remove()


@pytest.mark.postgres
def test_stripe_webhooks_wait_out_a_database_outage_then_apply_in_any_order(
    pg_app, pg_cluster, stripe_fake
):
    pg_app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY="pk_test_fake",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_fake.url,
    )
    with pg_app.app_context():
        product = ProductFactory(price_cents=12000, stock=10)
        order = place([(product, 2)], method="card")
        with pg_app.test_request_context("/fr/"):
            payments.start_card_checkout(
                order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
            )
        db.session.commit()
        payment = payments.payment_for(order)
        sid, payment_id, product_id = payment.stripe_session_id, payment.id, product.id
        db.session.remove()
    client = pg_app.test_client()
    session = stripe_fake.complete_session(sid, payment_status="unpaid")
    completed = stripe_fake.event("checkout.session.completed", session)
    settled = stripe_fake.settle_async(sid)
    succeeded = stripe_fake.event("checkout.session.async_payment_succeeded", settled)

    pg_cluster.stop()
    try:
        refused = post_event(client, completed)
    finally:
        pg_cluster.start()
    # The site's "try again" (not a 2xx, so Stripe sends the event again later).
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]

    # Stripe's retries arrive after the newer event, and twice.
    for event in (succeeded, completed, completed):
        assert post_event(client, event).status_code == 200
    with pg_app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert payment.status == "paid"
        assert {s.status for s in payment.order.sub_orders} == {"confirmed"}
        assert db.session.scalar(select(Product.stock).where(Product.id == product_id)) == 8
        db.session.remove()


def test_a_checkout_whose_commit_fails_can_simply_be_confirmed_again(app, client):
    """The database fails at the very commit of an order: the shopper gets a 503, and the
    session cookie is not left with an emptied cart and a forgotten checkout (which would
    send the confirmation sent again to an empty cart): it places the order, once."""
    product = ProductFactory(stock=5)
    slug, pid = product.slug, product.id
    release_test_transaction()
    shopper = Browser(client)
    confirm = shopper.review(slug, pid, 2, "hassan@example.ma")
    attempts: list[int] = []

    def fail_the_first_order_commit(session) -> None:
        placing = any(isinstance(obj, Order) for obj in session.identity_map.values())
        # The request's own commit, not a savepoint the orders service may release before.
        if placing and not attempts and not session.in_nested_transaction():
            attempts.append(1)
            raise sa_exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    sa_event.listen(Session, "before_commit", fail_the_first_order_commit)
    try:
        failed = shopper.open("/fr/checkout/review", "POST", data=confirm)
    finally:
        sa_event.remove(Session, "before_commit", fail_the_first_order_commit)
    assert attempts == [1]
    assert failed.status_code == 503 and failed.headers["Retry-After"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0

    # The shopper confirms again: the review page is still there, with the same token.
    assert shopper.confirm_fields()["token"] == confirm["token"]
    placed = shopper.open("/fr/checkout/review", "POST", data=confirm)
    assert placed.status_code == 303 and "/fr/orders/" in placed.headers["Location"]
    again = shopper.open("/fr/checkout/review", "POST", data=confirm)
    assert again.headers["Location"] == placed.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(Product.stock).where(Product.id == pid)) == 3


# --- the mail server --------------------------------------------------------------------------


def test_a_stopped_mail_server_delays_nothing_and_the_admin_sees_the_backlog(make_app, monkeypatch):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)  # the test sends by itself
    other = make_app(
        MAIL_DELIVERY="queue",
        MAIL_OUTBOX_DIR=None,
        MAIL_SUPPRESS_SEND=False,  # really connect to the (stopped) mail server
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
    )
    other.test_client_class = IsolatedClient
    with other.app_context():
        product = ProductFactory(stock=5)
        slug, pid = product.slug, product.id
        admin = AdminFactory().email
    release_test_transaction()

    newcomer = Browser(other.test_client())
    started = time.monotonic()
    registered = post_form(
        newcomer.client,
        "/en/register",
        {
            "name": "Salma",
            "email": "salma@example.ma",
            "password": "a camel crossing the erg",
            "password_confirm": "a camel crossing the erg",
            "locale": "en",
        },
    )
    number = newcomer.checkout_cod(slug, pid, 1, "salma@example.ma")
    assert registered.status_code == 302
    assert time.monotonic() - started < 5  # nothing waited on the mail server
    assert db.session.scalar(select(Order.status).where(Order.number == number)) == "confirmed"
    release_test_transaction()

    with other.app_context():
        assert mail.deliver_due() == 0  # the server refuses: kept for later
        waiting = db.session.scalars(select(mail.QueuedMail)).all()
        assert waiting and all(row.attempts == 1 for row in waiting)
        assert all("ConnectionRefusedError" in row.last_error for row in waiting)
        db.session.remove()

    operator = other.test_client()
    login(operator, admin)
    page = operator.get("/en/admin/mail?show=waiting").get_data(as_text=True)
    assert f"Waiting ({len(waiting)})" in page
    assert "salma@example.ma" in page and "ConnectionRefusedError" in page


# --- Stripe -----------------------------------------------------------------------------------


class SilentServer:
    """Accepts connections and never answers (a Stripe that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.stopped = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.held.append(connection)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()
        for connection in self.held:
            connection.close()


def test_a_slow_or_stopped_stripe_answers_the_pay_button_quickly(
    app, client, stripe_keys, monkeypatch
):
    assert app.config["STRIPE_TIMEOUT_SECONDS"] <= 3
    assert app.config["STRIPE_MAX_NETWORK_RETRIES"] <= 1
    monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", 0.5)
    shopper = UserFactory()
    product = ProductFactory(price_cents=9000, stock=5)
    order = place([(product, 2)], method="card", user=shopper)
    number, payment = order.number, payments.payment_for(order)
    db.session.commit()
    login(client, shopper)
    pay = f"/en/orders/{number}/pay"

    silent = SilentServer()
    try:
        for base in (silent.url, f"http://127.0.0.1:{free_port()}"):  # hung, then stopped
            monkeypatch.setitem(app.config, "STRIPE_API_BASE", base)
            started = time.monotonic()
            response = post_form(client, pay, {}, form_url=pay, follow_redirects=True)
            # 0.5 s, a pause of 0.5 to 1 s, 0.5 s again (the SDK's default: 80 s a try).
            assert time.monotonic() - started < 4, base
            html = response.get_data(as_text=True)
            assert "Card payment is not available at the moment" in html
    finally:
        silent.close()

    # The order waits, payable, its stock held; once Stripe answers the button works.
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "pending_payment"
    assert db.session.get(Product, product.id).stock == 3
    assert db.session.get(Payment, payment.id).stripe_session_id is None
    db.session.commit()
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_keys.url)
    response = post_form(client, pay, {}, form_url=pay)
    assert response.status_code == 303
    db.session.expire_all()
    session_id = db.session.get(Payment, payment.id).stripe_session_id
    assert session_id and response.headers["Location"].endswith(session_id)


# --- the disk ---------------------------------------------------------------------------------


def test_a_full_disk_keeps_the_product_form_and_leaves_no_file(app, client, monkeypatch, caplog):
    member = MemberFactory(cooperative=CooperativeFactory())
    category = CategoryFactory(names={"fr": "Dattes", "ar": "تمور", "en": "Dates"})
    login(client, member)
    media = Path(app.config["MEDIA_DIR"])
    real_save = Image.Image.save
    writes: list = []

    def save(self, fp, *args, **kwargs):
        writes.append(fp)
        if len(writes) == 10:  # the disk fills up in the third file of the second photo
            Path(fp).write_bytes(b"\xff\xd8\xff\xe0 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)
    photos = []
    for name in ("dates.png", "box.png"):
        buffer = io.BytesIO()
        real_save(Image.new("RGB", (64, 48), (200, 120, 40)), buffer, "PNG")
        buffer.seek(0)
        photos.append((buffer, name))
    new = "/en/dashboard/products/new"
    data = {
        "name_fr": "Dattes Mejhoul",
        "description_fr": "Dattes d'Erfoud, récolte 2026.",
        "category": str(category.id),
        "price": "120",
        "stock": "10",
        "unit_quantity": "500",
        "unit_code": "g",
        "weight_grams": "550",
        "status": "active",
        "images": photos,
    }
    with caplog.at_level(logging.ERROR, logger="marketplace.storage"):
        response = post_form(client, new, data, form_url=new, content_type="multipart/form-data")

    assert len(writes) == 10  # the first photo was written whole (7 files)
    assert "No space left on device" in caplog.text  # what the operator sees
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The photo could not be saved. Please try again later." in html
    assert 'value="Dattes Mejhoul"' in html and "récolte 2026" in html and 'value="120"' in html
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert not media.exists() or not any(media.iterdir()), list(media.iterdir())
