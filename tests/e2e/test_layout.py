"""Layout in the browser: right-to-left Arabic mirrors the page, nothing scrolls sideways on
a 375 px phone, and screenshots of the main pages land in tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    axe_violations,
    box,
    screenshot,
    sideways_scroll,
)
from tests.e2e.shop import build_shop, place_order
from tests.e2e.tour import tour

pytestmark = pytest.mark.e2e

LOCALES = ("ar", "fr", "en")


@pytest.fixture
def shop():
    return build_shop()


@pytest.fixture
def order_number(shop):
    return place_order(shop, {"medjool": 1, "rose_soap": 2})


@pytest.mark.parametrize("locale", LOCALES)
def test_phone_pages_do_not_scroll_sideways(browsing, shop, order_number, artifacts, locale):
    def check(page, locale, stop):
        screenshot(page, artifacts, f"{locale}-phone-{stop.name}")
        problem = sideways_scroll(page)
        return [problem] if problem else []

    problems = tour(browsing, shop, locale, check, PHONE, order_number)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_desktop_pages_are_accessible(browsing, shop, order_number, artifacts, locale):
    """axe-core: no serious or critical violation on the main pages (home, catalogue,
    product, cart, checkout, login, application, dashboard and more) in each language."""

    def check(page, locale, stop):
        screenshot(page, artifacts, f"{locale}-desktop-{stop.name}")
        if not stop.axe:
            return []
        return [
            f"{locale}{stop.path} ({stop.name}) axe {v['impact']} {v['id']}: {v['help']} "
            f"{[n['target'] for n in v['nodes']]}"
            for v in axe_violations(page)
        ]

    problems = tour(browsing, shop, locale, check, DESKTOP, order_number)
    assert not problems, "\n".join(problems)


def test_arabic_is_right_to_left_and_mirrored(page, shop):
    page.goto("/ar/products")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    logo, search = box(page, "header .logo"), box(page, "header form[role=search]")
    assert logo["x"] > search["x"] + search["width"] - 1, "the logo is not right of the search"
    cards = page.locator("main .product-grid > *")
    assert cards.count() >= 2
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2, "the first two products are not on one row"
    assert first["x"] > second["x"], "the product grid does not start at the right"
    assert_accessible(page, "/ar/products")


@pytest.mark.parametrize("locale", ("fr", "en"))
def test_french_and_english_are_left_to_right(page, shop, locale):
    page.goto(f"/{locale}/products")
    assert page.locator("html").get_attribute("dir") == "ltr"
    logo, search = box(page, "header .logo"), box(page, "header form[role=search]")
    assert logo["x"] + logo["width"] <= search["x"] + 1
    cards = page.locator("main .product-grid > *")
    assert cards.count() >= 2
    assert cards.nth(0).bounding_box()["x"] < cards.nth(1).bounding_box()["x"]
