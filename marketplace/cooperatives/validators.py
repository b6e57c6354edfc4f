"""Moroccan phone numbers and bank RIBs: normalisation, validation, masking.

Both accept what people really type: spaces, dots, dashes, brackets, and Arabic-Indic
digits (٠١٢٣… or ۰۱۲۳…) from an Arabic keyboard.

The RIB (relevé d'identité bancaire) of Moroccan banks is 24 digits: bank code (3), town code
(3), account number (16) and a 2-digit key. The key makes the whole 24-digit number divisible
by 97: key = 97 - (first 22 digits × 100 mod 97). This is the same rule as the French RIB,
whose textbook form 97 - ((89·bank + 15·branch + 3·account) mod 97) only fits the French
5+5+11 layout; with the Moroccan 3+3+16 layout the weights are 10^21, 10^18, 10^2 mod 97
(51, 89, 3). Checked against the IBAN registry's Moroccan example MA64 0115 1900 0001 2050
0053 4921, whose BBAN is a valid RIB under this rule.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from marketplace.http import ascii_digits, is_digits

_SEPARATORS = re.compile(r"[\s.\-/()\u200e\u200f\u202a-\u202e]+")
RIB_LENGTH = 24


# --- phone --------------------------------------------------------------------------------


def normalize_phone(value: str) -> str | None:
    """A Moroccan phone number as +212 followed by its 9 digits, or None when it is not one.

    Accepts 0612345678, 06 12 34 56 78, +212 6 12 34 56 78, +212 (0)6…, 00212…, 212…;
    the number after the country code has 9 digits starting with 5 (landline), 6 or 7
    (mobile) or 8 (VoIP and service numbers).
    """
    text = ascii_digits(value or "").strip()
    text = text.replace("(0)", "")
    text = _SEPARATORS.sub("", text)
    if text.startswith("+"):
        text = text[1:]
        if not text.startswith("212"):
            return None
    elif text.startswith("00"):
        text = text[2:]
        if not text.startswith("212"):
            return None
    if not is_digits(text):
        return None
    if text.startswith("212") and len(text) in (12, 13):
        national = text[3:]
        if len(national) == 10 and national.startswith("0"):
            national = national[1:]
    elif len(text) == 10 and text.startswith("0"):
        national = text[1:]
    else:
        return None
    if len(national) != 9 or national[0] not in "5678":
        return None
    return f"+212{national}"


class MoroccanPhone:
    """WTForms validator: a Moroccan number (normalise it with ``normalize_phone``)."""

    def __init__(self, message=None) -> None:
        self.message = message or _l(
            "Enter a Moroccan phone number, for example 06 12 34 56 78 or +212 6 12 34 56 78."
        )

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        if normalize_phone(field.data) is None:
            raise ValidationError(self.message)


def format_phone(value: str | None) -> str:
    """+212612345678 → +212 6 12 34 56 78 (for display)."""
    if not value or not value.startswith("+212") or len(value) != 13:
        return value or ""
    n = value[4:]
    return f"+212 {n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:9]}"


# --- RIB ----------------------------------------------------------------------------------


def clean_rib(value: str) -> str:
    """Digits of a RIB as typed (spaces, dots, dashes removed; Arabic-Indic digits converted)."""
    return _SEPARATORS.sub("", ascii_digits(value or ""))


def rib_key(first_22_digits: str) -> int:
    """The check key (1…97) of the first 22 digits of a Moroccan RIB."""
    return 97 - (int(first_22_digits) * 100) % 97


def is_valid_rib(value: str) -> bool:
    rib = clean_rib(value)
    if len(rib) != RIB_LENGTH or not is_digits(rib):
        return False
    return int(rib[22:]) == rib_key(rib[:22])


class MoroccanRib:
    """WTForms validator: 24 digits with a correct key (``clean_rib`` gives the bare digits)."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        rib = clean_rib(field.data)
        if not is_digits(rib) or len(rib) != RIB_LENGTH:
            raise ValidationError(
                _l(
                    "A RIB has 24 digits; you entered %(n)d.",
                    n=sum(ch in "0123456789" for ch in rib),
                )
            )
        if not is_valid_rib(rib):
            raise ValidationError(
                _l("This RIB's check key is not correct. Please copy it again from your bank.")
            )


def mask_rib(value: str | None) -> str:
    """A RIB showing only its bank code and its last 4 digits: 011• •••• … 1235."""
    rib = clean_rib(value or "")
    if len(rib) < 8:
        return "•" * len(rib)
    masked = rib[:3] + "•" * (len(rib) - 7) + rib[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
