"""Form fields for numbers as people type them, used by every form of the site.

Both render as text inputs with ``inputmode`` (a phone shows its digit keyboard) rather than
``<input type=number>``, which Chromium empties when an Arabic keyboard types Arabic-Indic
digits. One parser each: ``marketplace.http.parse_int`` for whole numbers and
``marketplace.money.to_cents`` for amounts in MAD (``money.to_fixed`` for the quantities of
units of sale, in thousandths).
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.widgets import TextInput

from marketplace import money
from marketplace.http import parse_int

MAX_WHOLE_NUMBER = 999_999_999_999


def format_amount(cents: int | None) -> str:
    """Centimes as a person types them: "120" or "120,50" ("120.50" in English)."""
    if cents is None:
        return ""
    whole, part = divmod(int(cents), 100)
    if not part:
        return str(whole)
    sep = "." if str(get_locale() or "") == "en" else ","
    return f"{whole}{sep}{part:02d}"


def format_thousandths(milli: int | None) -> str:
    """Thousandths as a person types the number: "500", "1,5" ("1.5" in English)."""
    if milli is None:
        return ""
    whole, part = divmod(int(milli), 1000)
    if not part:
        return str(whole)
    sep = "." if str(get_locale() or "") == "en" else ","
    return f"{whole}{sep}{part:03d}".rstrip("0")


class WholeNumberField(Field):
    """A whole number typed in ASCII or Arabic-Indic digits ("12", "١٢"); ``data`` is an int
    or None when left empty. Signs, exponents, underscores and other scripts' digits are
    refused with a translated sentence; range checks stay with the validators (NumberRange).
    What was typed is shown again when the form comes back with errors."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kw):
        render_kw = {"inputmode": "numeric", "autocomplete": "off"}
        render_kw.update(kw.pop("render_kw", None) or {})
        render_kw.pop("min", None)  # not attributes of a text input
        render_kw.pop("max", None)
        super().__init__(label, validators, render_kw=render_kw, **kw)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = parse_int(valuelist[0], maximum=MAX_WHOLE_NUMBER)
        if self.data is None:
            raise ValueError(_l("Enter a whole number, for example 12."))


class MoneyField(Field):
    """An amount in MAD typed as "120", "120,50", "١٢٠٫٥" or "1 200,00"; ``data`` is in
    centimes (or None when left empty). What was typed is shown again when the form comes
    back with errors."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, max_cents: int | None = None, **kw):
        render_kw = {"inputmode": "decimal", "autocomplete": "off"}
        render_kw.update(kw.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kw)
        self.max_cents = max_cents

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_amount(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            cents = money.to_cents(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter an amount in dirhams, for example 120 or 120,50.")) from None
        if self.max_cents is not None and cents > self.max_cents:
            self.data = None
            raise ValueError(_l("This amount is too large."))
        self.data = cents


class QuantityField(Field):
    """A quantity of a unit of sale typed as "500", "0,5", "1.5", "١٫٥" or "1 000" (the rules
    of amounts, up to three decimals); ``data`` is in thousandths (0,5 → 500; 250 → 250 000)
    or None when left empty. What was typed is shown again when the form comes back."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, max_milli: int | None = None, **kw):
        render_kw = {"inputmode": "decimal", "autocomplete": "off"}
        render_kw.update(kw.pop("render_kw", None) or {})
        super().__init__(label, validators, render_kw=render_kw, **kw)
        self.max_milli = max_milli

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_thousandths(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            milli = money.to_fixed(valuelist[0], 3)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a quantity, for example 500 or 1,5.")) from None
        if self.max_milli is not None and milli > self.max_milli:
            self.data = None
            raise ValueError(_l("This quantity is too large."))
        self.data = milli
