"""Account operations: plain functions that check the rules, change the data and flush.

They never read the request or the session; they raise ``marketplace.errors`` errors with a
translated message (``details["field"]`` names the form field it belongs to, when any).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.auth import tokens
from marketplace.auth.models import Invitation, LoginThrottle, Role, User
from marketplace.auth.passwords import (
    dummy_verify,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from marketplace.errors import DomainError, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.i18n import LOCALES, pick
from marketplace.mail import queue_mail, render_mail
from marketplace.timeutil import utcnow

INVITATION_DAYS = 14


class AccountDisabled(DomainError):
    status_code = 403
    default_message = _l(
        "This account has been deactivated. Please contact us if you think it is a mistake."
    )


class LinkInvalid(DomainError):
    status_code = 400
    default_message = _l("This link is not valid. Please ask for a new one.")


class LinkExpired(LinkInvalid):
    default_message = _l("This link has expired. Please ask for a new one.")


class LoginThrottled(DomainError):
    """Too many failed logins in a row for this address: refused without even checking the
    password until ``retry_after`` seconds have passed."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too many failed attempts to log in with this e-mail address. Please try again "
                "in %(num)d minute, or reset your password.",
                "Too many failed attempts to log in with this e-mail address. Please try again "
                "in %(num)d minutes, or reset your password.",
                minutes,
            ),
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class InvitationUnavailable(DomainError):
    status_code = 404
    default_message = _l(
        "This invitation does not exist, has already been used, was cancelled or has expired. "
        "Please ask the cooperative for a new one."
    )


# --- helpers ------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    email = normalize_email(email)
    if not email:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else current_app.config["DEFAULT_LOCALE"]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, always on PUBLIC_BASE_URL (config.py requires it): never
    on the request's host, which whoever sends the request chooses. The same inside a
    request, a CLI command or background work."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive datetimes
        return moment.replace(tzinfo=UTC)
    return moment


def _check_password(password: str, *, email: str = "", name: str = "", field="password"):
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise InvalidInput(problem, field=field)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every session of ``user`` (on every device) stops working."""
    user.session_version = (user.session_version or 0) + 1


# --- registration and e-mail verification -------------------------------------------------


def register_user(
    name: str, email: str, password: str, locale: str, *, verified: bool = False
) -> User:
    email = normalize_email(email)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Please enter your name."), field="name")
    if user_by_email(email) is not None:
        raise InvalidInput(
            _l(
                "An account with this e-mail address already exists. Log in, or reset your "
                "password."
            ),
            field="email",
        )
    _check_password(password, email=email, name=name)
    user = User(
        name=name,
        email=email,
        password_hash=hash_password(password),
        locale=_locale(locale),
        role=Role.SHOPPER.value,
        active=True,
        session_version=1,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    if not verified:
        send_verification(user)
    return user


def send_verification(user: User, issued_at: datetime | None = None) -> None:
    token = tokens.make_token(
        tokens.EMAIL_VERIFICATION, {"uid": user.id, "email": user.email}, issued_at
    )
    queue_mail(
        user.email,
        user.locale,
        "auth_verify_email",
        _l("Confirm your e-mail address"),
        user=user,
        link=external_url("auth.verify_email", token=token, locale=user.locale),
    )


def verify_email(token: str) -> User:
    try:
        payload = tokens.read_token(tokens.EMAIL_VERIFICATION, token)
    except tokens.TokenExpired as exc:
        raise LinkExpired() from exc
    except tokens.TokenInvalid as exc:
        raise LinkInvalid() from exc
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None or user.email != payload.get("email"):
        raise LinkInvalid()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


# --- logging in ---------------------------------------------------------------------------


def throttle_key(email: str) -> str:
    return tokens.digest(normalize_email(email))


def authenticate(email: str, password: str) -> User | None:
    """The user when the e-mail and password match, else None; the same work is done for
    unknown addresses. A deactivated account is refused only after a correct password.

    Failures in a row are counted per address, known or not: after LOGIN_FREE_FAILURES,
    attempts are refused (LoginThrottled) without checking the password until a delay that
    doubles with each further failure has passed. The caller commits failures too."""
    email = normalize_email(email)
    now = utcnow()
    throttle = _locked_throttle(throttle_key(email))
    blocked_until = _aware(throttle.blocked_until)
    if blocked_until is not None and blocked_until > now:
        raise LoginThrottled(math.ceil((blocked_until - now).total_seconds()))
    user = user_by_email(email)
    if user is None:
        dummy_verify(password or "")
        _record_failure(throttle, None, email, now)
        return None
    if not verify_password(user.password_hash, password or ""):
        _record_failure(throttle, user, email, now)
        return None
    if not user.active:
        raise AccountDisabled()
    db.session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def _locked_throttle(key: str) -> LoginThrottle:
    """The address's counter, created when missing and locked until the commit: attempts on
    one address take turns, so parallel guesses cannot all pass before a failure counts."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    for _ in range(3):  # a row deleted by a concurrent success is made again
        db.session.execute(
            dialect.insert(LoginThrottle)
            .values(email_digest=key, failures=0)
            .on_conflict_do_nothing(index_elements=["email_digest"])
        )
        throttle = db.session.scalar(
            select(LoginThrottle)
            .where(LoginThrottle.email_digest == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if throttle is not None:
            return throttle
    raise RuntimeError("the login counter kept disappearing")  # pragma: no cover


def _record_failure(throttle: LoginThrottle, user: User | None, email: str, now: datetime) -> None:
    config = current_app.config
    forget = timedelta(seconds=config["LOGIN_FORGET_SECONDS"])
    last = _aware(throttle.last_failed_at)
    if last is None or now - last > forget:
        throttle.failures = 0  # a new burst
        _purge_old_throttles(throttle.email_digest, now - forget, now)
    throttle.failures += 1
    throttle.last_failed_at = now
    beyond = throttle.failures - config["LOGIN_FREE_FAILURES"]
    throttle.blocked_until = None
    if beyond >= 0:
        delay = min(
            config["LOGIN_DELAY_SECONDS"] * 2 ** min(beyond, 20), config["LOGIN_MAX_DELAY_SECONDS"]
        )
        throttle.blocked_until = now + timedelta(seconds=delay)
    if beyond == 0:  # the first delay of this burst: tell the owner, once
        _send_login_failures_notice(user, email)
    db.session.flush()


def _purge_old_throttles(keep: str, cutoff: datetime, now: datetime) -> None:
    """Forget counters nobody touched for LOGIN_FORGET_SECONDS (a batch at a time, skipping
    rows other logins hold, so that two purges never wait on each other)."""
    stale = (
        select(LoginThrottle.email_digest)
        .where(
            LoginThrottle.email_digest != keep,
            LoginThrottle.last_failed_at < cutoff,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
        )
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.email_digest.in_(stale)),
        execution_options={"synchronize_session": False},
    )


def _clear_throttle(email: str) -> None:
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.email_digest == throttle_key(email)),
        execution_options={"synchronize_session": False},
    )


def _send_login_failures_notice(user: User | None, email: str) -> None:
    """E-mail the owner that their logins are being slowed; for an unknown (or deactivated)
    address the same message is only rendered, which costs the same time."""
    subject = _l("Failed attempts to log in to your account")
    if user is None or not user.active:
        locale = _locale(None)
        render_mail(
            email or "nobody@example.invalid",
            locale,
            "auth_login_failures",
            subject,
            user=None,
            link=external_url("auth.forgot_password", locale=locale),
        )
        return
    queue_mail(
        user.email,
        user.locale,
        "auth_login_failures",
        subject,
        user=user,
        link=external_url("auth.forgot_password", locale=user.locale),
    )


def log_out(user: User) -> None:
    end_sessions(user)
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.active == active:
        return
    user.active = active
    if not active:
        end_sessions(user)
    db.session.flush()


# --- password reset and change ------------------------------------------------------------


def request_password_reset(email: str, locale: str, issued_at: datetime | None = None) -> None:
    """E-mail a reset link when the address belongs to an active account. The caller shows
    the same answer either way; an unknown address costs the same rendering work."""
    user = user_by_email(email)
    if user is None or not user.active:
        token = tokens.make_token(tokens.PASSWORD_RESET, {"uid": 0, "pw": "0" * 20}, issued_at)
        render_mail(
            normalize_email(email) or "nobody@example.invalid",
            _locale(locale),
            "auth_reset_password",
            _l("Reset your password"),
            user=None,
            link=external_url("auth.reset_password", token=token, locale=_locale(locale)),
        )
        return
    token = tokens.make_token(
        tokens.PASSWORD_RESET,
        {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)},
        issued_at,
    )
    queue_mail(
        user.email,
        user.locale,
        "auth_reset_password",
        _l("Reset your password"),
        user=user,
        link=external_url("auth.reset_password", token=token, locale=user.locale),
    )


def user_for_reset_token(token: str) -> User:
    """The user a reset link was made for; refuses expired, tampered and used links."""
    try:
        payload = tokens.read_token(tokens.PASSWORD_RESET, token)
    except tokens.TokenExpired as exc:
        raise LinkExpired() from exc
    except tokens.TokenInvalid as exc:
        raise LinkInvalid() from exc
    uid = payload.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) and uid > 0 else None
    if (
        user is None
        or not user.active
        or payload.get("pw") != tokens.password_fingerprint(user.password_hash)
    ):
        # The password changed since the link was sent: it has been used (or superseded).
        raise LinkInvalid(
            _l("This link has already been used or is no longer valid. Please ask for a new one.")
        )
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _check_password(new_password, email=user.email, name=user.name)
    _clear_throttle(user.email)  # the mailbox's owner chose a new password: no more delay
    _set_password(user, new_password)
    if user.email_verified_at is None:  # the link reached the mailbox
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_l("The current password is not correct."), field="current_password")
    if current_password == new_password:
        raise InvalidInput(
            _l("The new password must be different from the current one."), field="password"
        )
    _check_password(new_password, email=user.email, name=user.name)
    _set_password(user, new_password)
    db.session.flush()


def update_profile(user: User, name: str, locale: str) -> None:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Please enter your name."), field="name")
    if locale not in LOCALES:
        raise InvalidInput(_l("Please choose a language."), field="locale")
    user.name = name[:120]
    user.locale = locale
    db.session.flush()


# --- administrators -----------------------------------------------------------------------


def create_admin(email: str, password: str | None, name: str | None = None) -> tuple[User, bool]:
    """Create an administrator, or promote an existing account. Returns (user, created)."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(_l("Please enter a valid e-mail address, for example name@example.ma."))
    user = user_by_email(email)
    if user is not None:
        if user.cooperative_id is not None:
            raise InvalidInput(
                _l("This account belongs to a cooperative and cannot become an administrator.")
            )
        if password:
            _check_password(password, email=email, name=user.name)
            _set_password(user, password)
        user.role = Role.ADMIN.value
        user.active = True
        db.session.flush()
        return user, False
    if not password:
        raise InvalidInput(_l("Please choose a password."))
    _check_password(password, email=email, name=name or "")
    user = User(
        email=email,
        name=(name or email.split("@", 1)[0])[:120],
        password_hash=hash_password(password),
        locale=current_app.config["DEFAULT_LOCALE"],
        role=Role.ADMIN.value,
        active=True,
        session_version=1,
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user, True


# --- cooperative members and invitations --------------------------------------------------


def cooperative_members(cooperative_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.cooperative_id == cooperative_id)
            .order_by(User.is_cooperative_owner.desc(), User.name, User.id)
        )
    )


def pending_invitations(cooperative_id: int) -> list[Invitation]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.cooperative_id == cooperative_id,
                Invitation.accepted_at.is_(None),
                Invitation.cancelled_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def _require_owner(user: User) -> None:
    if user.cooperative_id is None or not user.is_cooperative_owner:
        raise Forbidden(_l("Only the owner of the cooperative can invite members."))


def invite_member(inviter: User, email: str, locale: str) -> Invitation:
    """The owner invites ``email`` to their cooperative; an earlier pending invitation to
    the same address is replaced (its link stops working)."""
    _require_owner(inviter)
    email = normalize_email(email)
    cooperative_id = inviter.cooperative_id
    existing = user_by_email(email)
    if existing is not None and existing.cooperative_id == cooperative_id:
        raise InvalidInput(
            _l("This person is already a member of your cooperative."), field="email"
        )
    now = utcnow()
    for old in db.session.scalars(
        select(Invitation).where(
            Invitation.cooperative_id == cooperative_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
    ):
        old.cancelled_at = now
    token, digest = tokens.new_random_token()
    invitation = Invitation(
        cooperative_id=cooperative_id,
        email=email,
        locale=existing.locale if existing is not None else _locale(locale),
        token_digest=digest,
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    queue_mail(
        email,
        invitation.locale,
        "auth_invitation",
        _l("You are invited to join a cooperative"),
        inviter=inviter,
        cooperative_name=pick(inviter.cooperative.translations, invitation.locale).name,
        link=external_url("auth.accept_invitation", token=token, locale=invitation.locale),
        days=INVITATION_DAYS,
    )
    return invitation


def remove_member(actor: User, member_id: int) -> User:
    """The owner removes a member from the cooperative (the person keeps a shopper account)."""
    _require_owner(actor)
    member = db.session.get(User, member_id)
    if member is None or member.cooperative_id != actor.cooperative_id:
        raise NotFound()
    if member.id == actor.id or member.is_cooperative_owner:
        raise InvalidInput(_l("The owner of the cooperative cannot be removed."))
    member.cooperative_id = None
    member.role = Role.SHOPPER.value
    db.session.flush()
    return member


def cancel_invitation(actor: User, invitation_id: int) -> Invitation:
    _require_owner(actor)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.cooperative_id != actor.cooperative_id:
        raise NotFound()
    if invitation.is_pending:
        invitation.cancelled_at = utcnow()
        db.session.flush()
    return invitation


def find_invitation(token: str) -> Invitation:
    """The pending, unexpired invitation of ``token``; else InvitationUnavailable."""
    if not token or len(token) > 200:
        raise InvitationUnavailable()
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_digest == tokens.digest(token))
    )
    if invitation is None or not invitation.is_pending:
        raise InvitationUnavailable()
    expires_at = invitation.expires_at
    if expires_at.tzinfo is None:  # SQLite returns naive datetimes
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= utcnow():
        raise InvitationUnavailable()
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> None:
    """``user`` joins the invitation's cooperative (one cooperative per person)."""
    if not invitation.is_pending:
        raise InvitationUnavailable()
    if user.cooperative_id == invitation.cooperative_id:
        raise InvalidInput(_l("You are already a member of this cooperative."))
    if user.cooperative_id is not None:
        raise InvalidInput(
            _l(
                "You already belong to another cooperative. A person can be a member of one "
                "cooperative only: ask its owner to remove you first."
            )
        )
    if user.is_admin:
        raise InvalidInput(_l("An administrator account cannot join a cooperative."))
    if normalize_email(user.email) != invitation.email:
        raise InvalidInput(
            _l(
                "This invitation was sent to another e-mail address. Please log in with the "
                "address that received it."
            )
        )
    user.cooperative_id = invitation.cooperative_id
    user.role = Role.MEMBER.value
    user.is_cooperative_owner = False
    if user.email_verified_at is None:  # the invitation reached this mailbox
        user.email_verified_at = utcnow()
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    db.session.flush()


def register_from_invitation(invitation: Invitation, name: str, password: str, locale: str) -> User:
    user = register_user(name, invitation.email, password, locale, verified=True)
    accept_invitation(invitation, user)
    return user
