"""Tried as a new user would: a card order from the cart to "paid" through a signed
webhook, with the real checkout pages and the local fake of Stripe."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, Order
from marketplace.payments import ledger, services
from marketplace.payments.models import PayoutBatch, Refund
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.fakes.stripe_server import post_event
from tests.helpers import csrf_token, login, post_form
from tests.payments_support import (
    balanced_books,  # noqa: F401  (fixture)
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")

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


def test_done_when_card_order_paid_replayed_refunded_half_and_paid_out(
    app, client, stripe_keys, outbox
):
    """The whole "Done when" of the payments issue, through the pages: a card order goes
    from checkout to paid through a signed webhook; a replayed webhook changes nothing; an
    admin refunds half a sub-order through Stripe; a payout batch is exported and marked
    paid, and the cooperative's balance drops to zero."""
    stripe_fake = stripe_keys
    coop = CooperativeFactory(shipping_fee_cents=3000, rib="011780000012345678901235")
    product = ProductFactory(
        cooperative=coop, price_cents=9900, stock=5, category=CategoryFactory(commission_bp=1000)
    )
    member = MemberFactory(cooperative=coop)
    admin = AdminFactory()
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
    sub_id = order.sub_orders[0].id
    db.session.commit()
    assert payment.status == "pending"
    assert db.session.get(Product, product.id).stock == 3  # held while the session is open
    db.session.commit()
    [created] = stripe_fake.requests_to("/v1/checkout/sessions")
    assert created["key"] == f"order-{order.id}-checkout-v1"
    items = created["params"]["line_items"]
    assert {i["price_data"]["currency"] for i in items} == {"mad"}
    assert sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items) == 22800
    assert created["params"]["metadata"]["order_id"] == str(order.id)
    # the shopper is back before the webhook: "confirming", whatever the query string says
    waiting = client.get(f"/fr/orders/{number}/paid?payment_status=paid")
    page = waiting.get_data(as_text=True)
    assert 'data-done="false"' in page
    # it updates itself with a script file the CSP allows (no inline script)
    assert 'src="/static/js/payment_status.js' in page and "<script>" not in page
    csp = waiting.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert f'data-status-url="/fr/orders/{number}/payment-status"' in page
    assert client.get(f"/fr/orders/{number}/payment-status").get_json()["paid"] is False

    # Stripe's signed webhook marks the order paid; the page's JSON status says so
    session = stripe_fake.complete_session(payment.stripe_session_id)
    event = stripe_fake.event("checkout.session.completed", session)
    assert post_event(client, event).status_code == 200
    assert client.get(f"/fr/orders/{number}/payment-status").get_json()["paid"] is True
    assert 'data-done="true"' in client.get(f"/fr/orders/{number}/paid").get_data(as_text=True)
    # a replayed webhook changes nothing
    assert post_event(client, event).get_json()["duplicate"] is True
    db.session.expire_all()
    assert services.payment_for(order).status == "paid"
    sub = db.session.get(CooperativeOrder, sub_id)
    assert [e.to_status for e in sub.events].count("confirmed") == 1
    db.session.commit()

    # the cooperative ships and delivers: 198 + 30 MAD gross, 19.80 MAD commission
    seller = app.test_client()
    login(seller, member)
    url = f"/fr/dashboard/orders/{sub_id}"
    for data in ({"status": "shipped", "carrier": "Amana"}, {"status": "delivered"}):
        moved = post_form(seller, f"{url}/status", data, form_url=url)
        assert moved.status_code == 303, moved.get_data(as_text=True)[:2000]
    assert _balance(coop.id) == 22800 - 1980

    # an admin refunds half the sub-order through Stripe; Stripe settles it later
    stripe_fake.refund_status = "pending"
    office = app.test_client()
    login(office, admin)
    refunded = post_form(
        office,
        f"/fr/admin/payments/sub-orders/{sub_id}/refund",
        {"amount": "114", "reason": "Un pot est arrivé cassé"},
        form_url=f"/fr/admin/payments/orders/{number}",
    )
    assert refunded.status_code == 303, refunded.get_data(as_text=True)[:2000]
    [call] = stripe_fake.requests_to("/v1/refunds")
    assert call["params"]["amount"] == "11400"
    assert call["key"] == f"suborder-{sub_id}-refund-1"
    refund = db.session.scalar(select(Refund))
    assert refund.status == "pending"
    db.session.commit()
    assert _balance(coop.id) == 22800 - 1980  # nothing posted until Stripe says it succeeded
    stripe_fake.refunds[refund.stripe_refund_id]["status"] = "succeeded"
    refund_event = stripe_fake.event("refund.updated", stripe_fake.refunds[refund.stripe_refund_id])
    assert post_event(client, refund_event).status_code == 200
    assert post_event(client, refund_event).get_json()["duplicate"] is True
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    db.session.commit()
    # the cooperative gives back 114 MAD and the platform its commission on 114 MAD of items
    # (11.40 MAD; issue #13: the commission returned is computed on the items, which carry it)
    assert _balance(coop.id) == 22800 - 1980 - 11400 + 1140
    [mail] = [m for m in outbox() if m["To"] == "youssef@example.ma" and "114" in m.get_content()]
    assert number in mail["Subject"]

    # a payout batch, exported for the bank and marked paid: the balance drops to zero
    created = post_form(
        office, "/fr/admin/payments/payouts/new", {}, form_url="/fr/admin/payments/payouts"
    )
    assert created.status_code == 303
    batch = db.session.scalar(select(PayoutBatch))
    batch_id = batch.id
    db.session.commit()
    exported = office.get(f"/fr/admin/payments/payouts/{batch_id}.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    [row] = [r for r in rows if r["cooperative_id"] == str(coop.id)]
    assert (row["amount_mad"], row["rib"]) == ("105.60", "011780000012345678901235")
    batch_url = f"/fr/admin/payments/payouts/{batch_id}"
    marked = post_form(office, batch_url, {"reference": "VIR-2026-11-29-042"})
    assert marked.status_code == 303
    assert _balance(coop.id) == 0
    balance_page = seller.get("/en/dashboard/balance").get_data(as_text=True)
    assert "VIR-2026-11-29-042" in balance_page
    assert "nothing is owed either way" in balance_page


def _balance(coop_id: int) -> int:
    value = ledger.balance_cents(coop_id)
    db.session.commit()
    return value


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


def test_without_stripe_keys_no_page_offers_the_card(app, client, stripe_keys):
    """A card order placed while Stripe was configured, then the keys are gone (the demo):
    neither the checkout nor the order page offers a card payment, and the pay button
    reaches no Stripe."""
    shopper = UserFactory()
    order = place([(ProductFactory(price_cents=5000, stock=3), 1)], method="card", user=shopper)
    number = order.number
    login(client, shopper)
    with_keys = client.get(f"/fr/orders/{number}").get_data(as_text=True)
    assert f'action="/fr/orders/{number}/pay"' in with_keys
    app.config.update(STRIPE_SECRET_KEY=None, STRIPE_PUBLISHABLE_KEY=None)

    page = client.get(f"/fr/orders/{number}").get_data(as_text=True)
    assert f'action="/fr/orders/{number}/pay"' not in page
    pay_page = client.get(f"/fr/orders/{number}/pay").get_data(as_text=True)
    assert f'action="/fr/orders/{number}/pay"' not in pay_page
    client.post(
        "/fr/cart/add",
        data={
            "csrf_token": csrf_token(client, "/fr/cart"),
            "product_id": order.sub_orders[0].lines[0].product_id,
            "quantity": "1",
        },
    )
    checkout = client.get("/fr/checkout").get_data(as_text=True)
    assert 'value="cod"' in checkout and 'value="card"' not in checkout
    tried = post_form(client, f"/fr/orders/{number}/pay", {}, form_url=f"/fr/orders/{number}")
    assert tried.status_code == 303
    assert not tried.headers["Location"].startswith("https://checkout.stripe.test/")
    assert stripe_keys.requests_to("/v1/checkout/sessions") == []
