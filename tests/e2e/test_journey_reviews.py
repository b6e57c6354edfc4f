"""Journey: trust. A shopper reviews, in Arabic on a 375 px phone, the dates delivered to
her; the label badge and the rating then show on cards and product pages in the three
languages, and the pages still fit the phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sideways_scroll
from tests.e2e.shop import build_shop, log_in, path_of, release_database

pytestmark = pytest.mark.e2e

ONE_REVIEW = {"ar": "(تقييم واحد)", "fr": "(1 avis)", "en": "(1 review)"}
BADGES = {
    "ar": "تمر المجهول تافيلالت (بيان جغرافي محمي)",
    "fr": "IGP Dattes Majhoul de Tafilalet",
    "en": "PGI Majhoul dates of Tafilalet",
}


@pytest.fixture
def delivered():
    """The shop, a label certificate on the Medjool dates and the shopper's delivered order
    of them (its sub-order id)."""
    from marketplace.auth.models import User
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db
    from marketplace.timeutil import today
    from tests.trust_support import delivered_sub_order, make_certificate, make_label

    shop = build_shop()
    product = db.session.get(Product, shop.medjool.id)
    label = make_label()
    make_certificate(
        product.cooperative, label, products=[product], expires_on=today() + timedelta(days=90)
    )
    sub = delivered_sub_order(
        db.session.get(User, shop.shopper.id),
        product,
        db.session.get(User, shop.member.id),
    )
    sub_order_id = sub.id
    db.session.commit()
    release_database()
    return shop, sub_order_id


def test_a_shopper_reviews_delivered_dates_in_arabic_on_a_phone(browsing, delivered):
    shop, sub_order_id = delivered
    phone = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(phone, "ar", shop.shopper.email)
    phone.goto("/ar/reviews")
    assert sideways_scroll(phone) is None
    item = phone.locator("main .review-todo li", has_text=shop.medjool.name("ar"))
    with phone.expect_navigation():
        item.locator("a.btn-primary").click()
    assert path_of(phone) == f"/ar/reviews/write/{sub_order_id}/{shop.medjool.id}"
    assert sideways_scroll(phone) is None
    form = phone.locator("main form.review-form")
    form.locator("input[name=rating][value='5']").check()
    form.locator("textarea[name=body]").fill("تمر رائع وطري، وصل بسرعة إلى الدار البيضاء. شكرا!")
    with phone.expect_navigation():
        form.locator("button[type=submit]").click()
    assert path_of(phone).startswith(f"/ar/products/{shop.medjool.slug}")
    reviews = phone.locator("#reviews")
    body = reviews.locator(".review-body")
    expect(body).to_have_text("تمر رائع وطري، وصل بسرعة إلى الدار البيضاء. شكرا!")
    expect(body).to_have_attribute("dir", "auto")
    expect(reviews.locator(".rating-distribution")).to_be_visible()
    assert (
        phone.evaluate("getComputedStyle(document.querySelector('.review-body')).direction")
        == "rtl"
    )
    assert sideways_scroll(phone) is None


@pytest.mark.parametrize("locale", ["ar", "fr", "en"])
def test_badge_and_rating_show_on_cards_and_product_pages(browsing, delivered, locale):
    shop, sub_order_id = delivered
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.reviews import services as reviews

    reviews.save_review(
        db.session.get(User, shop.shopper.id),
        sub_order_id,
        shop.medjool.id,
        reviews.ReviewData(4, "Très bonnes", "fr"),
    )
    db.session.commit()
    release_database()
    phone = browsing.new_page(viewport=PHONE)
    phone.goto(f"/{locale}/products")
    card = phone.locator("main .product-card", has_text=shop.medjool.name(locale))
    expect(card.locator(".label-badge")).to_have_accessible_name(BADGES[locale])
    expect(card.locator(".card-rating")).to_contain_text(ONE_REVIEW[locale])
    expect(card.locator(".card-rating .stars")).to_have_text("★★★★☆")
    other = phone.locator("main .product-card", has_text=shop.rose_water.name(locale))
    expect(other.locator(".label-badge")).to_have_count(0)
    assert sideways_scroll(phone) is None
    with phone.expect_navigation():
        card.locator("h3 a").click()
    main = phone.locator("main")
    expect(main.locator(".product-info .label-badge")).to_have_accessible_name(BADGES[locale])
    expect(main.locator(".product-info .rating")).to_contain_text(ONE_REVIEW[locale])
    expect(main.locator("#reviews .review-body")).to_have_text("Très bonnes")
    assert sideways_scroll(phone) is None
