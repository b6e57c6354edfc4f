"""`make bench`: seed a large PostgreSQL catalogue, serve the app with gunicorn in production
configuration, drive it with wrk, compare every result with a ceiling measured in the same run.

Results go to bench/results/latest.json and bench/results/latest.md.

``--compare-with REV`` also serves REV (a git worktree under bench/work/, its own database
built by its own migrations and seeded with the same data) and measures each logged-in,
back-office and rendered public page on both, one right after the other: CPU milliseconds per
request and p95, with their ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess  # nosec B404 - the benchmark drives gunicorn and wrk
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB", "souk_bench")
DB_NAME_LARGE = f"{DB_NAME}_200k"
CONNECTIONS = 16
WORKERS = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
USER_AGENT = "souk-bench/1"  # sent by the logins and by wrk: one browser, as far as the app knows


def log(message: str) -> None:
    print(message, flush=True)


def sqlalchemy_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        )


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


PASSWORD = "bench-password-2026"  # noqa: S105 - the bench accounts, local only


def seed(
    name: str,
    products: int,
    cooperatives: int,
    orders: int,
    backoffice: dict | None = None,
    tree: Path | None = None,
) -> float:
    """Build the schema with the migrations (``tree``'s own when given: an older revision),
    then COPY the deterministic data; ``backoffice``: the keyword arguments of
    ``bench.seed_backoffice.seed_backoffice`` (a cooperative with 5,000 orders, payments,
    ledger, payouts, audit log), none without it. Seconds taken."""
    import psycopg
    from flask_migrate import upgrade

    from bench import seed as seeding
    from bench.seed_backoffice import seed_backoffice
    from marketplace import create_app
    from marketplace.auth.passwords import hash_password

    started = time.perf_counter()
    recreate_database(name)
    if tree is not None:
        migrate_with(tree, name)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=sqlalchemy_url(name))
    with app.app_context():
        if tree is None:
            upgrade()
        password_hash = hash_password(PASSWORD)
        rng = random.Random(2026)
        dsn = sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn) as conn:
            catalogue = seeding.seed_catalogue(conn, rng, cooperatives, products, password_hash)
            if orders:
                seeding.seed_orders(conn, rng, catalogue, orders)
            if backoffice is not None:
                seed_backoffice(conn, catalogue, **backoffice)
            seeding.reset_sequences(conn)
            conn.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        from marketplace.extensions import db

        db.engine.dispose()
    return time.perf_counter() - started


def migrate_with(tree: Path, name: str) -> None:
    """The schema of an older revision: its own migrations, run by its own code."""
    code = (
        "import sys; from flask_migrate import upgrade; from marketplace import create_app; "
        "app = create_app('development', SQLALCHEMY_DATABASE_URI=sys.argv[1]); "
        "app.app_context().push(); upgrade()"
    )
    subprocess.run(  # nosec B603 - fixed argument list
        [sys.executable, "-c", code, sqlalchemy_url(name)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
    )


def variants_per_product(name: str) -> float:
    """The catalogue's variants per product (bench.seed: 2.5 on average)."""
    import psycopg

    dsn = sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        variants, products = conn.execute(
            "SELECT (SELECT count(*) FROM product_variants), (SELECT count(*) FROM products)"
        ).fetchone()
    return round(variants / max(products, 1), 2)


def check_ledger(name: str) -> list[str]:
    """What ``flask payments check-ledger`` finds wrong in the bench database (nothing)."""
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.payments import ledger

    app = create_app("development", SQLALCHEMY_DATABASE_URI=sqlalchemy_url(name))
    with app.app_context():
        problems = ledger.check()
        db.session.rollback()
        db.engine.dispose()
    return problems


def worktree(rev: str) -> tuple[Path, str]:
    """A checkout of ``rev`` under bench/work/ (ignored by git), made once, translations
    compiled. Returns its path and the commit's short id."""
    commit = subprocess.run(  # nosec B603 B607 - fixed argument list
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path = RESULTS.parent / "work" / f"tree-{commit[:7]}"
    if not (path / ".git").exists():
        subprocess.run(  # nosec B603 B607 - fixed argument list
            ["git", "worktree", "add", "--detach", str(path), commit],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    subprocess.run(  # nosec B603 - fixed argument list
        [str(VENV_BIN / "pybabel"), "-q", "compile", "-d", "translations"],
        cwd=path,
        check=True,
        capture_output=True,
    )
    return path, commit[:7]


# --- servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with the project's production settings, WORKERS sync workers."""

    def __init__(self, target: str, env: dict[str, str], root: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(WORKERS),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{self.port}",
            target,
        ]
        conf = root / "gunicorn.conf.py"
        if conf.exists():
            args[1:1] = ["-c", str(conf)]
        self.process = subprocess.Popen(  # nosec B603 - fixed argument list
            args,
            cwd=root,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=open(RESULTS.parent / "work" / f"gunicorn-{self.port}.log", "w"),  # noqa: SIM115
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn on port {self.port} did not start")

    def worker_pids(self) -> list[str]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return children.read_text().split() if children.exists() else []

    def cpu_ticks(self) -> int:
        """User + system CPU time of the workers so far, in clock ticks: the live workers'
        own (utime + stime of /proc/<pid>/stat), plus what the workers that exited used
        (gunicorn recycles them after max_requests; the master's cutime + cstime)."""
        _utime, _stime, cutime, cstime = _cpu_fields(self.process.pid)
        total = cutime + cstime
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                utime, stime, _cutime, _cstime = _cpu_fields(int(pid))
                total += utime + stime
        return total

    def worker_rss_mb(self) -> list[float]:
        pids = self.worker_pids()
        sizes = []
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _cpu_fields(pid: int) -> tuple[int, int, int, int]:
    """utime, stime, cutime, cstime of a process (fields 14-17 of /proc/<pid>/stat, after
    the command name, which may hold spaces)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12]), int(fields[13]), int(fields[14])


# --- measuring --------------------------------------------------------------------------


def wrk(
    url: str,
    duration: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    server: Gunicorn | None = None,
    connections: int = CONNECTIONS,
) -> dict:
    """req/s, p50/p95/p99 (p95 from ``bench/report.lua``'s done hook: wrk's own
    distribution stops at 90 and 99) and, with the ``server``, its workers' CPU
    milliseconds per request served (user + system time during the run / requests)."""
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    # gunicorn's sync workers close every connection; wrk must not wait on keep-alive.
    headers = {"Connection": "close", "User-Agent": USER_AGENT, **(headers or {})}
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    args += ["-s", str(script or ROOT / "bench" / "report.lua")]
    ticks = server.cpu_ticks() if server else 0
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout  # nosec B603
    ticks = server.cpu_ticks() - ticks if server else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "99")}
    p95 = re.search(r"^p95_us\s+(\d+)", output, re.M)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {
        "rps": rps,
        "p50_ms": latency["50"],
        "p95_ms": round(int(p95.group(1)) / 1000, 1) if p95 else None,
        "p99_ms": latency["99"],
        "requests": requests,
        "cpu_ms_per_request": (
            round(ticks * 1000 / CLOCK_TICKS / requests, 2) if server and requests else None
        ),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class _LoopbackCookiePolicy(DefaultCookiePolicy):
    def return_ok_secure(self, cookie, request) -> bool:
        return True


class Browser:
    """A minimal cookie-keeping HTTP client for preparing carts and reading query counts."""

    def __init__(self, base: str) -> None:
        self.base = base
        # Production cookies are Secure (__Host-); the benchmark talks plain HTTP on loopback.
        self.jar = CookieJar(policy=_LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> tuple[int, dict, str]:
        with self.opener.open(self.base + path, timeout=30) as response:  # nosec B310 - local
            return response.status, dict(response.headers), response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:  # nosec B310 - local
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


INPUT = re.compile(r"<input\b[^>]*>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def form_fields(html: str, action_part: str) -> dict[str, str]:
    """Hidden and text inputs of the first form whose action contains ``action_part``."""
    start = html.find("<form")
    while start != -1:
        end = html.find("</form>", start)
        block = html[start:end]
        head = block[: block.find(">")]
        if action_part in head:
            fields = {}
            for tag in INPUT.findall(block):
                attrs = dict(ATTR.findall(tag))
                if "name" in attrs and attrs.get("type") not in ("submit", "checkbox", "radio"):
                    fields[attrs["name"]] = _unescape(attrs.get("value", ""))
            return fields
        start = html.find("<form", end)
    raise RuntimeError(f"no form posting to {action_part}")


def _unescape(value: str) -> str:
    import html as html_lib

    return html_lib.unescape(value)


def log_in(base: str, email: str) -> Browser:
    """A browser logged in through the app's own login form, as a person would."""
    browser = Browser(base)
    _, _, page = browser.get("/fr/login")
    fields = form_fields(page, "/login")
    fields.update({"email": email, "password": PASSWORD})
    status, _, body = browser.post("/fr/login", fields)
    if status >= 400 or 'name="password"' in body:
        raise RuntimeError(f"logging in as {email} failed: {status} {body[:300]}")
    return browser


def fetch(base: str, path: str, cookie: str = "") -> tuple[int, int | None]:
    """Status (redirects not followed: a logged-out page answers 302, not the login form)
    and query count of a page."""
    import http.client

    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {**BYPASS_CACHE, "User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        count = response.getheader("X-Query-Count")
        return response.status, int(count) if count is not None else None
    finally:
        conn.close()


def fill_cart(browser: Browser, locale: str, items: list, quantity: int = 1) -> None:
    """Add each item through the product page's form: a product's slug (its default
    variant), or (slug, variant id) for that variant, as a shopper who chose it."""
    for item in items:
        slug, variant_id = item if isinstance(item, tuple) else (item, None)
        _, _, page = browser.get(f"/{locale}/products/{slug}")
        fields = form_fields(page, "/cart/add")
        fields["quantity"] = str(quantity)
        if variant_id is not None:
            fields["variant_id"] = str(variant_id)
        status, _, body = browser.post(f"/{locale}/cart/add", fields)
        if status >= 400:
            raise RuntimeError(f"adding {item} to the cart failed: {status} {body[:300]}")


def ready_to_confirm(base: str, locale: str, items: list) -> tuple[str, str]:
    """A fresh shopper with a cart (``fill_cart``'s items) and shipping details, stopped on
    the review page. Returns the Cookie header and the urlencoded body that confirms it."""
    browser = Browser(base)
    fill_cart(browser, locale, items)
    _, _, page = browser.get(f"/{locale}/checkout")
    fields = form_fields(page, "/checkout")
    fields.update(
        {
            "email": f"bench-{secrets.token_hex(6)}@example.ma",
            "contact_name": "Fatima Zahra",
            "phone": "0612345678",
            "address_line1": "12 rue des Oasis",
            "city": "Errachidia",
            "region": "Drâa-Tafilalet",
            "country": "MA",
            "payment_method": "cod",
        }
    )
    fields.pop("save_address", None)
    status, _, body = browser.post(f"/{locale}/checkout", fields)
    if status >= 400:
        raise RuntimeError(f"checkout details refused: {status} {body[:300]}")
    _, _, review = browser.get(f"/{locale}/checkout/review")
    confirm = form_fields(review, "/checkout/review")
    return browser.cookie_header(), urllib.parse.urlencode(confirm)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def search_latencies(name: str, queries: dict[str, tuple[str, str]], repeat: int) -> dict:
    """Ranked search timed in-process against the database (no HTTP), per query: the ranked
    query itself (matching, counting and ranking, down to the ids of page 1:
    ``pg_ranked_page``, what grows with the catalogue), and the whole search call, which
    also loads the 24 products' cards (a constant cost, by primary key)."""
    from marketplace import create_app
    from marketplace.catalogue.search import pg_ranked_page, query_tokens, search_products
    from marketplace.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=sqlalchemy_url(name))
    results = {}
    with app.app_context(), app.test_request_context(f"/{next(iter(queries.values()))[1]}/search"):
        for label, (query, locale) in queries.items():
            words = query_tokens(query)
            ranked = _timed(lambda w=words: pg_ranked_page(w, 1, 24), repeat)
            whole = _timed(lambda q=query, lg=locale: search_products(q, lg), repeat)
            results[label] = {
                "query": query,
                "hits": _hit_count(search_products(query, locale)),
                **ranked,
                "with_cards": whole,
            }
        db.engine.dispose()
    return results


def impact_dashboard(name: str, repeat: int) -> dict:
    """The impact dashboard (issue #16) timed in process. First its rollup (impact_sales) is
    written again from the orders (the seeding COPYs them: the application's transactions,
    which keep it in step, never saw them; ``flask impact-rebuild`` does the same). Then, per
    range (every order and the default range, this year, each also for one province): the
    figures computed from the database every time (no cache: ``services.compute``, what
    the first viewer of a filter combination waits for) with their SQL queries, and the whole
    page as an observer (figures from the application cache after the first request)."""
    from datetime import date

    from sqlalchemy import text

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.impact import rollup, services
    from marketplace.impact.observers import create_observer

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(name),
        QUERY_COUNT_HEADER=True,
        RATELIMIT_ENABLED=False,
        MAIL_OUTBOX_DIR=str(RESULTS.parent / "work" / "outbox"),
    )
    with app.app_context():
        started = time.perf_counter()
        rebuilt = rollup.rebuild()
        db.session.commit()
        rebuild_s = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE impact_sales"))
    with app.app_context(), app.test_request_context("/fr/"):
        user, _created = create_observer(
            "bench-observer@example.ma", password=secrets.token_urlsafe(24)
        )
        db.session.commit()
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    today = date.today()
    first = date(2020, 1, 1)
    province = "tinghir"
    ranges = {
        "every order": (f"?from={first}&to={today}", services.Filters(first, today)),
        "this year (default)": ("", services.Filters.this_year()),
        f"every order, {province}": (
            f"?from={first}&to={today}&province={province}",
            services.Filters(first, today, province=province),
        ),
        f"this year, {province}": (
            f"?province={province}",
            services.Filters.this_year(province=province),
        ),
    }
    results = {}
    for label, (query, filters) in ranges.items():
        with app.app_context(), app.test_request_context("/fr/"):
            cold = _timed(lambda f=filters: services.compute(f, "fr"), repeat)
            queries = services.compute(filters, "fr").queries
        path = f"/fr/impact/dashboard{query}"
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        page = _timed(lambda p=path: client.get(p), repeat)
        results[label] = {
            **page,
            "queries": int(response.headers.get("X-Query-Count", 0)),
            "uncached": {**cold, "queries": queries},
        }
    with app.app_context():
        db.engine.dispose()
    return {
        "rollup": {"lines": rebuilt["lines"], "rebuild_s": round(rebuild_s, 1)},
        "ranges": results,
    }


API_LIST, API_DETAIL = "API product list", "API product detail"


def api_cpu_time(name: str, paths: dict[str, str], repeat: int) -> dict:
    """The API's product list and product detail in process: CPU time per request (the
    Python side: routing, ORM, serialising, ETag; the database's own work is not in it),
    wall time, and the SQL queries of every request (the same number each time)."""
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(name),
        QUERY_COUNT_HEADER=True,
        RATELIMIT_ENABLED=False,
        MAIL_OUTBOX_DIR=str(RESULTS.parent / "work" / "outbox"),
    )
    client = app.test_client()
    results = {}
    for label, path in paths.items():
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        cpu, wall, queries = [], [], set()
        for _ in range(repeat):
            cpu_started, started = time.process_time(), time.perf_counter()
            response = client.get(path)
            cpu.append((time.process_time() - cpu_started) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            queries.add(int(response.headers["X-Query-Count"]))
        results[label] = {
            "path": path,
            "cpu_ms_mean": round(statistics.fmean(cpu), 2),
            "cpu_ms_p50": round(statistics.median(cpu), 2),
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": round(percentile(wall, 95), 2),
            "queries": sorted(queries),
        }
    with app.app_context():
        db.engine.dispose()
    return results


def _timed(call, repeat: int) -> dict:
    """p50/p95/p99 in ms of ``repeat`` calls, after 5 to warm up."""
    for _ in range(5):
        call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
    }


def _hit_count(found) -> int:
    for attr in ("total", "count"):
        if hasattr(found, attr) and isinstance(getattr(found, attr), int):
            return getattr(found, attr)
    products = getattr(found, "products", found)
    try:
        return len(products)
    except TypeError:
        return 0


# --- the run ----------------------------------------------------------------------------


def pick_pages(base: str) -> dict[str, str]:
    """The URLs to measure, discovered from the served app itself."""
    browser = Browser(base)
    _, _, catalogue = browser.get("/fr/products")
    slugs = re.findall(r'href="/fr/products/([\w-]+)"', catalogue)
    deep = "/fr/products?province=zagora&in_stock=y&sort=price_asc"
    for _ in range(12):  # walk the keyset cursors to a deep page
        _, _, page = browser.get(deep)
        match = re.search(r'href="(/fr/products\?[^"]*after=[^"]+)"', page)
        if not match:
            break
        deep = _unescape(match.group(1))
    return {
        "home": "/fr/",
        "catalogue page 1": "/fr/products",
        "catalogue deep + filters": deep,
        "product": f"/fr/products/{slugs[0]}",
        "search (Arabic)": "/ar/search?q=" + urllib.parse.quote("التمر المجهول"),
        "search (French)": "/fr/search?q=" + urllib.parse.quote("dattes mejhoul"),
        **api_pages(browser),
    }


def api_pages(browser: Browser) -> dict[str, str]:
    """The API's product list (first page, 24 products) and a product's detail."""
    _, _, listing = browser.get("/api/v1/products?lang=fr&limit=24")
    first = json.loads(listing)["items"][0]["id"]
    return {
        API_LIST: "/api/v1/products?lang=fr&limit=24",
        API_DETAIL: f"/api/v1/products/{first}?lang=fr",
    }


def cart_of_five(base: str, browser: Browser | None = None, chosen: list[str] | None = None) -> str:
    """A shopper's cookie whose cart holds 5 items from 3 cooperatives (an anonymous one's,
    or the logged-in ``browser``'s; the ``chosen`` products when given)."""
    browser = browser or Browser(base)
    fill_cart(browser, "fr", chosen or five_from_three(browser))
    return browser.cookie_header()


def five_from_three(browser: Browser) -> list[str]:
    """5 products in stock from 3 cooperatives (at most 2 each), cheapest first."""
    _, _, catalogue = browser.get("/fr/products?sort=price_asc&in_stock=y")
    chosen, coops = [], {}
    for slug in re.findall(r'href="/fr/products/([\w-]+)"', catalogue):
        _, _, page = browser.get(f"/fr/products/{slug}")
        coop = re.search(r'href="/fr/cooperatives/([\w-]+)"', page)
        if coop and (coop.group(1) in coops or len(coops) < 3) and "/cart/add" in page:
            coops.setdefault(coop.group(1), 0)
            if coops[coop.group(1)] < 2:
                coops[coop.group(1)] += 1
                chosen.append(slug)
        if len(chosen) == 5 and len(coops) == 3:
            break
    return chosen


# --- logged-in and back-office pages (issue #11, "Measure before and after") ---------------

SHOPPER = "shopper0@bench.ma"  # bench.seed_backoffice: an order history (every 20th order)
ORDINARY_SHOPPER = "shopper1@bench.ma"  # a few orders of bench.seed's history
ORDINARY_COOPERATIVE = 3  # about 130 orders, against the big cooperative's 5,000
BACK_OFFICE_ROLES = ("cooperative", "admin")
# Logged-in pages are measured with one connection per worker: their p95 is the page's own
# latency. (At 16 connections each of the 2 workers has 8 requests waiting: the p95 of a
# page costing 40 ms would be the queue's 300 ms, a measure of the load, not of the page.)
ACCOUNT_CONNECTIONS = WORKERS
# Public pages rendered on every request, measured on both trees by --compare-with too.
COMPARED_PUBLIC = ("catalogue page 1", "product", "search (French)")


def delivered_order(name: str, cooperative: int) -> int | None:
    """The newest delivered cash-on-delivery sub-order of ``cooperative`` with three lines
    (the same in every database seeded alike)."""
    import psycopg

    dsn = sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT s.id FROM cooperative_orders s JOIN orders o ON o.id = s.order_id "
            "WHERE s.cooperative_id = %s AND s.status = 'delivered' AND o.payment_method = 'cod' "
            "AND (SELECT count(*) FROM order_lines l WHERE l.sub_order_id = s.id) = 3 "
            "ORDER BY s.id DESC LIMIT 1",
            (cooperative,),
        ).fetchone()
    return row[0] if row else None


def account_pages(base: str, name: str, plan: dict | None = None) -> tuple[dict, dict]:
    """The pages of a logged-in shopper (with an order history and a cart of 5 items from 3
    cooperatives), of the big cooperative's owner (5,000 orders) and of the admin, each with
    the cookie of a session opened through the login form; and, for the query counts at two
    sizes, the same pages of an ordinary shopper and cooperative.

    Returns ({label: {role, path, cookie, ordinary}}, plan): ``plan`` (the product and the
    cart chosen on this server) makes another server's pages the same."""
    from bench.seed_backoffice import BIG_COOPERATIVE

    shopper = log_in(base, SHOPPER)
    if plan is None:
        _, _, catalogue = shopper.get("/fr/products")
        plan = {
            "product": re.findall(r'href="/fr/products/([\w-]+)"', catalogue)[0],
            "cart": five_from_three(shopper),
        }
    shopper_cookie = cart_of_five(base, shopper, plan["cart"])
    ordinary_shopper = log_in(base, ORDINARY_SHOPPER).cookie_header()
    member = log_in(base, f"coop{BIG_COOPERATIVE}@bench.ma").cookie_header()
    ordinary_member = log_in(base, f"coop{ORDINARY_COOPERATIVE}@bench.ma").cookie_header()
    admin = log_in(base, "admin@bench.ma").cookie_header()
    big_order = delivered_order(name, BIG_COOPERATIVE)
    ordinary_order = delivered_order(name, ORDINARY_COOPERATIVE)
    rows = [
        ("shopper", "catalogue", "/fr/products", shopper_cookie, None),
        ("shopper", "product", f"/fr/products/{plan['product']}", shopper_cookie, None),
        ("shopper", "cart (5 items, 3 cooperatives)", "/fr/cart", shopper_cookie, None),
        (
            "shopper",
            "order history",
            "/fr/orders",
            shopper_cookie,
            ("/fr/orders", ordinary_shopper),
        ),
        ("cooperative", "dashboard", "/fr/dashboard", member, ("/fr/dashboard", ordinary_member)),
        (
            "cooperative",
            "orders",
            "/fr/dashboard/orders",
            member,
            ("/fr/dashboard/orders", ordinary_member),
        ),
        (
            "cooperative",
            "order (3 lines, delivered, cash paid)",
            f"/fr/dashboard/orders/{big_order}",
            member,
            (f"/fr/dashboard/orders/{ordinary_order}", ordinary_member),
        ),
        (
            "cooperative",
            "balance",
            "/fr/dashboard/balance",
            member,
            ("/fr/dashboard/balance", ordinary_member),
        ),
        ("admin", "verification queue", "/fr/admin/", admin, None),
        ("admin", "payments", "/fr/admin/payments", admin, None),
        ("admin", "payouts", "/fr/admin/payments/payouts", admin, None),
        ("admin", "audit log", "/fr/admin/audit", admin, None),
    ]
    pages = {
        f"{role}: {page}": {"role": role, "path": path, "cookie": cookie, "ordinary": ordinary}
        for role, page, path, cookie, ordinary in rows
    }
    return pages, plan


def page_queries(base: str, page: dict) -> dict:
    """Status and query count of an account page (and of its ordinary account's twin)."""
    status, queries = fetch(base, page["path"], page["cookie"])
    found = {"status": status, "queries": queries}
    if page.get("ordinary"):
        path, cookie = page["ordinary"]
        ordinary_status, found["queries_ordinary"] = fetch(base, path, cookie)
        if ordinary_status != 200:
            raise RuntimeError(f"{path} answered {ordinary_status} to an ordinary account")
    return found


def measure_accounts(
    servers: dict[str, tuple[Gunicorn, dict]], public: dict[str, str], duration: int
) -> dict:
    """Each page on each server ("after": this tree; "before": --compare-with's), one
    right after the other, alternating which goes first (so that a machine getting busier
    during the run does not favour either)."""
    labels = list(servers["after"][1])
    labels += [label + NO_CACHE for label in public]
    results: dict[str, dict] = {}
    for n, label in enumerate(labels):
        log(f"Measuring {label}…")
        results[label] = {}
        order = list(servers) if n % 2 == 0 else list(reversed(servers))
        for which in order:
            server, pages = servers[which]
            connections = ACCOUNT_CONNECTIONS
            if label.endswith(NO_CACHE):
                path, headers = public[label.removesuffix(NO_CACHE)], BYPASS_CACHE
                fetch(server.base, path)  # the cards' cache filled, as in the table above
                status, queries = fetch(server.base, path)
                found = {"status": status, "queries": queries}
                connections = CONNECTIONS
            else:
                page = pages[label]
                path, headers = page["path"], {"Cookie": page["cookie"]}
                found = page["found"]
            if found["status"] == 404:
                results[label][which] = {"missing": True, "path": path}
                continue
            if found["status"] != 200:
                raise RuntimeError(f"{which}: {path} answered {found['status']}")
            result = wrk(
                server.base + path, duration, headers, server=server, connections=connections
            )
            results[label][which] = {"path": path, "connections": connections, **found, **result}
    return results


def _ratio(after: float | None, before: float | None) -> float | None:
    return round(after / before, 3) if after is not None and before else None


def compare_rows(results: dict) -> dict:
    """after/before ratios of CPU ms per request and p95, per page measured on both."""
    rows = {}
    for label, runs in results.items():
        before, after = runs.get("before"), runs["after"]
        if before is None or before.get("missing"):
            rows[label] = {"missing_before": True}
            continue
        rows[label] = {
            "cpu_ms_before": before["cpu_ms_per_request"],
            "cpu_ms_after": after["cpu_ms_per_request"],
            "cpu_ratio": _ratio(after["cpu_ms_per_request"], before["cpu_ms_per_request"]),
            "p95_ms_before": before["p95_ms"],
            "p95_ms_after": after["p95_ms"],
            "p95_ratio": _ratio(after["p95_ms"], before["p95_ms"]),
            "queries_before": before.get("queries"),
            "queries_after": after.get("queries"),
        }
    return rows


# Honoured by the app only in bench/debug mode (QUERY_COUNT_HEADER): render the page instead of
# serving it from the page cache, to count its SQL queries and measure the rendering itself.
BYPASS_CACHE = {"X-Bypass-Page-Cache": "1"}
NO_CACHE = " (no page cache)"
UNCACHED_ROWS = ("catalogue page 1", "catalogue deep + filters", "product", "search (French)")


def redis_url(variable: str = "BENCH_REDIS_URL", database: int = 15) -> str | None:
    """A Redis database of the benchmark's own (emptied), when Redis answers."""
    url = os.environ.get(variable, f"redis://127.0.0.1:6379/{database}")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.flushdb()  # pages cached by an earlier run show an earlier database
    except Exception as error:  # noqa: BLE001 - no Redis: the app runs without its cache
        log(f"  Redis unavailable ({error}): measuring without the page cache")
        return None
    return url


def query_count(base: str, path: str, cookie: str = "") -> int | None:
    headers = {**BYPASS_CACHE, **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  # nosec B310
        value = response.headers.get("X-Query-Count")
    return int(value) if value is not None else None


class JobWorker:
    """A ``flask jobs worker`` process beside the app, sending the orders' e-mails."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # nosec B603 - fixed argument list
            [str(VENV_BIN / "flask"), "jobs", "worker"],
            cwd=ROOT,
            env={**os.environ, **env, "FLASK_APP": "wsgi.py"},
            stdout=subprocess.DEVNULL,
            stderr=open(RESULTS.parent / "work" / "job-worker.log", "w"),  # noqa: SIM115
        )

    def drain(self, name: str, outbox: Path, seconds: float = 120) -> dict:
        """Wait for the orders' notices to be written and the mail queue to empty; how many
        e-mails the worker sent, and how long it took after the order run ended."""
        import psycopg

        dsn = sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
        started = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            while True:
                # The orders' notices still to be written, then the e-mails to send.
                left = conn.execute(
                    "SELECT (SELECT count(*) FROM order_notices_due) "
                    "+ (SELECT count(*) FROM mail_queue WHERE failed_at IS NULL)"
                ).fetchone()[0]
                if not left or time.perf_counter() - started > seconds:
                    break
                time.sleep(0.2)
        return {
            "emails_sent_by_worker": len(list(outbox.glob("*.eml"))),
            "emails_left_in_queue": left,
            "mail_drained_after_s": round(time.perf_counter() - started, 1),
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def place_orders(app_server: Gunicorn, name: str, duration: int, prepared: int) -> dict:
    """Prepare ``prepared`` shoppers ready to confirm, then wrk posts the confirmations."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    dsn = sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        # Variants on sale, each bought as such (the product page's choice).
        rows = conn.execute(
            "SELECT p.slug, v.id FROM product_variants v JOIN products p ON p.id = v.product_id "
            "JOIN cooperatives c ON c.id = p.cooperative_id "
            "WHERE p.status = 'active' AND c.status = 'verified' AND v.active AND v.stock > 0 "
            # Cash on delivery: the cooperative takes it and a cart of two stays under its
            # ceiling (5,000 MAD), which a large pack of a dear product can pass alone.
            "AND c.accepts_cash_on_delivery AND v.price_cents <= 150000 "
            "ORDER BY v.id LIMIT 40"
        ).fetchall()
        items = [(slug, variant_id) for slug, variant_id in rows]
        scarce = [variant_id for _slug, variant_id in items[:3]]
        watched = [variant_id for _slug, variant_id in items]
        # A few variants with little stock, so that overselling would show (their products'
        # stock is the sum of their active variants', as the app keeps it).
        conn.execute("UPDATE product_variants SET stock = 40 WHERE id = ANY(%s)", (scarce,))
        conn.execute(
            "UPDATE products p SET stock = (SELECT coalesce(sum(v.stock), 0) "
            "FROM product_variants v WHERE v.product_id = p.id AND v.active) "
            "WHERE p.id IN (SELECT product_id FROM product_variants WHERE id = ANY(%s))",
            (scarce,),
        )
        conn.commit()
        stock_before = dict(
            conn.execute(
                "SELECT id, stock FROM product_variants WHERE id = ANY(%s)", (watched,)
            ).fetchall()
        )
        orders_before = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        last_order_id = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0]
    rng = random.Random(7)
    # Every fifth cart holds one of the 3 scarce variants: more demand (about 150 units) than
    # their 120 units, so selling out happens and overselling would show; the others buy
    # plentiful variants (when every cart held a scarce one, 120 orders were all there could be).
    carts = [
        [rng.choice(items[:3]) if n % 5 == 0 else rng.choice(items[3:]), rng.choice(items[3:])]
        for n in range(prepared)
    ]
    carts = [cart if cart[0] != cart[1] else cart[:1] for cart in carts]
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda c: ready_to_confirm(app_server.base, "fr", c), carts))
    preparing = time.perf_counter() - started
    work = RESULTS.parent / "work"
    (work / "checkouts.tsv").write_text("".join(f"{cookie}\t{body}\n" for cookie, body in tickets))
    result = wrk(
        f"{app_server.base}/fr/checkout/review",
        duration,
        script=ROOT / "bench" / "checkout.lua",
        server=app_server,
    )
    with psycopg.connect(dsn) as conn:
        placed = conn.execute("SELECT count(*) FROM orders").fetchone()[0] - orders_before
        stock_after = dict(
            conn.execute(
                "SELECT id, stock FROM product_variants WHERE id = ANY(%s)", (list(stock_before),)
            ).fetchall()
        )
        sold = dict(
            conn.execute(
                "SELECT l.variant_id, sum(l.quantity) FROM order_lines l "
                "JOIN cooperative_orders s ON s.id = l.sub_order_id "
                "JOIN orders o ON o.id = s.order_id "
                "WHERE o.id > %s AND l.variant_id = ANY(%s) GROUP BY l.variant_id",
                (last_order_id, list(stock_before)),
            ).fetchall()
        )
        # Each product's stock still the sum of its active variants' after the run.
        summaries_off = [
            row[0]
            for row in conn.execute(
                "SELECT p.id FROM products p WHERE p.id IN (SELECT product_id FROM "
                "product_variants WHERE id = ANY(%s)) AND p.stock <> (SELECT coalesce(sum("
                "v.stock), 0) FROM product_variants v WHERE v.product_id = p.id AND v.active)",
                (list(stock_before),),
            ).fetchall()
        ]
    oversold = [
        vid
        for vid in stock_before
        if stock_after[vid] < 0 or stock_before[vid] - stock_after[vid] != sold.get(vid, 0)
    ]
    return {
        **result,
        "orders_placed": placed,
        "orders_per_s": round(placed / duration, 1),
        "prepared_carts": prepared,
        "preparation_s": round(preparing, 1),
        "variants_ordered": len(sold),
        "oversold_variants": oversold,
        "product_stock_out_of_step": summaries_off,
        "stock_consistent": not oversold and not summaries_off,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--cooperatives", type=int, default=500)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument(
        "--large", type=int, default=200_000, help="products for the search growth check"
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--reuse", action="store_true", help="keep the databases of the last run")
    parser.add_argument(
        "--coop-orders", type=int, default=5_000, help="orders of the big cooperative"
    )
    parser.add_argument("--audit-rows", type=int, default=1_000_000, help="admin audit log rows")
    parser.add_argument(
        "--compare-with",
        metavar="REV",
        help="also serve REV (git worktree, own database) and compare CPU per request and p95",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where latest.json and latest.md go"
    )
    args = parser.parse_args()
    # A terminated run still stops its gunicorn servers (the finally blocks below run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    (RESULTS.parent / "work").mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "duration_s": args.duration,
            **vars(args),
        },
    }
    backoffice = {"big_orders": args.coop_orders, "audit_rows": args.audit_rows}
    before_tree = before_db = None
    if args.compare_with:
        before_tree, commit = worktree(args.compare_with)
        before_db = f"{DB_NAME}_{commit}"
        report["compare"] = {"rev": args.compare_with, "commit": commit}
    if not args.reuse:
        log(
            f"Seeding {args.products} products, {args.cooperatives} cooperatives, "
            f"{args.orders} orders, a cooperative with {args.coop_orders} orders, "
            f"{args.audit_rows} audit rows…"
        )
        report["seed_s"] = round(
            seed(DB_NAME, args.products, args.cooperatives, args.orders, backoffice), 1
        )
        log(f"  seeded in {report['seed_s']} s")
        log(f"Seeding {args.large} products for the search growth check…")
        report["seed_large_s"] = round(seed(DB_NAME_LARGE, args.large, args.cooperatives, 0), 1)
        log(f"  seeded in {report['seed_large_s']} s")
    if before_tree and not (args.reuse and database_exists(before_db)):
        log(f"Seeding the same data into {before_db} ({args.compare_with}'s own migrations)…")
        report["compare"]["seed_s"] = round(
            seed(
                before_db,
                args.products,
                args.cooperatives,
                args.orders,
                backoffice,
                tree=before_tree,
            ),
            1,
        )
    report["variants_per_product"] = variants_per_product(DB_NAME)
    log(f"  {report['variants_per_product']} variants per product on average")
    report["ledger_problems"] = check_ledger(DB_NAME)
    log(f"  flask payments check-ledger: {len(report['ledger_problems'])} problems")

    env = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # required in production; gunicorn binds there
        "DATABASE_URL": sqlalchemy_url(DB_NAME),
        "QUERY_COUNT_HEADER": "1",
        "RATELIMIT_ENABLED": "false",
        "PREFERRED_URL_SCHEME": "http",
        "MEDIA_DIR": str(RESULTS.parent / "work" / "media"),
        "UPLOAD_DIR": str(RESULTS.parent / "work" / "uploads"),
        # Order e-mails are handed to files (no SMTP server here: each send would fail).
        "MAIL_OUTBOX_DIR": str(RESULTS.parent / "work" / "outbox"),
    }
    shutil.rmtree(env["MAIL_OUTBOX_DIR"], ignore_errors=True)
    if cache_url := redis_url():
        env["REDIS_URL"] = cache_url
        # E-mails are sent by a job worker (below), as in production: the web only enqueues.
        env["JOBS_BROKER_URL"] = cache_url
        env["JOBS_QUEUE"] = "bench"
    report["page_cache"] = bool(cache_url)
    app_server = Gunicorn("wsgi:app", env)
    ceiling_server = before_server = None
    try:
        pages = pick_pages(app_server.base)
        for path in pages.values():  # warm caches and check every page answers
            Browser(app_server.base).get(path)
        cart_cookie = cart_of_five(app_server.base)
        report["queries_per_page"] = {
            label: query_count(app_server.base, path) for label, path in pages.items()
        }
        report["queries_per_page"]["cart (5 items, 3 cooperatives)"] = query_count(
            app_server.base, "/fr/cart", cart_cookie
        )

        _, _, body = Browser(app_server.base).get(pages["catalogue page 1"])
        body_file = RESULTS.parent / "work" / "ceiling.html"
        body_file.write_text(body)
        ceiling_server = Gunicorn("bench.ceiling:app", {"CEILING_BODY": str(body_file)})
        log("Measuring the ceiling (pre-rendered catalogue page)…")
        ceiling = wrk(ceiling_server.base + "/", args.duration, server=ceiling_server)
        ceiling_server.stop()
        ceiling_server = None
        report["ceiling"] = ceiling
        results = {}
        for label, path in pages.items():
            log(f"Measuring {label}…")
            results[label] = wrk(app_server.base + path, args.duration, server=app_server)
        for label in UNCACHED_ROWS:
            log(f"Measuring {label} without the page cache…")
            results[label + NO_CACHE] = wrk(
                app_server.base + pages[label],
                args.duration,
                headers=BYPASS_CACHE,
                server=app_server,
            )
        log("Measuring cart…")
        results["cart (5 items, 3 cooperatives)"] = wrk(
            app_server.base + "/fr/cart",
            args.duration,
            headers={"Cookie": cart_cookie},
            server=app_server,
        )
        for result in results.values():
            result["ratio_to_ceiling"] = round(result["rps"] / ceiling["rps"], 3)
        report["pages"] = results

        log("Logging in a shopper, a cooperative's owner and the admin…")
        accounts, plan = account_pages(app_server.base, DB_NAME)
        for page in accounts.values():
            page["found"] = page_queries(app_server.base, page)
        servers = {"after": (app_server, accounts)}
        if before_tree:
            before_env = {**env, "DATABASE_URL": sqlalchemy_url(before_db)}
            for key in ("JOBS_BROKER_URL", "JOBS_QUEUE"):
                before_env.pop(key, None)
            if cache_url:
                before_env["REDIS_URL"] = redis_url("BENCH_REDIS_URL_BEFORE", 14)
            before_server = Gunicorn("wsgi:app", before_env, root=before_tree)
            before_pages, _ = account_pages(before_server.base, before_db, plan)
            for page in before_pages.values():
                page["found"] = page_queries(before_server.base, page)
            servers["before"] = (before_server, before_pages)
        public = {label: pages[label] for label in COMPARED_PUBLIC} if before_tree else {}
        measured = measure_accounts(servers, public, args.duration)
        report["accounts"] = {
            label: {"role": accounts[label]["role"], **runs["after"]}
            for label, runs in measured.items()
            if label in accounts
        }
        if before_tree:
            before_server.stop()
            before_server = None
            report["compare"]["pages"] = compare_rows(measured)
            report["compare"]["runs"] = measured
        log("Placing cash-on-delivery orders…")
        mail_worker = JobWorker(env) if env.get("JOBS_BROKER_URL") else None
        try:
            orders = place_orders(
                app_server, DB_NAME, args.duration, prepared=max(450, 100 * args.duration)
            )
            if mail_worker:
                orders.update(mail_worker.drain(DB_NAME, Path(env["MAIL_OUTBOX_DIR"])))
        finally:
            if mail_worker:
                mail_worker.stop()
        orders["ratio_to_ceiling"] = round(orders["rps"] / ceiling["rps"], 3)
        report["orders"] = orders
        report["worker_rss_mb"] = [round(x, 1) for x in app_server.worker_rss_mb()]
    finally:
        app_server.stop()
        if ceiling_server:
            ceiling_server.stop()
        if before_server:
            before_server.stop()

    log("Timing ranked search against the database…")
    search_queries = {
        "Arabic": ("التمر المجهول", "ar"),
        "Arabic (article, hamza)": ("الامونيت", "ar"),
        "French": ("dattes mejhoul", "fr"),
        "French (accents)": ("Huile d'olive EXTRA", "fr"),
    }
    report["search_db"] = {
        f"{args.products} products": search_latencies(DB_NAME, search_queries, 200),
        f"{args.large} products": search_latencies(DB_NAME_LARGE, search_queries, 200),
    }
    log("Timing the impact dashboard (in process)…")
    report["impact_dashboard"] = impact_dashboard(DB_NAME, 50)
    log("Timing the API's product endpoints (in process)…")
    report["api_cpu"] = api_cpu_time(
        DB_NAME, {label: pages[label] for label in (API_LIST, API_DETAIL)}, 200
    )
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["targets"] = check_targets(report)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "latest.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    markdown = render_markdown(report)
    (args.results_dir / "latest.md").write_text(markdown)
    print()
    print(markdown)
    return 0


def check_targets(report: dict) -> dict:
    pages = report["pages"]
    page1 = pages["catalogue page 1"]
    searches = [q for size in report["search_db"].values() for q in size.values()]
    largest = list(report["search_db"].values())[-1]
    counts = report["queries_per_page"]
    return {
        "catalogue page 1 >= 35% of ceiling": page1["ratio_to_ceiling"] >= 0.35,
        "catalogue page 1 p99 < 50 ms": page1["p99_ms"] < 50,
        "deep filtered page >= 80% of page 1": pages["catalogue deep + filters"]["rps"]
        >= 0.8 * page1["rps"],
        "deep filtered page >= 80% of page 1, both rendered (no page cache)": (
            "catalogue page 1" + NO_CACHE not in pages
            or pages["catalogue deep + filters" + NO_CACHE]["rps"]
            >= 0.8 * pages["catalogue page 1" + NO_CACHE]["rps"]
        ),
        "<= 6 queries on catalogue and product pages": all(
            (counts[k] or 99) <= 6
            for k in ("catalogue page 1", "catalogue deep + filters", "product")
        ),
        "ranked search p95 < 10 ms at the largest size": all(
            q["p95_ms"] < 10 for q in largest.values()
        ),
        "search finds results": all(q["hits"] > 0 for q in searches),
        ">= 50 orders/s": report["orders"]["orders_per_s"] >= 50,
        "no oversold unit": report["orders"]["stock_consistent"],
        "worker RSS < 150 MB": bool(report["worker_rss_mb"]) and max(report["worker_rss_mb"]) < 150,
        "API product list and detail: one query count, <= 8": all(
            len(r["queries"]) == 1 and r["queries"][0] <= 8 for r in report["api_cpu"].values()
        ),
        **account_targets(report),
        "impact dashboard p95 < 300 ms, figures computed afresh (no cache) and page": all(
            r["uncached"]["p95_ms"] < 300 and r["p95_ms"] < 300
            for r in report["impact_dashboard"]["ranges"].values()
        ),
        "impact dashboard: the same SQL queries for every range": len(
            {r["uncached"]["queries"] for r in report["impact_dashboard"]["ranges"].values()}
        )
        == 1,
    }


def account_targets(report: dict) -> dict:
    accounts = report.get("accounts", {})
    back_office = [r for r in accounts.values() if r["role"] in BACK_OFFICE_ROLES]
    twins = [r for r in accounts.values() if "queries_ordinary" in r]
    targets = {
        "back-office pages p95 < 100 ms (a cooperative with 5,000 orders, "
        "1,000,000 audit rows)": bool(back_office) and all(r["p95_ms"] < 100 for r in back_office),
        "logged-in pages: the same query count for the big and an ordinary account": bool(twins)
        and all(r["queries"] == r["queries_ordinary"] for r in twins),
        "logged-in pages answer 200 (no error, no redirect to the login)": bool(accounts)
        and all(r["status"] == 200 and not r["non_2xx"] for r in accounts.values()),
        "the bench's books are right (flask payments check-ledger)": not report.get(
            "ledger_problems", ["not checked"]
        ),
    }
    compared = report.get("compare", {}).get("pages")
    if compared:
        targets[
            f"no page uses more than 5% more CPU per request than {report['compare']['rev']}"
        ] = all(
            row.get("missing_before") or (row["cpu_ratio"] or 99) <= 1.05
            for row in compared.values()
        )
    return targets


def _num(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def account_markdown(report: dict) -> list[str]:
    """The logged-in and back-office pages, and the comparison with --compare-with's tree."""
    accounts = report.get("accounts")
    if not accounts:
        return []
    settings = report["settings"]
    lines = [
        "",
        f"Logged-in pages, measured with {ACCOUNT_CONNECTIONS} connections (one per worker: "
        "the p95 is the page's, not a queue's). Sessions opened through the login form: a "
        "shopper with an order "
        f"history and a cart, the owner of a cooperative with {settings['coop_orders']:,} "
        f"orders, the admin with {settings['audit_rows']:,} audit log rows. SQL queries: the "
        f"big account's, then an ordinary account's (a shopper with a few orders, a "
        f"cooperative with about 130):",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, result in accounts.items():
        queries = str(result["queries"])
        if "queries_ordinary" in result:
            queries += f" / {result['queries_ordinary']}"
        lines.append(
            f"| {label} | {result['rps']:.0f} | {result['p50_ms']:.1f} | "
            f"{_num(result['p95_ms'])} | {result['p99_ms']:.1f} | "
            f"{_num(result['cpu_ms_per_request'], 2)} | {queries} |"
        )
    compare = report.get("compare")
    if compare and compare.get("pages"):
        lines += [
            "",
            f"Before and after: each page served by {compare['rev']} ({compare['commit']}, "
            f"its own database built by its own migrations, seeded with the same data) and by "
            f"this tree, one right after the other. Ratios are after / before:",
            "",
            "| page | CPU ms/req before | after | ratio | p95 ms before | after | ratio | "
            "SQL queries before | after |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, row in compare["pages"].items():
            if row.get("missing_before"):
                lines.append(f"| {label} | not in {compare['commit']} | | | | | | | |")
                continue
            lines.append(
                f"| {label} | {_num(row['cpu_ms_before'], 2)} | {_num(row['cpu_ms_after'], 2)} | "
                f"{_num(row['cpu_ratio'], 2)} | {_num(row['p95_ms_before'])} | "
                f"{_num(row['p95_ms_after'])} | {_num(row['p95_ratio'], 2)} | "
                f"{row['queries_before']} | {row['queries_after']} |"
            )
    return lines


def render_markdown(report: dict) -> str:
    ceiling = report["ceiling"]
    lines = [
        f"# Benchmark results ({report['started']})",
        "",
        f"{report['machine']['cpus']} CPUs, gunicorn {WORKERS} sync workers, wrk {CONNECTIONS} "
        f"connections, {report['settings']['duration']} s per run. Seeding: "
        f"{report.get('seed_s', '–')} s ({report['settings']['products']} products, "
        f"{report.get('variants_per_product', '–')} variants each on average), "
        f"{report.get('seed_large_s', '–')} s ({report['settings']['large']} products). "
        f"Page cache (Redis): {'on' if report.get('page_cache') else 'off'}; rows marked "
        f"“{NO_CACHE.strip()}” render every request (cache bypassed). CPU ms/req: the "
        "gunicorn workers' user + system time during the run divided by the requests served "
        "(it varies far less than req/s on a shared machine).",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | CPU ms/req | ratio to ceiling | SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| ceiling (pre-rendered catalogue) | {ceiling['rps']:.0f} | {ceiling['p50_ms']:.1f} | "
        f"{_num(ceiling.get('p95_ms'))} | {ceiling['p99_ms']:.1f} | "
        f"{_num(ceiling.get('cpu_ms_per_request'), 2)} | 1.00 | – |",
    ]
    for label, result in report["pages"].items():
        lines.append(
            f"| {label} | {result['rps']:.0f} | {result['p50_ms']:.1f} | "
            f"{_num(result.get('p95_ms'))} | {result['p99_ms']:.1f} | "
            f"{_num(result.get('cpu_ms_per_request'), 2)} | {result['ratio_to_ceiling']:.2f} | "
            f"{report['queries_per_page'].get(label.removesuffix(NO_CACHE), '–')} |"
        )
    orders = report["orders"]
    lines.append(
        f"| place a cash-on-delivery order | {orders['orders_per_s']:.0f} orders/s | "
        f"{orders['p50_ms']:.1f} | {_num(orders.get('p95_ms'))} | {orders['p99_ms']:.1f} | "
        f"{_num(orders.get('cpu_ms_per_request'), 2)} | {orders['ratio_to_ceiling']:.2f} | – |"
    )
    lines += account_markdown(report)
    lines += [
        "",
        "Ranked search measured against the database, in process (ms): the ranked query "
        "(match, count, rank, ids of page 1), then the whole search call that also loads the "
        "24 cards:",
        "",
        "| catalogue size | query | hits | p50 | p95 | p99 | with cards p50 | with cards p95 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, queries in report["search_db"].items():
        for label, result in queries.items():
            cards = result.get("with_cards", {})
            lines.append(
                f"| {size} | {label}: `{result['query']}` | {result['hits']} | "
                f"{result['p50_ms']} | {result['p95_ms']} | {result['p99_ms']} | "
                f"{cards.get('p50_ms', '–')} | {cards.get('p95_ms', '–')} |"
            )
    impact = report.get("impact_dashboard", {"rollup": {}, "ranges": {}})
    lines += [
        "",
        f"Impact dashboard, in process, {report['settings']['orders']} orders: the figures "
        "computed afresh from the database (no cache: what the first viewer of a filter "
        "combination waits for), then the whole page as an observer (figures cached after "
        f"the first request), ms. Rollup (impact_sales) rebuilt from the seeded orders: "
        f"{impact['rollup'].get('lines', '–')} order lines in "
        f"{impact['rollup'].get('rebuild_s', '–')} s.",
        "",
        "| range | figures uncached p50 | p95 | p99 | SQL queries | "
        "page p50 | page p95 | page p99 | SQL queries (first request) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, result in impact["ranges"].items():
        cold = result["uncached"]
        lines.append(
            f"| {label} | {cold['p50_ms']} | {cold['p95_ms']} | {cold['p99_ms']} | "
            f"{cold['queries']} | {result['p50_ms']} | {result['p95_ms']} | "
            f"{result['p99_ms']} | {result['queries']} |"
        )
    lines += [
        "",
        "API product endpoints in process (the rows above measure them through gunicorn): "
        "CPU time per request is the application's own work, the database's excluded:",
        "",
        "| endpoint | CPU ms/request (mean) | CPU p50 | wall p50 ms | wall p95 ms | SQL queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, result in report.get("api_cpu", {}).items():
        lines.append(
            f"| {label} `{result['path']}` | {result['cpu_ms_mean']} | {result['cpu_ms_p50']} | "
            f"{result['p50_ms']} | {result['p95_ms']} | "
            f"{', '.join(str(q) for q in result['queries'])} |"
        )
    lines += [
        "",
        f"Orders placed: {orders['orders_placed']} ({orders['variants_ordered']} variants "
        f"ordered); oversold variants: {orders['oversold_variants'] or 'none'}; products "
        f"whose stock is not their variants': {orders['product_stock_out_of_step'] or 'none'}. "
        f"Worker RSS after the run: "
        f"{', '.join(f'{x} MB' for x in report['worker_rss_mb'])}.",
        (
            f"Their e-mails, sent by a job worker during the run: "
            f"{orders['emails_sent_by_worker']} sent, {orders['emails_left_in_queue']} left "
            f"{orders['mail_drained_after_s']} s after the run."
            if "emails_sent_by_worker" in orders
            else "Their e-mails were sent inline (no Redis: no job queue)."
        ),
        "",
        "Targets:",
        "",
    ]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in report["targets"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
