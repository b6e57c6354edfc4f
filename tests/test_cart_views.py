"""The cart: adding from the product page, changing quantities, bad input, merge on login."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from marketplace.orders.models import Cart, CartItem
from tests.factories import CooperativeFactory, ProductFactory, UserFactory, set_variant
from tests.helpers import csrf_token, login, post_form


def add(client, product, quantity="1", **extra):
    token = csrf_token(client, f"/en/products/{product.slug}")
    data = {"csrf_token": token, "product_id": product.id, "quantity": quantity, **extra}
    return client.post("/en/cart/add", data=data)


def cart_html(client) -> str:
    return client.get("/en/cart").get_data(as_text=True)


def test_anonymous_cart_groups_items_by_cooperative_with_shipping_and_totals(client):
    dates = CooperativeFactory(names={"en": "Dates of Erfoud"}, shipping_fee_cents=2500)
    roses = CooperativeFactory(
        names={"en": "Roses of Kelaa"}, shipping_fee_cents=3000, free_shipping_threshold_cents=20000
    )
    p1 = ProductFactory(cooperative=dates, price_cents=4550, names={"en": "Medjool dates"})
    p2 = ProductFactory(cooperative=roses, price_cents=12000, names={"en": "Rose water"})

    response = add(client, p1, "2")
    assert response.status_code == 303
    assert add(client, p2, "2").status_code == 303

    html = cart_html(client)
    assert "Dates of Erfoud" in html and "Roses of Kelaa" in html
    assert "Medjool dates" in html and "Rose water" in html
    # dates: 2 × 45.50 = 91.00 + 25.00 shipping; roses: 240.00, free shipping above 200.00
    assert "MAD\xa091.00" in html and "MAD\xa025.00" in html
    assert "MAD\xa0240.00" in html and "Free" in html
    assert "MAD\xa0356.00" in html  # grand total
    assert '<span class="cart-count" data-cart-count' in html
    assert ">4</span>" in html


def test_adding_twice_adds_up_and_the_form_keeps_the_shopper_on_the_page(client):
    product = ProductFactory(price_cents=1000, stock=10)
    response = add(client, product, "2", next=f"/en/products/{product.slug}")
    assert response.headers["Location"].endswith(f"/en/products/{product.slug}")
    add(client, product, "3")
    assert 'value="5"' in cart_html(client)


def test_add_with_javascript_answers_json_with_the_new_count(client):
    product = ProductFactory(stock=10)
    token = csrf_token(client, f"/en/products/{product.slug}")
    response = client.post(
        "/en/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": "3"},
        headers={"X-Requested-With": "fetch", "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["count"] == 3
    bad = client.post(
        "/en/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": "-2"},
        headers={"X-Requested-With": "fetch", "Accept": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json["ok"] is False and "at least 1" in bad.json["message"]
    assert bad.json["count"] == 3


def test_open_redirect_in_next_is_ignored(client):
    product = ProductFactory()
    response = add(client, product, "1", next="//evil.example/")
    assert response.headers["Location"].endswith("/en/cart")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "The quantity must be at least 1."),
        ("-3", "The quantity must be at least 1."),
        ("abc", "Please enter a whole number of items."),
        ("1.5", "Please enter a whole number of items."),
        ("", "Please enter a whole number of items."),
        ("100", "You can order at most 99 of one product."),
        ("99999999999", "Please enter a whole number of items."),
        ("11", "Only 10 of Argan oil left in stock."),
    ],
)
def test_bad_quantities_are_refused_with_a_clear_message(client, quantity, message):
    product = ProductFactory(stock=10, names={"en": "Argan oil"})
    response = add(client, product, quantity)
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in html
    assert "Your cart is empty." in cart_html(client)


def test_above_stock_counts_what_is_already_in_the_cart(client):
    product = ProductFactory(stock=4, names={"en": "Saffron"})
    add(client, product, "3")
    response = add(client, product, "2")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only 4 of Saffron left in stock." in html
    assert 'value="3"' in cart_html(client)


@pytest.mark.parametrize("product_id", ["999999", "abc", "-1", "", "1 OR 1=1"])
def test_unknown_product_ids_are_refused(client, product_id):
    visible = ProductFactory()
    token = csrf_token(client, f"/en/products/{visible.slug}")
    response = client.post(
        "/en/cart/add", data={"csrf_token": token, "product_id": product_id, "quantity": "1"}
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This product does not exist or is no longer available." in html


def test_hidden_products_and_suspended_cooperatives_cannot_be_added(client):
    visible = ProductFactory()
    hidden = ProductFactory(status=ProductStatus.HIDDEN.value)
    draft = ProductFactory(status=ProductStatus.DRAFT.value)
    suspended = ProductFactory(
        cooperative=CooperativeFactory(status=CooperativeStatus.SUSPENDED.value)
    )
    token = csrf_token(client, f"/en/products/{visible.slug}")
    for product in (hidden, draft, suspended):
        response = client.post(
            "/en/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": "1"}
        )
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "This product does not exist or is no longer available." in html
    assert "Your cart is empty." in cart_html(client)


def test_tampered_price_and_cooperative_in_the_form_are_ignored(client):
    product = ProductFactory(price_cents=12000)
    other = CooperativeFactory()
    add(client, product, "1", price_cents="1", unit_price_cents="1", cooperative_id=other.id)
    html = cart_html(client)
    assert "MAD\xa0120.00" in html
    assert "MAD\xa00.01" not in html


def test_a_product_whose_cooperative_is_suspended_later_leaves_the_cart_with_a_message(client):
    cooperative = CooperativeFactory()
    product = ProductFactory(cooperative=cooperative, names={"en": "Henna"})
    add(client, product, "2")
    cooperative.status = CooperativeStatus.SUSPENDED.value
    db.session.commit()
    html = cart_html(client)
    assert "Henna is no longer available and was removed from your cart." in html
    assert "Your cart is empty." in cart_html(client)


def test_a_price_change_is_shown_in_the_cart(client):
    product = ProductFactory(price_cents=10000, names={"en": "Couscous"})
    add(client, product, "1")
    set_variant(product, price_cents=11000)
    db.session.commit()
    html = cart_html(client)
    assert "The price of Couscous changed from MAD\xa0100.00 to MAD\xa0110.00." in html


def test_change_quantity_and_remove(client):
    product = ProductFactory(stock=20)
    add(client, product, "2")
    token = csrf_token(client, "/en/cart")
    response = client.post(
        "/en/cart/update",
        data={"csrf_token": token, "product_id": product.id, "quantity": "7"},
    )
    assert response.status_code == 303
    assert 'value="7"' in cart_html(client)
    for bad in ("-1", "x", "100", "21"):
        client.post(
            "/en/cart/update",
            data={"csrf_token": token, "product_id": product.id, "quantity": bad},
        )
        assert 'value="7"' in cart_html(client)
    client.post(
        "/en/cart/update",
        data={"csrf_token": token, "product_id": product.id, "action": "remove"},
    )
    assert "Your cart is empty." in cart_html(client)


def test_updating_a_product_not_in_the_cart_is_refused(client):
    product, other = ProductFactory(), ProductFactory()
    add(client, product, "1")
    token = csrf_token(client, "/en/cart")
    response = client.post(
        "/en/cart/update", data={"csrf_token": token, "product_id": other.id, "quantity": "3"}
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This product is not in your cart." in html


def test_cart_post_without_csrf_token_is_refused(client):
    product = ProductFactory()
    response = client.post("/en/cart/add", data={"product_id": product.id, "quantity": "1"})
    assert response.status_code in (302, 303, 400)
    assert "Your cart is empty." in cart_html(client)


def test_logged_in_cart_is_stored_in_the_database(client):
    user = UserFactory()
    product = ProductFactory()
    login(client, user)
    add(client, product, "2")
    item = db.session.scalar(
        select(CartItem)
        .join(Cart)
        .where(Cart.user_id == user.id, CartItem.product_id == product.id)
    )
    assert item is not None and item.quantity == 2


def test_anonymous_cart_is_merged_into_the_account_on_login(client):
    user = UserFactory()
    a, b = ProductFactory(stock=10), ProductFactory(stock=10)
    # Already in the account's cart from an earlier visit.
    login(client, user)
    add(client, a, "1")
    client.post("/en/logout", data={"csrf_token": csrf_token(client, "/en/cart")})
    fresh = client.application.test_client()
    add(fresh, a, "2")
    add(fresh, b, "3")
    login(fresh, user)
    rows = dict(
        db.session.execute(
            select(CartItem.product_id, CartItem.quantity).join(Cart).where(Cart.user_id == user.id)
        ).all()
    )
    assert rows == {a.id: 3, b.id: 3}
    html = cart_html(fresh)
    assert 'value="3"' in html


@pytest.mark.parametrize(
    ("locale", "quantity", "message"),
    [
        ("ar", "0", "يجب أن تكون الكمية 1 على الأقل."),
        ("fr", "-2", "La quantité doit être d&#39;au moins 1."),
    ],
)
def test_bad_input_messages_are_translated(client, locale, quantity, message):
    product = ProductFactory(stock=10)
    token = csrf_token(client, f"/{locale}/products/{product.slug}")
    response = client.post(
        f"/{locale}/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": quantity},
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in html
    hidden = client.post(
        f"/{locale}/cart/add", data={"csrf_token": token, "product_id": "999999", "quantity": "1"}
    )
    html = client.get(hidden.headers["Location"]).get_data(as_text=True)
    assert ("هذا المنتج غير موجود" if locale == "ar" else "Ce produit n&#39;existe pas") in html


def test_cart_page_queries_do_not_grow_with_its_lines(app, client):
    from tests.test_catalogue_performance import query_count

    cooperatives = [CooperativeFactory() for _ in range(3)]
    products = [ProductFactory(cooperative=cooperatives[i % 3]) for i in range(6)]

    def add(product):
        url = f"/en/products/{product.slug}"
        data = {"product_id": product.id, "quantity": 1}
        assert post_form(client, "/en/cart/add", data, form_url=url).status_code in (302, 303)

    add(products[0])
    one_line = query_count(app, client, "/en/cart")
    for product in products[1:]:
        add(product)
    assert query_count(app, client, "/en/cart") == one_line
