"""Account services: registration, passwords, tokens, sessions, admins, invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.auth import services, tokens
from marketplace.auth.models import Invitation, Role, User
from marketplace.auth.passwords import (
    common_passwords,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from marketplace.errors import Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.timeutil import utcnow
from tests.factories import PASSWORD, AdminFactory, CooperativeFactory, MemberFactory, UserFactory

GOOD = "a camel crossing the erg"


def _register(email="amina@example.ma", **kwargs):
    args = {"name": "Amina", "email": email, "password": GOOD, "locale": "ar"} | kwargs
    user = services.register_user(**args)
    db.session.commit()
    return user


# --- registration and the password policy -------------------------------------------------


def test_register_stores_a_lowercased_email_and_an_argon2_hash(outbox):
    user = _register(email="  Amina@Example.MA ")
    assert user.email == "amina@example.ma"
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, GOOD)
    assert user.role == Role.SHOPPER.value
    assert user.locale == "ar"
    assert user.email_verified_at is None
    [message] = outbox()
    assert message["To"] == "amina@example.ma"


def test_duplicate_email_is_refused_whatever_its_case():
    _register(email="amina@example.ma")
    with pytest.raises(InvalidInput) as error:
        services.register_user("Other", "AMINA@example.ma", GOOD, "fr")
    assert error.value.details["field"] == "email"


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890", "qwertyuiop", "aaaaaaaaaaaa", "amina@example.ma"],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(InvalidInput) as error:
        services.register_user("Amina", "amina@example.ma", password, "fr")
    assert error.value.details["field"] == "password"
    assert db.session.scalar(select(User)) is None


def test_common_password_list_is_large_and_case_insensitive():
    assert len(common_passwords()) > 5000
    assert password_problem("PassWord123") is not None
    assert password_problem("Basketball") is not None
    assert password_problem(GOOD) is None


def test_an_unknown_language_falls_back_to_the_default():
    user = _register(locale="de")
    assert user.locale == "fr"


# --- e-mail verification tokens -----------------------------------------------------------


def test_verification_token_confirms_the_address():
    user = _register()
    token = tokens.make_token(tokens.EMAIL_VERIFICATION, {"uid": user.id, "email": user.email})
    assert services.verify_email(token).id == user.id
    assert user.email_verified_at is not None


def test_verification_token_expires_and_cannot_be_tampered_with():
    user = _register()
    old = tokens.make_token(
        tokens.EMAIL_VERIFICATION,
        {"uid": user.id, "email": user.email},
        issued_at=utcnow() - timedelta(days=4),
    )
    with pytest.raises(services.LinkExpired):
        services.verify_email(old)
    good = tokens.make_token(tokens.EMAIL_VERIFICATION, {"uid": user.id, "email": user.email})
    with pytest.raises(services.LinkInvalid):
        services.verify_email(good[:-2] + ("AA" if not good.endswith("AA") else "BB"))


def test_a_verification_token_is_not_a_reset_token():
    user = _register()
    token = tokens.make_token(tokens.EMAIL_VERIFICATION, {"uid": user.id, "email": user.email})
    with pytest.raises(services.LinkInvalid):
        services.user_for_reset_token(token)


# --- authentication -----------------------------------------------------------------------


def test_authenticate_known_unknown_and_wrong_password():
    user = UserFactory(email="known@example.ma")
    assert services.authenticate("KNOWN@example.ma", PASSWORD).id == user.id
    assert services.authenticate("known@example.ma", "wrong password here") is None
    assert services.authenticate("nobody@example.ma", PASSWORD) is None
    assert services.authenticate("", "") is None


def test_deactivated_account_is_refused_only_with_the_right_password():
    user = UserFactory(email="gone@example.ma")
    services.set_active(user, False)
    db.session.commit()
    assert services.authenticate("gone@example.ma", "a wrong password!") is None
    with pytest.raises(services.AccountDisabled):
        services.authenticate("gone@example.ma", PASSWORD)


def test_outdated_argon2_hash_is_upgraded_on_login(app):
    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
    user = UserFactory(password_hash=weak)
    assert needs_rehash(weak)
    services.authenticate(user.email, PASSWORD)
    db.session.commit()
    assert user.password_hash != weak
    assert not needs_rehash(user.password_hash)
    assert f"m={app.config['ARGON2_MEMORY_COST']}" in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_current_hash_is_not_rewritten():
    user = UserFactory()
    before = user.password_hash
    services.authenticate(user.email, PASSWORD)
    assert user.password_hash == before


# --- sessions -----------------------------------------------------------------------------


def test_logout_password_change_and_deactivation_bump_the_session_version():
    user = UserFactory()
    version = user.session_version
    services.log_out(user)
    assert user.session_version == version + 1
    services.change_password(user, PASSWORD, "another long passphrase")
    assert user.session_version == version + 2
    services.set_active(user, False)
    assert user.session_version == version + 3
    assert user.get_id() == f"{user.id}:{version + 3}"


def test_change_password_checks_the_current_one_and_the_policy():
    user = UserFactory()
    with pytest.raises(InvalidInput) as error:
        services.change_password(user, "not my password", "another long passphrase")
    assert error.value.details["field"] == "current_password"
    with pytest.raises(InvalidInput) as error:
        services.change_password(user, PASSWORD, "password123")
    assert error.value.details["field"] == "password"
    with pytest.raises(InvalidInput):
        services.change_password(user, PASSWORD, PASSWORD)


def test_update_profile_refuses_an_unknown_language_and_an_empty_name():
    user = UserFactory()
    with pytest.raises(InvalidInput):
        services.update_profile(user, "Name", "xx")
    with pytest.raises(InvalidInput):
        services.update_profile(user, "   ", "ar")
    services.update_profile(user, " Khadija ", "ar")
    assert (user.name, user.locale) == ("Khadija", "ar")


# --- password reset -----------------------------------------------------------------------


def _reset_token(user, **kwargs):
    payload = {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)}
    return tokens.make_token(tokens.PASSWORD_RESET, payload, **kwargs)


def test_reset_link_is_single_use():
    user = UserFactory()
    token = _reset_token(user)
    services.reset_password(token, "my brand new passphrase")
    db.session.commit()
    assert verify_password(user.password_hash, "my brand new passphrase")
    with pytest.raises(services.LinkInvalid):
        services.reset_password(token, "yet another passphrase")


def test_reset_link_expires_after_an_hour():
    user = UserFactory()
    token = _reset_token(user, issued_at=utcnow() - timedelta(minutes=61))
    with pytest.raises(services.LinkExpired):
        services.user_for_reset_token(token)
    fresh = _reset_token(user, issued_at=utcnow() - timedelta(minutes=59))
    assert services.user_for_reset_token(fresh).id == user.id


def test_reset_link_of_a_deactivated_account_is_refused():
    user = UserFactory()
    token = _reset_token(user)
    user.active = False
    with pytest.raises(services.LinkInvalid):
        services.user_for_reset_token(token)


def test_reset_request_mails_only_known_active_accounts(outbox):
    UserFactory(email="known@example.ma", locale="fr")
    services.request_password_reset("nobody@example.ma", "fr")
    services.request_password_reset("KNOWN@example.ma", "ar")
    db.session.commit()
    [message] = outbox()
    assert message["To"] == "known@example.ma"


# --- administrators -----------------------------------------------------------------------


def test_create_admin_creates_or_promotes():
    user, created = services.create_admin("Boss@Example.ma", "a long admin passphrase")
    assert created and user.is_admin and user.email == "boss@example.ma"
    shopper = UserFactory()
    promoted, created = services.create_admin(shopper.email, None)
    assert not created and promoted.is_admin
    with pytest.raises(InvalidInput):
        services.create_admin("new@example.ma", "password123")
    with pytest.raises(InvalidInput):
        services.create_admin("member@example.ma", None)
    member = MemberFactory()
    with pytest.raises(InvalidInput):
        services.create_admin(member.email, None)


# --- invitations --------------------------------------------------------------------------


def _invite(owner, email="new@example.ma", locale="fr"):
    invitation = services.invite_member(owner, email, locale)
    db.session.commit()
    return invitation


def _token_of(message) -> str:
    body = message.get_content()
    return body.split("/invitations/", 1)[1].split()[0]


def test_owner_invites_and_the_invited_person_registers(outbox):
    owner = MemberFactory(is_cooperative_owner=True)
    invitation = _invite(owner, "New@Example.ma", "ar")
    assert invitation.email == "new@example.ma"
    [message] = outbox()
    token = _token_of(message)
    assert services.find_invitation(token).id == invitation.id
    user = services.register_from_invitation(invitation, "Naima", GOOD, "ar")
    db.session.commit()
    assert user.cooperative_id == owner.cooperative_id
    assert user.role == Role.MEMBER.value
    assert not user.is_cooperative_owner
    assert user.email_verified_at is not None
    with pytest.raises(services.InvitationUnavailable):
        services.find_invitation(token)  # used


def test_only_the_owner_invites():
    member = MemberFactory(is_cooperative_owner=False)
    with pytest.raises(Forbidden):
        services.invite_member(member, "x@example.ma", "fr")
    with pytest.raises(Forbidden):
        services.invite_member(UserFactory(), "x@example.ma", "fr")


def test_inviting_a_current_member_is_refused():
    owner = MemberFactory()
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    with pytest.raises(InvalidInput):
        services.invite_member(owner, colleague.email.upper(), "fr")


def test_a_new_invitation_replaces_the_pending_one(outbox):
    owner = MemberFactory()
    _invite(owner)
    first_token = _token_of(outbox()[0])
    _invite(owner)
    second_token = _token_of(outbox()[1])
    with pytest.raises(services.InvitationUnavailable):
        services.find_invitation(first_token)
    assert services.find_invitation(second_token)
    assert len(services.pending_invitations(owner.cooperative_id)) == 1


def test_expired_cancelled_and_unknown_invitations_are_unavailable(outbox):
    owner = MemberFactory()
    invitation = _invite(owner)
    token = _token_of(outbox()[0])
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(services.InvitationUnavailable):
        services.find_invitation(token)
    invitation.expires_at = utcnow() + timedelta(days=1)
    services.cancel_invitation(owner, invitation.id)
    db.session.commit()
    with pytest.raises(services.InvitationUnavailable):
        services.find_invitation(token)
    with pytest.raises(services.InvitationUnavailable):
        services.find_invitation("not-a-token")


def test_one_cooperative_per_person():
    owner = MemberFactory()
    other = MemberFactory(is_cooperative_owner=False)  # member of another cooperative
    invitation = _invite(owner, other.email)
    with pytest.raises(InvalidInput) as error:
        services.accept_invitation(invitation, other)
    with force_locale("en"):
        assert "one cooperative only" in str(error.value.message)
    assert other.cooperative_id != owner.cooperative_id
    assert invitation.accepted_at is None


def test_invitation_is_for_its_address_and_not_for_admins():
    owner = MemberFactory()
    invitation = _invite(owner, "someone@example.ma")
    with pytest.raises(InvalidInput):
        services.accept_invitation(invitation, UserFactory(email="intruder@example.ma"))
    admin = AdminFactory(email="admin@example.ma")
    invitation = _invite(owner, "admin@example.ma")
    with pytest.raises(InvalidInput):
        services.accept_invitation(invitation, admin)


def test_owner_removes_a_member_but_not_another_cooperatives():
    owner = MemberFactory()
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    stranger = MemberFactory(is_cooperative_owner=False)
    with pytest.raises(NotFound):
        services.remove_member(owner, stranger.id)
    with pytest.raises(InvalidInput):
        services.remove_member(owner, owner.id)
    services.remove_member(owner, colleague.id)
    assert colleague.cooperative_id is None and colleague.role == Role.SHOPPER.value


def test_cancel_is_limited_to_the_own_cooperative():
    owner_a = MemberFactory()
    owner_b = MemberFactory(cooperative=CooperativeFactory())
    invitation = _invite(owner_a)
    with pytest.raises(NotFound):
        services.cancel_invitation(owner_b, invitation.id)
    assert db.session.get(Invitation, invitation.id).is_pending


def test_hash_password_round_trip():
    hashed = hash_password(GOOD)
    assert verify_password(hashed, GOOD)
    assert not verify_password(hashed, GOOD + "!")
    assert not verify_password("not a hash", GOOD)
