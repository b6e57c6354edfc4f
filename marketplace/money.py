"""Money is integer centimes of MAD. Parsing, arithmetic helpers and Babel formatting."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

CURRENCY = "MAD"
_CODE_AGAINST_DIGIT = re.compile(r"([A-Za-z])(\d)")


def to_cents(value: str | int | Decimal) -> int:
    """Parse a MAD amount typed by a person ("12,50", "12.5", "1 200") into centimes.

    Raises ValueError for anything that is not a non-negative amount with at most 2 decimals.
    """
    if isinstance(value, int):
        return value * 100
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("not an amount")
    try:
        whole_centimes = amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # more digits than Decimal holds, e.g. "1e309"
        raise ValueError("not an amount") from exc
    if not whole_centimes:
        raise ValueError("not an amount")
    return int(amount * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def percent_of(cents: int, basis_points: int) -> int:
    """``basis_points`` / 10 000 of ``cents``, rounded half up to the centime."""
    return int((Decimal(cents) * basis_points / 10_000).quantize(Decimal("1"), ROUND_HALF_UP))


@lru_cache(maxsize=8192)
def format_mad(cents: int, locale: str) -> str:
    """``12345`` centimes as "123,45 MAD" (fr), "MAD 123.45" (en)… per Babel locale data."""
    text = format_currency(from_cents(cents), CURRENCY, locale=locale)
    # CLDR's currency spacing, which Babel does not apply: "MAD90.00" → "MAD 90.00".
    return _CODE_AGAINST_DIGIT.sub("\\1\u00a0\\2", text)
