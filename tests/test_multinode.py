"""Several app nodes: two gunicorn instances of the production app on two loopback ports,
against the same PostgreSQL database, the same Redis (a redis-server of the test's own:
page-cache versions, rate limits, the job queue) and the same S3 server (moto), each with a
local media folder of its own that nothing may rely on, and a job worker next to each.

What a load balancer sending a visitor to either node needs, shown over real HTTP:
- a photo uploaded through node A is served to visitors of node B;
- a price changed through A shows on B's cached catalogue within PAGE_CACHE_VERSION_SECONDS;
- a session started on A works on B, and a logout on A ends it on B (even replayed);
- the per-address login limit counts the attempts made on both nodes together;
- e-mails queued by requests on A and B are each sent exactly once by the two workers.

Needs PostgreSQL (marked postgres), redis-server, and gunicorn; skipped with a message when
redis-server is missing, unless CI=true.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from marketplace.catalogue.models import Product, ProductImage
from marketplace.extensions import db
from marketplace.mail import QueuedMail, read_outbox
from marketplace.money import format_mad
from tests.factories import CategoryFactory, CooperativeFactory, MemberFactory, UserFactory
from tests.helpers import CSRF_RE

pytestmark = pytest.mark.postgres
PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Processes:
    """The servers and workers of the test, each logging to a file shown on failure."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[tuple[str, subprocess.Popen, object]] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w+")  # noqa: SIM115 - closed in stop_all
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append((name, process, log))
        return process

    def stop_all(self) -> None:
        """Nodes and workers first (together), Redis last: workers deregister on the way out."""
        for _, process, _ in self.running[1:]:
            process.terminate()
        for name, process, log in reversed(self.running):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            text = log.read()
            print(f"--- {name} ---\n{text[-3000:]}")
            log.close()
        self.running.clear()


@pytest.fixture
def cluster(app, s3_server, tmp_path):
    """Redis, two nodes (A and B) and two job workers; yields their settings."""
    redis_server = shutil.which("redis-server")
    if (
        redis_server is None
        or shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None
    ):
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server and gunicorn are required for the two-node test in CI")
        pytest.skip("redis-server or gunicorn is missing: the two-node test is skipped")
    processes = Processes(tmp_path)
    redis_port = free_port()
    processes.start(
        "redis",
        [
            redis_server,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
    )
    redis_url = f"redis://127.0.0.1:{redis_port}"
    bucket = s3_server.new_bucket()
    ports = {"A": free_port(), "B": free_port()}
    outbox = tmp_path / "outbox"
    common = {
        **os.environ,
        "APP_ENV": "production",
        "FLASK_APP": "wsgi.py",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": f"{redis_url}/0",
        "RATELIMIT_STORAGE_URI": f"{redis_url}/1",
        "JOBS_BROKER_URL": f"{redis_url}/2",
        "JOBS_QUEUE": "souk",
        "PAGE_CACHE": "1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['A']}",
        "MAIL_OUTBOX_DIR": str(outbox),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "warning",
        **s3_server.settings(bucket),
    }
    try:
        for name, port in ports.items():
            env = {
                **common,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "MEDIA_DIR": str(tmp_path / f"media-{name}"),
                "UPLOAD_DIR": str(tmp_path / f"uploads-{name}"),
                "INSTANCE_PATH": str(tmp_path / f"instance-{name}"),
            }
            processes.start(
                f"node-{name}",
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "-c",
                    "gunicorn.conf.py",
                    "tests.multinode_wsgi:app",
                ],
                env,
            )
            processes.start(
                f"worker-{name}",
                [sys.executable, "-m", "flask", "jobs", "worker"],
                {**env, "INSTANCE_PATH": str(tmp_path / f"instance-{name}")},
            )
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

        def up():
            try:
                return all(
                    requests.get(f"{url}/healthz", timeout=2).status_code == 200
                    for url in urls.values()
                )
            except requests.RequestException:
                return False

        wait_until(up, 30, "both nodes to answer /healthz")
        yield {"urls": urls, "outbox": outbox, "bucket_url": f"{s3_server.url}/{bucket}"}
    finally:
        processes.stop_all()


def csrf(session: requests.Session, url: str) -> str:
    match = CSRF_RE.search(session.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(session, url: str, data: dict, *, form_url: str | None = None, files=None):
    payload = {"csrf_token": csrf(session, form_url or url), **data}
    return session.post(url, data=payload, files=files, allow_redirects=False, timeout=20)


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (190, 110, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def price_text(app, cents: int) -> str:
    with app.test_request_context():
        return format_mad(cents, "en")


def test_two_nodes_share_media_cache_sessions_limits_and_mail(app, cluster):
    a, b = cluster["urls"]["A"], cluster["urls"]["B"]
    member = MemberFactory(cooperative=CooperativeFactory())
    category = CategoryFactory(names={"fr": "Dattes", "ar": "تمور", "en": "Dates"})
    shopper = UserFactory()
    db.session.commit()

    # A session started on node A works on node B.
    seller = requests.Session()
    response = post(seller, f"{a}/en/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.text[:300]
    assert seller.get(f"{b}/en/dashboard/products", timeout=10).status_code == 200

    # A photo uploaded through node A is served to visitors of node B.
    product_form = {
        "name_fr": "Dattes Mejhoul",
        "name_en": "Mejhoul dates",
        "description_fr": "Dattes d'Erfoud, récolte 2026.",
        "category": str(category.id),
        "price": "137",
        "stock": "10",
        "unit_quantity": "500",
        "unit_code": "g",
        "weight_grams": "550",
        "status": "active",
    }
    new = f"{a}/en/dashboard/products/new"
    response = post(
        seller, new, product_form, files={"images": ("dates.jpg", photo(), "image/jpeg")}
    )
    assert response.status_code in (302, 303), response.text[:500]
    db.session.expire_all()
    product = db.session.scalar(select(Product))
    image = db.session.scalar(select(ProductImage).where(ProductImage.product_id == product.id))
    slug, product_id, image_name = product.slug, product.id, image.stored_name
    db.session.commit()
    visitor = requests.Session()  # anonymous: served from the page cache
    page = visitor.get(f"{b}/en/products/{slug}", timeout=10)
    assert page.status_code == 200
    sources = re.findall(r'(?:src|srcset)="([^" ]+)', page.text)
    photo_url = next(url for url in sources if image_name in url)
    assert photo_url.startswith(f"{cluster['bucket_url']}/media/")
    served = requests.get(photo_url, timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("image/")
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    moved = requests.get(f"{b}/media/{image_name}-card.webp", allow_redirects=False, timeout=10)
    assert moved.status_code == 301 and image_name in moved.headers["Location"]
    assert "img-src 'self' data: blob: http://127.0.0.1:" in page.headers["Content-Security-Policy"]

    # A price changed through A shows on B's cached catalogue within the documented delay
    # (PAGE_CACHE_VERSION_SECONDS, 1 s: how long a node trusts the catalogue version it read).
    old_price, new_price = price_text(app, 13700), price_text(app, 14900)
    assert old_price in visitor.get(f"{b}/en/products/{slug}", timeout=10).text
    cached = visitor.get(f"{b}/en/products/{slug}", timeout=10)
    assert cached.headers.get("X-Page-Cache") == "hit"
    edit = f"{a}/en/dashboard/products/{product_id}/edit"
    response = post(seller, edit, {**product_form, "price": "149"})
    assert response.status_code in (302, 303), response.text[:500]
    changed_at = time.monotonic()
    wait_until(
        lambda: new_price in visitor.get(f"{b}/en/products/{slug}", timeout=10).text,
        5,
        "node B to show the new price",
    )
    assert time.monotonic() - changed_at <= 1.0 + 1.0  # the delay, plus this machine's slack

    # E-mails queued by requests on both nodes are each sent exactly once by the workers.
    for index, (node, email) in enumerate(((a, shopper.email), (b, member.email))):
        someone = requests.Session()
        response = post(someone, f"{node}/en/password/forgot", {"email": email})
        assert response.status_code == 200 and 'name="email"' not in response.text, index

    def drained():
        db.session.expire_all()
        left = db.session.scalar(select(db.func.count()).select_from(QueuedMail))
        db.session.commit()
        return left == 0 and len(read_outbox(cluster["outbox"])) >= 2

    wait_until(drained, 20, "the workers to send the e-mails")
    time.sleep(1.0)  # a second sending would show up by now
    recipients = sorted(message["To"] for message in read_outbox(cluster["outbox"]))
    assert recipients == sorted([shopper.email, member.email])

    # A logout on A ends the session on B, even for a copy of the cookie kept from before.
    stolen = requests.Session()
    stolen.cookies.update(seller.cookies)
    response = post(seller, f"{a}/en/logout", {}, form_url=f"{a}/en/dashboard/products")
    assert response.status_code in (302, 303)
    assert seller.get(f"{b}/en/dashboard/products", allow_redirects=False).status_code == 302
    replayed = stolen.get(f"{b}/en/dashboard/products", allow_redirects=False, timeout=10)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]

    # The per-address login limit counts the attempts on both nodes together.
    remaining = []
    for attempt in range(25):
        node = (a, b)[attempt % 2]
        response = post(
            requests.Session(),
            f"{node}/en/login",
            {"email": f"nobody{attempt}@example.ma", "password": "wrong password"},
        )
        if response.status_code == 429:
            break
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    else:
        raise AssertionError("the login limit was never reached")
    assert remaining == sorted(remaining, reverse=True)
    assert all(x - y == 1 for x, y in itertools.pairwise(remaining))
    assert remaining[-1] == 0  # one limit for both nodes: refused right after the last one
    assert len(remaining) >= 2  # attempts alternated between A and B
