"""Regional fairs: admins create them, verified cooperatives apply for a stand, admins
decide (audited, e-mailed in the member's language), the public pages, the calendar file,
the sitemap, the home page, and ordering to collect at the fair down to the hand-over."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select

from marketplace.audit import AuditLogEntry
from marketplace.extensions import db
from marketplace.fairs import services as fairs
from marketplace.fairs.models import Fair, StandApplication
from marketplace.impact import services as impact
from marketplace.orders.checkout import (
    ShippingDetails,
    WantedLine,
    make_idempotency_token,
    pickup_options,
    place_order,
)
from marketplace.orders.models import Order
from marketplace.payments import ledger
from marketplace.payments.models import CashCollection
from tests.factories import (
    AdminFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.fairs_support import accept_stand, make_fair
from tests.helpers import login, post_form
from tests.payments_support import place


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 450), (200, 120, 60)).save(out, "PNG")
    return out.getvalue()


def _fair_form(**changes) -> dict:
    start = fairs.today() + timedelta(days=30)
    data = {
        "name_ar": "مهرجان الورود",
        "name_fr": "Festival des roses",
        "name_en": "Rose festival",
        "description_fr": "La fête des roses de Kelaat M'Gouna.",
        "province": "tinghir",
        "city": "Kelaat M'Gouna",
        "venue": "Place centrale",
        "address": "",
        "latitude": "31.2446",
        "longitude": "-6.1296",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=2)).isoformat(),
        "registration_deadline": (start - timedelta(days=5)).isoformat(),
        "max_stands": "١٢",  # Arabic-Indic digits are numbers too
    }
    data.update(changes)
    return data


def test_an_admin_creates_and_edits_a_fair_with_a_cover(client):
    login(client, AdminFactory())
    data = _fair_form()
    data["cover"] = (io.BytesIO(_png()), "roses.png")
    response = post_form(client, "/en/admin/fairs/new", data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    fair = db.session.scalar(select(Fair))
    assert fair.slug.startswith("festival-des-roses-")
    assert (fair.max_stands, fair.province, fair.city) == (12, "tinghir", "Kelaat M'Gouna")
    assert fair.cover_path
    assert {t.locale: t.name for t in fair.translations}["ar"] == "مهرجان الورود"
    url = f"/en/admin/fairs/{fair.id}"
    response = post_form(client, url, _fair_form(max_stands="30", name_en=""))
    assert response.status_code == 303
    db.session.expire_all()
    fair = db.session.get(Fair, fair.id)
    assert fair.max_stands == 30 and fair.cover_path  # the cover is kept
    assert "en" not in {t.locale for t in fair.translations}
    # an impossible fair is refused with the reason
    bad = post_form(client, url, _fair_form(ends_on="2000-01-01"))
    assert bad.status_code == 400
    assert "cannot end before it starts" in bad.get_data(as_text=True)
    actions = db.session.scalars(select(AuditLogEntry.action)).all()
    assert actions.count("fair_created") == 1 and actions.count("fair_updated") == 1


def test_verified_cooperatives_apply_with_their_products(client):
    fair = make_fair()
    member = MemberFactory()
    mine = ProductFactory(cooperative=member.cooperative)
    theirs = ProductFactory()
    db.session.commit()
    login(client, member)
    url = f"/en/dashboard/fairs/{fair.id}/apply"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{mine.id}"' in page and f'value="{theirs.id}"' not in page
    # another cooperative's product is not a choice
    assert post_form(client, url, {"products": [str(theirs.id)]}).status_code == 400
    response = post_form(client, url, {"products": [str(mine.id)], "note": "Stand de 6 m²"})
    assert response.status_code == 303
    application = db.session.scalar(select(StandApplication))
    assert [p.id for p in application.products] == [mine.id]
    assert application.status == "pending" and application.note == "Stand de 6 m²"
    # once only
    again = post_form(client, url, {"products": [str(mine.id)]})
    assert "already applied" in again.get_data(as_text=True)
    listing = client.get("/en/dashboard/fairs").get_data(as_text=True)
    assert "Waiting for a decision" in listing


def test_applications_close_at_the_deadline(client):
    fair = make_fair(days_ahead=3, deadline=fairs.today() - timedelta(days=1))
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative)
    db.session.commit()
    login(client, member)
    url = f"/en/dashboard/fairs/{fair.id}/apply"
    assert "Applications for this fair are closed" in client.get(url).get_data(as_text=True)
    assert db.session.scalar(select(StandApplication)) is None
    del product


def test_a_pending_cooperative_cannot_apply(client):
    fair = make_fair()
    member = MemberFactory(cooperative=CooperativeFactory(status="pending"))
    db.session.commit()
    login(client, member)
    assert client.get(f"/en/dashboard/fairs/{fair.id}/apply").status_code == 403


def test_admins_decide_audited_and_emailed_in_the_members_language(client, outbox):
    fair = make_fair(max_stands=1)
    first = MemberFactory(locale="ar")
    second = MemberFactory(locale="fr")
    applications = []
    for member in (first, second):
        product = ProductFactory(cooperative=member.cooperative)
        application = StandApplication(
            fair=fair, cooperative_id=member.cooperative_id, products=[product]
        )
        db.session.add(application)
        applications.append(application)
    db.session.commit()
    login(client, AdminFactory())
    decide = "/en/admin/fairs/applications/{}/decide"
    form_url = f"/en/admin/fairs/{fair.id}"
    response = post_form(
        client, decide.format(applications[0].id), {"action": "accept"}, form_url=form_url
    )
    assert response.status_code == 303
    # the only stand is taken: the second cannot be accepted, but can be declined
    post_form(client, decide.format(applications[1].id), {"action": "accept"}, form_url=form_url)
    db.session.expire_all()
    assert db.session.get(StandApplication, applications[1].id).status == "pending"
    post_form(
        client,
        decide.format(applications[1].id),
        {"action": "decline", "reason": "Plus de place"},
        form_url=form_url,
    )
    db.session.expire_all()
    assert [db.session.get(StandApplication, a.id).status for a in applications] == [
        "accepted",
        "declined",
    ]
    entries = db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action.like("stand_%"))
    ).all()
    assert sorted(e.action for e in entries) == ["stand_accepted", "stand_declined"]
    mails = {m["To"]: m for m in outbox()}
    assert "معرض التمور" in mails[first.email].get_content()  # the fair's Arabic name
    assert "Salon des dattes" in mails[second.email].get_content()
    assert "Plus de place" in mails[second.email].get_content()
    # the accepted list is public
    page = client.get(f"/fr/fairs/{fair.slug}").get_data(as_text=True)
    assert first.cooperative.slug in page and second.cooperative.slug not in page


def test_public_pages_calendar_sitemap_and_home(client):
    upcoming = make_fair(days_ahead=20)
    past = make_fair(days_ahead=-100, name="Moussem de 2025")
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, slug="dattes-majhoul")
    accept_stand(upcoming, member.cooperative, [product])
    listing = client.get("/fr/fairs").get_data(as_text=True)
    assert listing.index(upcoming.slug) < listing.index(past.slug)
    page = client.get(f"/ar/fairs/{upcoming.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "معرض التمور" in html
    assert "dattes-majhoul" in html and member.cooperative.slug in html
    assert "openstreetmap.org/?mlat=31.4313&amp;mlon=-4.2327" in html
    assert 'property="og:title"' in html
    from flask_babel import force_locale, format_date

    with client.application.test_request_context("/ar/"), force_locale("ar"):
        arabic_date = format_date(upcoming.starts_on, "full")
    assert arabic_date in html  # the page's language and calendar
    ics = client.get(f"/fr/fairs/{upcoming.slug}.ics")
    assert ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert f"DTSTART;VALUE=DATE:{upcoming.starts_on:%Y%m%d}" in body
    assert f"DTEND;VALUE=DATE:{upcoming.ends_on + timedelta(days=1):%Y%m%d}" in body
    assert "SUMMARY:Salon des dattes" in body and "LOCATION:Place des FAR\\, " in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/fr/fairs/{upcoming.slug}" in sitemap and "/ar/fairs<" in sitemap
    home = client.get("/fr/").get_data(as_text=True)
    assert f"/fr/fairs/{upcoming.slug}" in home and past.slug not in home
    assert client.get("/fr/fairs/nowhere").status_code == 404


def _exhibiting_shop():
    fair = make_fair()
    coop = CooperativeFactory(shipping_fee_cents=3000)
    member = MemberFactory(cooperative=coop)
    product = ProductFactory(cooperative=coop, price_cents=10000, stock=20)
    accept_stand(fair, coop, [product])
    return fair, member, product


def test_a_shopper_collects_at_the_fair_and_the_cooperative_hands_it_over(app, client):
    fair, member, product = _exhibiting_shop()
    other = ProductFactory(price_cents=5000)  # not at the fair
    shopper = UserFactory()
    db.session.commit()
    # the option is offered only when every cooperative of the cart exhibits
    assert [p.fair_id for p in pickup_options([product.cooperative])] == [fair.id]
    assert pickup_options([product.cooperative, other.cooperative]) == []
    login(client, shopper)
    post_form(client, "/fr/cart/add", {"product_id": product.id, "quantity": "2"}, "/fr/cart")
    page = client.get("/fr/checkout").get_data(as_text=True)
    assert f'value="fair-{fair.id}"' in page
    response = post_form(
        client,
        "/fr/checkout",
        {
            "email": shopper.email,
            "contact_name": "Aicha",
            "phone": "0612345678",
            "address_line1": "",
            "city": "",
            "country": "MA",
            "payment_method": "cod",
            "delivery": f"fair-{fair.id}",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    review = client.get("/fr/checkout/review").get_data(as_text=True)
    assert "200,00" in review and "230,00" not in review  # no shipping fee
    fields = {}
    for name in ("csrf_token", "token", "fingerprint"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', review) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', review
        )
        fields[name] = match.group(1)
    response = client.post("/fr/checkout/review", data=fields)
    assert response.status_code in (302, 303)
    order = db.session.scalar(select(Order))
    assert (order.collect_fair_id, order.shipping_cents, order.total_cents) == (
        fair.id,
        0,
        20000,
    )
    sub = order.sub_orders[0]
    assert (sub.shipping_cents, sub.total_cents) == (0, 20000)

    seller = app.test_client()
    login(seller, member)
    assert "Salon des dattes" in seller.get(f"/fr/dashboard/orders/{sub.id}").get_data(as_text=True)
    slip = seller.get(f"/fr/dashboard/orders/{sub.id}/packing-slip").get_data(as_text=True)
    assert "Salon des dattes" in slip
    day_url = f"/fr/dashboard/fairs/{fair.id}/day"
    day = seller.get(day_url).get_data(as_text=True)
    assert order.number in day and "200,00" in day
    done = post_form(
        seller, f"/fr/dashboard/fairs/{fair.id}/orders/{sub.id}/collected", {}, form_url=day_url
    )
    assert done.status_code == 303
    db.session.expire_all()
    sub = db.session.get(type(sub), sub.id)
    assert sub.status == "delivered"
    assert db.session.scalar(select(CashCollection).where(CashCollection.sub_order_id == sub.id))
    assert ledger.check() == []
    # the impact dashboard counts fair sales separately
    with app.test_request_context("/fr/"):
        figures = impact.compute(impact.Filters(date(2020, 1, 1), fairs.today()), "fr")
    assert (figures.fair_sales_cents, figures.fair_orders) == (20000, 1)
    # twice is refused
    en_day_url = f"/en/dashboard/fairs/{fair.id}/day"
    again = post_form(
        seller,
        f"/en/dashboard/fairs/{fair.id}/orders/{sub.id}/collected",
        {},
        form_url=en_day_url,
    )
    assert again.status_code == 303
    assert "already handed over" in seller.get(en_day_url).get_data(as_text=True)


def test_collecting_at_a_fair_the_cooperative_does_not_attend_is_refused(app):
    fair = make_fair()
    product = ProductFactory(price_cents=10000)
    db.session.commit()
    import pytest

    from marketplace.errors import InvalidInput

    with pytest.raises(InvalidInput):
        place_order(
            lines=[WantedLine(product.id, 1, product.price_cents)],
            shipping=ShippingDetails(
                contact_name="A",
                phone="+212612345678",
                address_line1="x",
                city="y",
                email="a@example.ma",
            ),
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale="fr",
            collect_fair_id=fair.id,
        )
    db.session.rollback()
    order = place([(product, 1)], method="cod")
    assert order.collect_fair_id is None and order.shipping_cents > 0
    assert re.match(r"\S+", order.number)


def test_the_demo_has_two_past_fairs_and_an_upcoming_one_with_orders(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    upcoming, past = fairs.upcoming(), fairs.past()
    assert [f.city for f in upcoming] == ["Kelaat M'Gouna"]
    assert sorted(f.city for f in past) == ["Erfoud", "Kelaat M'Gouna"]
    for fair in past:
        collected = db.session.scalars(select(Order).where(Order.collect_fair_id == fair.id)).all()
        subs = [s for order in collected for s in order.sub_orders]
        assert subs and all(s.status == "delivered" for s in subs)
        assert all(fair.starts_on - timedelta(days=7) <= o.created_at.date() for o in collected)
    waiting = db.session.scalars(select(Order).where(Order.collect_fair_id == upcoming[0].id)).all()
    assert waiting and all(o.shipping_cents == 0 for o in waiting)
    assert len(fairs.exhibitors(upcoming[0])) == 4
    assert ledger.check() == []
    page = client.get(f"/fr/fairs/{past[0].slug}").get_data(as_text=True)
    assert "Exposants" in page or "Exhibitors" in page
