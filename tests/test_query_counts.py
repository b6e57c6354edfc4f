"""Every page `make bench` measures keeps its SQL query count when the data grows (issue #11,
"Measure before and after"): each page is rendered in a small world, then again after more
orders, products, payments, ledger entries, payouts, applications and audit rows were added;
the counts must be equal. A count that grows is an N+1 (a query per row shown).

Counts are read from the app's own ``X-Query-Count`` header (QUERY_COUNT_HEADER), on the
second request of each page (the first fills the product cards' cache)."""

from __future__ import annotations

import pytest

from tests.helpers import login, post_form
from tests.world import build_world, grow_world

PUBLIC = {
    "catalogue": "/en/products",
    "category": "/en/categories/dates",
    "product": "/en/products/dates-a",
    "search": "/en/search?q=Product",
}
SHOPPER = {
    "catalogue (logged in)": "/en/products",
    "product (logged in)": "/en/products/dates-a",
    "cart": "/en/cart",
    "order history": "/en/orders",
}
COOPERATIVE = {
    "dashboard": "/en/dashboard",
    "orders": "/en/dashboard/orders",
    "balance": "/en/dashboard/balance",
}
ADMIN = {
    "verification queue": "/en/admin/",
    "verification queue (all)": "/en/admin/?status=all",
    "payments": "/en/admin/payments",
    "payouts": "/en/admin/payments/payouts",
    "audit log": "/en/admin/audit",
}


def query_count(app, client, url: str) -> int:
    """The page's SQL queries, on its second request (the first may fill caches)."""
    app.config["QUERY_COUNT_HEADER"] = True
    try:
        client.get(url)
        response = client.get(url)
    finally:
        app.config["QUERY_COUNT_HEADER"] = False
    assert response.status_code == 200, (url, response.status_code)
    return int(response.headers["X-Query-Count"])


def counts(app, client, pages: dict[str, str]) -> dict[str, int]:
    return {label: query_count(app, client, url) for label, url in pages.items()}


def growth_of(small: dict[str, int], large: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {label: (small[label], large[label]) for label in small if small[label] != large[label]}


def add_to_cart(client, *products) -> None:
    for product in products:
        response = post_form(
            client,
            "/en/cart/add",
            {"product_id": product.id, "quantity": 1},
            form_url=f"/en/products/{product.slug}",
        )
        assert response.status_code in (302, 303), response.status_code


@pytest.fixture
def world(app):
    return build_world()


def test_public_pages_queries_do_not_grow(app, client, world):
    small = counts(app, client, PUBLIC)
    grow_world(world)
    large = counts(app, client, PUBLIC)
    assert growth_of(small, large) == {}


def test_shopper_pages_queries_do_not_grow(app, client, world):
    login(client, world.shopper_a)
    add_to_cart(client, world.product_a)
    small = counts(app, client, SHOPPER)
    grown = grow_world(world)
    # A fuller cart: more products, from more cooperatives.
    add_to_cart(client, world.product_b, *grown["products"][:3])
    large = counts(app, client, SHOPPER)
    assert growth_of(small, large) == {}


def test_shopper_order_page_queries_do_not_grow_with_its_lines(app, client, world):
    login(client, world.shopper_a)
    one_line = world.extra["order_a"]
    small = query_count(app, client, f"/en/orders/{one_line.number}")
    grown = grow_world(world)
    large = query_count(app, client, f"/en/orders/{grown['big_order'].number}")
    assert small == large


def test_cooperative_pages_queries_do_not_grow(app, client, world):
    login(client, world.member_a)
    # A delivered cash order of one line, then one of three lines in the same state.
    one_line = world.extra["order_a_cash"].sub_orders[0]
    pages = {**COOPERATIVE, "order": f"/en/dashboard/orders/{one_line.id}"}
    small = counts(app, client, pages)
    grown = grow_world(world)
    pages["order"] = f"/en/dashboard/orders/{grown['big_sub_order'].id}"
    large = counts(app, client, pages)
    assert growth_of(small, large) == {}


def test_admin_pages_queries_do_not_grow(app, client, world):
    login(client, world.admin)
    small = counts(app, client, ADMIN)
    grow_world(world)
    large = counts(app, client, ADMIN)
    assert growth_of(small, large) == {}


def test_growth_adds_rows_to_every_page(app, client, world):
    """The comparison means something only if the grown world shows more on each page."""
    grown = grow_world(world)
    login(client, world.admin)
    queue = client.get("/en/admin/").get_data(as_text=True)
    assert all(f"/admin/applications/{c.id}" in queue for c in grown["pending"])
    audit = client.get("/en/admin/audit").get_data(as_text=True)
    assert "bench.grown" in audit
    payouts = client.get("/en/admin/payments/payouts").get_data(as_text=True)
    assert payouts.count("/admin/payments/payouts/") >= 2
    payments = client.get("/en/admin/payments").get_data(as_text=True)
    assert all(order.number in payments for order in grown["orders"])
    client = app.test_client()
    login(client, world.member_a)
    orders = client.get("/en/dashboard/orders").get_data(as_text=True)
    assert all(order.number in orders for order in grown["orders"])
    balance = client.get("/en/dashboard/balance").get_data(as_text=True)
    assert balance.count("<tr") >= 5
