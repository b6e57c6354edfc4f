"""Accounts through the browser: registration, login, sessions, passwords, rate limits,
cookies, invitations and the navigation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from marketplace.auth import services, tokens
from marketplace.auth.models import Role, User
from marketplace.auth.passwords import verify_password
from marketplace.extensions import db, limiter
from marketplace.timeutil import utcnow
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, AdminFactory, CooperativeFactory, MemberFactory, UserFactory
from tests.helpers import csrf_token, login, post_form, release_test_transaction
from tests.other_apps import make_app_fixture  # noqa: F401

GOOD = "a camel crossing the erg"


def _register(client, **fields):
    data = {
        "name": "Amina",
        "email": "amina@example.ma",
        "password": GOOD,
        "password_confirm": GOOD,
        "locale": "fr",
    } | fields
    return post_form(client, "/en/register", data)


def _link(message, marker: str) -> str:
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(/\S*" + re.escape(marker) + r"\S+)", body)
    assert match, body
    return match.group(1)


def _translated(msgid: str, locale: str) -> str:
    with force_locale(locale):
        text = gettext(msgid)
    return text


def _shows(msgid: str, locale: str, response) -> bool:
    """The translated (and HTML-escaped) message is on the page."""
    text, html = _translated(msgid, locale), response.get_data(as_text=True)
    return text in html or str(escape(text)) in html


def _logged_in(client) -> bool:
    response = client.get("/en/account")
    return response.status_code == 200


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


# --- registration -------------------------------------------------------------------------


def test_register_logs_in_and_sends_a_verification_mail_in_the_chosen_language(client, outbox):
    response = _register(client, email="Amina@Example.MA", locale="fr")
    assert response.status_code == 302
    user = _user("amina@example.ma")
    assert user.locale == "fr" and user.email_verified_at is None
    [message] = outbox()
    assert message["To"] == "amina@example.ma"
    assert message["Subject"] == _translated("Confirm your e-mail address", "fr")
    assert _logged_in(client)
    link = _link(message, "/verify/")
    assert link.startswith("/fr/verify/")
    assert client.get(link).status_code == 302
    assert _user("amina@example.ma").email_verified_at is not None


def test_verification_mail_in_arabic(client, outbox):
    _register(client, locale="ar")
    [message] = outbox()
    subject = _translated("Confirm your e-mail address", "ar")
    assert subject != "Confirm your e-mail address"
    assert message["Subject"] == subject
    assert "/ar/verify/" in message.get_content()


def test_duplicate_email_is_refused_case_insensitively_and_keeps_what_was_typed(client):
    UserFactory(email="amina@example.ma")
    response = _register(client, email="AMINA@example.ma", name="Amina Second")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already exists" in html
    assert 'value="Amina Second"' in html
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "at least 10"), ("password123", "too common"), ("qwertyuiop", "too common")],
)
def test_weak_password_is_refused(client, password, message):
    response = _register(client, password=password, password_confirm=password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _user("amina@example.ma") is None


def test_mismatched_confirmation_and_bad_email_are_refused(client):
    response = _register(client, password_confirm=GOOD + "x")
    assert response.status_code == 400
    assert "not the same" in response.get_data(as_text=True)
    response = _register(client, email="not-an-email")
    assert response.status_code == 400
    assert "valid e-mail address" in response.get_data(as_text=True)


def test_tampered_and_expired_verification_links(client):
    user = UserFactory(email_verified_at=None)
    token = tokens.make_token(
        tokens.EMAIL_VERIFICATION,
        {"uid": user.id, "email": user.email},
        issued_at=utcnow() - timedelta(days=4),
    )
    release_test_transaction()
    response = client.get(f"/en/verify/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = client.get("/en/verify/garbage.token.here")
    assert response.status_code == 400
    assert _user(user.email).email_verified_at is None


def test_resend_verification(client, outbox):
    user = UserFactory(email_verified_at=None)
    login(client, user)
    response = post_form(client, "/en/verify/resend", {}, form_url="/en/account")
    assert response.status_code == 302
    assert len(outbox()) == 1


# --- logging in and out -------------------------------------------------------------------


def test_login_redirects_and_wrong_password_is_refused(client):
    user = UserFactory(email="known@example.ma")
    login(client, user)
    assert _logged_in(client)
    other = client.application.test_client()
    response = post_form(other, "/en/login", {"email": "known@example.ma", "password": "nope"})
    assert response.status_code == 401
    assert "not correct" in response.get_data(as_text=True)
    assert not _logged_in(other)


def test_login_answer_is_the_same_for_unknown_and_known_emails(client):
    UserFactory(email="known@example.ma")
    release_test_transaction()
    known = post_form(client, "/en/login", {"email": "known@example.ma", "password": "wrong pw"})
    unknown = post_form(client, "/en/login", {"email": "ghost@example.ma", "password": "wrong pw"})
    assert known.status_code == unknown.status_code == 401

    def page(response, email):
        html = response.get_data(as_text=True).replace(email, "EMAIL")
        return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)

    assert page(known, "known@example.ma") == page(unknown, "ghost@example.ma")


def test_login_email_is_case_insensitive_and_next_is_kept(client):
    UserFactory(email="known@example.ma")
    release_test_transaction()
    response = post_form(
        client,
        "/en/login?next=/en/account/password",
        {"email": "KNOWN@Example.ma", "password": PASSWORD},
        form_url="/en/login",
    )
    assert response.headers["Location"].endswith("/en/account/password")


def test_login_ignores_an_offsite_next(client):
    UserFactory(email="known@example.ma", locale="ar")
    release_test_transaction()
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/%09/evil.example",
    ):
        response = post_form(
            client,
            f"/en/login?next={target}",
            {"email": "known@example.ma", "password": PASSWORD},
            form_url="/en/login",
        )
        assert "evil" not in response.headers["Location"]
        client.delete_cookie("session")


def test_deactivated_account_cannot_log_in(client):
    UserFactory(email="gone@example.ma", active=False)
    release_test_transaction()
    response = post_form(client, "/en/login", {"email": "gone@example.ma", "password": PASSWORD})
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert not _logged_in(client)


def test_login_upgrades_an_outdated_hash(client, app):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
    user = UserFactory(password_hash=weak)
    login(client, user)
    stored = _user(user.email).password_hash
    assert stored != weak and f"m={app.config['ARGON2_MEMORY_COST']}" in stored
    assert verify_password(stored, PASSWORD)


def _copy_session(source, app):
    cookie = source.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    return thief


def test_a_cookie_copied_before_logout_no_longer_works_after_it(client, app):
    login(client, UserFactory())
    thief = _copy_session(client, app)
    assert _logged_in(thief)
    response = post_form(client, "/en/logout", {}, form_url="/en/account")
    assert response.status_code == 302
    assert not _logged_in(client)
    response = thief.get("/en/account")
    assert response.status_code == 302
    assert "/en/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_keeps_this_one(client, app):
    user = UserFactory()
    login(client, user)
    thief = _copy_session(client, app)
    other_device = app.test_client()
    login(other_device, user)
    response = post_form(
        client,
        "/en/account/password",
        {
            "current_password": PASSWORD,
            "password": "another long passphrase",
            "password_confirm": "another long passphrase",
        },
    )
    assert response.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(thief)
    assert not _logged_in(other_device)


def test_wrong_current_password_is_refused(client):
    login(client, UserFactory())
    response = post_form(
        client,
        "/en/account/password",
        {"current_password": "wrong one", "password": GOOD, "password_confirm": GOOD},
    )
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)


def test_deactivation_ends_the_session(client):
    user = UserFactory()
    login(client, user)
    services.set_active(db.session.get(User, user.id), False)
    db.session.commit()
    assert not _logged_in(client)


def test_logout_is_post_only_and_needs_csrf(client):
    login(client, UserFactory())
    assert client.get("/en/logout").status_code == 405
    assert client.post("/en/logout").status_code == 400
    assert _logged_in(client)


def test_posts_without_csrf_are_refused(client):
    UserFactory(email="known@example.ma")
    release_test_transaction()
    response = client.post("/en/login", data={"email": "known@example.ma", "password": PASSWORD})
    assert response.status_code == 400
    assert not _logged_in(client)
    data = {"name": "A", "email": "a@example.ma", "password": GOOD, "password_confirm": GOOD}
    assert client.post("/en/register", data=data | {"locale": "fr"}).status_code == 400
    assert client.post("/en/password/forgot", data={"email": "a@example.ma"}).status_code == 400


# --- account ------------------------------------------------------------------------------


def test_account_requires_login(client):
    response = client.get("/fr/account")
    assert response.status_code == 302
    assert "/fr/login" in response.headers["Location"]


def test_edit_profile(client):
    user = UserFactory(locale="fr")
    login(client, user)
    response = post_form(client, "/en/account", {"name": "Khadija Ait", "locale": "ar"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ar/account")
    saved = _user(user.email)
    assert (saved.name, saved.locale) == ("Khadija Ait", "ar")
    response = post_form(client, "/en/account", {"name": "", "locale": "zz"})
    assert response.status_code == 400


# --- password reset -----------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(client, outbox):
    UserFactory(email="known@example.ma", locale="ar")
    release_test_transaction()
    known = post_form(client, "/en/password/forgot", {"email": "known@example.ma"})
    unknown = post_form(client, "/en/password/forgot", {"email": "ghost@example.ma"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("known@", "X@") == unknown.get_data(
        as_text=True
    ).replace("ghost@", "X@")
    [message] = outbox()
    assert message["To"] == "known@example.ma"
    assert message["Subject"] == _translated("Reset your password", "ar")


def test_reset_link_sets_a_new_password_once(client, outbox):
    user = UserFactory(email="known@example.ma")
    release_test_transaction()
    post_form(client, "/en/password/forgot", {"email": "known@example.ma"})
    link = _link(outbox()[0], "/password/reset/")
    assert client.get(link).status_code == 200
    data = {"password": "my brand new passphrase", "password_confirm": "my brand new passphrase"}
    response = post_form(client, link, data)
    assert response.status_code == 302
    assert verify_password(_user(user.email).password_hash, "my brand new passphrase")
    assert _logged_in(client)
    # The same link again: refused.
    again = app_client = client.application.test_client()
    response = app_client.get(link)
    assert response.status_code == 400
    used = "This link has already been used or is no longer valid. Please ask for a new one."
    assert _shows(used, "fr", response)
    response = again.post(link, data={"password": "x", "password_confirm": "x"})
    assert response.status_code == 400


def test_expired_reset_link_is_refused(client):
    user = UserFactory()
    token = tokens.make_token(
        tokens.PASSWORD_RESET,
        {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)},
        issued_at=utcnow() - timedelta(hours=2),
    )
    release_test_transaction()
    response = client.get(f"/fr/password/reset/{token}")
    assert response.status_code == 400
    assert _shows("This link has expired. Please ask for a new one.", "fr", response)


def test_reset_with_a_weak_password_keeps_the_link_usable(client, outbox):
    UserFactory(email="known@example.ma")
    release_test_transaction()
    post_form(client, "/en/password/forgot", {"email": "known@example.ma"})
    link = _link(outbox()[0], "/password/reset/")
    response = post_form(
        client, link, {"password": "password123", "password_confirm": "password123"}
    )
    assert response.status_code == 400
    assert client.get(link).status_code == 200


# --- rate limits --------------------------------------------------------------------------


@pytest.fixture
def limited_app(make_app):
    """A second app with the rate limiter on (the session app has it off)."""
    limited = make_app("testing", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limited.test_client_class = IsolatedClient
    limiter.reset()
    try:
        yield limited
    finally:
        limiter.reset()
        limiter.enabled = False


def test_login_is_rate_limited_with_a_translated_page(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client, "/fr/login")
    data = {"csrf_token": token, "email": "ghost@example.ma", "password": "wrong password"}
    for _ in range(10):
        assert client.post("/fr/login", data=data).status_code == 401
    response = client.post("/fr/login", data=data)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    title = _translated("Too many attempts", "fr")
    assert title != "Too many attempts"
    assert title in html
    assert '<html lang="fr"' in html


def test_registration_is_rate_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client, "/en/register")
    data = {"csrf_token": token, "name": "A", "email": "bad", "password": "x", "locale": "fr"}
    statuses = [client.post("/en/register", data=data).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_password_reset_is_rate_limited_per_email(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client, "/en/password/forgot")
    statuses = [
        client.post(
            "/en/password/forgot",
            data={"csrf_token": token, "email": "victim@example.ma"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    other = client.post(
        "/en/password/forgot",
        data={"csrf_token": token, "email": "someone-else@example.ma"},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert other.status_code == 200


# --- cookies and configuration ------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client):
    user = UserFactory()
    release_test_transaction()
    response = post_form(client, "/en/login", {"email": user.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_with_host_prefix(make_app):
    prod = make_app("production", SECRET_KEY="k" * 48, RATELIMIT_ENABLED=False)
    try:
        assert prod.config["SESSION_COOKIE_NAME"] == "__Host-session"
        assert prod.config["SESSION_COOKIE_SECURE"] is True
        assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
        assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert prod.config["REMEMBER_COOKIE_NAME"] == "__Host-remember"
        prod.test_client_class = IsolatedClient
        email = UserFactory().email
        client = prod.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        page = client.get("/en/login", base_url="https://localhost")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        response = client.post(
            "/en/login",
            base_url="https://localhost",
            headers={"Referer": "https://localhost/en/login"},
            data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:400]
        cookie = next(
            c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session=")
        )
        for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert part in cookie
        assert "Domain=" not in cookie
    finally:
        limiter.enabled = False


@pytest.mark.parametrize("key", ["", "dev", "development-only-secret-key", "short-but-not-empty"])
def test_production_refuses_a_weak_secret_key(make_app, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app("production", SECRET_KEY=key, RATELIMIT_ENABLED=False)
    limiter.enabled = False


# --- create-admin command -----------------------------------------------------------------


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "Boss@Example.ma", "--password", "a long admin passphrase"]
    )
    assert result.exit_code == 0, result.output
    admin = _user("boss@example.ma")
    assert admin.is_admin and verify_password(admin.password_hash, "a long admin passphrase")


def test_create_admin_command_prompts_and_refuses_weak_passwords(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "boss@example.ma"],
        input="a long admin passphrase\na long admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert _user("boss@example.ma").is_admin
    result = runner.invoke(args=["create-admin", "weak@example.ma", "--password", "password123"])
    assert result.exit_code != 0
    assert (
        _translated(
            "This password is too common and easy to guess. Please choose another one.", "fr"
        )
        in result.output
    )
    assert _user("weak@example.ma") is None


# --- navigation ---------------------------------------------------------------------------


def test_navigation_for_each_kind_of_visitor(client, app):
    html = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/login"' in html and 'href="/en/register"' in html
    assert 'action="/en/logout"' not in html
    login(client, UserFactory())
    html = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/account"' in html and 'action="/en/logout"' in html
    assert "Administration" not in html and "My cooperative" not in html
    admin_client = app.test_client()
    login(admin_client, AdminFactory())
    assert "Administration" in admin_client.get("/en/").get_data(as_text=True)
    member_client = app.test_client()
    login(member_client, MemberFactory())
    assert "My cooperative" in member_client.get("/en/").get_data(as_text=True)


# --- invitations and members --------------------------------------------------------------


def _invite(client, email, locale="fr"):
    return post_form(client, "/en/dashboard/members", {"email": email, "locale": locale})


def test_owner_invites_and_a_new_person_joins_by_registering(client, app, outbox):
    owner = MemberFactory(cooperative__names={"fr": "Coopérative Tighremt", "ar": "تعاونية"})
    login(client, owner)
    response = _invite(client, "Naima@Example.ma", "fr")
    assert response.status_code == 302
    html = client.get("/en/dashboard/members").get_data(as_text=True)
    assert "naima@example.ma" in html  # pending
    [message] = outbox()
    assert message["To"] == "naima@example.ma"
    assert message["Subject"] == _translated("You are invited to join a cooperative", "fr")
    assert "Coopérative Tighremt" in message.get_content()
    link = _link(message, "/invitations/")
    invited = app.test_client()
    page = invited.get(link)
    assert page.status_code == 200
    assert "Coopérative Tighremt" in page.get_data(as_text=True)
    response = post_form(
        invited,
        link,
        {"name": "Naima", "password": GOOD, "password_confirm": GOOD, "locale": "ar"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    naima = _user("naima@example.ma")
    assert naima.cooperative_id == owner.cooperative_id
    assert naima.role == Role.MEMBER.value and not naima.is_cooperative_owner
    assert _logged_in(invited)
    # Used once: the link is gone.
    assert app.test_client().get(link).status_code == 404
    html = client.get("/en/dashboard/members").get_data(as_text=True)
    assert "Naima" in html and "No pending invitation" in html


def test_an_existing_user_logs_in_then_accepts(client, app, outbox):
    owner = MemberFactory()
    shopper = UserFactory(email="shopper@example.ma")
    login(client, owner)
    _invite(client, shopper.email)
    link = _link(outbox()[0], "/invitations/")
    invited = app.test_client()
    page = invited.get(link)
    assert _shows(
        "You already have an account with this address: log in to accept the invitation.",
        "fr",
        page,
    )
    login(invited, "shopper@example.ma")
    assert invited.get(link).status_code == 200
    response = post_form(invited, link, {})
    assert response.status_code == 302
    assert _user("shopper@example.ma").cooperative_id == owner.cooperative_id


def test_member_of_another_cooperative_is_refused_with_a_clear_message(client, app, outbox):
    owner = MemberFactory()
    other = MemberFactory(is_cooperative_owner=False, email="taken@example.ma")
    other_coop = other.cooperative_id
    login(client, owner)
    _invite(client, "taken@example.ma")
    link = _link(outbox()[0], "/invitations/")
    invited = app.test_client()
    login(invited, "taken@example.ma")
    response = post_form(invited, link, {})
    assert response.status_code == 400
    assert _shows(
        "You already belong to another cooperative. A person can be a member of one "
        "cooperative only: ask its owner to remove you first.",
        "fr",
        response,
    )
    assert _user("taken@example.ma").cooperative_id == other_coop


def test_someone_else_cannot_use_an_invitation(client, app, outbox):
    owner = MemberFactory()
    login(client, owner)
    _invite(client, "invited@example.ma")
    link = _link(outbox()[0], "/invitations/")
    intruder = app.test_client()
    login(intruder, UserFactory(email="intruder@example.ma"))
    response = post_form(intruder, link, {})
    assert response.status_code == 400
    assert _user("intruder@example.ma").cooperative_id is None


def test_unknown_cancelled_and_expired_invitations_are_404(client, app, outbox):
    assert client.get("/en/invitations/nope").status_code == 404
    owner = MemberFactory()
    login(client, owner)
    _invite(client, "a@example.ma")
    link = _link(outbox()[0], "/invitations/")
    [invitation] = services.pending_invitations(owner.cooperative_id)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404
    _invite(client, "b@example.ma")
    link_b = _link(outbox()[1], "/invitations/")
    [invitation_b] = services.pending_invitations(owner.cooperative_id)
    release_test_transaction()
    response = post_form(
        client,
        f"/en/dashboard/members/invitations/{invitation_b.id}/cancel",
        {},
        form_url="/en/dashboard/members",
    )
    assert response.status_code == 302
    assert app.test_client().get(link_b).status_code == 404


def test_only_owners_invite_and_shoppers_do_not_see_members(client, app):
    member = MemberFactory(is_cooperative_owner=False)
    login(client, member)
    page = client.get("/en/dashboard/members")
    assert page.status_code == 200
    assert 'name="email"' not in page.get_data(as_text=True)
    token = csrf_token(client, "/en/account")
    response = client.post(
        "/en/dashboard/members",
        data={"csrf_token": token, "email": "x@example.ma", "locale": "fr"},
    )
    assert response.status_code == 403
    shopper = app.test_client()
    login(shopper, UserFactory())
    assert shopper.get("/en/dashboard/members").status_code == 403
    assert app.test_client().get("/en/dashboard/members").status_code == 302  # log in first


def test_members_of_one_cooperative_never_see_anothers(client, app):
    owner_a = MemberFactory(name="Owner Alpha")
    colleague_a = MemberFactory(
        cooperative=owner_a.cooperative, is_cooperative_owner=False, name="Colleague Alpha"
    )
    owner_b = MemberFactory(name="Owner Beta", cooperative=CooperativeFactory())
    login(client, owner_b)
    html = client.get("/en/dashboard/members").get_data(as_text=True)
    assert "Owner Beta" in html
    assert "Owner Alpha" not in html and "Colleague Alpha" not in html
    # Nor cancel their invitations or remove their members.
    invitation = services.invite_member(db.session.get(User, owner_a.id), "z@example.ma", "fr")
    db.session.commit()
    invitation_id, colleague_id = invitation.id, colleague_a.id
    release_test_transaction()
    response = post_form(
        client,
        f"/en/dashboard/members/invitations/{invitation_id}/cancel",
        {},
        form_url="/en/dashboard/members",
    )
    assert response.status_code == 404
    response = post_form(
        client,
        f"/en/dashboard/members/{colleague_id}/remove",
        {},
        form_url="/en/dashboard/members",
    )
    assert response.status_code == 404
    assert _user(colleague_a.email).cooperative_id == owner_a.cooperative_id


def test_owner_removes_a_member(client):
    owner = MemberFactory()
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    login(client, owner)
    colleague_id = colleague.id
    release_test_transaction()
    response = post_form(
        client, f"/en/dashboard/members/{colleague_id}/remove", {}, form_url="/en/dashboard/members"
    )
    assert response.status_code == 302
    assert db.session.get(User, colleague_id).cooperative_id is None


def test_inviting_with_a_bad_email_keeps_the_form(client):
    login(client, MemberFactory())
    response = _invite(client, "not-an-email")
    assert response.status_code == 400
    assert 'value="not-an-email"' in response.get_data(as_text=True)


def test_set_user_active_command_ends_sessions(client, app):
    user = UserFactory(email="someone@example.ma")
    login(client, user)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-user-active", "SOMEONE@example.ma", "--inactive"])
    assert result.exit_code == 0, result.output
    assert not _logged_in(client)
    assert _user("someone@example.ma").active is False
    result = runner.invoke(args=["set-user-active", "someone@example.ma", "--active"])
    assert result.exit_code == 0 and _user("someone@example.ma").active is True
    assert runner.invoke(args=["set-user-active", "ghost@example.ma"]).exit_code != 0


@pytest.mark.parametrize("locale", ["ar", "fr", "en"])
def test_auth_pages_render_in_every_language(client, locale):
    for path in ("login", "register", "password/forgot"):
        response = client.get(f"/{locale}/{path}")
        assert response.status_code == 200
        assert f'<html lang="{locale}"' in response.get_data(as_text=True)
    login(client, MemberFactory())
    for path in ("account", "account/password", "dashboard/members"):
        response = client.get(f"/{locale}/{path}")
        assert response.status_code == 200, path
    html = client.get(f"/{locale}/account").get_data(as_text=True)
    assert _translated("My account", locale) in html
