"""Money is integer centimes of MAD. Parsing, arithmetic helpers and Babel formatting."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency

CURRENCY = "MAD"
_ARABIC_SYMBOL, _ARABIC_WORD = "د.م.", "درهم"
_CODE_AGAINST_DIGIT = re.compile(r"([A-Za-z])(\d)")


# Digits an Arabic keyboard types (Arabic-Indic and the Persian/Urdu extended ones).
_DIGITS = {ord(ch): str(i) for i, ch in enumerate("٠١٢٣٤٥٦٧٨٩")} | {
    ord(ch): str(i) for i, ch in enumerate("۰۱۲۳۴۵۶۷۸۹")
}
# Marks the site's own formatted amounts carry (Babel's right-to-left marks, isolates).
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u2066\u2067\u2068\u2069"))
# Groups of three digits after a space, a no-break space, a narrow no-break space ("1 200",
# French), a thin space or the Arabic thousands separator "٬".
_SPACED = re.compile(
    r"(?P<whole>[0-9]{1,3}(?:[ \u00a0\u202f\u2009\u066c][0-9]{3})+|[0-9]+)"
    r"(?:[.,\u066b](?P<part>[0-9]+))?"
)
# English and Arabic output: "1,200.50" (comma groups need a "." or "٫" decimal sign).
_COMMAS = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+)(?:[.\u066b](?P<part>[0-9]+))?")
# Moroccan Arabic and some French habits: "1.200,50" (dot groups need a "," decimal sign).
_DOTS = re.compile(r"(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+),(?P<part>[0-9]+)")
_MAX_WHOLE_DIGITS = 15


def to_cents(value: str | int | Decimal) -> int:
    """Parse a MAD amount typed by a person into centimes: "12,50", "12.5", "١٢٫٥", "1 200",
    "1 200,00" (the site's own French output, narrow no-break space), "1,200.50", "1.200,50".

    ASCII and Arabic-Indic digits; "," "." or "٫" as the decimal sign; spaces (plain,
    no-break, narrow no-break, thin) or "٬" between groups of three digits. Exponents
    ("1e3"), underscores ("1_000"), signs and other scripts' digits are refused.
    Raises ValueError for anything that is not a non-negative amount with at most 2 decimals.
    """
    return to_fixed(value, 2)


def to_fixed(value: str | int | Decimal, places: int) -> int:
    """A non-negative number typed by a person, as a whole number of 10**-``places`` (the
    rules of ``to_cents``, which is ``to_fixed(value, 2)``): ``to_fixed("1,5", 3)`` is 1500,
    the quantities of units of sale (``marketplace.catalogue.units``) are read this way.
    Raises ValueError for anything else, or for more than ``places`` decimals."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("not an amount")
        return value * 10**places
    if isinstance(value, Decimal):
        value = str(value) if value.is_finite() else "NaN"
    text = str(value).translate(_MARKS).translate(_DIGITS).strip()
    match = _SPACED.fullmatch(text) or _COMMAS.fullmatch(text) or _DOTS.fullmatch(text)
    if not match:
        raise ValueError("not an amount")
    whole = re.sub(r"[^0-9]", "", match["whole"]).lstrip("0") or "0"
    part = (match["part"] or "").rstrip("0")
    if len(whole) > _MAX_WHOLE_DIGITS or len(part) > places:
        raise ValueError("not an amount")
    return int(whole) * 10**places + int(part.ljust(places, "0") or "0")


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def percent_of(cents: int, basis_points: int) -> int:
    """``basis_points`` / 10 000 of ``cents``, rounded half up to the centime."""
    return int((Decimal(cents) * basis_points / 10_000).quantize(Decimal("1"), ROUND_HALF_UP))


@lru_cache(maxsize=8192)
def format_mad(cents: int, locale: str) -> str:
    """``12345`` centimes as "123,45 MAD" (fr), "MAD 123.45" (en)… per Babel locale data."""
    text = format_currency(from_cents(cents), CURRENCY, locale=locale)
    # CLDR's Arabic symbol "د.م." ends with a full stop, so an amount at the end of a sentence
    # read "9.00 د.م.." (two full stops): Arabic pages write the word, as Moroccan shops do.
    text = text.replace(_ARABIC_SYMBOL, _ARABIC_WORD)
    # CLDR's currency spacing, which Babel does not apply: "MAD90.00" → "MAD 90.00".
    return _CODE_AGAINST_DIGIT.sub("\\1\u00a0\\2", text)
