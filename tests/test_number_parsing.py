"""Numbers as people type them (issue #14): one parser for amounts (money.to_cents), one for
whole numbers (http.parse_int), and the two form fields every form uses."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import NumberRange, Optional

from marketplace.http import parse_int
from marketplace.money import format_mad, to_cents
from marketplace.number_fields import MoneyField, WholeNumberField

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
GROUP_SPACES = (" ", "\u00a0", "\u202f")
CENTS = st.integers(min_value=0, max_value=10**14)


def typed(cents: int, decimal_sign: str, group: str | None, digits) -> str:
    whole, part = divmod(cents, 100)
    text = f"{whole:,}".replace(",", group) if group is not None else str(whole)
    if part:
        text += f"{decimal_sign}{part:02d}"
    return text.translate(digits) if digits else text


@given(
    CENTS,
    st.sampled_from([",", ".", "٫"]),
    st.sampled_from([None, *GROUP_SPACES]),
    st.sampled_from([None, ARABIC_INDIC, PERSIAN]),
)
def test_an_amount_typed_any_usual_way_reads_back(cents, sign, group, digits):
    assert to_cents(typed(cents, sign, group, digits)) == cents


@given(CENTS, st.sampled_from(["fr", "fr_MA", "ar", "ar_MA", "en"]))
def test_the_sites_own_formatted_amounts_read_back(cents, locale):
    number = format_decimal(Decimal(cents) / 100, format="#,##0.00", locale=locale)
    assert to_cents(number) == cents
    # the full display (currency and the right-to-left marks Babel adds) without its symbol
    shown = re.sub(r"MAD|د\.م\.|درهم", "", format_mad(cents, locale))
    assert to_cents(shown) == cents


@given(st.integers(min_value=0, max_value=10**9))
def test_one_decimal_and_trailing_zeros(whole):
    assert to_cents(f"{whole}.5") == whole * 100 + 50
    assert to_cents(f"{whole},500") == whole * 100 + 50
    assert to_cents(f"{whole}٫0") == whole * 100


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["e", "E", "_"]))
def test_exponents_and_underscores_are_refused(n, mark):
    text = f"{n}{mark}3" if mark != "_" else f"{n}_000"
    with pytest.raises(ValueError, match="not an amount"):
        to_cents(text)


@given(st.text(max_size=12))
def test_anything_else_is_refused_or_a_non_negative_amount(text):
    try:
        cents = to_cents(text)
    except ValueError:
        return
    assert isinstance(cents, int) and cents >= 0
    assert not re.search(r"[eE_+\-]", text)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("١٢٫٥", 1250),
        ("1\u202f200,00", 120000),
        ("1\u00a0200,00", 120000),
        ("1 200", 120000),
        ("1,200.50", 120050),
        ("1.200,50", 120050),
        ("12,50", 1250),
        (" 7 ", 700),
        ("\u200f1,234.50", 123450),
    ],
)
def test_amounts_of_the_issue(text, cents):
    assert to_cents(text) == cents


@pytest.mark.parametrize(
    "text", ["1e3", "1_000", "-5", "+5", "12.345", "1 20", "1.200.00", "１٢", "１２", "1,2,3", ""]
)
def test_amounts_refused(text):
    with pytest.raises(ValueError, match="not an amount"):
        to_cents(text)


@given(
    st.integers(min_value=0, max_value=10**18 - 1),
    st.sampled_from([None, ARABIC_INDIC, PERSIAN]),
    st.sampled_from(["", " ", "\t"]),
)
def test_whole_numbers_in_both_digit_sets(n, digits, pad):
    text = str(n).translate(digits) if digits else str(n)
    assert parse_int(f"{pad}{text}{pad}") == n


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["-", "+", "_", "e", ".5"]))
def test_whole_numbers_refuse_signs_exponents_underscores(n, mark):
    text = f"{mark}{n}" if mark in "-+" else f"{n}{mark}1"
    assert parse_int(text) is None


@given(st.characters(categories=["Nd"]).filter(lambda c: not ("0" <= c <= "9")))
def test_whole_numbers_refuse_other_scripts_digits(char):
    expected = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹".find(char)
    result = parse_int(char * 2)
    if expected < 0:
        assert result is None
    else:
        assert result == (expected % 10) * 11


class NumbersForm(Form):
    count = WholeNumberField("count", [Optional(), NumberRange(0, 1000)])
    price = MoneyField("price", max_cents=100_000)


def test_fields_read_arabic_indic_digits_and_render_as_text_inputs():
    form = NumbersForm(MultiDict({"count": "١٢", "price": "١٢٫٥"}))
    assert form.validate(), form.errors
    assert form.count.data == 12 and form.price.data == 1250
    assert 'type="text"' in form.count() and 'inputmode="numeric"' in form.count()
    assert 'type="text"' in form.price() and 'inputmode="decimal"' in form.price()
    assert 'value="١٢"' in form.count()  # what was typed comes back


def test_fields_refuse_what_is_not_a_number():
    form = NumbersForm(MultiDict({"count": "1e3", "price": "1_000"}))
    assert not form.validate()
    assert form.count.data is None and form.price.data is None
    assert set(form.errors) == {"count", "price"}
    assert not NumbersForm(MultiDict({"count": "2000"})).validate()  # the range still applies
    assert not NumbersForm(MultiDict({"price": "1001"})).validate()  # and the price's ceiling
