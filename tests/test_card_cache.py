"""Product cards rendered once and reused (marketplace/catalogue/cards.py): pages that the
page cache cannot serve (a logged-in shopper's) get them too, each visitor's add-to-cart forms
carry their own CSRF token and come back to their own page, and edits, stock changes and
suspensions show at once."""

from __future__ import annotations

import re

from sqlalchemy import update

from marketplace.catalogue.models import Product
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.cooperatives.services import change_status
from marketplace.extensions import db
from tests.factories import AdminFactory, CooperativeFactory, ProductFactory, UserFactory
from tests.helpers import login
from tests.test_catalogue_performance import query_count

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT_RE = re.compile(r'name="next" value="([^"]*)"')


def shopper_client(app):
    client = app.test_client()
    login(client, UserFactory())
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert "\x00" not in html  # every stand-in was replaced
    return html


def test_a_logged_in_shopper_gets_cached_cards_in_one_query(app, cached):
    coop = CooperativeFactory(names={"en": "Nakhil"})
    for n in range(6):
        ProductFactory(cooperative=coop, slug=f"dates-{n}", names={"en": f"Dates {n}"})
    client = shopper_client(app)
    first = query_count(app, client, "/en/products")
    warm = query_count(app, client, "/en/products")
    assert warm < first
    for n in range(6, 12):
        ProductFactory(cooperative=coop, slug=f"dates-{n}", names={"en": f"Dates {n}"})
    query_count(app, client, "/en/products")  # the new cards, once
    assert query_count(app, client, "/en/products") == warm  # twice the cards, same queries
    html = page(client, "/en/products")
    assert all(f"Dates {n}" in html for n in range(12))
    assert html.count('class="product-card"') == 12


def test_each_visitor_gets_their_own_token_and_page_to_come_back_to(app, cached):
    ProductFactory(slug="argan", names={"en": "Argan oil"})
    anna, omar = shopper_client(app), shopper_client(app)
    html_anna = page(anna, "/en/products?sort=price_asc")
    html_omar = page(omar, "/en/search?q=argan")  # the same card, from the cache
    token_anna, token_omar = TOKEN_RE.findall(html_anna), TOKEN_RE.findall(html_omar)
    assert token_anna and token_omar and set(token_anna).isdisjoint(token_omar)
    assert "/en/products?sort=price_asc" in NEXT_RE.findall(html_anna)[-1].replace("&amp;", "&")
    assert NEXT_RE.findall(html_omar)[-1] == "/en/search?q=argan"
    assert 'href="/en/products/argan"' in html_omar  # the link itself is untouched
    # The cached card's form works for its visitor.
    card_token = TOKEN_RE.findall(html_omar)[-1]
    product = db.session.scalar(db.select(Product).where(Product.slug == "argan"))
    added = omar.post(
        "/en/cart/add",
        data={"csrf_token": card_token, "product_id": product.id, "quantity": "1"},
    )
    assert added.status_code in (302, 303)


def test_edits_stock_and_suspensions_show_at_once(app, cached):
    coop = CooperativeFactory()
    product = ProductFactory(cooperative=coop, slug="honey", names={"en": "Thyme honey"}, stock=40)
    client = shopper_client(app)
    assert "Thyme honey" in page(client, "/en/products")
    page(client, "/en/products")  # served from cached cards

    db.session.execute(update(Product).where(Product.id == product.id).values(stock=3))
    db.session.commit()
    assert "Only 3 left" in page(client, "/en/products")

    product.translations[0].name = "Wild thyme honey"
    db.session.commit()
    assert "Wild thyme honey" in page(client, "/en/products")

    change_status(coop, CooperativeStatus.SUSPENDED.value, AdminFactory(), reason="audit")
    db.session.commit()
    assert "Wild thyme honey" not in page(client, "/en/products")


def test_cards_are_kept_per_language(app, cached):
    ProductFactory(slug="rose", names={"en": "Rose water", "fr": "Eau de rose", "ar": "ماء الورد"})
    client = app.test_client()
    assert "Rose water" in page(client, "/en/products")
    assert "Eau de rose" in page(client, "/fr/products")
    assert "ماء الورد" in page(client, "/ar/products")
    assert "Rose water" in page(client, "/en/products")
