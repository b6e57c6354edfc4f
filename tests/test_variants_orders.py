"""Variants in the cart, the checkout and the orders (issue #15): a cart line is one variant
of a product, priced from it on the server; stock is taken from and given back to the variant
sold (and its product's summary); order lines keep the variant as ordered; pages, e-mails,
Stripe and refunds know which variant was sold; no variant is ever oversold."""

from __future__ import annotations

import html
from collections import Counter

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product, ProductVariant
from marketplace.extensions import db
from marketplace.orders import cart
from marketplace.orders.checkout import WantedLine, make_idempotency_token, place_order
from marketplace.orders.models import CartItem, Order, OrderLine
from marketplace.orders.pricing import CartChanged
from marketplace.orders.status import transition
from marketplace.payments import services
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
    place_test_order,
    set_variant,
)
from tests.fakes.stripe_server import post_event
from tests.helpers import csrf_token, login, post_form
from tests.payments_support import balanced_books, deliver  # noqa: F401  (fixture)
from tests.test_inventory_concurrency import (  # noqa: F401  (fixture)
    SHIPPING,
    THREADS,
    run_at_once,
    sqlite_file_app,
)
from tests.test_orders_views import SHIPPING as CHECKOUT
from tests.test_orders_views import confirm, fill_checkout

NOT_AVAILABLE = {
    "en": "This product does not exist or is no longer available.",
    "fr": "Ce produit n'existe pas ou n'est plus disponible.",
}


def dates(**extra) -> Product:
    """Dates in two packs: 500 g at 95 MAD (5 left) and 1 kg at 180 MAD (3 left)."""
    return ProductFactory(
        names={"en": "Medjool dates", "fr": "Dattes Mejhoul"},
        variants=[
            {
                "price_cents": 9500,
                "stock": 5,
                "labels": {"en": "Small box", "fr": "Petite boîte"},
                "unit_quantity_milli": 500_000,
                "unit_code": "g",
                "weight_grams": 600,
            },
            {
                "price_cents": 18000,
                "stock": 3,
                "labels": {"en": "Family box", "fr": "Boîte familiale"},
                "unit_quantity_milli": 1000,
                "unit_code": "kg",
                "weight_grams": 1100,
            },
        ],
        **extra,
    )


def add(client, product, quantity="1", locale="en", **extra):
    token = csrf_token(client, f"/{locale}/products/{product.slug}")
    data = {"csrf_token": token, "product_id": product.id, "quantity": quantity, **extra}
    return client.post(f"/{locale}/cart/add", data=data)


def flashed(client, response) -> str:
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def cart_html(client) -> str:
    return client.get("/en/cart").get_data(as_text=True)


def variant_stock(variant_id: int) -> int:
    return db.session.scalar(select(ProductVariant.stock).where(ProductVariant.id == variant_id))


def product_stock(product_id: int) -> int:
    return db.session.scalar(select(Product.stock).where(Product.id == product_id))


# --- the cart -------------------------------------------------------------------------------


def test_two_variants_of_one_product_are_two_lines_priced_from_each_variant(client):
    product = dates()
    small, family = product.variants
    assert add(client, product, "2", variant_id=small.id, price_cents="1").status_code == 303
    assert add(client, product, "1", variant_id=family.id).status_code == 303
    assert add(client, product, "1", variant_id=str(family.id)).status_code == 303

    html = cart_html(client)
    assert "Small box" in html and "Family box" in html
    assert f'name="variant_id" value="{small.id}"' in html
    assert f'name="variant_id" value="{family.id}"' in html
    assert "MAD\xa0190.00" in html  # 2 × 95
    assert "MAD\xa0360.00" in html  # 2 × 180, not the price posted
    assert "MAD\xa00.01" not in html

    # one line is changed and removed by its variant; the other stays
    token = csrf_token(client, "/en/cart")
    data = {"csrf_token": token, "variant_id": family.id, "quantity": "3"}
    assert client.post("/en/cart/update", data=data).status_code == 303
    html = cart_html(client)
    assert "MAD\xa0540.00" in html and "MAD\xa0190.00" in html
    data = {"csrf_token": token, "variant_id": small.id, "action": "remove"}
    client.post("/en/cart/update", data=data)
    html = cart_html(client)
    assert "Small box" not in html and "Family box" in html


def test_without_a_variant_the_default_one_is_added(client):
    product = dates()
    small = product.variants[0]
    set_variant(small, stock=0)  # the first one in stock is the default
    db.session.commit()
    response = add(client, product, "1")
    assert response.status_code == 303
    assert "Medjool dates — Family box was added to your cart" in flashed(client, response)
    assert "MAD\xa0180.00" in cart_html(client)


def test_a_logged_in_cart_stores_one_item_per_variant(client):
    user = UserFactory()
    product = dates()
    small, family = product.variants
    login(client, user)
    add(client, product, "1", variant_id=small.id)
    add(client, product, "2", variant_id=family.id)
    items = db.session.scalars(select(CartItem).order_by(CartItem.variant_id)).all()
    assert [(i.product_id, i.variant_id, i.quantity, i.price_seen_cents) for i in items] == [
        (product.id, small.id, 1, 9500),
        (product.id, family.id, 2, 18000),
    ]


def test_an_anonymous_cart_with_two_variants_is_merged_on_login(client):
    user = UserFactory()
    product = dates()
    small, family = product.variants
    add(client, product, "1", variant_id=small.id)
    add(client, product, "2", variant_id=family.id)
    login(client, user)
    db.session.expire_all()
    assert cart.entries(user) == {small.id: (1, 9500), family.id: (2, 18000)}


def test_an_out_of_stock_variant_is_refused(client):
    product = dates()
    small, family = product.variants
    set_variant(family, stock=0)
    db.session.commit()
    response = add(client, product, "1", variant_id=family.id)
    assert "Medjool dates — Family box is out of stock." in flashed(client, response)
    response = add(client, product, "6", variant_id=small.id)
    assert "Only 5 of Medjool dates — Small box left in stock." in flashed(client, response)
    assert "Your cart is empty." in cart_html(client)


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_an_inactive_foreign_or_tampered_variant_is_refused_with_a_translated_message(
    client, locale
):
    product = dates()
    small, family = product.variants
    set_variant(family, active=False)
    other = ProductFactory()
    db.session.commit()
    bad_values = [family.id, other.variants[0].id, "abc", "-1", "1.5", "9" * 30, "٣x", 0]
    for bad in bad_values:
        response = add(client, product, "1", locale=locale, variant_id=bad)
        assert response.status_code == 303, bad
        assert NOT_AVAILABLE[locale] in flashed(client, response), bad
        json = client.post(
            f"/{locale}/cart/add",
            data={
                "csrf_token": csrf_token(client, f"/{locale}/products/{product.slug}"),
                "product_id": product.id,
                "variant_id": bad,
                "quantity": "1",
            },
            headers={"Accept": "application/json"},
        )
        assert json.status_code < 500 and json.get_json()["ok"] is False, bad
    assert "Your cart is empty." in cart_html(client)
    # Arabic-Indic digits name a variant as ASCII ones do
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(small.id))
    assert add(client, product, "1", variant_id=arabic).status_code == 303
    # the one variant left is no choice any more: the line is named as a product always was
    page = cart_html(client)
    assert "MAD\xa095.00" in page and "Small box" not in page


def test_a_variant_deactivated_after_it_was_added_leaves_the_cart_with_a_message(client):
    product = dates()
    small, family = product.variants
    add(client, product, "1", variant_id=family.id)
    add(client, product, "1", variant_id=small.id)
    set_variant(family, active=False)
    db.session.commit()
    page = cart_html(client)
    assert "Medjool dates — Family box is no longer available and was removed" in page
    page = cart_html(client)
    assert "Family box" not in page and "MAD\xa095.00" in page and "MAD\xa0180.00" not in page


def test_a_session_cart_of_before_variants_is_read_as_the_default_variants(client):
    product = ProductFactory(price_cents=4000, stock=9, names={"en": "Amlou"})
    gone = ProductFactory()
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    with client.session_transaction() as session:
        session["cart"] = {
            str(product.id): [2, 4000],
            str(gone_id): [1, 100],
            "junk": "x",
            "7": None,
        }
    html = cart_html(client)
    assert "Amlou" in html and 'value="2"' in html
    # a change of the cart writes it in the new form
    response = add(client, product, "1")
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert "cart" not in session
        assert session["cart_lines"] == {str(product.variants[0].id): [3, 4000]}
    # an old cart page's form (by product) still changes its line
    token = csrf_token(client, "/en/cart")
    client.post(
        "/en/cart/update", data={"csrf_token": token, "product_id": product.id, "quantity": "5"}
    )
    assert 'value="5"' in cart_html(client)


def test_a_session_cart_that_is_not_a_cart_is_an_empty_cart(client):
    with client.session_transaction() as session:
        session["cart"] = "nonsense"
        session["cart_lines"] = ["nonsense"]
    response = client.get("/en/cart")
    assert response.status_code == 200
    assert "Your cart is empty." in response.get_data(as_text=True)


# --- placing and keeping the order ----------------------------------------------------------


def test_checkout_takes_the_stock_of_the_variants_bought_and_mails_their_labels(client, outbox):
    coop = CooperativeFactory(names={"en": "Dates of Erfoud"})
    MemberFactory(cooperative=coop, email="dates@example.ma", locale="fr")
    product = dates(cooperative=coop)
    small, family = product.variants
    add(client, product, "2", variant_id=small.id)
    add(client, product, "1", variant_id=family.id)
    assert fill_checkout(client).status_code == 303
    assert confirm(client).status_code == 303

    order = db.session.scalar(select(Order))
    assert order.items_cents == 2 * 9500 + 18000
    lines = sorted(order.lines, key=lambda line: line.variant_id)
    assert [(ln.variant_id, ln.sku, ln.quantity, ln.unit_price_cents) for ln in lines] == [
        (small.id, small.sku, 2, 9500),
        (family.id, family.sku, 1, 18000),
    ]
    assert lines[1].variant_labels == {"en": "Family box", "fr": "Boîte familiale"}
    assert (lines[1].unit_code, lines[1].unit_quantity_milli) == ("kg", 1000)
    assert (variant_stock(small.id), variant_stock(family.id)) == (3, 2)
    assert product_stock(product.id) == 5

    shopper_mail = next(m for m in outbox() if m["To"] == CHECKOUT["email"]).get_content()
    assert "Family box" in shopper_mail and "Small box" in shopper_mail
    coop_mail = next(m for m in outbox() if m["To"] == "dates@example.ma").get_content()
    assert "Boîte familiale" in coop_mail


def test_the_order_line_keeps_the_variant_as_ordered(app, client):
    coop = CooperativeFactory()
    member = MemberFactory(cooperative=coop)
    shopper = UserFactory()
    product = dates(cooperative=coop)
    family = product.variants[1]
    sku = family.sku
    order = place_test_order({family: 2}, user=shopper)
    db.session.commit()
    set_variant(family, price_cents=99900, labels={"en": "Renamed", "fr": "Renommé"}, sku="NEW")
    db.session.commit()

    line = db.session.scalar(select(OrderLine))
    assert (line.unit_price_cents, line.line_total_cents, line.sku) == (18000, 36000, sku)
    assert line.variant_label_in("en").text == "Family box"
    in_arabic = line.variant_label_in("ar")  # French comes first among the fallbacks
    assert (in_arabic.text, in_arabic.locale, in_arabic.fallback) == ("Boîte familiale", "fr", True)

    login(client, shopper)
    page = client.get(f"/en/orders/{order.number}").get_data(as_text=True)
    assert "Family box" in page and "Renamed" not in page and "MAD\xa0360.00" in page
    seller = app.test_client()
    login(seller, member)
    sub = order.sub_orders[0]
    page = seller.get(f"/fr/dashboard/orders/{sub.id}").get_data(as_text=True)
    assert "Boîte familiale" in page
    slip = seller.get(f"/fr/dashboard/orders/{sub.id}/packing-slip").get_data(as_text=True)
    assert "Boîte familiale" in slip and sku in slip


def test_a_line_without_labels_is_named_by_its_unit_alone(app):
    product = ProductFactory(names={"en": "Honey"})
    order = place_test_order({product: 1})
    db.session.commit()
    line = order.lines[0]
    assert line.variant_labels is None and line.variant_label_in("en") is None
    assert line.unit_in("en").startswith("500")


def test_a_variant_price_changed_after_it_was_confirmed_places_nothing(app):
    product = dates()
    family = product.variants[1]
    wanted = [WantedLine(product.id, 1, 18000, family.id)]
    set_variant(family, price_cents=20000)
    db.session.commit()
    with pytest.raises(CartChanged):
        place_order(
            lines=wanted,
            shipping=SHIPPING,
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale="en",
        )
    db.session.rollback()
    assert variant_stock(family.id) == 3


def test_a_variant_of_another_product_cannot_be_ordered_under_this_one(app):
    product, other = dates(), ProductFactory(price_cents=18000)
    with pytest.raises(CartChanged):
        place_order(
            lines=[WantedLine(other.id, 1, 18000, product.variants[1].id)],
            shipping=SHIPPING,
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale="en",
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_same_token_places_one_order_for_variants(app):
    product = dates()
    token = make_idempotency_token()
    first = place_test_order({product.variants[1]: 2}, token=token)
    again = place_test_order({product.variants[1]: 2}, token=token)
    assert again.id == first.id and again.was_duplicate
    assert variant_stock(product.variants[1].id) == 1


def test_cancelling_returns_the_stock_to_the_variant_sold_once(app):
    product = dates()
    small, family = product.variants
    order = place_test_order({family: 2, small: 1})
    db.session.commit()
    assert (variant_stock(small.id), variant_stock(family.id), product_stock(product.id)) == (
        4,
        1,
        5,
    )
    sub = order.sub_orders[0]
    admin = AdminFactory()
    transition(sub, "cancelled", admin, reason="test")
    db.session.commit()
    assert (variant_stock(small.id), variant_stock(family.id), product_stock(product.id)) == (
        5,
        3,
        8,
    )
    from marketplace.orders.stock import return_stock

    assert return_stock(sub) is False  # exactly once
    db.session.commit()
    assert (variant_stock(small.id), variant_stock(family.id), product_stock(product.id)) == (
        5,
        3,
        8,
    )


def test_stock_returned_to_an_inactive_variant_stays_out_of_the_product_summary(app):
    product = dates()
    family = product.variants[1]
    order = place_test_order({family: 2})
    db.session.commit()
    set_variant(family, active=False)
    db.session.commit()
    assert product_stock(product.id) == 5
    transition(order.sub_orders[0], "cancelled", AdminFactory(), reason="test")
    db.session.commit()
    assert (variant_stock(family.id), product_stock(product.id)) == (3, 5)


# --- payments -------------------------------------------------------------------------------


@pytest.mark.usefixtures("balanced_books")
def test_a_paid_variant_is_named_at_stripe_and_a_refund_returns_its_goods(
    app, client, stripe_keys, stripe_fake
):
    coop = CooperativeFactory(shipping_fee_cents=3000)
    product = dates(cooperative=coop, category=CategoryFactory(commission_bp=1000))
    small, family = product.variants
    order = place_order(
        lines=[WantedLine(product.id, 2, 18000, family.id)],
        shipping=SHIPPING,
        payment_method="card",
        idempotency_token=make_idempotency_token(),
        locale="en",
        user=UserFactory(),
    )
    db.session.commit()
    with app.test_request_context("/en/"):
        services.start_card_checkout(
            order, locale="en", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    created = stripe_fake.requests_to("/v1/checkout/sessions")[-1]
    names = [i["price_data"]["product_data"]["name"] for i in created["params"]["line_items"]]
    assert any(name.startswith("Medjool dates — Family box (1") for name in names), names
    session = stripe_fake.complete_session(services.payment_for(order).stripe_session_id)
    db.session.commit()
    event = stripe_fake.event("checkout.session.completed", session)
    assert post_event(client, event).status_code == 200
    db.session.expire_all()
    sub = order.sub_orders[0]
    deliver(sub)
    assert (variant_stock(small.id), variant_stock(family.id)) == (5, 1)

    admin = AdminFactory()
    login(client, admin)
    response = post_form(
        client,
        f"/en/admin/payments/sub-orders/{sub.id}/refund",
        {"amount": "180", "reason": "returned", "goods_returned": "y"},
        form_url=f"/en/admin/payments/orders/{order.number}",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    # the goods went back to the variant sold, not to the other one
    assert (variant_stock(small.id), variant_stock(family.id)) == (5, 3)
    assert product_stock(product.id) == 8
    line = db.session.get(Order, order.id).lines[0]
    assert (line.variant_id, line.sku) == (family.id, family.sku)


# --- no oversell, per variant ---------------------------------------------------------------


def place_variants(lines):
    return place_order(
        lines=[WantedLine(pid, qty, price, vid) for pid, vid, qty, price in lines],
        shipping=SHIPPING,
        payment_method="cod",
        idempotency_token=make_idempotency_token(),
        locale="fr",
    )


def sold(variant_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            OrderLine.variant_id == variant_id
        )
    )


def two_variants_with_few_units_left(app) -> None:
    """Half the threads buy the small box (4 left), half the family box (3 left)."""
    with app.app_context():
        product = ProductFactory(
            variants=[
                {"price_cents": 9500, "stock": 4, "labels": {"fr": "Petite"}},
                {"price_cents": 18000, "stock": 3, "labels": {"fr": "Grande"}},
            ]
        )
        small = (product.id, product.variants[0].id, 1, 9500)
        family = (product.id, product.variants[1].id, 1, 18000)
        db.session.commit()

    results = run_at_once(app, THREADS, lambda i: place_variants([small if i % 2 else family]))

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 7, "stock": THREADS - 7}, results
    assert all("Not enough stock" in msg for kind, msg in results if kind == "stock")
    assert any("Grande" in msg for kind, msg in results if kind == "stock")
    with app.app_context():
        assert (variant_stock(small[1]), variant_stock(family[1])) == (0, 0)
        assert (sold(small[1]), sold(family[1])) == (4, 3)
        assert product_stock(small[0]) == 0
        total = db.session.scalar(select(func.sum(Order.items_cents)))
        assert total == 4 * 9500 + 3 * 18000


def carts_of_both_variants_in_either_order(app) -> None:
    """Every thread buys one of each variant of two products, listed in varying orders:
    no deadlock, nothing oversold, the summaries equal their variants' stock."""
    with app.app_context():
        one = ProductFactory(
            variants=[{"price_cents": 1000, "stock": 6}, {"price_cents": 2000, "stock": 4}]
        )
        two = ProductFactory(
            cooperative=CooperativeFactory(),
            variants=[{"price_cents": 3000, "stock": 5}, {"price_cents": 4000, "stock": 9}],
        )
        lines = [(p.id, v.id, 1, v.price_cents) for p in (one, two) for v in p.variants]
        initial = {v.id: v.stock for p in (one, two) for v in p.variants}
        product_ids = (one.id, two.id)
        db.session.commit()

    def cart_of(i: int):
        chosen = [lines[i % 4], lines[(i + 1) % 4]]  # two variants, some of one product
        return place_variants(chosen if i % 2 else chosen[::-1])

    results = run_at_once(app, THREADS, cart_of)

    outcomes = Counter(kind for kind, _ in results)
    assert set(outcomes) <= {"ok", "stock"}, results
    with app.app_context():
        for variant_id, start in initial.items():
            left = variant_stock(variant_id)
            assert left >= 0
            assert left + sold(variant_id) == start
        for product_id in product_ids:
            stocks = db.session.scalars(
                select(ProductVariant.stock).where(ProductVariant.product_id == product_id)
            ).all()
            assert product_stock(product_id) == sum(stocks)
        orders = db.session.scalars(select(Order)).all()
        assert len(orders) == outcomes["ok"]
        assert all(len(o.lines) == 2 for o in orders)  # never half an order
        assert sum(o.items_cents for o in orders) == db.session.scalar(
            select(func.sum(OrderLine.line_total_cents))
        )


@pytest.mark.postgres
def test_postgres_concurrent_checkouts_never_oversell_a_variant(app):
    two_variants_with_few_units_left(app)


@pytest.mark.postgres
def test_postgres_concurrent_carts_of_several_variants_stay_consistent(app):
    carts_of_both_variants_in_either_order(app)


def test_sqlite_file_concurrent_checkouts_never_oversell_a_variant(sqlite_file_app):  # noqa: F811
    two_variants_with_few_units_left(sqlite_file_app)


def test_sqlite_file_concurrent_carts_of_several_variants_stay_consistent(
    sqlite_file_app,  # noqa: F811
):
    carts_of_both_variants_in_either_order(sqlite_file_app)
