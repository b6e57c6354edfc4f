"""Journey 5: switching language on any page keeps the page and its filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_filter
from tests.e2e.shop import build_shop, log_in, path_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop():
    return build_shop()


def switch_locale(page, code: str) -> None:
    link = page.locator(f"header nav a[hreflang={code}]")
    with page.expect_navigation():
        link.click()
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if code == "ar" else "ltr")


def product_names(page) -> list[str]:
    cards = page.locator("main .product-grid .product-card h3 a")
    return [t.strip() for t in cards.all_inner_texts()]


def test_switching_language_keeps_the_page_and_its_filters(page, shop):
    # Filter the French catalogue through its form: roses from the province of Tinghir,
    # cheapest first.
    page.goto("/fr/products")
    choose_filter(page, "province", value=shop.rosa.province)
    choose_filter(page, "category", value=shop.roses.slug)
    choose_filter(page, "sort", index=1)
    sort_value = page.locator("main form.filters select[name=sort]").input_value()
    assert sorted(product_names(page)) == sorted(
        [shop.rose_water.name("fr"), shop.rose_soap.name("fr")]
    )
    french_query = parse_qs(urlsplit(page.url).query)
    assert french_query["province"] == [shop.rosa.province]

    # Same page, same filters, in Arabic then English.
    for code in ("ar", "en"):
        switch_locale(page, code)
        assert urlsplit(page.url).path == f"/{code}/products"
        assert parse_qs(urlsplit(page.url).query) == french_query
        form = page.locator("main form.filters")
        assert form.locator("select[name=province]").input_value() == shop.rosa.province
        assert form.locator("select[name=category]").input_value() == shop.roses.slug
        assert form.locator("select[name=sort]").input_value() == sort_value
        assert sorted(product_names(page)) == sorted(
            [shop.rose_water.name(code), shop.rose_soap.name(code)]
        )

    # A product page stays the same product.
    page.goto(f"/en/products/{shop.medjool.slug}")
    switch_locale(page, "ar")
    assert path_of(page) == f"/ar/products/{shop.medjool.slug}"
    expect(page.locator("main h1")).to_contain_text(shop.medjool.name("ar"))

    # A search keeps its words and its results.
    page.goto("/ar/search?q=" + shop.rose_water.name("ar"))
    expect(page.locator("main .product-grid")).to_contain_text(shop.rose_water.name("ar"))
    switch_locale(page, "fr")
    assert urlsplit(page.url).path == "/fr/search"
    assert page.locator("#site-search").input_value() == shop.rose_water.name("ar")
    expect(page.locator("main .product-grid")).to_contain_text(shop.rose_water.name("fr"))

    # A page behind a login too (the cart, with what is in it).
    log_in(page, "fr", shop.shopper.email)
    page.goto("/fr/cart")
    switch_locale(page, "en")
    assert path_of(page) == "/en/cart"
