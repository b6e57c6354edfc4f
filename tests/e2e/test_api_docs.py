"""The API in a real browser: its documentation page (Swagger UI from static/vendor) works
under the site's CSP, on a phone too; a cooperative makes a token in its dashboard, copies
it once, and its tool reads the orders with it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, sideways_scroll
from tests.e2e.shop import build_shop, log_in, place_order

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_documentation_page_runs_under_the_csp(browsing, viewport):
    page = browsing.new_page(viewport=viewport)
    page.goto("/api/v1/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() == 11
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/products/{product_id}"))
    # Open one operation: its parameters and answers render (React, Swagger UI's styles).
    page.locator(".opblock-summary", has_text="/api/v1/search").first.click()
    expect(page.locator(".parameters-container").first).to_be_visible()
    if viewport is PHONE:
        assert sideways_scroll(page) is None, sideways_scroll(page)
    # browsing's guard fails the test on a CSP violation, a JS error or an outside request


def test_cooperative_makes_a_token_and_its_tool_reads_orders(browsing, shop):
    number = place_order(shop, {"medjool": 1})
    seller = browsing.new_page(viewport=PHONE)
    log_in(seller, "fr", shop.member.email)
    seller.goto("/fr/dashboard")
    with seller.expect_navigation():
        seller.locator("a[href='/fr/dashboard/api-tokens']").first.click()
    form = seller.locator("main form.form-card")
    form.locator("input[name=name]").fill("Tableur de stock")
    form.locator("input[name=scopes][value='orders:read']").check()
    with seller.expect_navigation():
        form.get_by_role("button").click()
    secret = seller.locator(".token-value").inner_text().strip()
    assert re.fullmatch(r"souk_[\w-]{40,}", secret)
    assert sideways_scroll(seller) is None, sideways_scroll(seller)
    expect(seller.locator("main table")).to_contain_text("Tableur de stock")
    assert_accessible(seller, "the API tokens page")

    answer = seller.request.get(
        "/api/v1/cooperative/orders", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert [o["order_number"] for o in answer.json()["items"]] == [number]
    # Shown once: the page does not show it again.
    seller.goto("/fr/dashboard/api-tokens")
    expect(seller.locator(".token-value")).to_have_count(0)
    expect(seller.locator("main")).not_to_contain_text(secret)


@pytest.fixture
def shop():
    return build_shop()
