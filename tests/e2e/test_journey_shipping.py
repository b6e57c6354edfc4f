"""Journey 4: a cooperative marks its part of an order shipped; the shopper sees it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shop import build_shop, log_in, path_of, place_order

pytestmark = pytest.mark.e2e


def names_of(item) -> str:
    return "|".join(re.escape(item.name(locale)) for locale in ("fr", "ar"))


@pytest.fixture
def shop():
    return build_shop()


def test_cooperative_ships_its_sub_order_and_the_shopper_sees_it(browsing, shop):
    number = place_order(shop, {"medjool": 2, "rose_water": 1})

    # The oasis cooperative, in French, finds the order in its dashboard: only its part.
    seller = browsing.new_page()
    log_in(seller, "fr", shop.member.email)
    seller.goto("/fr/dashboard")
    with seller.expect_navigation():
        seller.locator("a[href='/fr/dashboard/orders']").first.click()
    rows = seller.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    with seller.expect_navigation():
        rows.get_by_role("link", name=number).click()
    main = seller.locator("main")
    # its own product (named in French, or as the shopper saw it in Arabic), not the other's
    expect(main).to_contain_text(re.compile(names_of(shop.medjool)))
    expect(main).not_to_contain_text(re.compile(names_of(shop.rose_water)))

    ship = seller.locator("main form:has(input[name=status][value=shipped])")
    ship.locator("input[name=carrier]").fill("Amana")
    ship.locator("input[name=tracking_number]").fill("AM123456789MA")
    with seller.expect_navigation():
        ship.get_by_role("button").click()
    expect(seller.locator("main .timeline .status-shipped")).to_have_count(1)
    expect(seller.locator("main form:has(input[name=status][value=shipped])")).to_have_count(0)
    expect(main).to_contain_text("AM123456789MA")

    # The shopper, in Arabic, in a browser of her own.
    shopper = browsing.new_page()
    log_in(shopper, "ar", shop.shopper.email)
    shopper.goto("/ar/orders")
    with shopper.expect_navigation():
        shopper.locator("main").get_by_role("link", name=number).click()
    assert path_of(shopper) == f"/ar/orders/{number}"
    shipped = shopper.locator("main .sub-order", has_text=shop.oasis.name("ar"))
    waiting = shopper.locator("main .sub-order", has_text=shop.rosa.name("ar"))
    expect(shipped.locator(".timeline .status-shipped")).to_have_count(1)
    expect(shipped).to_contain_text("AM123456789MA")
    expect(shipped).to_contain_text("Amana")
    expect(waiting.locator(".timeline .status-shipped")).to_have_count(0)
    # the status is said in words, in Arabic, next to the cooperative's name
    badge = shipped.locator(".page-header .badge")
    expect(badge).not_to_have_text(waiting.locator(".page-header .badge").inner_text())
