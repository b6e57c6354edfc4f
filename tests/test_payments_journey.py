"""Tried as a new user would: a card order from the cart to "paid" through a signed
webhook, with the real checkout pages and the local fake of Stripe."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments import services
from tests.factories import ProductFactory, UserFactory
from tests.fakes.stripe_server import post_event
from tests.helpers import csrf_token, login

HIDDEN = re.compile(
    r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"|'
    r'<input[^>]*type="hidden"[^>]*name="(\w+)"[^>]*value="([^"]*)"'
)


def _hidden_fields(html: str) -> dict:
    fields = {}
    for match in HIDDEN.finditer(html):
        name = match.group(1) or match.group(3)
        value = match.group(2) if match.group(1) else match.group(4)
        fields[name] = value
    return fields


def test_a_card_order_goes_from_checkout_to_paid_through_a_signed_webhook(client, stripe_keys):
    product = ProductFactory(price_cents=9900, stock=5)
    shopper = UserFactory(email="youssef@example.ma")
    login(client, shopper)
    token = csrf_token(client, "/fr/cart")
    added = client.post(
        "/fr/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": "2"}
    )
    assert added.status_code in (302, 303)
    checkout_page = client.get("/fr/checkout").get_data(as_text=True)
    assert 'value="card"' in checkout_page  # offered because Stripe is configured
    response = client.post(
        "/fr/checkout",
        data={
            "csrf_token": token,
            "email": "youssef@example.ma",
            "contact_name": "Youssef",
            "phone": "0612345678",
            "address_line1": "3 avenue Hassan II",
            "city": "Ouarzazate",
            "country": "MA",
            "payment_method": "card",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    review = client.get("/fr/checkout/review").get_data(as_text=True)
    fields = _hidden_fields(review)
    placed = client.post("/fr/checkout/review", data=fields)
    assert placed.status_code == 307
    pay_url = placed.headers["Location"]
    to_stripe = client.post(pay_url, data=fields)
    assert to_stripe.status_code == 303
    assert to_stripe.headers["Location"].startswith("https://checkout.stripe.test/")

    number = pay_url.rstrip("/").split("/")[-2]
    order = db.session.scalar(select(Order).where(Order.number == number))
    payment = services.payment_for(order)
    db.session.commit()
    assert payment.status == "pending"
    page = client.get(f"/fr/orders/{number}/paid").get_data(as_text=True)
    assert 'data-done="false"' in page

    session = stripe_keys.complete_session(payment.stripe_session_id)
    event = stripe_keys.event("checkout.session.completed", session)
    assert post_event(client, event).status_code == 200
    assert client.get(f"/fr/orders/{number}/payment-status").get_json()["paid"] is True
    assert post_event(client, event).get_json()["duplicate"] is True  # a replay changes nothing
    db.session.expire_all()
    assert services.payment_for(order).status == "paid"
    assert {s.status for s in order.sub_orders} == {"confirmed"}


def test_without_stripe_keys_checkout_offers_cash_on_delivery_only(client):
    product = ProductFactory(price_cents=9900, stock=5)
    login(client, UserFactory())
    token = csrf_token(client, "/fr/cart")
    client.post(
        "/fr/cart/add", data={"csrf_token": token, "product_id": product.id, "quantity": "1"}
    )
    page = client.get("/fr/checkout").get_data(as_text=True)
    assert 'value="cod"' in page
    assert 'value="card"' not in page
