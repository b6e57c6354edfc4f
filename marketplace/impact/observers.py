"""Observer accounts: council or ministry staff who read the impact pages and nothing else."""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.audit import record_audit
from marketplace.auth import services as auth
from marketplace.auth.models import Role, User
from marketplace.auth.passwords import hash_password
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.timeutil import utcnow


def observers() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.OBSERVER.value).order_by(User.email)
        )
    )


def create_observer(
    email: str,
    *,
    name: str | None = None,
    password: str | None = None,
    locale: str | None = None,
    actor: User | None = None,
) -> tuple[User, bool]:
    """Create an observer account, or make an existing shopper account one. Returns (user,
    created). Without a password, the observer receives an e-mail to choose one (the
    password-reset link). Audited."""
    email = auth.normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(_l("Please enter a valid e-mail address, for example name@example.ma."))
    locale = locale if locale in ("ar", "fr", "en") else current_app.config["DEFAULT_LOCALE"]
    user = auth.user_by_email(email)
    created = user is None
    if user is not None:
        if user.cooperative_id is not None or user.is_admin:
            raise Conflict(
                _l(
                    "This account belongs to a cooperative or to an administrator; "
                    "it cannot become an observer account."
                )
            )
        if password:
            auth._check_password(password, email=email, name=user.name)
            auth._set_password(user, password)
        user.role = Role.OBSERVER.value
        user.active = True
        auth.end_sessions(user)  # sessions opened as a shopper end with the change of role
    else:
        if password:
            auth._check_password(password, email=email, name=name or "")
        user = User(
            email=email,
            name=(name or email.split("@", 1)[0])[:120],
            password_hash=hash_password(password or secrets.token_urlsafe(32)),
            locale=locale,
            role=Role.OBSERVER.value,
            active=True,
            session_version=1,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
    db.session.flush()
    if not password:
        auth.request_password_reset(user.email, user.locale)
    record_audit(
        actor,
        "observer_created" if created else "observer_granted",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        new_value=Role.OBSERVER.value,
    )
    return user, created
