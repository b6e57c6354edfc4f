"""Choosing a variant on a 375 px phone (issue #15): dates in three sizes, in Arabic and in
French. The shopper taps a size's radio button, adds it to the cart, and the cart holds that
size; the sold-out size is shown but cannot be chosen; a shared ``?variant=`` link opens
with its size chosen. No sideways scrolling, no serious accessibility problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, screenshot, sideways_scroll
from tests.e2e.shop import release_database

pytestmark = pytest.mark.e2e

LABELS = {
    "small": {"fr": "Sachet découverte", "ar": "كيس التذوق"},
    "box": {"fr": "Boîte familiale", "ar": "علبة العائلة"},
    "big": {"fr": "Caisse de la récolte", "ar": "صندوق الموسم"},
}


@pytest.fixture
def dates(app):
    from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory

    coop = CooperativeFactory(names={"fr": "Coopérative Nakhil", "ar": "تعاونية نخيل"})
    product = ProductFactory(
        slug="dattes-mejhoul",
        cooperative=coop,
        category=CategoryFactory(),
        names={
            "fr": ("Dattes Mejhoul", "<p>Dattes de Tafilalet</p>"),
            "ar": ("تمر المجهول", "<p>تمر من تافيلالت</p>"),
        },
        variants=[
            {
                "price_cents": 9500,
                "stock": 30,
                "unit_quantity_milli": 500_000,
                "unit_code": "g",
                "labels": LABELS["small"],
            },
            {
                "price_cents": 18000,
                "stock": 4,
                "unit_quantity_milli": 1_000,
                "unit_code": "kg",
                "labels": LABELS["box"],
            },
            {
                "price_cents": 80000,
                "stock": 0,
                "unit_quantity_milli": 5_000,
                "unit_code": "kg",
                "labels": LABELS["big"],
            },
        ],
    )
    ids = {name: product.variants[n].id for n, name in enumerate(LABELS)}
    release_database()
    return ids


def _option(page, variant_id: int):
    return page.locator(f"main .variant-choice li:has(#variant-{variant_id})")


@pytest.mark.parametrize("locale", ["ar", "fr"])
def test_choosing_a_size_on_a_phone_puts_it_in_the_cart(browsing, dates, artifacts, locale):
    page = browsing.new_page(viewport=PHONE, locale=f"{locale}-MA")
    page.goto(f"/{locale}/products/dattes-mejhoul")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    choice = page.locator("main .product-buy form .variant-choice")
    expect(choice.locator("input[type=radio][name=variant_id]")).to_have_count(3)
    # The first size in stock is chosen; the sold-out one is there, marked, not choosable.
    expect(page.locator(f"#variant-{dates['small']}")).to_be_checked()
    expect(page.locator(f"#variant-{dates['big']}")).to_be_disabled()
    expect(_option(page, dates["big"])).to_contain_text(LABELS["big"][locale])
    expect(_option(page, dates["big"]).locator(".badge-bad")).to_be_visible()
    for name in LABELS:
        expect(_option(page, dates[name])).to_contain_text(LABELS[name][locale])
    assert sideways_scroll(page) is None
    # In Arabic the radio buttons sit on the right of their labels.
    radio = page.locator(f"#variant-{dates['box']}").bounding_box()
    label = page.locator(f"label[for=variant-{dates['box']}]").bounding_box()
    assert (radio["x"] > label["x"]) if locale == "ar" else (radio["x"] < label["x"])
    assert_accessible(page, f"product page with a choice of sizes, {locale}, phone")

    # Choose the family box by its label (the whole row is the target), two into the cart.
    page.locator(f"label[for=variant-{dates['box']}]").click()
    expect(page.locator(f"#variant-{dates['box']}")).to_be_checked()
    expect(page.locator(f"#variant-{dates['small']}")).not_to_be_checked()
    form = page.locator("main .product-buy form[action*='/cart/add']")
    form.locator("input[name=quantity]").fill("2")
    with page.expect_response(
        lambda r: "/cart/add" in r.url and r.request.method == "POST"
    ) as answer:
        form.get_by_role("button").click()
    assert answer.value.ok
    expect(form.locator("[data-cart-feedback]")).to_contain_text(LABELS["box"][locale])
    screenshot(page, artifacts, f"variant-choice-{locale}-phone")

    page.goto(f"/{locale}/cart")
    main = page.locator("main")
    expect(main).to_contain_text(LABELS["box"][locale])
    expect(main).not_to_contain_text(LABELS["small"][locale])
    expect(main.locator("input[name=quantity]").first).to_have_value("2")
    assert sideways_scroll(page) is None
    assert_accessible(page, f"cart with a chosen size, {locale}, phone")


def test_a_shared_link_opens_with_its_size_chosen(browsing, dates):
    page = browsing.new_page(viewport=PHONE, locale="ar-MA")
    page.goto(f"/ar/products/dattes-mejhoul?variant={dates['box']}")
    expect(page.locator(f"#variant-{dates['box']}")).to_be_checked()
    expect(page.locator("main .product-price")).to_contain_text("180")
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical.endswith("/ar/products/dattes-mejhoul")
    # A link to a size that is not one of this product's: the page as usual.
    page.goto("/ar/products/dattes-mejhoul?variant=999999")
    expect(page.locator(f"#variant-{dates['small']}")).to_be_checked()
    assert sideways_scroll(page) is None
