"""Text that reads right in every script and the small things of issue #14, through the app."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.money import format_mad
from tests.factories import MemberFactory, ProductFactory, UserFactory, place_test_order
from tests.helpers import login, post_form
from tests.onboarding_helpers import IDENTITY

FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"


def test_arabic_amounts_have_one_full_stop_at_the_end_of_a_sentence():
    text = format_mad(900, "ar")
    assert "درهم" in text and "د.م." not in text
    assert not (text.rstrip("\u200f") + ".").endswith("..")


def test_the_empty_name_error_is_under_the_field_of_the_pages_language(client):
    login(client, UserFactory())
    empty_names = {**IDENTITY, "name_ar": "", "name_fr": ""}
    for locale, field in (("ar", "name_ar"), ("fr", "name_fr")):
        response = post_form(client, f"/{locale}/apply/step/1", empty_names)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 400)
        errors = re.findall(r'<ul class="errors" id="([a-z_]+)-err"', html)
        assert errors == [field], (locale, errors)
        assert re.search(
            rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html
        )


def test_after_confirming_the_address_the_account_page_leads_to_the_application(app, client):
    user = UserFactory()
    db.session.commit()
    login(client, user)
    html = client.get("/fr/account").get_data(as_text=True)
    assert 'id="next-step-title"' in html and 'href="/fr/apply"' in html

    member = MemberFactory()
    db.session.commit()
    other = app.test_client()
    login(other, member)
    assert 'id="next-step-title"' not in other.get("/fr/account").get_data(as_text=True)


def test_out_of_stock_is_said_once_on_a_product_page(client):
    product = ProductFactory(stock=0)
    db.session.commit()
    html = client.get(f"/fr/products/{product.slug}").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    related = main.split('class="related', 1)[0]  # the product itself, not related cards
    assert related.count("Out of stock") + related.count("Rupture de stock") == 1


def test_order_numbers_are_unbreakable_ltr_isolates_in_headings(client):
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, stock=5)
    order = place_test_order({product: 1}, address_line1="12 rue Moulay Ali Cherif")
    db.session.commit()
    login(client, member)
    sub = order.sub_orders[0]
    html = client.get(f"/ar/dashboard/orders/{sub.id}").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert f'<bdi class="order-number" dir="ltr">{order.number}</bdi>' in h1
    assert '<bdi dir="auto">12 rue Moulay Ali Cherif</bdi>' in html


def test_e_mails_isolate_names_addresses_and_identifiers(app, outbox):
    member = MemberFactory(locale="ar")
    product = ProductFactory(cooperative=member.cooperative, stock=5)
    place_test_order({product: 1}, address_line1="12 rue Moulay Ali Cherif")
    db.session.commit()
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in outbox()]
    seller = next(b for b in bodies if "/dashboard/orders/" in b)
    assert f"{FSI}12 rue Moulay Ali Cherif{PDI}" in seller
    assert re.search(f"{LRI}DT-\\d{{4}}-\\d{{6}}{PDI}", seller)
    assert (
        f"{LRI}+212612345678{PDI}" in seller or f"{LRI}0612345678{PDI}" in seller or LRI in seller
    )
