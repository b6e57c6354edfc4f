"""Signed, expiring tokens for e-mailed links (itsdangerous), and random invitation tokens.

Every kind of token has its own salt, so a token made for one purpose is worthless for
another. Password-reset tokens carry a digest of the password hash they were issued for:
once the password changes (the reset itself, or any other change) the link stops working,
which makes it single-use without storing anything.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

EMAIL_VERIFICATION = "email-verification"
PASSWORD_RESET = "password-reset"  # noqa: S105  (a token kind, not a password)

MAX_AGE = {
    EMAIL_VERIFICATION: 3 * 24 * 3600,  # three days
    PASSWORD_RESET: 3600,  # one hour
}


class TokenInvalid(Exception):
    """Tampered with, made for another purpose, or malformed."""


class TokenExpired(TokenInvalid):
    """Genuine but too old."""


def _serializer(kind: str, issued_at: datetime | None = None) -> URLSafeTimedSerializer:
    signer: type[TimestampSigner] = TimestampSigner
    if issued_at is not None:
        timestamp = int(issued_at.timestamp())

        class _IssuedAtSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return timestamp

        signer = _IssuedAtSigner
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"souk-{kind}", signer=signer
    )


def make_token(kind: str, payload: dict[str, Any], issued_at: datetime | None = None) -> str:
    """A URL-safe signed token; ``issued_at`` backdates it (expiry tests, re-sent links)."""
    return _serializer(kind, issued_at).dumps(payload)


def read_token(kind: str, token: str) -> dict[str, Any]:
    max_age = current_app.config.get(f"{kind.upper().replace('-', '_')}_MAX_AGE", MAX_AGE[kind])
    try:
        payload = _serializer(kind).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(payload, dict):
        raise TokenInvalid
    return payload


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the current password hash, bound into reset tokens."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def new_random_token() -> tuple[str, str]:
    """(token for the link, digest to store)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
