"""Ledger, cash on delivery, the cooperative's balance page and payout batches."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.models import LedgerEntry, Payout, PayoutBatch
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
)
from tests.helpers import login, post_form
from tests.payments_support import (
    advance,
    balanced_books,  # noqa: F401  (fixture)
    deliver,
    place,
)

pytestmark = pytest.mark.usefixtures("balanced_books")


def _balance(coop_id) -> int:
    value = ledger.balance_cents(coop_id)
    db.session.commit()
    return value


def _card_paid(app, stripe_fake, product, quantity=1):
    order = place([(product, quantity)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_fake.complete_session(payment.stripe_session_id))
    db.session.commit()
    return order.sub_orders[0]


@pytest.fixture
def seller_coop():
    return CooperativeFactory(shipping_fee_cents=2000, rib="011780000012345678901235")


@pytest.fixture
def category():
    return CategoryFactory(commission_bp=1500)


def test_card_and_cash_sales_are_netted_in_the_ledger(app, stripe_keys, seller_coop, category):
    product = ProductFactory(cooperative=seller_coop, price_cents=10000, category=category)
    card = _card_paid(app, stripe_keys, product, 2)  # 200 + 20 shipping, commission 30
    cash = place([(product, 1)], method="cod").sub_orders[0]  # 100 + 20, commission 15
    assert _balance(seller_coop.id) == 0  # nothing until delivery
    deliver(card)
    deliver(cash)
    kinds = db.session.scalars(
        select(LedgerEntry.kind).where(LedgerEntry.cooperative_id == seller_coop.id)
    ).all()
    assert sorted(kinds) == ["cod_commission_debit", "commission", "gross"]
    assert card.commission_cents == 3000
    assert _balance(seller_coop.id) == (22000 - 3000) - 1500
    deliver(card)  # a repeated signal posts nothing more
    assert _balance(seller_coop.id) == 17500


def test_the_cooperative_records_cash_collected_on_a_delivered_cash_order(client, seller_coop):
    member = MemberFactory(cooperative=seller_coop)
    product = ProductFactory(cooperative=seller_coop, price_cents=5000)
    order = place([(product, 1)], method="cod")
    sub = order.sub_orders[0]
    login(client, member)
    url = f"/fr/dashboard/orders/{sub.id}/cash-collected"
    post_form(client, url, {}, form_url="/fr/dashboard/balance")
    assert services.payment_for(order).status == "pending"  # not delivered yet: refused
    deliver(sub)
    page = client.get("/fr/dashboard/balance").get_data(as_text=True)
    assert order.number in page
    response = post_form(client, url, {}, form_url="/fr/dashboard/balance")
    assert response.status_code == 303
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    payment = services.payment_for(order)
    assert payment.status == "paid", followed[followed.find('class="flash') :][:300]
    assert services.cash_collection_for(sub).amount_cents == sub.total_cents
    db.session.commit()
    again = post_form(client, url, {}, form_url="/fr/dashboard/balance")
    assert again.status_code == 303
    assert services.cash_collection_for(sub) is not None


def test_a_refused_delivery_cancels_the_sub_order_and_returns_its_stock(client, seller_coop):
    member = MemberFactory(cooperative=seller_coop)
    product = ProductFactory(cooperative=seller_coop, price_cents=5000, stock=4)
    order = place([(product, 3)], method="cod")
    sub = order.sub_orders[0]
    advance(sub, "shipped")
    login(client, member)
    response = post_form(
        client,
        f"/fr/dashboard/orders/{sub.id}/delivery-refused",
        {"reason": "Nobody at the address"},
        form_url="/fr/dashboard/balance",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert sub.status == "cancelled"
    assert db.session.get(Product, product.id).stock == 4
    assert services.payment_for(order).status == "cancelled"
    assert _balance(seller_coop.id) == 0


def test_members_act_only_on_their_own_cooperatives_orders(client, seller_coop):
    product = ProductFactory(cooperative=seller_coop, price_cents=5000)
    sub = place([(product, 1)], method="cod").sub_orders[0]
    deliver(sub)
    login(client, MemberFactory())  # another cooperative
    response = post_form(
        client,
        f"/fr/dashboard/orders/{sub.id}/cash-collected",
        {},
        form_url="/fr/dashboard/balance",
    )
    assert response.status_code == 404
    assert services.cash_collection_for(sub) is None


def test_shoppers_have_no_balance_page(client):
    from tests.factories import UserFactory

    login(client, UserFactory())
    assert client.get("/fr/dashboard/balance").status_code == 403


def test_a_payout_batch_is_exported_paid_and_brings_the_balance_to_zero(
    app, client, stripe_keys, seller_coop, category
):
    product = ProductFactory(cooperative=seller_coop, price_cents=10000, category=category)
    deliver(_card_paid(app, stripe_keys, product, 2))
    owing = CooperativeFactory()  # only cash sales: owes commission, is not paid out
    deliver(
        place([(ProductFactory(cooperative=owing, price_cents=9000), 1)], method="cod").sub_orders[
            0
        ]
    )
    assert _balance(seller_coop.id) == 19000
    assert _balance(owing.id) < 0

    login(client, AdminFactory())
    response = post_form(
        client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts"
    )
    assert response.status_code == 303
    batch = db.session.scalar(select(PayoutBatch))
    assert [(p.cooperative_id, p.amount_cents) for p in batch.payouts] == [(seller_coop.id, 19000)]
    db.session.commit()

    exported = client.get(f"/en/admin/payments/payouts/{batch.id}.csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert rows == [
        {
            "batch": str(batch.id),
            "cooperative_id": str(seller_coop.id),
            "cooperative": f"Coopérative {seller_coop.id}",
            "registration_number": seller_coop.registration_number,
            "rib": "011780000012345678901235",
            "amount_mad": "190.00",
            "currency": "MAD",
            "reference": f"SOUK-PAYOUT-{batch.id}-{seller_coop.id}",
            "stripe_account": "",
        }
    ]
    # a second batch while this one is unpaid pays nobody twice
    again = post_form(
        client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts"
    )
    assert again.status_code == 303
    assert db.session.scalar(select(db.func.count()).select_from(PayoutBatch)) == 1

    url = f"/en/admin/payments/payouts/{batch.id}"
    page = client.get(url).get_data(as_text=True)
    assert "011780000012345678901235" not in page  # masked on screen, full only in the CSV
    assert "1235" in page
    assert post_form(client, url, {"reference": ""}).status_code == 400
    response = post_form(client, url, {"reference": "VIR-2026-11-29-001"})
    assert response.status_code == 303
    assert _balance(seller_coop.id) == 0
    assert _balance(owing.id) < 0
    db.session.expire_all()
    assert db.session.get(PayoutBatch, batch.id).transfer_reference == "VIR-2026-11-29-001"
    assert stripe_keys.requests_to("/v1/transfers") == []
    db.session.commit()

    # the cooperative sees it
    client.post("/en/logout", data={})
    member_client = app.test_client()
    login(member_client, MemberFactory(cooperative=seller_coop))
    page = member_client.get("/en/dashboard/balance").get_data(as_text=True)
    assert "VIR-2026-11-29-001" in page
    assert "Payout" in page
    assert "nothing is owed either way" in page


def test_cash_commission_debits_are_shown_as_owed(app, client, seller_coop, category):
    product = ProductFactory(cooperative=seller_coop, price_cents=10000, category=category)
    deliver(place([(product, 1)], method="cod").sub_orders[0])
    login(client, MemberFactory(cooperative=seller_coop))
    page = client.get("/en/dashboard/balance").get_data(as_text=True)
    assert "Commission on a cash-on-delivery sale (owed)" in page
    assert "Your cooperative owes the platform" in page


def test_a_cooperative_with_a_connect_account_is_paid_by_stripe_transfer(
    app, client, stripe_keys, category
):
    coop = CooperativeFactory(stripe_account_id="acct_1SoukTest", shipping_fee_cents=0)
    product = ProductFactory(cooperative=coop, price_cents=10000, category=category)
    deliver(_card_paid(app, stripe_keys, product, 1))
    login(client, AdminFactory())
    post_form(client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts")
    batch = db.session.scalar(select(PayoutBatch))
    db.session.commit()
    post_form(client, f"/en/admin/payments/payouts/{batch.id}", {"reference": "stripe"})
    [call] = stripe_keys.requests_to("/v1/transfers")
    payout = db.session.scalar(select(Payout))
    assert call["params"]["destination"] == "acct_1SoukTest"
    assert call["params"]["amount"] == "8500"
    assert call["params"]["transfer_group"] == f"payout-batch-{batch.id}"
    assert call["key"] == f"payout-{payout.id}-transfer"
    assert payout.stripe_transfer_id == stripe_keys.transfers.popitem()[0]
    assert _balance(coop.id) == 0


def test_a_batch_cannot_be_marked_paid_twice(app, client, stripe_keys, seller_coop, category):
    product = ProductFactory(cooperative=seller_coop, price_cents=10000, category=category)
    deliver(_card_paid(app, stripe_keys, product, 1))
    login(client, AdminFactory())
    post_form(client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts")
    batch = db.session.scalar(select(PayoutBatch))
    db.session.commit()
    url = f"/en/admin/payments/payouts/{batch.id}"
    form_page = client.get(url).get_data(as_text=True)
    assert post_form(client, url, {"reference": "A"}).status_code == 303
    from tests.helpers import CSRF_RE

    token = CSRF_RE.search(form_page).group(1)
    response = client.post(url, data={"csrf_token": token, "reference": "B"})
    assert response.status_code == 409
    assert _balance(seller_coop.id) == 0


def test_no_batch_without_positive_balances(client):
    login(client, AdminFactory())
    response = post_form(
        client,
        "/en/admin/payments/payouts/new",
        {},
        form_url="/en/admin/payments/payouts",
        follow_redirects=True,
    )
    assert "No cooperative can be paid now" in response.get_data(as_text=True)


def test_the_sellers_order_page_offers_the_cash_on_delivery_actions(client, seller_coop):
    member = MemberFactory(cooperative=seller_coop)
    product = ProductFactory(cooperative=seller_coop, price_cents=5000)
    order = place([(product, 1)], method="cod")
    sub = order.sub_orders[0]
    login(client, member)
    page = f"/fr/dashboard/orders/{sub.id}"
    assert f"/dashboard/orders/{sub.id}/delivery-refused" not in client.get(page).text
    advance(sub, "shipped")
    assert f"/dashboard/orders/{sub.id}/delivery-refused" in client.get(page).text
    deliver(sub)
    html = client.get(page).text
    assert f"/dashboard/orders/{sub.id}/cash-collected" in html
    response = post_form(client, f"/fr/dashboard/orders/{sub.id}/cash-collected", {}, form_url=page)
    assert response.status_code == 303
    assert "/dashboard/orders/" not in client.get(page).text.split("cod-actions")[1][:400]


def test_the_bank_file_keeps_ribs_as_text_and_a_paid_batch_says_so(
    app, client, stripe_keys, seller_coop, category
):
    from marketplace.audit import AuditLogEntry

    product = ProductFactory(cooperative=seller_coop, price_cents=10000, category=category)
    deliver(_card_paid(app, stripe_keys, product, 1))
    login(client, AdminFactory())
    post_form(client, "/en/admin/payments/payouts/new", {}, form_url="/en/admin/payments/payouts")
    batch = db.session.scalar(select(PayoutBatch))
    db.session.commit()
    url = f"/en/admin/payments/payouts/{batch.id}"
    exported = client.get(f"{url}.csv")
    assert f'filename="payout-batch-{batch.id}.csv"' in exported.headers["Content-Disposition"]
    assert '"011780000012345678901235"' in exported.get_data(as_text=True)  # quoted text
    assert post_form(client, url, {"reference": "VIR-7"}).status_code == 303

    again = client.get(f"{url}.csv")
    assert again.status_code == 303  # a paid batch is not downloaded by a plain link
    response = post_form(client, f"{url}/download-again", {}, form_url=url)
    assert response.status_code == 200
    assert "ALREADY-PAID" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith('"ALREADY PAID - DO NOT TRANSFER AGAIN"') and "VIR-7" in lines[0]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert [r["rib"] for r in rows] == ["011780000012345678901235"]
    audit = db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "payout_batch.downloaded_again")
    ).all()
    assert [(a.target_id, a.new_value) for a in audit] == [(batch.id, "VIR-7")]
    db.session.commit()
