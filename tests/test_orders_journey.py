"""The issue's "Done when" journey, on the demo data, as a new user would try it.

An anonymous shopper fills a cart from two demo cooperatives, logs in with the demo account
(the cart survives), checks out cash on delivery and receives the e-mail in her language;
each cooperative sees only its part and ships it; the shopper's timeline shows it, and the
operator sees every sub-order's timeline.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace import demo
from marketplace.catalogue.models import Product
from marketplace.catalogue.variants import default_variant
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.factories import MemberFactory
from tests.helpers import csrf_token, login, post_form, release_test_transaction

SHOPPER = "amina@example.ma"  # demo shopper, Arabic
MEMBER = "fatima@nakhil-tafilalet.ma"  # demo member of nakhil-tafilalet, French
DATES, ROSES = "mejhoul-dates-500g", "rose-water"  # nakhil-tafilalet, warda-mgouna


def product_id(slug: str) -> int:
    return db.session.scalar(select(Product.id).where(Product.slug == slug))


def default_variant_id(slug: str) -> int:
    product = db.session.scalar(select(Product).where(Product.slug == slug))
    return default_variant(product).id


def stock(slug: str) -> int:
    return db.session.scalar(select(Product.stock).where(Product.slug == slug))


def add_from_product_page(client, slug: str, quantity: int) -> None:
    """Post the add-to-cart form of the product page, as a browser without JavaScript."""
    page = f"/ar/products/{slug}"
    html = client.get(page).get_data(as_text=True)
    assert 'action="/ar/cart/add"' in html and "data-cart-form" in html
    response = client.post(
        "/ar/cart/add",
        data={
            "csrf_token": csrf_token(client, page),
            "product_id": product_id(slug),
            "quantity": quantity,
            "next": page,
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(page)


def review_fields(client) -> dict:
    html = client.get("/ar/checkout/review").get_data(as_text=True)
    fields = {}
    for name in ("csrf_token", "token", "fingerprint"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html
        )
        assert match, name
        fields[name] = match.group(1)
    return fields


def ship(client, sub_id: int, tracking: str) -> None:
    url = f"/fr/dashboard/orders/{sub_id}"
    response = post_form(
        client,
        f"{url}/status",
        {"status": "shipped", "carrier": "Amana", "tracking_number": tracking},
        form_url=url,
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def test_done_when_journey_on_the_demo_data(app, outbox):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    roses_coop = db.session.scalar(select(Cooperative).where(Cooperative.slug == "warda-mgouna"))
    # The demo has one member account; the second cooperative gets one (English-speaking).
    MemberFactory(cooperative=roses_coop, email="warda@example.ma", locale="en")
    db.session.commit()
    before = {DATES: stock(DATES), ROSES: stock(ROSES)}
    release_test_transaction()

    # 1. An anonymous shopper fills a cart from two cooperatives (no JavaScript needed; with
    # it, static/js/cart.js posts the same forms and updates the count in place).
    shopper = app.test_client()
    catalogue = shopper.get("/ar/products").get_data(as_text=True)
    assert catalogue.count('action="/ar/cart/add"') >= 10  # on the catalogue's cards too
    assert "/static/js/cart.js" in catalogue
    add_from_product_page(shopper, DATES, 2)
    add_from_product_page(shopper, ROSES, 1)
    cart = shopper.get("/ar/cart").get_data(as_text=True)
    assert re.search(r"data-cart-count[^>]*>3</span>", cart)
    assert cart.count('class="card cart-group"') == 2  # one group per cooperative

    # 2. She logs in with the demo account: the cart survives.
    login(shopper, SHOPPER, demo.DEMO_PASSWORD)
    cart = shopper.get("/ar/cart").get_data(as_text=True)
    assert re.search(r"data-cart-count[^>]*>3</span>", cart)
    # one line per variant bought (the default one: the product page posted no choice)
    assert f'name="variant_id" value="{default_variant_id(DATES)}"' in cart
    assert f'name="variant_id" value="{default_variant_id(ROSES)}"' in cart

    # 3. Checkout, cash on delivery, review, confirm.
    response = post_form(
        shopper,
        "/ar/checkout",
        {
            "email": SHOPPER,
            "contact_name": "أمينة الإدريسي",
            "phone": "0661 23 45 67",
            "address_line1": "زنقة 12، حي الواحة",
            "city": "الراشيدية",
            "region": "درعة تافيلالت",
            "postal_code": "52000",
            "country": "MA",
            "payment_method": "cod",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    response = shopper.post("/ar/checkout/review", data=review_fields(shopper))
    assert response.status_code == 303
    order = db.session.scalar(select(Order).order_by(Order.id.desc()).limit(1))  # not a demo one
    assert response.headers["Location"].endswith(f"/ar/orders/{order.number}")
    assert order.status == "confirmed" and order.payment_method == "cod"
    assert order.user.email == SHOPPER and order.locale == "ar"
    assert len(order.sub_orders) == 2
    assert (stock(DATES), stock(ROSES)) == (before[DATES] - 2, before[ROSES] - 1)
    assert order.total_cents == sum(s.total_cents for s in order.sub_orders)

    # 4. She receives the e-mail, in Arabic; each cooperative in its member's language.
    mails = outbox()
    # The demo's own orders (fairs, reviews) wrote to her too: only this order's count here.
    to_shopper = [m for m in mails if m["To"] == SHOPPER and order.number in m["Subject"]]
    assert len(to_shopper) == 1
    assert to_shopper[0]["Subject"] == f"طلبكم {order.number}"
    assert f"/ar/orders/{order.number}" in to_shopper[0].get_content()
    about_order = [m for m in mails if order.number in m["Subject"]]
    assert {m["To"]: m["Subject"] for m in about_order if m["To"] != SHOPPER} == {
        MEMBER: f"Nouvelle commande {order.number}",
        "warda@example.ma": f"New order {order.number}",
    }

    # 5. Each cooperative sees only its part, and ships it.
    by_coop = {s.cooperative.slug: s for s in order.sub_orders}
    dates_sub, roses_sub = by_coop["nakhil-tafilalet"], by_coop["warda-mgouna"]
    fatima = app.test_client()
    login(fatima, MEMBER, demo.DEMO_PASSWORD)
    listing = fatima.get("/fr/dashboard/orders").get_data(as_text=True)
    assert order.number in listing
    assert f"/dashboard/orders/{dates_sub.id}" in listing
    assert f"/dashboard/orders/{roses_sub.id}" not in listing
    page = fatima.get(f"/fr/dashboard/orders/{dates_sub.id}").get_data(as_text=True)
    dates_line, roses_line = dates_sub.lines[0], roses_sub.lines[0]
    # the order was placed in Arabic; Fatima reads the French names of the day
    assert dates_line.product_names["fr"] in page and dates_line.product_name not in page
    assert roses_line.product_names["fr"] not in page
    assert fatima.get(f"/fr/dashboard/orders/{roses_sub.id}").status_code == 404
    slip = fatima.get(f"/fr/dashboard/orders/{dates_sub.id}/packing-slip")
    assert slip.status_code == 200 and order.number in slip.get_data(as_text=True)
    ship(fatima, dates_sub.id, "AM111111111MA")

    warda = app.test_client()
    login(warda, "warda@example.ma")
    listing = warda.get("/fr/dashboard/orders").get_data(as_text=True)
    assert f"/dashboard/orders/{roses_sub.id}" in listing
    assert f"/dashboard/orders/{dates_sub.id}" not in listing
    assert warda.get(f"/fr/dashboard/orders/{dates_sub.id}").status_code == 404

    # 6. The shopper's timeline shows the shipment (partly shipped), then both.
    page = shopper.get(f"/ar/orders/{order.number}").get_data(as_text=True)
    assert "AM111111111MA" in page and "تم شحن جزء منه" in page  # "Partly shipped"
    assert page.count('class="timeline"') == 2
    shipped_mail = [m for m in outbox() if m["To"] == SHOPPER][-1]
    assert shipped_mail["Subject"] == f"تم شحن طلبكم {order.number}"
    assert "AM111111111MA" in shipped_mail.get_content()

    ship(warda, roses_sub.id, "AM222222222MA")
    page = shopper.get(f"/ar/orders/{order.number}").get_data(as_text=True)
    assert "AM222222222MA" in page
    assert page.count("timeline-step status-shipped") == 2
    db.session.refresh(order)
    assert order.status == "shipped"

    # 7. The operator sees the order with every sub-order's timeline.
    admin = app.test_client()
    login(admin, "admin@souk-draa.ma", demo.DEMO_PASSWORD)
    assert order.number in admin.get("/fr/admin/orders").get_data(as_text=True)
    page = admin.get(f"/fr/orders/{order.number}").get_data(as_text=True)
    assert page.count('class="timeline"') == 2
    assert "AM111111111MA" in page and "AM222222222MA" in page
