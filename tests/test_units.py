"""Units of sale shown in each language through CLDR (issue #14): "500 غرام" on Arabic pages,
"500 g" on French and English ones, whatever language the seller typed the unit in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.catalogue import units
from marketplace.extensions import db
from tests.factories import ProductFactory


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("500 g", (Decimal(500), "g")),
        ("500 غ", (Decimal(500), "g")),
        ("١ كغ", (Decimal(1), "kg")),
        ("0,5 kg", (Decimal("0.5"), "kg")),
        ("250 ml", (Decimal(250), "ml")),
        ("1 L", (Decimal(1), "l")),
        ("2 pièces", (Decimal(2), "piece")),
        ("1 قطعة", (Decimal(1), "piece")),
        ("3 m²", (Decimal(3), "m2")),
    ],
)
def test_units_typed_in_any_language_are_read(typed, parsed):
    assert units.parse(typed) == parsed


@pytest.mark.parametrize("typed", ["150 × 90 cm", "a jar", "", None, "500", "g 500"])
def test_other_texts_are_shown_as_typed(app, typed):
    assert units.parse(typed) is None
    with app.test_request_context("/fr/"):
        assert units.label(typed, "fr") == (typed or "")


def test_each_language_gets_its_own_unit_names(app):
    with app.test_request_context("/fr/"):
        assert units.label("500 غ", "fr") == "500\u202fg"
        assert units.label("500 g", "ar") == "500\u00a0غرام"
        assert units.label("1 kg", "ar") == "1\u00a0كغم"
        assert units.label("250 ml", "en") == "250\u00a0mL"


def test_pages_show_the_unit_in_their_language(client):
    product = ProductFactory(unit="500 غ")
    db.session.commit()
    french = client.get(f"/fr/products/{product.slug}").get_data(as_text=True)
    arabic = client.get(f"/ar/products/{product.slug}").get_data(as_text=True)
    assert "500\u202fg" in french and "500 غ<" not in french
    assert "500\u00a0غرام" in arabic


def test_the_product_form_offers_the_common_units_in_the_pages_language(client):
    from tests.factories import MemberFactory
    from tests.helpers import login

    member = MemberFactory()
    db.session.commit()
    login(client, member)
    html = client.get("/ar/dashboard/products/new").get_data(as_text=True)
    assert 'list="unit-choices"' in html and '<datalist id="unit-choices">' in html
    assert '<option value="500 g">500\u00a0غرام</option>' in html
    assert all(
        units.parse(value) == (quantity, code)
        for (quantity, code), (value, _label) in zip(units.COMMON, units.choices("fr"), strict=True)
    )
