"""Reviews from verified buyers (issue #17): only the buyer of a delivered sub-order reviews
each product bought in it, once (editable for 30 days); the cooperative replies once;
shoppers and the cooperative report; admins hide and restore with a reason (audited) and
hidden reviews leave the stored averages; text is plain, isolated, stripped of bidi controls;
product pages show the average, count, distribution and reviews (page language first, keyset
pages), cards show the average, JSON-LD carries them; the delivered e-mail invites once."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.audit import AuditLogEntry
from marketplace.catalogue.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.reviews import services
from marketplace.reviews.models import Review, ReviewReport
from marketplace.timeutil import utcnow
from tests.factories import AdminFactory, MemberFactory, ProductFactory, UserFactory
from tests.helpers import login, post_form
from tests.trust_support import delivered_sub_order, freeze
from tests.world import place_cod_order


@pytest.fixture
def shop():
    """A cooperative with a member, a product, and a shopper whose order was delivered."""
    product = ProductFactory(
        slug="majhoul", stock=100, names={"en": "Majhoul dates", "ar": "تمر المجهول"}
    )
    member = MemberFactory(cooperative=product.cooperative)
    shopper = UserFactory(name="Fatima Zahra Alaoui")
    sub = delivered_sub_order(shopper, product, member)
    return {"product": product, "member": member, "shopper": shopper, "sub": sub}


def write(client, sub, product, locale="en", **data):
    url = f"/{locale}/reviews/write/{sub.id}/{product.id}"
    return post_form(client, url, data, content_type="multipart/form-data")


def totals(model, key) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.get(model, key)
    return row.rating_sum, row.rating_count


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 150, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- eligibility ------------------------------------------------------------------------------


def test_the_buyer_of_a_delivered_product_reviews_it(client, shop):
    login(client, shop["shopper"])
    assert "Majhoul dates" in client.get("/en/reviews").get_data(as_text=True)
    response = write(client, shop["sub"], shop["product"], rating="5", body="Excellent dates")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/en/products/majhoul#reviews")
    review = db.session.scalar(select(Review))
    assert (review.rating, review.body, review.locale) == (5, "Excellent dates", "en")
    assert totals(Product, shop["product"].id) == (5, 1)
    assert totals(Cooperative, shop["product"].cooperative_id) == (5, 1)


def test_a_product_not_yet_delivered_cannot_be_reviewed(client, shop):
    order = place_cod_order(shop["shopper"], shop["product"], 1)
    login(client, shop["shopper"])
    sub = order.sub_orders[0]
    assert client.get(f"/en/reviews/write/{sub.id}/{shop['product'].id}").status_code == 403
    with pytest.raises(Forbidden):
        services.save_review(
            shop["shopper"], sub.id, shop["product"].id, services.ReviewData(rating=5)
        )
    assert db.session.scalar(select(db.func.count(Review.id))) == 0


def test_another_shopper_cannot_review_someone_elses_purchase(client, shop):
    other = UserFactory()
    login(client, other)
    url = f"/en/reviews/write/{shop['sub'].id}/{shop['product'].id}"
    assert client.get(url).status_code == 404
    with pytest.raises(NotFound):
        services.save_review(other, shop["sub"].id, shop["product"].id, services.ReviewData(5))
    # Nor a product that was not in the sub-order.
    with pytest.raises(NotFound):
        services.save_review(
            shop["shopper"], shop["sub"].id, ProductFactory().id, services.ReviewData(5)
        )


def test_a_product_is_reviewed_once_per_delivery_and_changed_only_for_30_days(
    client, shop, monkeypatch
):
    login(client, shop["shopper"])
    write(client, shop["sub"], shop["product"], rating="2", body="Trop sèches")
    write(client, shop["sub"], shop["product"], rating="4", body="Meilleures à la 2e boîte")
    reviews = db.session.scalars(select(Review)).all()
    assert len(reviews) == 1 and reviews[0].rating == 4 and reviews[0].edited_at
    assert totals(Product, shop["product"].id) == (4, 1)  # the change, not a second review
    # A second row for the same product of the same sub-order is refused by the database.
    db.session.add(
        Review(
            product_id=shop["product"].id,
            cooperative_id=shop["product"].cooperative_id,
            sub_order_id=shop["sub"].id,
            user_id=shop["shopper"].id,
            rating=1,
        )
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        db.session.flush()
    db.session.rollback()
    # After 30 days: refused.
    freeze(monkeypatch, utcnow() + timedelta(days=31))
    with pytest.raises(Forbidden):
        services.save_review(
            shop["shopper"], shop["sub"].id, shop["product"].id, services.ReviewData(rating=1)
        )
    response = client.get(f"/en/reviews/write/{shop['sub'].id}/{shop['product'].id}")
    assert response.status_code in (302, 303)
    assert totals(Product, shop["product"].id) == (4, 1)


def test_the_rating_is_from_1_to_5(shop):
    for rating in (0, 6, -1):
        with pytest.raises(InvalidInput):
            services.save_review(
                shop["shopper"], shop["sub"].id, shop["product"].id, services.ReviewData(rating)
            )


def test_photos_go_through_the_image_checks(client, shop):
    login(client, shop["shopper"])
    refused = write(
        client,
        shop["sub"],
        shop["product"],
        rating="5",
        photos=[(io.BytesIO(b"<svg onload=alert(1)>"), "x.jpg")],
    )
    assert "Only JPEG, PNG and WebP images are accepted." in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Review.id))) == 0
    write(client, shop["sub"], shop["product"], rating="5", photos=[(io.BytesIO(jpeg()), "p.jpg")])
    review = db.session.scalar(select(Review))
    (photo,) = review.photos
    page = client.get("/en/products/majhoul").get_data(as_text=True)
    assert f"/media/{photo.stored_name}-thumb.webp" in page


# --- replies, reports, moderation --------------------------------------------------------------


@pytest.fixture
def reviewed(shop):
    review = services.save_review(
        shop["shopper"], shop["sub"].id, shop["product"].id, services.ReviewData(4, "Bonnes")
    )
    db.session.commit()
    return {**shop, "review": review}


def test_the_cooperative_replies_once_publicly(app, client, reviewed):
    login(client, reviewed["member"])
    url = f"/en/dashboard/reviews/{reviewed['review'].id}/reply"
    post_form(client, url, {"body": "Merci beaucoup !"}, form_url="/en/dashboard/reviews")
    second = post_form(
        client,
        url,
        {"body": "Encore merci"},
        form_url="/en/dashboard/reviews",
        follow_redirects=True,
    )
    assert "Your cooperative has already replied to this review." in second.get_data(as_text=True)
    page = app.test_client().get("/en/products/majhoul").get_data(as_text=True)
    assert "Reply from the cooperative" in page and "Merci beaucoup !" in page
    assert "Encore merci" not in page
    other = app.test_client()
    login(other, MemberFactory())
    assert post_form(other, url, {"body": "x"}, form_url="/en/dashboard/reviews").status_code == 404


def test_shoppers_and_the_cooperative_report_a_review_once(app, client, reviewed):
    review = reviewed["review"]
    url = f"/en/reviews/{review.id}/report"
    login(client, UserFactory())
    post_form(client, url, {"reason": "Publicité"}, form_url="/en/products/majhoul")
    again = post_form(
        client, url, {"reason": "Encore"}, form_url="/en/products/majhoul", follow_redirects=True
    )
    assert "You have already reported this review." in again.get_data(as_text=True)
    coop = app.test_client()
    login(coop, reviewed["member"])
    post_form(coop, url, {"reason": "Faux avis"}, form_url="/en/dashboard/reviews")
    assert db.session.scalar(select(db.func.count(ReviewReport.id))) == 2
    outsider = app.test_client()
    login(outsider, MemberFactory())
    assert post_form(outsider, url, {"reason": "x"}, form_url="/en/reviews").status_code == 403
    with pytest.raises(Forbidden):
        services.report(review, reviewed["shopper"], "my own")
    admin = app.test_client()
    login(admin, AdminFactory())
    queue = admin.get("/en/admin/reviews").get_data(as_text=True)
    assert "Publicité" in queue and "Faux avis" in queue


def test_admins_hide_and_restore_with_a_reason_and_the_averages_follow(app, client, reviewed):
    product, review = reviewed["product"], reviewed["review"]
    second_shopper = UserFactory()
    sub2 = delivered_sub_order(second_shopper, product, reviewed["member"])
    services.save_review(second_shopper, sub2.id, product.id, services.ReviewData(2, "Bof"))
    db.session.commit()
    assert totals(Product, product.id) == (6, 2)
    admin = AdminFactory()
    login(client, admin)
    url = f"/en/admin/reviews/{review.id}/moderate"
    no_reason = post_form(client, url, {"action": "hide"}, form_url="/en/admin/reviews")
    assert no_reason.status_code in (302, 303)
    assert totals(Product, product.id) == (6, 2)
    post_form(client, url, {"action": "hide", "reason": "Hors sujet"}, form_url="/en/admin/reviews")
    assert totals(Product, product.id) == (2, 1)
    assert totals(Cooperative, product.cooperative_id) == (2, 1)
    page = app.test_client().get("/en/products/majhoul").get_data(as_text=True)
    assert "Bonnes" not in page and "Bof" in page
    assert "2.0 out of 5 (1 review)" in page
    entry = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "review.hidden"))
    assert (entry.actor_id, entry.reason, entry.target_id) == (admin.id, "Hors sujet", review.id)
    post_form(client, url, {"action": "restore", "reason": "Vérifié"}, form_url="/en/admin/reviews")
    assert totals(Product, product.id) == (6, 2)
    assert db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "review.restored"))
    # An edit of a hidden review does not touch the averages.
    services.moderate(db.session.get(Review, review.id), admin, "hide", "Encore")
    services.save_review(
        reviewed["shopper"], reviewed["sub"].id, product.id, services.ReviewData(5, "Changé")
    )
    db.session.commit()
    assert totals(Product, product.id) == (2, 1)


# --- text: XSS and bidi ------------------------------------------------------------------------


def test_review_text_is_plain_isolated_and_free_of_bidi_controls(app, client, shop):
    login(client, shop["shopper"])
    hostile = (
        '<script>alert("x")</script><img src=x onerror=alert(1)>'
        "\u202eثمن رخيص\u202c \u2066إعلان\u2069 \u200fok\u0007"
    )
    write(client, shop["sub"], shop["product"], locale="ar", rating="3", body=hostile)
    review = db.session.scalar(select(Review))
    for control in ("\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u0007"):
        assert control not in review.body
    assert review.locale == "ar"
    page = app.test_client().get("/ar/products/majhoul").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert re.search(r'<p class="review-body" dir="auto" lang="ar">[^<]*ثمن رخيص', page)
    assert "\u202e" not in page
    # A reply is cleaned the same way.
    services.reply(review, shop["member"], "\u202eشكرا<b>!</b>")
    db.session.commit()
    assert review.reply.body == "شكرا<b>!</b>"
    assert "شكرا&lt;b&gt;!&lt;/b&gt;" in app.test_client().get("/ar/products/majhoul").get_data(
        as_text=True
    )


def test_clean_text_keeps_lines_and_drops_control_characters():
    assert services.clean_text("  a\u0000b \r\n\n\n\n\u202dc\u2067 ", 100) == "ab\n\nc"


def test_review_text_is_length_limited(shop):
    with pytest.raises(InvalidInput):
        services.save_review(
            shop["shopper"],
            shop["sub"].id,
            shop["product"].id,
            services.ReviewData(4, "x" * (services.MAX_BODY + 1)),
        )


# --- what the public sees ---------------------------------------------------------------------


def add_reviews(shop, specs):
    """One delivered order and review per (rating, body, locale, days ago)."""
    made = []
    for index, (rating, body, locale, days_ago) in enumerate(specs):
        shopper = UserFactory(name=f"Client {index}")
        sub = delivered_sub_order(shopper, shop["product"], shop["member"])
        review = services.save_review(
            shopper, sub.id, shop["product"].id, services.ReviewData(rating, body, locale)
        )
        review.created_at = utcnow() - timedelta(days=days_ago)
        made.append(review)
    db.session.commit()
    return made


def test_the_product_page_shows_average_count_distribution_and_json_ld(client, shop):
    add_reviews(
        shop,
        [
            (5, "Délicieuses", "fr", 3),
            (4, "Very good", "en", 2),
            (4, "ممتاز", "ar", 1),
            (2, "", "fr", 0),
        ],
    )
    page = client.get("/en/products/majhoul").get_data(as_text=True)
    assert "3.8 out of 5 (4 reviews)" in page
    for stars, count in ((5, 1), (4, 2), (3, 0), (2, 1), (1, 0)):
        assert re.search(
            rf'{stars} stars?</th>\s*<td><meter min="0" max="4" value="{count}">', page
        ), stars
    assert "3,8" in client.get("/fr/products/majhoul").get_data(as_text=True)  # as French writes it
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 3.75,
        "reviewCount": 4,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert {r["@type"] for r in data["review"]} == {"Review"}
    assert data["review"][0]["reviewBody"] == "Very good"  # the page's language first
    assert data["review"][0]["author"]["name"] == "Client 1."
    # Cards show the average and the count too.
    listing = client.get("/en/products").get_data(as_text=True)
    assert "3.8 out of 5 (4 reviews)" in listing
    # The cooperative's overall rating.
    coop_page = client.get(f"/en/cooperatives/{shop['product'].cooperative.slug}")
    hero = coop_page.get_data(as_text=True).split('class="coop-hero', 1)[1].split("</section>")[0]
    assert "3.8 out of 5 (4 reviews)" in hero


def test_reviews_come_in_the_pages_language_first_then_newest_in_keyset_pages(client, shop):
    add_reviews(
        shop,
        [
            ("5", "fr old", "fr", 9),
            ("4", "en old", "en", 8),
            ("3", "ar new", "ar", 1),
            ("5", "en new", "en", 2),
            ("4", "fr new", "fr", 0),
        ],
    )
    locale_first = services.product_reviews(shop["product"].id, "en", per_page=2)
    assert [r.body for r in locale_first.reviews] == ["en new", "en old"]
    rest = services.product_reviews(
        shop["product"].id, "en", per_page=2, after=locale_first.next_cursor
    )
    assert [r.body for r in rest.reviews] == ["fr new", "ar new"]
    last = services.product_reviews(shop["product"].id, "en", per_page=2, after=rest.next_cursor)
    assert [r.body for r in last.reviews] == ["fr old"] and last.next_cursor is None
    # Through the pages: the product page shows the first five, the next page the rest.
    first = services.product_reviews(shop["product"].id, "ar", per_page=1)
    response = client.get(f"/ar/products/majhoul/reviews?after={first.next_cursor}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "fr new" in body and "ar new" not in body
    assert client.get("/en/products/majhoul/reviews?after=garbage").status_code == 400


def test_the_reviewers_name_is_shortened(shop):
    review = services.save_review(
        shop["shopper"], shop["sub"].id, shop["product"].id, services.ReviewData(5)
    )
    assert services.reviewer_name(review) == "Fatima A."


# --- the delivered e-mail ------------------------------------------------------------------------


def test_the_delivered_email_invites_the_shopper_once_in_their_language(app, outbox):
    from marketplace.orders.status import transition

    product = ProductFactory(stock=10)
    member = MemberFactory(cooperative=product.cooperative)
    shopper = UserFactory(locale="ar")
    order = place_cod_order(shopper, product, 1)
    order.locale = "ar"
    db.session.commit()
    sub = order.sub_orders[0]
    transition(sub, "shipped", member, carrier="Amana", tracking_number="AM1")
    db.session.commit()
    transition(sub, "delivered", member)
    db.session.commit()
    mails = [m for m in outbox() if m["To"] == shopper.email]
    invitations = [m for m in mails if "/ar/reviews" in _text(m)]
    assert len(invitations) == 1  # the delivered e-mail only, not the shipped one
    assert "تعاونية 1" in _text(invitations[0])  # the cooperative's name in Arabic


def test_a_guest_order_gets_no_invitation(app, outbox):
    from marketplace.orders.status import transition

    product = ProductFactory(stock=10)
    member = MemberFactory(cooperative=product.cooperative)
    order = place_cod_order(UserFactory(), product, 1)
    order.user_id = None
    db.session.commit()
    sub = order.sub_orders[0]
    transition(sub, "shipped", member, carrier="Amana", tracking_number="AM1")
    transition(sub, "delivered", member)
    db.session.commit()
    assert not any("/reviews" in _text(m) for m in outbox())


def _text(message) -> str:
    if message.is_multipart():
        return "".join(
            part.get_payload(decode=True).decode()
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
    return message.get_payload(decode=True).decode()


def test_frozen_clock_helper_moves_review_edit_window(monkeypatch, shop):
    review = services.save_review(
        shop["shopper"], shop["sub"].id, shop["product"].id, services.ReviewData(5)
    )
    assert services.can_edit(review)
    assert not services.can_edit(review, datetime.now(UTC) + timedelta(days=31))


def test_the_order_page_of_a_delivered_sub_order_links_to_the_reviews(app, client, shop):
    login(client, shop["shopper"])
    page = client.get(f"/en/orders/{shop['sub'].order.number}").get_data(as_text=True)
    assert 'href="/en/reviews">Review these products</a>' in page
    pending = place_cod_order(shop["shopper"], shop["product"], 1)
    other = client.get(f"/en/orders/{pending.number}").get_data(as_text=True)
    assert "Review these products" not in other


def test_a_photo_can_be_removed_and_at_most_three_are_kept(client, shop):
    login(client, shop["shopper"])
    photos = [(io.BytesIO(jpeg()), f"p{n}.jpg") for n in range(3)]
    write(client, shop["sub"], shop["product"], rating="5", photos=photos)
    review = db.session.scalar(select(Review))
    assert len(review.photos) == 3
    too_many = write(
        client, shop["sub"], shop["product"], rating="5", photos=[(io.BytesIO(jpeg()), "x.jpg")]
    )
    assert "At most 3 photos per review." in too_many.get_data(as_text=True)
    first = review.photos[0].id
    write(client, shop["sub"], shop["product"], rating="5", remove_photos=[str(first)])
    db.session.expire_all()
    assert first not in {p.id for p in db.session.get(Review, review.id).photos}
    assert len(db.session.get(Review, review.id).photos) == 2
