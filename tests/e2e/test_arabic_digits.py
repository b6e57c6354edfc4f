"""Numbers typed on an Arabic keyboard (issue #14): Arabic-Indic digits typed into every
numeric field of every seller form, through the real browser on a 375 px phone, are saved.
(``<input type=number>`` used to drop them silently; the fields are text inputs with
``inputmode`` now, and the shared parsers read both digit sets and "٫".)

Each form's numeric fields are counted: a numeric field added to a seller form without
being typed here fails the test."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.shop import build_shop, log_in, path_of, release_database

pytestmark = pytest.mark.e2e

NUMERIC = "input[inputmode=numeric], input[inputmode=decimal], input[type=number]"


@pytest.fixture
def shop():
    return build_shop()


def type_digits(page, form, values: dict[str, str]) -> None:
    """Type ``values`` key by key (as a keyboard does, not by setting the value), after
    checking that they are exactly the form's numeric fields."""
    names = set(form.locator(NUMERIC).evaluate_all("els => els.map(e => e.name)"))
    assert names == set(values), f"numeric fields of {page.url}: {sorted(names)}"
    assert not form.locator("input[type=number]").count(), "a type=number input is left"
    for name, text in values.items():
        field = form.locator(f"[name={name}]")
        field.fill("")
        field.press_sequentially(text)
        assert field.input_value() == text, f"{name} kept {field.input_value()!r}, not {text!r}"


def submit(page, form) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def _product(product_id: int):
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db

    product = db.session.get(Product, product_id)
    (variant,) = product.variants  # a product sold in one size: its form edits that variant
    values = (variant.price_cents, variant.stock, variant.weight_grams, variant.unit_quantity_milli)
    assert (product.price_cents, product.stock) == values[:2]  # the product's summary
    release_database()
    return values


def _cooperative(cooperative_id: int):
    from marketplace.cooperatives.models import Cooperative
    from marketplace.extensions import db

    coop = db.session.get(Cooperative, cooperative_id)
    values = (coop.shipping_fee_cents, coop.free_shipping_threshold_cents)
    release_database()
    return values


def test_arabic_indic_digits_in_every_seller_form_are_saved(browsing, shop):
    page = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(page, "ar", shop.member.email)

    # The product form: price with the Arabic decimal sign, stock, weight, quantity sold.
    page.goto(f"/ar/dashboard/products/{shop.medjool.id}/edit")
    form = page.locator("main form.product-form")
    digits = {"price": "١٢٫٥", "stock": "٤٢", "weight_grams": "٥٠٠", "unit_quantity": "٠٫٧٥"}
    type_digits(page, form, digits)
    submit(page, form)
    assert not page.locator("main [aria-invalid=true]").count(), page.inner_text("main")
    assert _product(shop.medjool.id) == (1250, 42, 500, 750)  # 0,75 kg

    # The quick stock form of the products list.
    page.goto("/ar/dashboard/products")
    form = page.locator(f"main form.stock-form:has(#stock-{shop.medjool.id})")
    type_digits(page, form, {"stock": "٧"})
    submit(page, form)
    assert _product(shop.medjool.id) == (1250, 7, 500, 750)

    # A new product: the same fields, in the other Arabic digit set (Persian keyboards).
    page.goto("/ar/dashboard/products/new")
    form = page.locator("main form.product-form")
    form.locator("[name=name_ar]").fill("تمر الجيهل")
    form.locator("[name=category]").select_option(index=1)
    form.locator("[name=unit_code]").select_option("g")
    digits = {"price": "۱۵۰", "stock": "۹", "weight_grams": "۱۲۰۰", "unit_quantity": "۲۵۰"}
    type_digits(page, form, digits)
    submit(page, form)
    from marketplace.catalogue.models import Product, ProductTranslation
    from marketplace.extensions import db

    created = db.session.scalar(
        db.select(Product).join(ProductTranslation).where(ProductTranslation.name == "تمر الجيهل")
    )
    assert created is not None, page.inner_text("main")
    (variant,) = created.variants
    assert (created.price_cents, created.stock, variant.weight_grams) == (15000, 9, 1200)
    assert (created.unit_quantity_milli, created.unit_code) == (250_000, "g")
    release_database()

    # Shipping: the fee and the free-shipping threshold, with a group separator.
    page.goto("/ar/dashboard/shipping")
    form = page.locator("main form.form-card")
    type_digits(page, form, {"shipping_fee": "٣٥٫٥٠", "free_shipping_threshold": "١ ٠٠٠"})
    submit(page, form)
    assert _cooperative(shop.oasis.id) == (3550, 100000)

    # A second variant of the product (its own price, stock, weight and quantity sold).
    page.goto(f"/ar/dashboard/products/{shop.medjool.id}/variants/new")
    form = page.locator("main form.variant-form")
    form.locator("[name=sku]").fill("MEDJOOL-2KG")
    form.locator("[name=unit_code]").select_option("kg")
    digits = {"price": "٢٤٠٫٥", "stock": "١٥", "weight_grams": "٢١٠٠", "unit_quantity": "٢"}
    type_digits(page, form, digits)
    submit(page, form)
    assert not page.locator("main [aria-invalid=true]").count(), page.inner_text("main")
    assert _variant("MEDJOOL-2KG") == (24050, 15, 2100, 2000)


def _variant(sku: str):
    from marketplace.catalogue.models import ProductVariant
    from marketplace.extensions import db

    variant = db.session.scalar(db.select(ProductVariant).where(ProductVariant.sku == sku))
    assert variant is not None, f"no variant {sku}"
    values = (variant.price_cents, variant.stock, variant.weight_grams, variant.unit_quantity_milli)
    release_database()
    return values


NUMBERS = {"founded_year": "٢٠١٨", "members_count": "٢٤", "women_members_count": "١٩"}


def test_arabic_indic_digits_in_the_application_are_saved(browsing, shop):
    """Step 1 of the cooperative application: year founded, members, women members."""
    page = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(page, "ar", shop.shopper.email)
    page.goto("/ar/apply")
    page.wait_for_url("**/ar/apply/step/1")
    form = page.locator("main form:has(input[name=registration_number])")
    form.locator("input[name=name_ar]").fill("تعاونية نخيل تافيلالت")
    form.locator("input[name=registration_number]").fill("RC-ERR-2018-204")
    form.locator("select[name=province]").select_option("errachidia")
    form.locator("input[name=commune]").fill("الريصاني")
    type_digits(page, form, NUMBERS)
    with page.expect_navigation():
        form.locator("[type=submit][name=submit], button[type=submit]").first.click()
    assert path_of(page) == "/ar/apply/step/2", page.inner_text("main")

    # The draft keeps the numbers the server read: back on step 1 they show in ASCII digits.
    page.goto("/ar/apply/step/1")
    form = page.locator("main form:has(input[name=registration_number])")
    saved = {name: form.locator(f"[name={name}]").input_value() for name in NUMBERS}
    assert saved == {"founded_year": "2018", "members_count": "24", "women_members_count": "19"}
