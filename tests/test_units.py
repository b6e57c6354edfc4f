"""Units of sale as data (issue #14): a quantity in thousandths and a unit code, shown in each
language through CLDR ("500 غرام" on Arabic pages, "500 g" on French and English ones), a
size for items with dimensions, the conversion of the free-text units of before, the product
form's quantity and list of units, and order lines that keep the unit they were ordered in."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.catalogue import units
from marketplace.catalogue.models import Product
from marketplace.catalogue.seller_forms import ProductForm
from marketplace.demo_data import PRODUCTS
from marketplace.extensions import db
from marketplace.money import to_fixed
from marketplace.orders.models import OrderLine
from tests.factories import CategoryFactory, MemberFactory, ProductFactory, place_test_order
from tests.helpers import csrf_token, login, post_form

NBSP, NNBSP = "\u00a0", "\u202f"
ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"[A-Za-zÀ-ÿ]")


# --- reading what sellers typed (the conversion of free-text units) ---------------------


@pytest.mark.parametrize(
    ("typed", "structured"),
    [
        ("500 g", (500_000, "g", "")),
        ("500 غ", (500_000, "g", "")),
        ("١ كغ", (1_000, "kg", "")),
        ("0,5 kg", (500, "kg", "")),
        ("1.5 L", (1_500, "l", "")),
        ("١٫٥ لتر", (1_500, "l", "")),
        ("250 ml", (250_000, "ml", "")),
        ("75 cl", (75_000, "cl", "")),
        ("2 pièces", (2_000, "piece", "")),
        ("1 قطعة", (1_000, "piece", "")),
        ("3 m²", (3_000, "m2", "")),
        ("× 6", (6_000, "piece", "")),  # a set of six
        ("x 20", (20_000, "piece", "")),
        ("150 × 230 cm", (None, None, "150 × 230 cm")),  # a carpet: a size, not a unit
        ("Ø 30 cm", (None, None, "Ø 30 cm")),
        ("35 cm", (None, None, "35 cm")),
        ("une botte", (None, None, "une botte")),  # kept, for the seller to see and correct
        ("1,5 pièce", (None, None, "1,5 pièce")),  # no half pieces
        ("0 g", (None, None, "0 g")),
        ("  ", (None, None, "")),
        (None, (None, None, "")),
    ],
)
def test_free_text_units_convert_to_quantity_code_and_size(typed, structured):
    assert tuple(units.from_text(typed)) == structured


def test_every_demo_unit_converts_and_reads_right_in_arabic_french_and_english(app):
    seen = set()
    with app.test_request_context("/fr/"):
        for row in PRODUCTS:
            typed = row[4]
            converted = units.from_text(typed)
            assert units.problem(converted.unit_quantity_milli, converted.unit_code) is None, typed
            if converted.unit_code:
                shown = {
                    locale: units.label(*converted[:2], locale) for locale in ("ar", "fr", "en")
                }
                # Pieces are worded by the catalog (translated later); the rest by CLDR.
                if converted.unit_code != "piece":
                    assert ARABIC.search(shown["ar"]) and not LATIN.search(shown["ar"]), shown
                assert not ARABIC.search(shown["fr"]) and not ARABIC.search(shown["en"]), shown
                assert " " not in "".join(shown.values()), shown  # never split across lines
            elif converted.size:
                # Every demo size is dimensions: each language writes them its own way.
                ar = units.size_label(converted.size, "ar")
                assert "سم" in ar and "cm" not in ar, typed
                assert "cm" in units.size_label(converted.size, "fr"), typed
            else:
                assert typed == ""
            seen.add(converted.unit_code or ("size" if converted.size else ""))
    assert {"g", "kg", "ml", "cl", "l", "piece", "size", ""} <= seen


def test_the_demo_catalogue_is_loaded_as_data(app):
    from marketplace.demo import seed_demo

    seed_demo(echo=lambda _line: None)
    by_slug = {p.slug: p for p in db.session.scalars(select(Product))}
    dates = by_slug["mejhoul-dates-extra"]
    assert [(v.unit_quantity_milli, v.unit_code, v.size) for v in dates.variants] == [
        (500_000, "g", ""),
        (1_000, "kg", ""),
        (5_000, "kg", ""),
    ]
    # the product's summary carries its cheapest variant's unit, for its card
    assert (dates.unit_quantity_milli, dates.unit_code) == (500_000, "g")
    assert by_slug["saffron-bulbs"].unit_code == "piece"
    assert by_slug["saffron-bulbs"].unit_quantity_milli == 20_000
    assert by_slug["green-tajine"].unit_code is None and by_slug["green-tajine"].size == "Ø 30 cm"


# --- showing them -----------------------------------------------------------------------


def test_each_language_gets_its_own_unit_names(app):
    with app.test_request_context("/fr/"):
        assert units.label(500_000, "g", "fr") == f"500{NNBSP}g"
        assert units.label(500_000, "g", "ar") == f"500{NBSP}غرام"
        assert units.label(500_000, "g", "en") == f"500{NBSP}g"
        assert units.label(1_000, "kg", "ar") == f"1{NBSP}كغم"
        assert units.label(1_500, "l", "fr") == f"1,5{NNBSP}l"
        assert units.label(1_500, "l", "en") == f"1.5{NBSP}L"
        assert units.label(250_000, "ml", "en") == f"250{NBSP}mL"
        assert units.label(3_000, "piece", "en") == f"3{NBSP}pieces"
        assert units.label(None, None, "fr") == ""
        assert units.label(1_000, "stone", "fr") == ""  # a code this version does not know


def test_sizes_read_in_each_language_and_other_text_as_typed(app):
    with app.test_request_context("/fr/"):
        assert units.size_label("150 × 230 cm", "ar") == f"150{NBSP}×{NBSP}230{NBSP}سم"
        assert units.size_label("150x230cm", "fr") == f"150{NBSP}×{NBSP}230{NNBSP}cm"
        assert units.size_label("Ø 30 cm", "en") == f"Ø{NBSP}30{NBSP}cm"
        assert units.size_label("١٥٠ × ٢٣٠ سم", "en") == f"150{NBSP}×{NBSP}230{NBSP}cm"
        assert units.size_label("grand modèle", "ar") == "grand modèle"


def test_the_list_of_units_is_named_in_the_pages_language(app):
    with app.test_request_context("/fr/"):
        assert dict(units.code_choices("fr"))["kg"] == "kilogrammes (kg)"
        assert dict(units.code_choices("en"))["ml"] == "milliliters (mL)"
        assert dict(units.code_choices("ar"))["kg"] == "كيلوغرام (كغم)"
        assert [code for code, _name in units.code_choices("ar")] == list(units.UNITS)


@pytest.mark.parametrize(
    ("milli", "code", "wrong"),
    [
        (None, None, False),
        (500_000, "g", False),
        (3_000, "piece", False),
        (500, None, True),  # a quantity of nothing
        (None, "kg", True),  # a unit without its quantity
        (0, "kg", True),
        (units.MAX_QUANTITY_MILLI + 1, "g", True),
        (1_500, "piece", True),
        (1_000, "stone", True),
    ],
)
def test_the_one_rule_for_a_unit_of_sale(app, milli, code, wrong):
    with app.test_request_context("/en/"):
        assert (units.problem(milli, code) is not None) is wrong


ARABIC_DIGITS = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٫")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=units.MAX_QUANTITY_MILLI), st.booleans())
def test_quantities_read_back_as_they_are_shown(app, milli, arabic):
    """What the form shows again (``format_thousandths``: "1,5", "250") reads back to the
    same quantity, typed in ASCII or Arabic-Indic digits with the Arabic decimal sign."""
    from marketplace.number_fields import format_thousandths

    with app.test_request_context("/fr/"):
        typed = format_thousandths(milli)
    assert to_fixed(typed.translate(ARABIC_DIGITS) if arabic else typed, 3) == milli


@pytest.mark.parametrize("typed", ["1e3", "1_000", "-5", "+5", "1,2345", "", "½", "٥e٢"])
def test_quantities_people_do_not_write_are_refused(typed):
    with pytest.raises(ValueError):
        to_fixed(typed, 3)


# --- the product form ---------------------------------------------------------------------


def product_form(locale="en", **values) -> ProductForm:
    category = CategoryFactory()
    data = {
        "name_fr": "Dattes",
        "category": str(category.id),
        "price": "90",
        "stock": "5",
        "status": "active",
        **values,
    }
    from werkzeug.datastructures import MultiDict

    form = ProductForm(MultiDict(data), meta={"csrf": False})
    form.set_category_choices([(str(category.id), "Dattes")])
    return form


def test_the_form_reads_arabic_indic_quantities_and_a_unit_from_the_list(app):
    with app.test_request_context("/ar/"):
        form = product_form(unit_quantity="١٫٥", unit_code="kg")
        assert form.validate(), form.errors
        data = form.to_input()
        assert (data.unit_quantity_milli, data.unit_code, data.size) == (1_500, "kg", "")
        form = product_form(unit_quantity="٢٥٠", unit_code="g", size=" 150 × 230 cm ")
        assert form.validate(), form.errors
        assert form.to_input().unit_quantity_milli == 250_000
    with app.test_request_context("/en/"):
        form = product_form()  # neither: the item itself
        assert form.validate(), form.errors
        assert form.to_input().unit_code is None


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"unit_quantity": "500", "unit_code": "stone"},
            "unit_code",
            "Choose a unit from the list.",
        ),
        ({"unit_quantity": "500"}, "unit_code", "Choose the unit of this quantity."),
        ({"unit_code": "g"}, "unit_quantity", "Enter the quantity sold in this unit"),
        ({"unit_quantity": "0", "unit_code": "g"}, "unit_quantity", "Enter a quantity above 0"),
        ({"unit_quantity": "1,5", "unit_code": "piece"}, "unit_quantity", "whole numbers"),
        ({"unit_quantity": "1e3", "unit_code": "g"}, "unit_quantity", "Enter a quantity"),
        ({"unit_quantity": "1,2345", "unit_code": "kg"}, "unit_quantity", "Enter a quantity"),
        ({"size": "x" * 41}, "size", "41"),
    ],
)
def test_the_form_refuses_bad_units_under_the_right_field(app, values, field, message):
    # force_locale: the app fixture's context may hold the language of an earlier request.
    with app.test_request_context("/en/"), force_locale("en"):
        form = product_form(**values)
        assert not form.validate()
        assert message in " ".join(map(str, form[field].errors)) or field == "size"
        assert form[field].errors


def test_the_form_page_offers_a_real_list_of_units_in_the_pages_language(client):
    member = MemberFactory()
    db.session.commit()
    login(client, member)
    html = client.get("/ar/dashboard/products/new").get_data(as_text=True)
    assert '<select id="unit_code" name="unit_code">' in html
    assert '<option value="kg">كيلوغرام (كغم)</option>' in html
    assert re.search(r'<input[^>]*id="unit_quantity"[^>]*inputmode="decimal"', html)
    html = client.get("/fr/dashboard/products/new").get_data(as_text=True)
    assert '<option value="kg">kilogrammes (kg)</option>' in html


def test_a_product_listed_with_arabic_digits_keeps_its_unit_and_a_tampered_unit_is_refused(
    client,
):
    member = MemberFactory()
    category = CategoryFactory()
    db.session.commit()
    login(client, member)
    new = "/ar/dashboard/products/new"
    data = {
        "name_ar": "تمر",
        "category": str(category.id),
        "price": "٩٠",
        "stock": "٥",
        "status": "active",
        "unit_quantity": "٥٠٠",
        "unit_code": "g",
    }
    tampered = post_form(client, new, {**data, "unit_code": "<b>stone</b>"}, form_url=new)
    assert tampered.status_code == 400  # a sentence under the field, not a 500
    assert "unit_code-err" in tampered.get_data(as_text=True)
    assert db.session.scalar(select(Product)) is None

    response = post_form(client, new, data, form_url=new)
    assert response.status_code in (302, 303)
    product = db.session.scalar(select(Product))
    assert (product.unit_quantity_milli, product.unit_code) == (500_000, "g")
    edit = client.get(f"/fr/dashboard/products/{product.id}/edit").get_data(as_text=True)
    assert re.search(r'id="unit_quantity"[^>]*value="500"', edit)
    assert '<option selected value="g">' in edit


# --- pages, cart and orders ---------------------------------------------------------------


def add_to_cart(client, product, locale="en"):
    token = csrf_token(client, f"/{locale}/products/{product.slug}")
    response = client.post(
        f"/{locale}/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": 1}
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("ar", f"500{NBSP}غرام"), ("fr", f"500{NNBSP}g"), ("en", f"500{NBSP}g")],
)
def test_product_page_card_and_cart_show_the_unit_in_their_language(client, locale, shown):
    product = ProductFactory(unit_quantity_milli=500_000, unit_code="g")
    carpet = ProductFactory(unit_quantity_milli=None, unit_code=None, size="150 × 230 cm")
    db.session.commit()
    page = client.get(f"/{locale}/products/{product.slug}").get_data(as_text=True)
    assert f"<bdi>{shown}</bdi>" in page
    listing = client.get(f"/{locale}/products").get_data(as_text=True)
    assert f"/ <bdi>{shown}</bdi>" in listing
    carpet_size = units.size_label("150 × 230 cm", locale)
    assert f"<bdi>{carpet_size}</bdi>" in client.get(f"/{locale}/products/{carpet.slug}").get_data(
        as_text=True
    )
    add_to_cart(client, product, locale)
    cart = client.get(f"/{locale}/cart").get_data(as_text=True)
    assert f"<bdi>{shown}</bdi>" in cart


def test_an_order_line_keeps_the_unit_it_was_ordered_in_and_reads_in_each_language(client):
    product = ProductFactory(unit_quantity_milli=500_000, unit_code="g")
    carpet = ProductFactory(
        cooperative=product.cooperative, unit_quantity_milli=None, unit_code=None, size="60 × 90 cm"
    )
    member = MemberFactory(cooperative=product.cooperative)
    order = place_test_order({product: 2, carpet: 1})
    db.session.commit()
    # The seller changes the product afterwards: the order keeps what was bought.
    product.unit_quantity_milli, product.unit_code = 1_000, "kg"
    db.session.commit()

    line = db.session.scalar(select(OrderLine).where(OrderLine.product_id == product.id))
    assert (line.unit_quantity_milli, line.unit_code, line.size) == (500_000, "g", "")
    assert line.unit_in("ar") == f"500{NBSP}غرام"
    assert line.unit == f"500{NNBSP}g"  # the order's language (French): Stripe's line name
    carpet_line = db.session.scalar(select(OrderLine).where(OrderLine.product_id == carpet.id))
    assert carpet_line.unit_in("ar") == f"60{NBSP}×{NBSP}90{NBSP}سم"

    login(client, member)
    sub = order.sub_orders[0]
    slip = client.get(f"/ar/dashboard/orders/{sub.id}/packing-slip").get_data(as_text=True)
    assert f"(<bdi>500{NBSP}غرام</bdi>)" in slip and "كغم" not in slip
    assert f"(<bdi>60{NBSP}×{NBSP}90{NBSP}سم</bdi>)" in slip
    detail = client.get(f"/en/dashboard/orders/{sub.id}").get_data(as_text=True)
    assert f"(<bdi>500{NBSP}g</bdi>)" in detail and f"1{NBSP}kg" not in detail


def test_order_e_mails_write_the_unit_in_the_readers_language(app, outbox):
    product = ProductFactory(unit_quantity_milli=250_000, unit_code="ml")
    MemberFactory(cooperative=product.cooperative, locale="ar", email="coop@example.ma")
    place_test_order({product: 1})
    db.session.commit()
    bodies = {message["To"]: message.get_body().get_content() for message in outbox()}
    assert f"250{NBSP}ml" in bodies["shopper@example.ma"]  # the French shopper
    assert f"250{NBSP}ملتر" in bodies["coop@example.ma"]  # the Arabic-speaking member


def test_the_api_gives_the_unit_as_data_and_as_text(client):
    product = ProductFactory(unit_quantity_milli=1_500, unit_code="l")
    db.session.commit()
    body = client.get(f"/api/v1/products/{product.id}?lang=ar").get_json()
    assert body["unit"] == {
        "quantity": "1.5",
        "code": "l",
        "label": f"1.5{NBSP}لتر",
        "size": "",
    }
