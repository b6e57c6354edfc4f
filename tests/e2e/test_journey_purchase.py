"""Journeys 1 and 2: a shopper finds products, fills a cart from two cooperatives, logs in,
checks out with cash on delivery and sees the order's timeline — in Arabic on a desktop,
and in French on a 375 px phone."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_no_horizontal_scroll,
    choose_filter,
    screenshot,
)
from tests.e2e.shop import build_shop, fill_login_form, path_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop():
    return build_shop()


def grid_names(page) -> list[str]:
    return [
        t.strip() for t in page.locator("main .product-grid .product-card h3 a").all_inner_texts()
    ]


def add_this_product(page, quantity: int) -> None:
    """On a product page: set the quantity and press the add-to-cart button."""
    form = page.locator("main .product-buy form[action*='/cart/add']")
    form.locator("input[name=quantity]").fill(str(quantity))
    with page.expect_response(lambda r: "/cart/add" in r.url and r.request.method == "POST"):
        form.get_by_role("button").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("locale", "viewport"),
    [
        pytest.param("ar", DESKTOP, id="arabic-desktop"),
        pytest.param("fr", PHONE, id="french-phone"),
    ],
)
def test_shopper_buys_from_two_cooperatives_cash_on_delivery(
    browsing, shop, artifacts, locale, viewport
):
    page = browsing.new_page(viewport=viewport)
    phone = viewport == PHONE
    tag = f"journey-purchase-{locale}-{'phone' if phone else 'desktop'}"

    def fits():
        if phone:
            assert_no_horizontal_scroll(page)

    # Home page, in the shopper's language and direction.
    page.goto(f"/{locale}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    expect(page.locator("main h1").first).to_be_visible()
    fits()

    # Search for dates with the header's search box.
    word = {"ar": "تمر", "fr": "dattes"}[locale]
    page.get_by_role("searchbox").fill(word)
    with page.expect_navigation():
        page.get_by_role("searchbox").press("Enter")
    assert unquote(path_of(page)).startswith(f"/{locale}/search?q={word}")
    expect(page.locator("main .product-grid")).to_contain_text(shop.medjool.name(locale))
    assert shop.rose_water.name(locale) not in grid_names(page)
    fits()

    # The catalogue, filtered by province (Tinghir: the valley of roses).
    with page.expect_navigation():
        page.locator(f"header a[href='/{locale}/products']").first.click()
    choose_filter(page, "province", value=shop.rosa.province)
    assert sorted(grid_names(page)) == sorted(
        [shop.rose_water.name(locale), shop.rose_soap.name(locale)]
    )
    fits()

    # A product page; two bottles of rose water into the cart.
    with page.expect_navigation():
        page.locator("main .product-grid").get_by_role(
            "link", name=shop.rose_water.name(locale), exact=True
        ).click()
    expect(page.locator("main h1")).to_have_text(shop.rose_water.name(locale))
    add_this_product(page, 2)
    fits()
    screenshot(page, artifacts, f"{tag}-product")

    # Dates from the other cooperative, found through the search.
    page.get_by_role("searchbox").fill(shop.medjool.name(locale))
    with page.expect_navigation():
        page.get_by_role("searchbox").press("Enter")
    with page.expect_navigation():
        page.locator("main .product-grid").get_by_role(
            "link", name=shop.medjool.name(locale), exact=True
        ).click()
    add_this_product(page, 1)

    # The cart: one group per cooperative.
    page.goto(f"/{locale}/cart")
    groups = page.locator("main .cart-group")
    expect(groups).to_have_count(2)
    expect(page.locator("main")).to_contain_text(shop.oasis.name(locale))
    expect(page.locator("main")).to_contain_text(shop.rosa.name(locale))
    fits()
    screenshot(page, artifacts, f"{tag}-cart")

    # Checkout asks who we are: log in from there and come back with the same cart.
    with page.expect_navigation():
        page.locator(f"main a[href^='/{locale}/checkout']").click()
    with page.expect_navigation():
        page.locator(f"main a[href^='/{locale}/login']").first.click()
    fill_login_form(page, shop.shopper.email)
    page.wait_for_url(f"**/{locale}/checkout")
    summary = page.locator("main .checkout-summary")
    expect(summary).to_contain_text(shop.rose_water.name(locale))
    expect(summary).to_contain_text(shop.medjool.name(locale))

    # Delivery details and cash on delivery.
    form = page.locator("main form:has(input[name=address_line1])")
    form.locator("input[name=contact_name]").fill("Amina Ait Lahcen")
    form.locator("input[name=phone]").fill("0612345678")
    form.locator("input[name=address_line1]").fill("12, Derb Sidi Bouabid")
    form.locator("input[name=city]").fill("Errachidia")
    form.locator("input[name=payment_method][value=cod]").check()
    fits()
    screenshot(page, artifacts, f"{tag}-checkout")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert path_of(page) == f"/{locale}/checkout/review", page.locator("main").inner_text()

    # Review, then confirm.
    with page.expect_navigation():
        page.locator("main form.confirm-form [type=submit]").click()
    assert path_of(page).startswith(f"/{locale}/orders/"), page.locator("main").inner_text()

    # The order page: two sub-orders, each with its timeline.
    sub_orders = page.locator("main .sub-order")
    expect(sub_orders).to_have_count(2)
    for i in range(2):
        expect(sub_orders.nth(i).locator(".timeline > li")).not_to_have_count(0)
    expect(page.locator("main")).to_contain_text(shop.oasis.name(locale))
    expect(page.locator("main")).to_contain_text(shop.rosa.name(locale))
    fits()
    screenshot(page, artifacts, f"{tag}-order")

    # The cart is empty now.
    page.goto(f"/{locale}/cart")
    expect(page.locator("main .cart-group")).to_have_count(0)
