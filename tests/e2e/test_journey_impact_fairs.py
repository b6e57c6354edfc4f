"""Issue #16 in a real browser: the council's impact dashboard in Arabic and French on a
phone and a desktop (charts drawn, nothing scrolls sideways, axe clean), the public impact
page; a shopper orders to collect at a fair and the cooperative hands the order over."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
)
from tests.e2e.shop import build_shop, log_in, path_of, place_order, release_database
from tests.e2e.tour import add_to_cart

pytestmark = pytest.mark.e2e


@pytest.fixture
def shop():
    return build_shop()


def _observer() -> str:
    """An observer account; its e-mail (read before the test's transaction ends)."""
    from marketplace.extensions import db
    from tests.factories import UserFactory

    email = UserFactory(
        email="conseil@region-dt.ma", name="Conseil régional", role="observer"
    ).email
    db.session.commit()
    release_database()
    return email


@pytest.mark.parametrize("locale", ["ar", "fr"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_impact_dashboard_reads_well_on_a_phone_and_a_desktop(
    browsing, shop, artifacts, locale, viewport
):
    place_order(shop, {"medjool": 2, "rose_water": 1})
    place_order(shop, {"boufeggous": 1})
    observer = _observer()
    page = browsing.new_page(viewport=viewport)
    log_in(page, locale, observer)
    page.goto(f"/{locale}/impact/dashboard")
    assert path_of(page) == f"/{locale}/impact/dashboard"
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    charts = page.locator("main svg.chart")
    expect(charts).to_have_count(4)
    for index in range(4):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        size = chart.bounding_box()
        assert size["width"] > 100 and size["height"] > 50, size
        assert size["x"] >= 0 and size["x"] + size["width"] <= viewport["width"] + 1
    # each chart's figures are also in a table (two orders, from two cooperatives)
    expect(page.locator("main table.impact-table")).not_to_have_count(0)
    expect(page.locator("main .impact-figures")).to_contain_text("2")
    assert_no_horizontal_scroll(page)
    assert_accessible(page, f"impact dashboard {locale} {viewport['width']}px")
    screenshot(page, artifacts, f"impact-dashboard-{locale}-{viewport['width']}")
    # the exports answer as files
    with page.expect_download() as download:
        page.locator("main a[href*='export.xlsx']").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    public = browsing.new_page(viewport=viewport)
    public.goto(f"/{locale}/")
    with public.expect_navigation():
        public.locator(f"footer a[href='/{locale}/impact']").click()
    expect(public.locator("main svg.chart")).to_have_count(3)
    assert_no_horizontal_scroll(public)
    assert_accessible(public, f"public impact page {locale} {viewport['width']}px")
    screenshot(public, artifacts, f"impact-public-{locale}-{viewport['width']}")


def test_a_shopper_collects_at_the_fair_and_the_cooperative_hands_it_over(
    browsing, shop, artifacts
):
    from marketplace.catalogue.models import Product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.extensions import db
    from tests.fairs_support import accept_stand, make_fair

    fair = make_fair(city="Erfoud", venue="Place des FAR")
    oasis = db.session.scalar(db.select(Cooperative).where(Cooperative.slug == shop.oasis.slug))
    medjool = db.session.scalar(db.select(Product).where(Product.slug == shop.medjool.slug))
    accept_stand(fair, oasis, [medjool])
    fair_slug, fair_id = fair.slug, fair.id
    release_database()

    # The shopper, on her phone in Arabic, sees the fair and orders to collect there.
    page = browsing.new_page(viewport=PHONE)
    page.goto(f"/ar/fairs/{fair_slug}")
    expect(page.locator("main")).to_contain_text(shop.oasis.name("ar"))
    assert_no_horizontal_scroll(page)
    assert_accessible(page, "fair page ar 375px")
    screenshot(page, artifacts, "fair-ar-375")
    log_in(page, "ar", shop.shopper.email)
    add_to_cart(page, "ar", shop.medjool.slug, 2)
    page.goto("/ar/checkout")
    form = page.locator("main form:has(input[name=address_line1])")
    form.locator(f"input[name=delivery][value=fair-{fair_id}]").check()
    form.locator("input[name=contact_name]").fill("Amina Ait Lahcen")
    form.locator("input[name=phone]").fill("0612345678")
    form.locator("input[name=payment_method][value=cod]").check()
    assert_no_horizontal_scroll(page)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert path_of(page) == "/ar/checkout/review", page.locator("main").inner_text()
    expect(page.locator("main")).to_contain_text("180")  # 2 × 90 MAD, no shipping fee
    with page.expect_navigation():
        page.locator("main form.confirm-form [type=submit]").click()
    assert path_of(page).startswith("/ar/orders/"), page.locator("main").inner_text()
    number = path_of(page).rsplit("/", 1)[1]

    # The cooperative, in French, hands it over on the fair day.
    seller = browsing.new_page(viewport=PHONE)
    log_in(seller, "fr", shop.member.email)
    seller.goto("/fr/dashboard/fairs")
    with seller.expect_navigation():
        seller.locator(f"main a[href='/fr/dashboard/fairs/{fair_id}/day']").click()
    waiting = seller.locator("main .fair-day-list li.card", has_text=number)
    expect(waiting).to_have_count(1)
    assert_no_horizontal_scroll(seller)
    assert_accessible(seller, "fair-day page fr 375px")
    with seller.expect_navigation():
        waiting.get_by_role("button").click()
    handed = seller.locator("main .fair-day-list li.card", has_text=number)
    expect(handed).to_have_count(1)
    expect(handed.locator("form")).to_have_count(0)
    expect(seller.locator("main form[action$='/collected']")).to_have_count(0)
    screenshot(seller, artifacts, "fair-day-fr-375")

    # The shopper's order is delivered.
    page.goto(f"/ar/orders/{number}")
    expect(page.locator("main .timeline .status-delivered")).to_have_count(1)
