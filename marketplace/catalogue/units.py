"""Units of sale (issue #14): a quantity and a unit code, shown in each language through
Babel's CLDR unit names ("500 غرام", "500 g", "500 g"), and a product's size.

The one module that knows units. A product (and later each variant of a product, issue #15:
the three values move together) stores:

- ``unit_quantity_milli``: the quantity in thousandths of the unit, a whole number like
  money's centimes (500 g → 500 000, 0,5 kg → 500, 1,5 L → 1 500, 75 cl → 75 000), so it is
  exact, compares and sums in SQL on SQLite and PostgreSQL alike (a ``Numeric`` column is a
  float on SQLite) and is read by the same parser as amounts (``money.to_fixed``);
- ``unit_code``: one of ``UNITS`` ("g", "kg", "ml", "cl", "l", "m", "m2", "piece"), or None
  when the product is the item itself (a tajine, a carpet);
- ``size``: the item's dimensions as the seller writes them ("150 × 230 cm", "Ø 30 cm"),
  empty for most products. Dimensions are not a unit of sale (a carpet is sold whole, not by
  the centimetre); they are shown in each language when they read as numbers and a length
  unit ("150 × 230 سم"), as typed otherwise.

``label`` and ``size_label`` render them; ``from_text`` converts the free-text units of
before ("500 g", "500 غ", "١ كغ", "× 6", "150 × 230 cm") and is what the demo loader and
the benchmark seeder use; ``problem`` is the one rule for a quantity and a code, checked by
the form and by the catalogue's services.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from babel.numbers import format_decimal
from babel.units import format_unit, get_unit_name
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from marketplace.http import ascii_digits

# code -> CLDR unit (None: counted pieces, worded by the catalog), in the order of the list.
UNITS: dict[str, str | None] = {
    "g": "mass-gram",
    "kg": "mass-kilogram",
    "ml": "volume-milliliter",
    "cl": "volume-centiliter",
    "l": "volume-liter",
    "piece": None,
    "m": "length-meter",
    "m2": "area-square-meter",
}
CODE_MAX = 8  # length of the column
SIZE_MAX = 40
MILLI = 1000
MAX_QUANTITY_MILLI = 100_000 * MILLI  # 100 000 of any unit

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
    "cl": ("cl", "centilitre", "centilitres", "centiliter", "سل", "سنتيلتر"),
    "l": ("l", "litre", "litres", "liter", "liters", "ل", "لتر", "لترات"),
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
_NUMBER = r"[0-9]+(?:[.,٫][0-9]+)?"
_QUANTITY_UNIT = re.compile(rf"(?P<quantity>{_NUMBER})\s*(?P<unit>\S.*?)\.?")
# A pack of pieces as sellers write it: "× 6", "x 20", "6 ×".
_PACK = re.compile(r"[×xX]\s*(?P<a>[0-9]+)|(?P<b>[0-9]+)\s*[×xX]")
# Dimensions: "150 × 230 cm", "Ø 30 cm", "35 cm", "60x90cm", "١٥٠ × ٢٣٠ سم".
_LENGTHS = {
    "mm": "length-millimeter",
    "مم": "length-millimeter",
    "cm": "length-centimeter",
    "سم": "length-centimeter",
    "m": "length-meter",
    "م": "length-meter",
}
_SIZE = re.compile(
    rf"(?P<diameter>[Øø⌀]\s*)?(?P<numbers>{_NUMBER}(?:\s*[×xX*]\s*{_NUMBER}){{0,2}})"
    r"\s*(?P<unit>mm|cm|m|مم|سم|م)\.?"
)
_SIZE_SEPARATOR = re.compile(r"\s*[×xX*]\s*")


class UnitOfSale(NamedTuple):
    """A product's three unit columns (``_asdict()`` gives them by column name)."""

    unit_quantity_milli: int | None
    unit_code: str | None
    size: str = ""


def _milli(number: str) -> int:
    return round(Decimal(number.replace(",", ".").replace("٫", ".")) * MILLI)


def parse(text: str | None) -> tuple[int, str] | None:
    """``(quantity in thousandths, code)`` of a unit typed as "500 g", "١ كغ", "2 pièces",
    "1,5 L"…; None when it is not one of ``UNITS``."""
    if not text:
        return None
    match = _QUANTITY_UNIT.fullmatch(ascii_digits(" ".join(text.split())))
    if not match:
        return None
    code = _BY_SPELLING.get(match["unit"].lower())
    if code is None:
        return None
    return _milli(match["quantity"]), code


def from_text(text: str | None) -> UnitOfSale:
    """The structured unit of a free-text one (the conversion of the units typed before
    they were data): "500 g" → 500 g; "× 6" → 6 pieces; "150 × 230 cm", "Ø 30 cm" or
    "35 cm" → no unit, that size; any other text → no unit, the text kept as the size (so
    nothing is lost and the seller sees it in the form)."""
    text = " ".join((text or "").split())
    if not text:
        return UnitOfSale(None, None, "")
    parsed = parse(text)
    if parsed is not None and problem(*parsed) is None:
        return UnitOfSale(parsed[0], parsed[1], "")
    pack = _PACK.fullmatch(ascii_digits(text))
    if pack:
        pieces = int(pack["a"] or pack["b"])
        if 0 < pieces * MILLI <= MAX_QUANTITY_MILLI:
            return UnitOfSale(pieces * MILLI, "piece", "")
    return UnitOfSale(None, None, text[:SIZE_MAX])


def problem(quantity_milli: int | None, code: str | None):
    """Why this quantity and code cannot be a unit of sale (a translated sentence), or None
    when they can: no unit at all, or a known code with a quantity above zero (whole pieces)."""
    if not code:
        return _l("Choose the unit of this quantity.") if quantity_milli is not None else None
    if code not in UNITS:
        return _l("Choose a unit from the list.")
    if quantity_milli is None:
        return _l("Enter the quantity sold in this unit, for example 500 for 500 g.")
    if not 0 < quantity_milli <= MAX_QUANTITY_MILLI:
        return _l("Enter a quantity above 0 and at most 100,000.")
    if code == "piece" and quantity_milli % MILLI:
        return _l("Pieces are counted in whole numbers.")
    return None


def quantity(quantity_milli: int) -> Decimal | int:
    """The quantity itself: 500 000 → 500, 1 500 → Decimal("1.5")."""
    whole, part = divmod(int(quantity_milli), MILLI)
    return whole if not part else (Decimal(int(quantity_milli)) / MILLI).normalize()


def format_quantity(quantity_milli: int, code: str, locale: str) -> str:
    """``quantity_milli`` thousandths of unit ``code`` in ``locale``: "500 غرام", "500 g",
    "1,5 l", "3 pièces", on one line (no-break space)."""
    number = quantity(quantity_milli)
    cldr = UNITS[code]
    if cldr is None:
        with force_locale(locale):
            text = ngettext("%(num)d piece", "%(num)d pieces", int(number))
        return text.replace(" ", "\u00a0")
    text = format_unit(number, cldr, length="short", locale=locale)
    return text.replace(" ", "\u00a0")


def label(quantity_milli: int | None, code: str | None, locale: str) -> str:
    """A unit of sale shown in ``locale`` ("500 غرام", "500 g"); "" when there is none (or
    the stored code is not one this version knows)."""
    if not code or code not in UNITS or not quantity_milli:
        return ""
    return format_quantity(quantity_milli, code, locale)


def size_label(text: str | None, locale: str) -> str:
    """A size shown in ``locale`` when it reads as numbers and a length unit ("150 × 230 سم",
    "Ø 30 cm"), on one line; any other text as the seller typed it."""
    text = " ".join((text or "").split())
    match = _SIZE.fullmatch(ascii_digits(text))
    if not match:
        return text
    numbers = [
        format_decimal(quantity(_milli(n)), locale=locale)
        for n in _SIZE_SEPARATOR.split(match["numbers"])
    ]
    last = format_unit(
        quantity(_milli(_SIZE_SEPARATOR.split(match["numbers"])[-1])),
        _LENGTHS[match["unit"]],
        length="short",
        locale=locale,
    )
    # The last number with its unit (CLDR's order and spacing), the others before it.
    shown = " × ".join([*numbers[:-1], last])
    if match["diameter"]:
        shown = f"Ø {shown}"
    return shown.replace(" ", "\u00a0")


def describe(item, locale: str) -> str:
    """The unit and size of a product or order line in ``locale``, for a line of a cart, an
    order or a packing slip: "500 g", "150 × 230 cm", "" when it has neither."""
    shown = (
        label(item.unit_quantity_milli, item.unit_code, locale),
        size_label(item.size, locale),
    )
    return ", ".join(part for part in shown if part)


def unit_name(code: str, locale: str) -> str:
    """The name of a unit in ``locale`` for the product form's list: "kilogrammes (kg)",
    "كيلوغرام (كغم)", "grams (g)"; pieces through the catalog."""
    cldr = UNITS[code]
    if cldr is None:
        with force_locale(locale):
            return gettext("pieces")
    # The symbol as it follows a number ("other" plural form: not Arabic's dual of 2).
    short = format_unit(100, cldr, length="short", locale=locale)
    symbol = short.replace("100", "", 1).strip(" \u00a0\u202f")
    name = get_unit_name(cldr, length="long", locale=locale) or symbol
    return name if name == symbol else f"{name} ({symbol})"


def code_choices(locale: str) -> list[tuple[str, str]]:
    """(code, name in ``locale``) of every unit, for the product form's list."""
    return [(code, unit_name(code, locale)) for code in UNITS]


def as_json(item, locale: str) -> dict:
    """A product's or order line's unit for the API: the quantity as a decimal string, the
    code, the label in ``locale`` and the size (as shown in ``locale``)."""
    milli, code = item.unit_quantity_milli, item.unit_code
    return {
        "quantity": None if milli is None else str(quantity(milli)),
        "code": code or None,
        "label": label(milli, code, locale),
        "size": size_label(item.size, locale),
    }
