"""The whole-page cache of anonymous catalogue pages (marketplace/cache.py): hits carry the
visitor's own CSRF token, edits and suspensions show at once, stock changes do not flush the
cache, and logged-in users or shoppers with a cart never get (or feed) a shared page."""

from __future__ import annotations

import re

from sqlalchemy import update

from marketplace import cache as page_cache
from marketplace.catalogue.models import Product
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.cooperatives.services import change_status
from marketplace.extensions import db
from tests.factories import AdminFactory, ProductFactory, UserFactory
from tests.helpers import CSRF_RE, login

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.headers.get(page_cache.STATUS_HEADER), response.get_data(as_text=True)


def add_to_cart(client, product, token):
    return client.post(
        "/en/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": "1"},
    )


def test_second_visit_is_served_from_the_cache(client, cached):
    product = ProductFactory(names={"en": "Medjool dates"})
    url = f"/en/products/{product.slug}"
    assert fetch(client, url)[0] == "miss"
    status, html = fetch(client, url)
    assert status == "hit"
    assert "Medjool dates" in html
    assert "\x00" not in html  # every stand-in was replaced
    assert re.search(r'name="csrf_token"[^>]*value="[\w.-]{40,}"', html)


def test_each_visitor_gets_a_working_csrf_token_of_their_own(app, cached):
    product = ProductFactory(stock=5)
    url = f"/en/products/{product.slug}"
    first, second = app.test_client(), app.test_client()
    _, html_first = fetch(first, url)
    status, html_second = fetch(second, url)
    assert status == "hit"
    token_first = TOKEN_RE.search(html_first).group(1)
    token_second = TOKEN_RE.search(html_second).group(1)
    assert token_first != token_second
    # The substituted token is valid for its visitor's session, and only for it.
    assert add_to_cart(second, product, token_second).status_code == 303
    third = app.test_client()
    assert fetch(third, url)[0] == "hit"
    assert add_to_cart(third, product, token_first).status_code == 400


def test_a_product_edit_is_visible_on_the_next_request(client, cached):
    product = ProductFactory(names={"en": "Medjool dates"}, price_cents=12000)
    urls = [f"/en/products/{product.slug}", "/en/products", "/en/"]
    for url in urls:
        fetch(client, url)
        assert fetch(client, url)[0] == "hit"
    product.translations[
        [t.locale for t in product.translations].index("en")
    ].name = "Royal Medjool dates"
    product.price_cents = 9900
    db.session.commit()
    for url in urls:
        status, html = fetch(client, url)
        assert status == "miss", url
        assert "Royal Medjool dates" in html


def test_a_suspended_cooperative_disappears_at_once(client, cached):
    product = ProductFactory(names={"en": "Rose water"})
    url = f"/en/products/{product.slug}"
    fetch(client, url)
    assert fetch(client, url)[0] == "hit"
    assert "Rose water" in fetch(client, "/en/products")[1]
    change_status(product.cooperative, CooperativeStatus.SUSPENDED, AdminFactory(), reason="x")
    db.session.commit()
    assert client.get(url).status_code == 404
    assert "Rose water" not in fetch(client, "/en/products")[1]


def test_stock_changes_from_orders_do_not_flush_the_cache(client, cached):
    product = ProductFactory(stock=10)
    url = f"/en/products/{product.slug}"
    fetch(client, url)
    db.session.execute(
        update(Product).where(Product.id == product.id).values(stock=Product.stock - 1)
    )
    db.session.commit()
    assert fetch(client, url)[0] == "hit"


def test_logged_in_users_bypass_the_cache_and_never_feed_it(app, cached):
    product = ProductFactory(names={"en": "Saffron"})
    url = f"/en/products/{product.slug}"
    user = UserFactory(email="amina@example.ma", name="Amina")
    member = app.test_client()
    login(member, user)
    for _ in range(2):
        response = member.get(url)
        assert response.status_code == 200
        assert page_cache.STATUS_HEADER not in response.headers
        assert "My account" in response.get_data(as_text=True)
    visitor = app.test_client()
    status, html = fetch(visitor, url)
    assert status == "miss"
    assert "My account" not in html and "amina@example.ma" not in html
    # and an anonymous page already cached is not what the member sees
    assert "My account" in member.get(url).get_data(as_text=True)


def test_a_shopper_with_a_cart_sees_their_own_count(app, cached):
    product = ProductFactory(stock=5)
    url = f"/en/products/{product.slug}"
    shopper = app.test_client()
    _, html = fetch(shopper, url)
    assert add_to_cart(shopper, product, CSRF_RE.search(html).group(1)).status_code == 303
    response = shopper.get(url)
    assert page_cache.STATUS_HEADER not in response.headers
    assert re.search(r"data-cart-count[^>]*>1</span>", response.get_data(as_text=True))
    # the cart never reaches the shared page
    status, other = fetch(app.test_client(), url)
    assert status == "hit"
    assert re.search(r"data-cart-count[^>]*>0</span>", other)


def test_flashed_messages_are_not_cached(app, cached):
    product = ProductFactory(stock=5)
    url = f"/en/products/{product.slug}"
    visitor = app.test_client()
    fetch(visitor, url)
    with visitor.session_transaction() as session:
        session["_flashes"] = [("success", "Only for you")]
    response = visitor.get(url)
    assert page_cache.STATUS_HEADER not in response.headers
    assert "Only for you" in response.get_data(as_text=True)
    assert "Only for you" not in fetch(app.test_client(), url)[1]


def test_the_cache_is_off_without_redis(app, client):
    product = ProductFactory()
    assert not app.extensions["page_cache_enabled"]  # tests run with the NullCache
    response = client.get(f"/en/products/{product.slug}")
    assert page_cache.STATUS_HEADER not in response.headers
