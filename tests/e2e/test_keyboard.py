"""Keyboard spot checks: everything reachable with Tab, with a visible focus, and form errors
announced to screen readers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    PHONE,
    assert_no_horizontal_scroll,
    focus_is_visible,
    keyboard_problems,
    tab_until,
)
from tests.e2e.shop import build_shop, fill_login_form, log_in, path_of
from tests.e2e.tour import add_to_cart
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop():
    return build_shop()


def test_skip_link_search_and_language_switcher_by_keyboard(page, shop):
    page.goto("/ar/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert focus_is_visible(page)
    link_box = skip.bounding_box()
    assert link_box and link_box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    page.goto("/ar/")
    assert tab_until(page, "el => el.id === 'site-search'")
    assert focus_is_visible(page)
    page.keyboard.type("ورد")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ar/search?q=*")
    assert page.locator("#site-search").input_value() == "ورد"

    assert tab_until(page, "el => el.getAttribute('hreflang') === 'fr'")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/fr/search?q=*")
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_log_in_by_keyboard_and_errors_are_announced(page, shop):
    page.goto("/fr/login")
    assert tab_until(page, "el => el.name === 'email'")
    assert focus_is_visible(page)
    page.keyboard.type(shop.shopper.email)
    assert tab_until(page, "el => el.name === 'password'", max_tabs=3)
    page.keyboard.type("not the password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/fr/login" in path_of(page)
    # announced: in a live region (role=alert, or role=status / aria-live)
    alert = page.locator("main [role=alert], main [aria-live]").first
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()

    fill_login_form(page, shop.shopper.email, PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)


def test_add_to_cart_by_keyboard(page, shop):
    page.goto(f"/en/products/{shop.rose_water.slug}")
    found = tab_until(
        page,
        "el => el.type === 'submit' && el.form && el.form.action.includes('/cart/add')",
        max_tabs=80,
    )
    assert found, "the add-to-cart button is not reachable with Tab"
    assert focus_is_visible(page)
    with page.expect_response(lambda r: "/cart/add" in r.url and r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.goto("/en/cart")
    expect(page.locator("main").get_by_text("Rose water").first).to_be_visible()


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(browsing, shop):
    """Tab through whole pages, in Arabic (right to left) and French, as a visitor, a
    shopper with a cart and a cooperative member."""
    problems: list[str] = []
    visitor = browsing.new_page()
    for path in ("/ar/", "/ar/products", f"/ar/products/{shop.medjool.slug}", "/fr/register"):
        visitor.goto(path)
        problems += keyboard_problems(visitor, path)

    shopper = browsing.new_page()
    log_in(shopper, "fr", shop.shopper.email)
    add_to_cart(shopper, "fr", shop.rose_water.slug)
    for path in ("/fr/cart", "/fr/checkout", "/ar/apply"):
        shopper.goto(path)
        problems += keyboard_problems(shopper, path)

    member = browsing.new_page()
    log_in(member, "ar", shop.member.email)
    for path in ("/ar/dashboard", "/ar/dashboard/products/new"):
        member.goto(path)
        problems += keyboard_problems(member, path)
    assert not problems, "\n".join(problems)


def test_checkout_errors_are_announced_and_tied_to_their_fields(browsing, shop):
    page = browsing.new_page(viewport=PHONE)
    log_in(page, "ar", shop.shopper.email)
    add_to_cart(page, "ar", shop.medjool.slug)
    page.goto("/ar/checkout")
    form = page.locator("main form:has(input[name=address_line1])")
    form.locator("input[name=address_line1]").fill("")
    form.locator("input[name=city]").fill("")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert path_of(page) == "/ar/checkout"
    expect(page.locator("main [role=alert]").first).to_be_visible()
    for name in ("address_line1", "city"):
        field = page.locator(f"main input[name={name}]")
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby") or ""
        messages = [page.locator(f"[id='{i}']") for i in described.split()]
        assert any(m.count() and m.inner_text().strip() for m in messages), (
            f"the error of {name} is not tied to the field by aria-describedby"
        )
    # What was typed is kept, and the page still fits the phone.
    assert form.locator("input[name=contact_name]").input_value()
    assert_no_horizontal_scroll(page)
