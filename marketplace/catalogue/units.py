"""Units of sale (issue #14): a quantity and a unit code, shown in each language through
Babel's CLDR unit names ("500 غرام", "500 g", "500 g").

The one place that knows units, so that product variants can build on it later. Products
still store the unit as the seller typed it (``Product.unit``); ``parse`` reads the usual
forms in Arabic, French and English ("500 g", "500 غ", "1 كغ", "250 ml", "1 L", "2 pièces")
into (quantity, code), and ``label`` shows it in the page's language, or the text as typed
when it is not one of these ("150 × 90 cm").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.units import format_unit
from flask_babel import ngettext

from marketplace.http import ascii_digits

# code -> CLDR unit (None: counted pieces, worded by the catalog).
UNITS: dict[str, str | None] = {
    "g": "mass-gram",
    "kg": "mass-kilogram",
    "ml": "volume-milliliter",
    "l": "volume-liter",
    "cm": "length-centimeter",
    "m": "length-meter",
    "m2": "area-square-meter",
    "piece": None,
}

# What sellers type, lower-cased, for each code.
_SPELLINGS = {
    "g": ("g", "gr", "gramme", "grammes", "gram", "grams", "غ", "غرام", "جرام", "غم"),
    "kg": (
        "kg",
        "kilo",
        "kilos",
        "kilogramme",
        "kilogrammes",
        "كغ",
        "كلغ",
        "كغم",
        "كيلو",
        "كيلوغرام",
    ),
    "ml": ("ml", "millilitre", "millilitres", "milliliter", "مل", "ملل", "ملتر", "مليلتر"),
    "l": ("l", "litre", "litres", "liter", "liters", "ل", "لتر", "لترات"),
    "cm": ("cm", "سم"),
    "m": ("m", "mètre", "mètres", "meter", "meters", "متر", "م"),
    "m2": ("m2", "m²", "م2", "م²", "متر مربع"),
    "piece": (
        "pièce",
        "pièces",
        "piece",
        "pieces",
        "pc",
        "pcs",
        "unité",
        "unités",
        "قطعة",
        "قطع",
        "وحدة",
    ),
}
_BY_SPELLING = {spelling: code for code, spellings in _SPELLINGS.items() for spelling in spellings}
_QUANTITY_UNIT = re.compile(r"(?P<quantity>[0-9]+(?:[.,٫][0-9]+)?)\s*(?P<unit>\S.*?)\.?")


def parse(text: str | None) -> tuple[Decimal, str] | None:
    """``(quantity, code)`` of a unit typed as "500 g", "١ كغ", "2 pièces"…; None otherwise."""
    if not text:
        return None
    match = _QUANTITY_UNIT.fullmatch(ascii_digits(" ".join(text.split())))
    if not match:
        return None
    code = _BY_SPELLING.get(match["unit"].lower())
    if code is None:
        return None
    try:
        quantity = Decimal(match["quantity"].replace(",", ".").replace("٫", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None
    return quantity, code


def format_quantity(quantity: Decimal | int, code: str, locale: str) -> str:
    """``quantity`` of unit ``code`` in ``locale``: "500 غرام", "500 g", "3 pièces"."""
    number = int(quantity) if Decimal(quantity) == int(quantity) else Decimal(quantity)
    cldr = UNITS[code]
    if cldr is None:
        return ngettext("%(num)d piece", "%(num)d pieces", int(number)).replace(" ", "\u00a0")
    text = format_unit(number, cldr, length="short", locale=locale)
    return text.replace(" ", "\u00a0")  # the number and its unit on one line


def label(text: str | None, locale: str) -> str:
    """A product's unit shown in ``locale``: its CLDR form when it is one of ``UNITS``, else
    the text as the seller typed it."""
    parsed = parse(text)
    if parsed is None:
        return text or ""
    return format_quantity(*parsed, locale)


# The units offered to sellers in the product form (quantity, code), most sold first.
COMMON = [
    (Decimal(250), "g"),
    (Decimal(500), "g"),
    (Decimal(1), "kg"),
    (Decimal(250), "ml"),
    (Decimal(500), "ml"),
    (Decimal(1), "l"),
    (Decimal(1), "piece"),
]


def choices(locale: str) -> list[tuple[str, str]]:
    """(value stored, label in ``locale``) of the common units: "500 g" shown "500 غرام"."""
    return [
        (f"{quantity} {code}", format_quantity(quantity, code, locale)) for quantity, code in COMMON
    ]
