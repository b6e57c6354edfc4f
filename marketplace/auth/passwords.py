"""Argon2 password hashing; parameters come from the configuration so that hashes made
with older (weaker) parameters are upgraded at the next login. Also the password policy:
a minimum length and a refusal of the most common passwords."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", 3),
        memory_cost=config.get("ARGON2_MEMORY_COST", 65536),
        parallelism=config.get("ARGON2_PARALLELISM", 4),
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_DUMMY_HASHES: dict[tuple, str] = {}


def dummy_verify(password: str) -> None:
    """Spend the same work as a real check, for unknown e-mail addresses (no enumeration
    through response times)."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("not-a-real-password-just-for-timing")
    verify_password(_DUMMY_HASHES[key], password)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "", name: str = ""):
    """A translated reason why ``password`` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.strip().lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return _l("This password is too common and easy to guess. Please choose another one.")
    local_part = email.split("@", 1)[0].lower()
    if (local_part and len(local_part) >= 4 and lowered == local_part) or lowered == email.lower():
        return _l("Your password must not be your e-mail address.")
    if name and lowered.replace(" ", "") == name.strip().lower().replace(" ", ""):
        return _l("Your password must not be your name.")
    return None
