"""A seller manages a product's variants on a 375 px phone in Arabic (issue #15): adds a second
variant to a product sold in one size, edits its price typed with Arabic-Indic digits, moves
it up, stops offering the first one, then sets a variant's stock from the products list. Every
page fits the phone without sideways scrolling and has no serious or critical axe-core
violation."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, axe_violations, screenshot, sideways_scroll
from tests.e2e.shop import build_shop, log_in, release_database

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop():
    return build_shop()


def _variants(product_id: int) -> list[tuple]:
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db

    db.session.expire_all()
    product = db.session.get(Product, product_id)
    rows = [(v.sku, v.price_cents, v.stock, v.active) for v in product.variants]
    summary = (product.price_cents, product.price_max_cents, product.stock)
    release_database()
    return rows, summary


def _fits(page, problems: list[str], label: str) -> None:
    overflow = sideways_scroll(page)
    if overflow:
        problems.append(f"{label}: {overflow}")
    problems += [
        f"{label}: axe {v['impact']} {v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in axe_violations(page)
    ]


def _submit(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_seller_manages_variants_on_a_phone_in_arabic(browsing, shop, artifacts):
    page = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(page, "ar", shop.member.email)
    product_id = shop.medjool.id
    (first,), _summary = _variants(product_id)
    problems: list[str] = []

    # A product sold in one size: its form as before, and a way to add a variant.
    page.goto(f"/ar/dashboard/products/{product_id}/edit")
    assert page.locator("main form.product-form [name=price]").count() == 1
    _fits(page, problems, "product (one variant)")
    _submit(page, page.locator("#variants a[href$='/variants/new']"))

    # The new variant: option names, SKU, price and stock in Arabic-Indic digits.
    form = page.locator("main form.variant-form")
    _fits(page, problems, "new variant")
    form.locator("[name=label_ar]").fill("٥ كغ")
    form.locator("[name=label_fr]").fill("5 kg")
    form.locator("[name=sku]").fill("MEDJOOL-5KG")
    form.locator("[name=price]").fill("")
    form.locator("[name=price]").press_sequentially("٤٠٠")
    form.locator("[name=stock]").fill("")
    form.locator("[name=stock]").press_sequentially("٦")
    form.locator("[name=unit_quantity]").fill("")
    form.locator("[name=unit_quantity]").press_sequentially("٥")
    form.locator("[name=unit_code]").select_option("kg")
    _submit(page, form.locator("button[type=submit]"))
    assert page.url.endswith(f"/ar/dashboard/products/{product_id}/edit#variants"), page.url
    rows, _summary = _variants(product_id)
    assert rows == [first, ("MEDJOOL-5KG", 40000, 6, True)]

    # Two variants: stacked cards, and the product's form no longer has a price.
    assert page.locator("#variants .variant-card").count() == 2
    assert page.locator("main form.product-form [name=price]").count() == 0
    screenshot(page, artifacts, "phone-variants-ar")
    _fits(page, problems, "product (two variants)")

    # Edit the new variant's price with the Arabic decimal sign.
    card = page.locator("#variants .variant-card").nth(1)
    _submit(page, card.locator("a[href$='/edit']"))
    _fits(page, problems, "edit variant")
    price = page.locator("main form.variant-form [name=price]")
    price.fill("")
    price.press_sequentially("٣٨٥٫٥٠")
    assert price.input_value() == "٣٨٥٫٥٠"
    _submit(page, page.locator("main form.variant-form button[type=submit]"))
    rows, _summary = _variants(product_id)
    assert rows[1] == ("MEDJOOL-5KG", 38550, 6, True)

    # Move it up: it is the first one shoppers see.
    card = page.locator("#variants .variant-card").nth(1)
    _submit(page, card.locator("button[value=up]"))
    rows, _summary = _variants(product_id)
    assert [sku for sku, *_ in rows] == ["MEDJOOL-5KG", first[0]]

    # Stop offering the 1 kg one: the product's price and stock are the 5 kg one's.
    card = page.locator("#variants .variant-card").nth(1)
    _submit(page, card.locator("button[value=deactivate]"))
    rows, summary = _variants(product_id)
    assert rows[1][3] is False
    assert summary == (38550, 38550, 6)
    # The last active one cannot be stopped: the page says why.
    card = page.locator("#variants .variant-card").nth(0)
    _submit(page, card.locator("button[value=deactivate]"))
    assert page.locator(".flash-error").count() == 1, page.inner_text("main")
    rows, _summary = _variants(product_id)
    assert rows[0][3] is True
    _fits(page, problems, "product (one offered)")

    # The products list: a stock form per variant, Arabic-Indic digits.
    page.goto("/ar/dashboard/products")
    _fits(page, problems, "products list")
    variant_ids = page.locator("main input[id^=variant-stock-]").evaluate_all(
        "els => els.map(e => e.id)"
    )
    assert len(variant_ids) >= 2, variant_ids
    stock = page.locator(f"main form.stock-form:has(#{variant_ids[0]}) [name=stock]")
    stock.fill("")
    stock.press_sequentially("١٢")
    _submit(page, page.locator(f"main form.stock-form:has(#{variant_ids[0]}) button"))
    rows, _summary = _variants(product_id)
    assert rows[0][2] == 12

    # Prices and stock from a spreadsheet: a file with a mistake is refused line by line...
    page.goto("/ar/dashboard/variants/import")
    _fits(page, problems, "import")

    def upload(text: str) -> None:
        form = page.locator("main form.variants-import-form")
        form.locator("[name=file]").set_input_files(
            {"name": "prix.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}
        )
        _submit(page, form.locator("button[type=submit]"))

    upload("sku;price;stock\nMEDJOOL-5KG;٣٩٠,٠٠;٧\nINCONNU;10;1\n")
    assert page.locator(".csv-errors li").count() == 1, page.inner_text("main")
    assert page.locator("[name=token]").count() == 0
    _fits(page, problems, "import preview with an error")
    # ... a correct one is previewed, then applied.
    upload("sku;price;stock\nMEDJOOL-5KG;٣٩٠,٠٠;٧\n")
    assert page.locator(".csv-change").count() == 1, page.inner_text("main")
    screenshot(page, artifacts, "phone-variants-import-ar")
    _fits(page, problems, "import preview")
    _submit(page, page.locator("main form:has([name=token]) button[type=submit]"))
    rows, _summary = _variants(product_id)
    assert rows[0][1:3] == (39000, 7)

    assert not problems, "\n".join(problems)
