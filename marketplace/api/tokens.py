"""Personal access tokens: made and revoked from the seller dashboard, checked on every API
request that carries ``Authorization: Bearer <token>``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.api.models import ApiToken, Scope
from marketplace.audit import record_audit
from marketplace.errors import DomainError, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.timeutil import utcnow

# Every token starts with it (a marker that secret scanners and people recognise).
TOKEN_PREFIX = "souk_"  # noqa: S105  # nosec B105
MAX_TOKENS_PER_COOPERATIVE = 20
EXPIRY_CHOICES_DAYS = (30, 90, 365)

SCOPE_LABELS = {
    Scope.ORDERS_READ: _l("Read the cooperative's orders"),
    Scope.ORDERS_STATUS: _l("Change the status of orders"),
    Scope.PRODUCTS_WRITE: _l("Update stock and prices"),
}


class Unauthorized(DomainError):
    """No token, or one that is unknown, revoked or expired (401)."""

    status_code = 401
    default_message = _l("A valid access token is required.")


class InsufficientScope(DomainError):
    status_code = 403
    default_message = _l("This access token does not allow this operation.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    cooperative_id: int, actor, name: str, scopes: list[str], expires_in_days: int | None
) -> NewToken:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput(_l("Give the token a name of at most %(n)d characters.", n=80))
    wanted = sorted({s for s in scopes if s in {v.value for v in Scope}})
    if not wanted or len(wanted) != len(set(scopes)):
        raise InvalidInput(_l("Choose at least one permission for the token."))
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES_DAYS:
        raise InvalidInput()
    active = db.session.scalars(
        select(ApiToken).where(
            ApiToken.cooperative_id == cooperative_id, ApiToken.revoked_at.is_(None)
        )
    ).all()
    if sum(1 for t in active if not t.is_expired()) >= MAX_TOKENS_PER_COOPERATIVE:
        raise InvalidInput(
            _l(
                "Your cooperative already has %(n)d active tokens; revoke one first.",
                n=MAX_TOKENS_PER_COOPERATIVE,
            )
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        cooperative_id=cooperative_id,
        created_by_id=getattr(actor, "id", None),
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=" ".join(wanted),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    record_audit(
        actor,
        "api_token.created",
        target_type="api_token",
        target_id=token.id,
        target_label=name,
        new_value=token.scopes[:60],
        cooperative_id=cooperative_id,
        token_name=name,
    )
    return NewToken(token, secret)


def tokens_of(cooperative_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.cooperative_id == cooperative_id)
            .options(joinedload(ApiToken.created_by))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(cooperative_id: int, token_id: int, actor) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.cooperative_id != cooperative_id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = getattr(actor, "id", None)
        db.session.flush()
        record_audit(
            actor,
            "api_token.revoked",
            target_type="api_token",
            target_id=token.id,
            target_label=token.name,
            cooperative_id=cooperative_id,
            token_name=token.name,
        )
    return token


def authenticate(authorization: str | None) -> ApiToken:
    """The usable token named by an ``Authorization: Bearer …`` header, else Unauthorized.

    A token stops working when revoked, past its expiry, when the member who made it left
    the cooperative, or when the cooperative is no longer verified."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(TOKEN_PREFIX) or len(value) > 200:
        raise Unauthorized()
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(value))
        .options(joinedload(ApiToken.created_by), joinedload(ApiToken.cooperative))
    )
    if token is None or not token.is_usable():
        raise Unauthorized()
    creator = token.created_by
    if (
        creator is None
        or not creator.active
        or creator.cooperative_id != token.cooperative_id
        or not token.cooperative.is_verified
    ):
        raise Unauthorized()
    return token


def require_scope(token: ApiToken, scope: Scope) -> None:
    if scope.value not in token.scope_list:
        raise InsufficientScope()


def audit_api_write(token: ApiToken, action: str, **fields) -> None:
    """Record a write made through the API, with the token's name (and its maker as the
    actor, the member who answers for it)."""
    details = fields.pop("details", {})
    record_audit(
        token.created_by,
        action,
        token_id=token.id,
        token_name=token.name,
        token_prefix=token.prefix,
        cooperative_id=token.cooperative_id,
        via="api",
        **fields,
        **details,
    )
