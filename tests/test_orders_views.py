"""Checkout, review, the shopper's orders, the cooperative's orders and the admin list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, Order, OrderLine, SavedAddress
from tests.factories import (
    AdminFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
    place_test_order,
    set_variant,
)
from tests.helpers import csrf_token, login, post_form

SHIPPING = {
    "email": "amina@example.ma",
    "contact_name": "Amina Ait Lahcen",
    "phone": "06 12 34 56 78",
    "address_line1": "Rue 5, Hay Salam",
    "city": "Errachidia",
    "region": "Drâa-Tafilalet",
    "postal_code": "52000",
    "country": "MA",
    "payment_method": "cod",
}


def add(client, product, quantity=1):
    token = csrf_token(client, f"/en/products/{product.slug}")
    response = client.post(
        "/en/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": quantity}
    )
    assert response.status_code == 303


def fill_checkout(client, **changes):
    return post_form(client, "/en/checkout", {**SHIPPING, **changes})


def review_form(client) -> dict:
    html = client.get("/en/checkout/review").get_data(as_text=True)
    return form_fields(html)


def form_fields(html: str) -> dict:
    fields = {}
    for name in ("csrf_token", "token", "fingerprint"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html
        )
        if match:
            fields[name] = match.group(1)
    return fields


def confirm(client, fields=None):
    return client.post("/en/checkout/review", data=fields or review_form(client))


def checkout(client, **changes):
    response = fill_checkout(client, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return confirm(client)


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def stock_of(product) -> int:
    return db.session.scalar(select(Product.stock).where(Product.id == product.id))


@pytest.fixture
def two_cooperatives():
    dates = CooperativeFactory(names={"en": "Dates of Erfoud", "fr": "Dattes d'Erfoud"})
    roses = CooperativeFactory(names={"en": "Roses of Kelaa", "fr": "Roses de Kelaa"})
    MemberFactory(cooperative=dates, email="dates@example.ma", locale="ar")
    MemberFactory(cooperative=roses, email="roses@example.ma", locale="fr")
    p1 = ProductFactory(cooperative=dates, price_cents=5000, stock=10, names={"en": "Dates"})
    p2 = ProductFactory(cooperative=roses, price_cents=8000, stock=10, names={"en": "Rose oil"})
    return dates, roses, p1, p2


# --- checkout -------------------------------------------------------------------------------


def test_guest_checkout_cash_on_delivery_from_two_cooperatives(client, outbox, two_cooperatives):
    _dates, _roses, p1, p2 = two_cooperatives
    add(client, p1, 2)
    add(client, p2, 1)
    response = fill_checkout(client)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/en/checkout/review"
    )
    review = client.get("/en/checkout/review").get_data(as_text=True)
    # exact amounts: 100.00 + 30.00 and 80.00 + 30.00
    assert "MAD\xa0240.00" in review
    response = confirm(client)
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert response.headers["Location"].endswith(f"/en/orders/{order.number}")
    assert re.fullmatch(r"DT-2026-\d{6}", order.number)
    assert order.user_id is None and order.email == "amina@example.ma"
    assert order.phone == "+212612345678"
    assert order.total_cents == 24000 and order.status == "confirmed"
    assert sorted(s.total_cents for s in order.sub_orders) == [11000, 13000]
    assert (stock_of(p1), stock_of(p2)) == (8, 9)

    page = client.get(f"/en/orders/{order.number}").get_data(as_text=True)
    assert "Dates of Erfoud" in page and "Roses of Kelaa" in page and "Confirmed" in page
    assert "Your cart is empty." in client.get("/en/cart").get_data(as_text=True)

    mails = outbox()
    recipients = sorted(m["To"] for m in mails)
    assert recipients == ["amina@example.ma", "dates@example.ma", "roses@example.ma"]
    shopper = next(m for m in mails if m["To"] == "amina@example.ma")
    assert order.number in shopper["Subject"]
    assert "MAD\xa0240.00" in shopper.get_content() or "240,00" in shopper.get_content()
    arabic = next(m for m in mails if m["To"] == "dates@example.ma")
    assert order.number in arabic.get_content()
    assert "طلب جديد" in arabic["Subject"]  # the member's language
    french = next(m for m in mails if m["To"] == "roses@example.ma")
    assert "Nouvelle commande" in french["Subject"]


def test_checkout_keeps_what_was_typed_and_explains_a_bad_phone(client):
    add(client, ProductFactory())
    response = fill_checkout(client, phone="12345")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter a Moroccan phone number" in html
    assert 'value="Rue 5, Hay Salam"' in html
    assert orders_count() == 0


@pytest.mark.parametrize(
    "typed", ["0612345678", "+212 6 12 34 56 78", "00212612345678", "٠٦١٢٣٤٥٦٧٨"]
)
def test_moroccan_phone_formats_are_normalised(client, typed):
    add(client, ProductFactory())
    checkout(client, phone=typed)
    assert db.session.scalar(select(Order.phone)) == "+212612345678"


def test_abroad_only_when_every_cooperative_ships_abroad(client):
    abroad = ProductFactory(cooperative=CooperativeFactory(ships_abroad=True))
    home = ProductFactory(cooperative=CooperativeFactory(ships_abroad=False))
    add(client, abroad)
    add(client, home)
    response = fill_checkout(client, country="FR", phone="+33 6 12 34 56 78")
    assert response.status_code == 400
    assert "do not ship to this country" in response.get_data(as_text=True)
    # only the cooperative that ships abroad: France is offered
    token = csrf_token(client, "/en/cart")
    client.post(
        "/en/cart/update", data={"csrf_token": token, "product_id": home.id, "action": "remove"}
    )
    assert "France" in client.get("/en/checkout").get_data(as_text=True)
    response = checkout(client, country="FR", phone="+33 6 12 34 56 78")
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.country, order.phone) == ("FR", "+33612345678")


def test_cash_on_delivery_needs_every_cooperative_and_a_total_under_the_ceiling(client, app):
    no_cod = ProductFactory(cooperative=CooperativeFactory(accepts_cash_on_delivery=False))
    add(client, no_cod)
    html = client.get("/en/checkout").get_data(as_text=True)
    assert 'value="cod"' not in html
    assert "No payment method is available" in html
    response = fill_checkout(client)
    assert response.status_code == 400
    assert orders_count() == 0

    other = app.test_client()
    expensive = ProductFactory(price_cents=app.config["COD_MAX_TOTAL_CENTS"], stock=5)
    add(other, expensive, 1)  # + shipping: above the ceiling
    assert 'value="cod"' not in other.get("/en/checkout").get_data(as_text=True)


def test_card_is_offered_only_when_card_payments_are_enabled(client):
    add(client, ProductFactory())
    html = client.get("/en/checkout").get_data(as_text=True)
    assert 'value="card"' not in html
    response = fill_checkout(client, payment_method="card")
    assert response.status_code == 400
    assert "Please choose a payment method." in response.get_data(as_text=True) or (
        "Not a valid choice" in response.get_data(as_text=True)
    )


def test_review_tells_what_changed_and_asks_to_confirm_again(client):
    product = ProductFactory(price_cents=10000, stock=5, names={"en": "Amlou"})
    gone = ProductFactory(stock=5, names={"en": "Honey"})
    add(client, product)
    add(client, gone)
    fill_checkout(client)
    fields = review_form(client)
    set_variant(product, price_cents=12000)
    gone.status = "hidden"
    db.session.commit()
    response = confirm(client, fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The price of Amlou changed from MAD\xa0100.00 to MAD\xa0120.00." in html
    assert "Honey is no longer available and was removed from your cart." in html
    assert "confirm again" in html
    assert orders_count() == 0
    # the new review shows the new amounts; confirming it places the order at the new price
    response = confirm(client, form_fields(html))
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.items_cents == 12000


def test_tampered_fingerprint_is_treated_as_a_change(client):
    add(client, ProductFactory(price_cents=10000))
    fill_checkout(client)
    fields = review_form(client)
    fields["fingerprint"] = "1x1@1=1"
    response = confirm(client, fields)
    assert response.status_code == 409
    assert orders_count() == 0


def test_not_enough_stock_at_confirmation_writes_nothing(client):
    product = ProductFactory(stock=5, names={"en": "Saffron"})
    other = ProductFactory(stock=5)
    add(client, other, 2)
    add(client, product, 3)
    fill_checkout(client)
    fields = review_form(client)
    set_variant(product, stock=1)  # sold meanwhile
    db.session.commit()
    response = confirm(client, fields)
    assert response.status_code == 409
    assert "Only 1 of Saffron left in stock." in response.get_data(as_text=True)
    assert orders_count() == 0
    assert (stock_of(product), stock_of(other)) == (1, 5)


def test_a_cooperative_suspended_before_confirmation_places_nothing(client):
    from marketplace.cooperatives.models import CooperativeStatus

    kept = ProductFactory(stock=5, names={"en": "Couscous"})
    cooperative = CooperativeFactory()
    gone = ProductFactory(cooperative=cooperative, stock=5, names={"en": "Saffron"})
    add(client, kept, 1)
    add(client, gone, 2)
    fill_checkout(client)
    fields = review_form(client)
    cooperative.status = CooperativeStatus.SUSPENDED.value
    db.session.commit()
    response = confirm(client, fields)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Saffron is no longer available and was removed from your cart." in html
    assert orders_count() == 0 and (stock_of(kept), stock_of(gone)) == (5, 5)
    # confirming the new review orders what is left
    assert confirm(client, form_fields(html)).status_code == 303
    order = db.session.scalar(select(Order))
    assert [line.product_id for s in order.sub_orders for line in s.lines] == [kept.id]


def test_a_double_submitted_checkout_places_one_order(client):
    product = ProductFactory(stock=5)
    add(client, product, 2)
    fill_checkout(client)
    fields = review_form(client)
    first = confirm(client, fields)
    second = confirm(client, fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert orders_count() == 1
    assert stock_of(product) == 3


def test_logged_in_checkout_saves_the_address_and_prefills_it_next_time(client):
    user = UserFactory(name="Youssef")
    login(client, user)
    add(client, ProductFactory())
    checkout(client, save_address="y")
    saved = db.session.scalar(select(SavedAddress).where(SavedAddress.user_id == user.id))
    assert saved.city == "Errachidia" and saved.phone == "+212612345678"
    order = db.session.scalar(select(Order))
    assert order.user_id == user.id
    add(client, ProductFactory())
    html = client.get("/en/checkout").get_data(as_text=True)
    assert 'value="Rue 5, Hay Salam"' in html
    history = client.get("/en/orders").get_data(as_text=True)
    assert order.number in history


def test_empty_cart_checkout_goes_back_to_the_cart(client):
    assert client.get("/en/checkout").status_code == 302
    assert client.get("/en/checkout/review").status_code == 302


# --- the shopper's orders -------------------------------------------------------------------


def test_another_shoppers_order_is_not_found(client, app):
    owner, stranger = UserFactory(), UserFactory()
    order = place_test_order({ProductFactory(): 1}, user=owner)
    db.session.commit()
    login(client, stranger)
    assert client.get(f"/en/orders/{order.number}").status_code == 404
    assert client.get("/en/orders/DT-2026-999999").status_code == 404
    response = post_form(client, f"/en/orders/{order.number}/cancel", {}, form_url="/en/cart")
    assert response.status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/en/orders/{order.number}").status_code == 404


def test_a_guest_opens_the_order_with_the_link_of_the_email(client, app, outbox):
    product = ProductFactory()
    add(client, product)
    checkout(client)
    order = db.session.scalar(select(Order))
    body = next(m for m in outbox() if m["To"] == SHIPPING["email"]).get_content()
    link = re.search(r"https?://[^/\s]+(/\S+key=\S+)", body).group(1)
    other = app.test_client()
    assert other.get(f"/fr/orders/{order.number}").status_code == 404
    assert other.get(link).status_code == 302
    assert other.get(f"/fr/orders/{order.number}").status_code == 200
    forger = app.test_client()
    assert forger.get(f"/fr/orders/{order.number}?key=forged").status_code == 404
    assert forger.get(f"/fr/orders/DT-2026-000099{link[-40:]}").status_code == 404


def test_shopper_cancels_what_has_not_shipped_and_stock_comes_back(
    client, outbox, two_cooperatives
):
    dates, roses, p1, p2 = two_cooperatives
    user = UserFactory()
    order = place_test_order({p1: 2, p2: 3}, user=user)
    db.session.commit()
    sub_dates = next(s for s in order.sub_orders if s.cooperative_id == dates.id)
    sub_roses = next(s for s in order.sub_orders if s.cooperative_id == roses.id)
    from marketplace.orders.status import transition

    transition(sub_roses, "shipped", None, by="cooperative")
    db.session.commit()
    login(client, user)
    url = f"/en/orders/{order.number}"
    response = post_form(client, f"{url}/cancel", {"sub_order_id": sub_dates.id}, form_url=url)
    assert response.status_code == 303
    db.session.refresh(sub_dates)
    assert sub_dates.status == "cancelled" and sub_dates.stock_returned
    assert stock_of(p1) == 10
    # the shipped part cannot be cancelled
    response = post_form(client, f"{url}/cancel", {"sub_order_id": sub_roses.id}, form_url=url)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already shipped and can no longer be cancelled" in page
    assert stock_of(p2) == 7
    db.session.refresh(order)
    assert order.status == "shipped"
    subjects = [m["Subject"] for m in outbox()]
    assert any("cancelled" in s or "annulée" in s for s in subjects)


# --- cooperatives ---------------------------------------------------------------------------


def test_a_cooperative_filters_searches_and_pages_its_own_orders(
    app, monkeypatch, two_cooperatives
):
    """The list's total (its pages) comes from the counts per status unless searching, and
    searching joins the orders: every combination lists and counts the same sub-orders."""
    dates, _roses, p1, p2 = two_cooperatives
    names = ("Amina Idrissi", "Youssef Alaoui", "Amina Tazi", "Khadija Amrani", "Omar Berrada")
    orders = [place_test_order({p1: 1, p2: 1}, contact_name=name) for name in names]
    db.session.flush()
    ours = [next(s for s in o.sub_orders if s.cooperative_id == dates.id) for o in orders]
    theirs = [next(s for s in o.sub_orders if s.cooperative_id != dates.id) for o in orders]
    ours[0].status = ours[2].status = ours[3].status = "shipped"
    theirs[1].status = "shipped"
    db.session.commit()
    numbers = {o.number: i for i, o in enumerate(orders)}
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)  # the app is shared by the tests
    seller = app.test_client()
    login(seller, "dates@example.ma")

    def listed(query: str) -> tuple[set[int], str]:
        shown, pages, page = set(), "", 1
        while True:
            html = seller.get(f"/en/dashboard/orders?{query}&page={page}").get_data(as_text=True)
            shown |= {numbers[n] for n in numbers if n in html}
            assert not any(f'/dashboard/orders/{s.id}"' in html for s in theirs)
            pages = pages or (html.split("Page 1 of ")[1][:1] if "Page 1 of " in html else "1")
            if 'rel="next"' not in html:
                return shown, pages
            page += 1

    assert listed("") == ({0, 1, 2, 3, 4}, "3")
    assert listed("status=shipped") == ({0, 2, 3}, "2")
    assert listed("status=confirmed") == ({1, 4}, "1")
    assert listed("q=amina") == ({0, 2}, "1")
    assert listed("status=shipped&q=amina") == ({0, 2}, "1")
    assert listed(f"q={orders[4].number}") == ({4}, "1")
    assert listed("status=delivered") == (set(), "1")
    page = seller.get("/en/dashboard/orders").get_data(as_text=True)
    assert "Shipped (3)" in page and "Confirmed (2)" in page  # the roses' shipment not counted


def test_each_cooperative_sees_only_its_part_ships_it_and_the_shopper_sees_it(
    client, app, outbox, two_cooperatives
):
    dates, roses, p1, p2 = two_cooperatives
    shopper = UserFactory(email="shopper@example.ma")
    order = place_test_order({p1: 1, p2: 1}, user=shopper)
    db.session.commit()
    sub_dates = next(s for s in order.sub_orders if s.cooperative_id == dates.id)
    sub_roses = next(s for s in order.sub_orders if s.cooperative_id == roses.id)

    seller = app.test_client()
    login(seller, "dates@example.ma")
    listing = seller.get("/en/dashboard/orders").get_data(as_text=True)
    assert order.number in listing and f"/dashboard/orders/{sub_dates.id}" in listing
    assert f"/dashboard/orders/{sub_roses.id}" not in listing
    assert seller.get(f"/en/dashboard/orders/{sub_roses.id}").status_code == 404
    assert seller.get(f"/en/dashboard/orders/{sub_roses.id}/packing-slip").status_code == 404
    page = seller.get(f"/en/dashboard/orders/{sub_dates.id}").get_data(as_text=True)
    assert "Rose oil" not in page and "Dates" in page

    url = f"/en/dashboard/orders/{sub_dates.id}"
    response = post_form(
        seller,
        f"{url}/status",
        {"status": "shipped", "carrier": "Amana", "tracking_number": "AM123456789MA"},
        form_url=url,
    )
    assert response.status_code == 303
    # a cooperative cannot act on another's sub-order
    response = post_form(
        seller, f"/en/dashboard/orders/{sub_roses.id}/status", {"status": "shipped"}, form_url=url
    )
    assert response.status_code == 404
    db.session.refresh(sub_roses)
    assert sub_roses.status == "confirmed"

    buyer = app.test_client()
    login(buyer, shopper)
    html = buyer.get(f"/en/orders/{order.number}").get_data(as_text=True)
    assert "AM123456789MA" in html and "Shipped" in html and "Partly shipped" in html
    assert "by the cooperative" in html
    assert any(
        m["To"] == "shopper@example.ma" and "AM123456789MA" in m.get_content() for m in outbox()
    )

    post_form(seller, f"{url}/status", {"status": "delivered"}, form_url=url)
    db.session.refresh(sub_dates)
    assert sub_dates.status == "delivered"
    assert [e.to_status for e in sub_dates.events] == ["confirmed", "shipped", "delivered"]

    slip = seller.get(f"{url}/packing-slip")
    assert slip.status_code == 200 and order.contact_name in slip.get_data(as_text=True)


def test_a_cooperative_cannot_make_an_illegal_status_change(client, app):
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative)
    order = place_test_order({product: 1})
    db.session.commit()
    sub = order.sub_orders[0]
    login(client, member)
    url = f"/en/dashboard/orders/{sub.id}"
    for status in ("delivered", "pending_payment", "confirmed", "nonsense", ""):
        response = post_form(client, f"{url}/status", {"status": status}, form_url=url)
        assert response.status_code == 409, status
    post_form(client, f"{url}/status", {"status": "shipped"}, form_url=url)
    post_form(client, f"{url}/status", {"status": "delivered"}, form_url=url)
    response = post_form(client, f"{url}/status", {"status": "pending_payment"}, form_url=url)
    assert response.status_code == 409
    assert "cannot become" in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.status == "delivered"


def test_a_cooperative_cancels_with_a_reason_and_stock_comes_back(client, outbox):
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, stock=6)
    order = place_test_order({product: 4})
    db.session.commit()
    sub = order.sub_orders[0]
    login(client, member)
    url = f"/en/dashboard/orders/{sub.id}"
    response = post_form(
        client, f"{url}/status", {"status": "cancelled", "reason": ""}, form_url=url
    )
    assert response.status_code == 400
    assert "Please give the reason for the cancellation." in response.get_data(as_text=True)
    assert stock_of(product) == 2
    response = post_form(
        client,
        f"{url}/status",
        {"status": "cancelled", "reason": "Harvest lost to frost"},
        form_url=url,
    )
    assert response.status_code == 303
    assert stock_of(product) == 6
    mail = outbox()[-1]
    assert mail["To"] == order.email and "annulée" in mail["Subject"]  # order language: fr
    assert "Harvest lost to frost" in mail.get_content()


def test_seller_pages_are_for_cooperative_members_only(client):
    login(client, UserFactory())
    assert client.get("/en/dashboard/orders").status_code == 403


def test_seller_list_filters_and_survives_bad_page_numbers(client):
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, stock=50)
    first = place_test_order({product: 1})
    second = place_test_order({product: 1})
    db.session.commit()
    from marketplace.orders.status import transition

    transition(second.sub_orders[0], "shipped", None, by="cooperative")
    db.session.commit()
    login(client, member)
    html = client.get("/en/dashboard/orders?status=shipped").get_data(as_text=True)
    assert second.number in html and first.number not in html
    html = client.get(f"/en/dashboard/orders?q={first.number}").get_data(as_text=True)
    assert first.number in html and second.number not in html
    for query in ("page=abc", "page=-1", "page=99999999999", "status=bogus"):
        assert client.get(f"/en/dashboard/orders?{query}").status_code == 200


def test_seller_order_pages_keep_the_filter(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, stock=50)
    orders = [place_test_order({product: 1}) for _ in range(5)]
    db.session.commit()
    login(client, member)
    first = client.get("/en/dashboard/orders?status=confirmed").get_data(as_text=True)
    assert "Page 1 of 3" in first and 'rel="prev"' not in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "page=2" in next_link and "status=confirmed" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert "Page 2 of 3" in second and 'rel="prev"' in second
    shown = [o.number for o in orders if o.number in first + second]
    assert len(shown) == 4


def test_admin_sees_every_order_and_shoppers_may_not(client, app):
    order = place_test_order({ProductFactory(): 1})
    db.session.commit()
    login(client, AdminFactory())
    html = client.get("/en/admin/orders").get_data(as_text=True)
    assert order.number in html
    assert client.get(f"/en/orders/{order.number}").status_code == 200
    assert client.get("/en/admin/orders?page=abc&status=x").status_code == 200
    url = f"/en/orders/{order.number}"
    assert "Cancel this part of the order" not in client.get(url).get_data(as_text=True)
    assert post_form(client, f"{url}/cancel", {}, form_url="/en/admin/orders").status_code == 403
    shopper = app.test_client()
    login(shopper, UserFactory())
    assert shopper.get("/en/admin/orders").status_code == 403


def test_order_lines_keep_the_name_and_price_of_the_day(client):
    product = ProductFactory(price_cents=3000, names={"fr": "Dattes Mejhoul"})
    order = place_test_order({product: 2})
    db.session.commit()
    set_variant(product, price_cents=9999)
    product.translations[0].name = "Autre nom"
    db.session.commit()
    line = db.session.scalar(
        select(OrderLine).where(OrderLine.sub_order_id == order.sub_orders[0].id)
    )
    assert (line.product_name, line.unit_price_cents, line.line_total_cents) == (
        "Dattes Mejhoul",
        3000,
        6000,
    )
    assert db.session.scalar(select(CooperativeOrder.items_cents)) == 6000


def test_pages_render_in_every_language(client, app, two_cooperatives):
    dates, _roses, p1, p2 = two_cooperatives
    add(client, p1)
    add(client, p2)
    fill_checkout(client)
    for locale in ("ar", "fr", "en"):
        for path in ("/cart", "/checkout", "/checkout/review"):
            response = client.get(f"/{locale}{path}")
            assert response.status_code == 200, (locale, path)
    confirm(client)
    order = db.session.scalar(select(Order))
    html = client.get(f"/ar/orders/{order.number}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    member = app.test_client()
    login(member, "dates@example.ma")
    sub = next(s for s in order.sub_orders if s.cooperative_id == dates.id)
    for locale in ("ar", "fr"):
        assert member.get(f"/{locale}/dashboard/orders").status_code == 200
        assert member.get(f"/{locale}/dashboard/orders/{sub.id}").status_code == 200
        assert member.get(f"/{locale}/dashboard/orders/{sub.id}/packing-slip").status_code == 200


def test_order_lines_keep_the_names_of_the_day_in_every_language(client, app, outbox):
    """A shopper orders in French; the Arabic-speaking member sees the Arabic name of the day
    (not today's), and a name the product never had in English is marked as a fallback."""
    member = MemberFactory(email="member-ar@example.ma", locale="ar")
    product = ProductFactory(
        cooperative=member.cooperative, names={"fr": "Dattes Mejhoul", "ar": "تمر المجهول"}
    )
    order = place_test_order({product: 1})  # the order's language: French
    db.session.commit()
    for translation in product.translations:
        translation.name = f"Renamed {translation.locale}"
    db.session.commit()
    sub = order.sub_orders[0]
    login(client, member)
    page = client.get(f"/ar/dashboard/orders/{sub.id}").get_data(as_text=True)
    assert "تمر المجهول" in page and "Renamed" not in page
    slip = client.get(f"/ar/dashboard/orders/{sub.id}/packing-slip").get_data(as_text=True)
    assert "تمر المجهول" in slip and "Dattes Mejhoul" not in slip
    assert "تمر المجهول" in next(m for m in outbox() if m["To"] == member.email).get_content()
    assert "Dattes Mejhoul" in next(m for m in outbox() if m["To"] == order.email).get_content()
    english = client.get(f"/en/dashboard/orders/{sub.id}").get_data(as_text=True)
    assert re.search(r'Dattes Mejhoul <span class="fallback-marker" lang="fr">', english)
    french = client.get(f"/fr/dashboard/orders/{sub.id}").get_data(as_text=True)
    assert "Dattes Mejhoul" in french and 'class="fallback-marker"' not in french
