"""Findings of the outside security audit (issue 12, points 1 to 3): e-mailed links never
follow the request's Host, logins are slowed per account, and no secret key ships in the
code."""

from __future__ import annotations

import ast
import difflib
import os
import re
import stat
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from marketplace.auth import services, tokens
from marketplace.auth.models import LoginThrottle
from marketplace.extensions import db
from marketplace.mail import read_outbox
from marketplace.timeutil import utcnow
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token, release_test_transaction
from tests.other_apps import make_app_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
WRONG = "not the right password at all"


def _start(tmp_path, script: str, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh interpreter started the way gunicorn and ``make run`` start
    the app: settings from the environment only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_", "FLASK_"))
        and k not in {"SECRET_KEY", "PUBLIC_BASE_URL", "TRUSTED_HOSTS"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/start.sqlite3",
        INSTANCE_PATH=str(tmp_path / "instance"),
        LOG_JSON="0",
        **env_vars,
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _as_host(client, host: str) -> None:
    """Send this client's session cookie to ``host`` too: the forged request carries a valid
    CSRF token, so only the Host check can refuse it."""
    session = client.get_cookie("session")
    client.set_cookie("session", session.value, domain=host.partition(":")[0])


def _reset_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"\S+/password/reset/\S+", body)
    assert match, body
    return match.group(0)


# --- 1. links in e-mails never come from the request ----------------------------------------


def test_a_forged_host_is_refused_and_no_mail_leaves(client, outbox):
    UserFactory(email="victim@example.ma")
    release_test_transaction()
    token = csrf_token(client, "/fr/password/forgot")
    _as_host(client, "evil.example")
    response = client.post(
        "/fr/password/forgot",
        data={"csrf_token": token, "email": "victim@example.ma"},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 400
    assert outbox() == []


def test_reset_links_use_the_configured_address_whatever_the_request_says(app, client, outbox):
    UserFactory(email="victim@example.ma")
    release_test_transaction()
    token = csrf_token(client, "/fr/password/forgot")
    _as_host(client, "127.0.0.1")
    response = client.post(
        "/fr/password/forgot",
        data={"csrf_token": token, "email": "victim@example.ma"},
        # A trusted name, another port, and forwarding headers no proxy is trusted for.
        headers={
            "Host": "127.0.0.1:8081",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        },
    )
    assert response.status_code == 200
    base = app.config["PUBLIC_BASE_URL"]
    assert base  # testing has its own configured default address
    [message] = outbox()
    assert _reset_link(message).startswith(f"{base}/fr/password/reset/")


def test_a_public_address_is_the_only_host_of_the_links_and_is_answered(make_app):
    other = make_app("testing", PUBLIC_BASE_URL="https://souk.example.ma")
    with other.app_context():
        UserFactory(email="victim@example.ma", locale="ar")
        db.session.commit()
    client = other.test_client()
    token = csrf_token(client, "/fr/password/forgot")
    response = client.post(
        "/fr/password/forgot", data={"csrf_token": token, "email": "victim@example.ma"}
    )
    assert response.status_code == 200
    [message] = read_outbox(other.config["MAIL_OUTBOX_DIR"])
    assert _reset_link(message).startswith("https://souk.example.ma/ar/password/reset/")
    assert client.get("/healthz", base_url="https://souk.example.ma").status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_production_refuses_to_start_without_a_public_address(tmp_path):
    secret = "x" * 48
    result = _start(tmp_path, "from wsgi import app", APP_ENV="production", SECRET_KEY=secret)
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be set" in result.stderr
    result = _start(
        tmp_path,
        "from wsgi import app; print(sorted(app.config['TRUSTED_HOSTS']))",
        APP_ENV="production",
        SECRET_KEY=secret,
        PUBLIC_BASE_URL="https://souk.example.ma",
        TRUSTED_HOSTS="www.souk.example.ma, 127.0.0.1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['127.0.0.1', 'souk.example.ma', 'www.souk.example.ma']"


def test_production_refuses_a_public_address_that_is_not_a_url(make_app):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        make_app("production", PUBLIC_BASE_URL="souk.example.ma")


# --- 2. logins slowed per account ---------------------------------------------------------


def _login(client, token, email, password, address):
    return client.post(
        "/en/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _throttle(email: str) -> LoginThrottle | None:
    db.session.expire_all()
    return db.session.get(LoginThrottle, services.throttle_key(email))


def _let_the_delay_pass(email: str) -> None:
    """Shift the clock: the current delay ends now."""
    row = _throttle(email)
    row.blocked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _notices(messages, to: str) -> list:
    subject = "Failed attempts to log in to your account"
    return [m for m in messages if m["To"] == to and m["Subject"] == subject]


def test_a_distributed_guess_is_slowed_and_the_owner_told_once(client, outbox):
    owner = UserFactory(email="owner@example.ma", locale="en")
    release_test_transaction()
    token = csrf_token(client, "/en/login")
    statuses = [
        _login(client, token, owner.email, WRONG, f"198.51.100.{i}").status_code for i in range(30)
    ]
    assert statuses == [401] * 10 + [429] * 20
    # Even the right password waits: it is not even checked.
    refused = _login(client, token, owner.email, PASSWORD, "203.0.113.7")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many failed attempts to log in with this e-mail address" in refused.get_data(
        as_text=True
    )
    assert len(_notices(outbox(), owner.email)) == 1

    # The delay passes: one more wrong password doubles it, still one notice in the burst.
    _let_the_delay_pass(owner.email)
    assert _login(client, token, owner.email, WRONG, "203.0.113.8").status_code == 401
    assert _login(client, token, owner.email, PASSWORD, "203.0.113.8").status_code == 429
    assert len(_notices(outbox(), owner.email)) == 1

    # Once it has passed, the owner logs in, which clears the count.
    _let_the_delay_pass(owner.email)
    assert _login(client, token, owner.email, PASSWORD, "203.0.113.9").status_code == 302
    assert _throttle(owner.email) is None


def test_the_delays_double_up_to_fifteen_minutes():
    user = UserFactory()
    db.session.commit()
    delays = []
    for _ in range(16):
        assert services.authenticate(user.email, WRONG) is None
        db.session.commit()
        row = _throttle(user.email)
        waited = row.blocked_until - row.last_failed_at if row.blocked_until else timedelta()
        delays.append(int(waited.total_seconds()))
        if row.blocked_until:
            with pytest.raises(services.LoginThrottled):
                services.authenticate(user.email, PASSWORD)
            db.session.rollback()
            _let_the_delay_pass(user.email)
    assert delays == [0] * 9 + [30, 60, 120, 240, 480, 900, 900]


def test_failures_of_a_day_ago_are_forgotten():
    user = UserFactory()
    db.session.commit()
    for _ in range(9):
        services.authenticate(user.email, WRONG)
    db.session.commit()
    row = _throttle(user.email)
    row.last_failed_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    services.authenticate(user.email, WRONG)
    db.session.commit()
    row = _throttle(user.email)
    assert (row.failures, row.blocked_until) == (1, None)


def _page(response) -> str:
    """The page without its CSRF token (signed with the time of the request)."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", response.get_data(as_text=True))


def test_unknown_addresses_are_slowed_the_same_way(client, outbox):
    UserFactory(email="known@example.ma")
    release_test_transaction()
    token = csrf_token(client, "/en/login")
    answers = {}
    for email in ("known@example.ma", "ghost@example.ma"):
        responses = [_login(client, token, email, WRONG, f"192.0.2.{i}") for i in range(12)]
        answers[email] = [(r.status_code, _page(r).replace(email, "X")) for r in responses]
    assert [s for s, _ in answers["known@example.ma"]] == [401] * 10 + [429] * 2
    for known, unknown in zip(
        answers["known@example.ma"], answers["ghost@example.ma"], strict=True
    ):
        assert known == unknown, "\n".join(
            difflib.unified_diff(known[1].splitlines(), unknown[1].splitlines(), lineterm="")
        )
    assert [m["To"] for m in outbox()] == ["known@example.ma"]


def test_a_password_reset_clears_the_delay_and_a_new_burst_is_told_again(outbox):
    owner = UserFactory(email="owner@example.ma", locale="ar")
    db.session.commit()
    for _ in range(10):
        services.authenticate(owner.email, WRONG)
        db.session.commit()
    with pytest.raises(services.LoginThrottled):
        services.authenticate(owner.email, PASSWORD)
    db.session.rollback()
    token = tokens.make_token(
        tokens.PASSWORD_RESET,
        {"uid": owner.id, "pw": tokens.password_fingerprint(owner.password_hash)},
    )
    services.reset_password(token, "a brand new desert passphrase")
    db.session.commit()
    assert _throttle(owner.email) is None
    assert services.authenticate(owner.email, "a brand new desert passphrase").id == owner.id
    db.session.commit()

    # A new burst of failures: a second notice, in the owner's language.
    for _ in range(10):
        services.authenticate(owner.email, WRONG)
        db.session.commit()
    notices = [m for m in outbox() if m["To"] == owner.email]
    assert len(notices) == 2
    with force_locale("ar"):
        greeting = gettext("Hello %(name)s,", name=owner.name)
    assert greeting != f"Hello {owner.name},"  # the catalog has it: the check means something
    assert greeting in notices[1].get_body(preferencelist=("plain",)).get_content()


@pytest.mark.postgres
def test_guesses_sent_at_the_same_instant_take_turns(app, outbox):
    """Attempts on one address wait for each other (a row lock), so a burst of parallel
    guesses gets no more password checks than one after another."""
    email = UserFactory(email="owner@example.ma", locale="en").email
    db.session.commit()
    count = 14
    barrier = threading.Barrier(count)
    results: list[str] = ["not run"] * count

    def guess(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = "checked" if services.authenticate(email, WRONG) is None else "in"
                db.session.commit()
            except services.LoginThrottled:
                db.session.rollback()
                results[i] = "throttled"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["checked"] * 10 + ["throttled"] * 4
    assert _throttle(email).failures == 10
    assert len(_notices(outbox(), email)) == 1


# --- 3. no public secret key ------------------------------------------------------------------


def test_a_development_start_writes_a_private_key_once_and_reuses_it(tmp_path):
    script = "from wsgi import app; print(app.config['SECRET_KEY'])"
    first = _start(tmp_path, script)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = first.stdout.strip()
    assert len(key) >= 32
    assert key_file.read_text().strip() == key
    second = _start(tmp_path, script)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == key
    other_instance = _start(tmp_path / "elsewhere", script)
    assert other_instance.stdout.strip() != key


def test_no_secret_key_is_written_in_the_code():
    tree = ast.parse((ROOT / "config.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "SECRET_KEY" for target in node.targets
        ):
            literals = [
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            assert literals in ([], ["SECRET_KEY"]), ast.unparse(node)
    assert "development-only-secret-key" not in (ROOT / "config.py").read_text()


def test_counters_left_alone_for_a_day_are_purged_when_a_new_one_starts():
    for email in ("old@example.ma", "recent@example.ma"):
        services.authenticate(email, WRONG)
    db.session.commit()
    _throttle("old@example.ma").last_failed_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    services.authenticate("new@example.ma", WRONG)
    db.session.commit()
    assert _throttle("old@example.ma") is None
    assert _throttle("recent@example.ma").failures == 1
    assert _throttle("new@example.ma").failures == 1


def test_the_login_throttle_is_stored_by_digest_not_address():
    services.authenticate("Someone@Example.ma ", WRONG)
    db.session.commit()
    [row] = db.session.scalars(select(LoginThrottle))
    assert row.email_digest == services.throttle_key("someone@example.ma")
    assert "someone" not in row.email_digest
