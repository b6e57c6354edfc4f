"""A small but complete marketplace for the security tests (access matrix, XSS, backups):
two shoppers, two verified cooperatives with members, a pending one, an admin, products,
documents, orders and payments, each with realistic ids."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from flask import current_app

from marketplace.cooperatives.models import CooperativeDocument, CooperativeStatus
from marketplace.extensions import db
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)


def _one_page_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


# A minimal valid PDF, one blank page (documents are re-written, so they must parse).
PDF_BYTES = _one_page_pdf()


@dataclass
class World:
    shopper_a: Any = None
    shopper_b: Any = None
    member_a: Any = None  # owner of cooperative A (verified)
    member_a2: Any = None  # second, non-owner member of cooperative A
    member_b: Any = None  # owner of cooperative B (verified)
    pending_member: Any = None  # owner of a cooperative whose application is pending
    admin: Any = None
    observer: Any = None  # council staff: the impact pages only
    coop_a: Any = None
    coop_b: Any = None
    coop_pending: Any = None
    category: Any = None
    product_a: Any = None
    product_a_draft: Any = None
    product_b: Any = None
    product_pending: Any = None
    doc_a: Any = None
    doc_b: Any = None
    doc_pending: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def users(self) -> dict[str, Any]:
        return {
            "shopper_a": self.shopper_a,
            "shopper_b": self.shopper_b,
            "member_a": self.member_a,
            "member_a2": self.member_a2,
            "member_b": self.member_b,
            "pending_member": self.pending_member,
            "admin": self.admin,
            "observer": self.observer,
        }


def add_document(cooperative) -> CooperativeDocument:
    from werkzeug.datastructures import FileStorage

    from marketplace import storage

    stored = storage.save_document(FileStorage(io.BytesIO(PDF_BYTES), filename="statuts.pdf"))
    document = CooperativeDocument(
        cooperative=cooperative,
        kind="statutes",
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
    )
    db.session.add(document)
    db.session.commit()
    return document


def api_token(member):
    """A personal access token of the member's cooperative (API), committed."""
    from marketplace.api.tokens import create_token

    made = create_token(member.cooperative_id, member, "World token", ["orders:read"], None)
    db.session.commit()
    return made.token


def build_world() -> World:
    w = World()
    w.admin = AdminFactory(name="Admin")
    w.shopper_a = UserFactory(name="Shopper A")
    w.shopper_b = UserFactory(name="Shopper B")
    w.observer = UserFactory(name="Observer", role="observer")
    w.coop_a = CooperativeFactory(slug="coop-a")
    w.coop_b = CooperativeFactory(slug="coop-b")
    w.coop_pending = CooperativeFactory(slug="coop-pending", status=CooperativeStatus.PENDING)
    w.member_a = MemberFactory(name="Member A", cooperative=w.coop_a)
    w.member_a2 = MemberFactory(name="Member A2", cooperative=w.coop_a, is_cooperative_owner=False)
    w.member_b = MemberFactory(name="Member B", cooperative=w.coop_b)
    w.pending_member = MemberFactory(name="Pending member", cooperative=w.coop_pending)
    w.category = CategoryFactory(slug="dates")
    w.product_a = ProductFactory(slug="dates-a", cooperative=w.coop_a, category=w.category)
    w.product_a_draft = ProductFactory(
        slug="draft-a", cooperative=w.coop_a, category=w.category, status="draft"
    )
    w.product_b = ProductFactory(slug="dates-b", cooperative=w.coop_b, category=w.category)
    w.product_pending = ProductFactory(
        slug="dates-pending", cooperative=w.coop_pending, category=w.category
    )
    w.doc_a = add_document(w.coop_a)
    w.doc_b = add_document(w.coop_b)
    w.doc_pending = add_document(w.coop_pending)
    w.extra["invitation_a"] = invite(w.member_a, "invitee@example.ma")
    w.extra["media_name"] = add_product_image(w.product_a)
    w.extra["queued_mail"] = given_up_mail("shopper-a@example.ma")
    w.extra["api_token_a"] = api_token(w.member_a)
    add_orders_and_payments(w)
    from tests.trust_support import add_trust_objects

    add_trust_objects(w)  # labels and reviews
    from tests.fairs_support import add_fair_objects

    add_fair_objects(w)  # fairs: A exhibits, B applied
    return w


def given_up_mail(recipient: str):
    """A message the mail queue gave up on (MAIL_DELIVERY=queue), for the admin's page."""
    from marketplace.mail import MAX_ATTEMPTS, QueuedMail
    from marketplace.timeutil import utcnow

    row = QueuedMail(
        recipient=recipient,
        subject="Your order",
        text="…",
        attempts=MAX_ATTEMPTS,
        failed_at=utcnow(),
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    db.session.add(row)
    db.session.flush()
    return row


def invite(owner, email: str):
    from marketplace.auth import services as accounts

    invitation = accounts.invite_member(owner, email, "fr")
    db.session.commit()
    return invitation


def add_product_image(product) -> str:
    """A real stored photo of ``product``; returns the name of its card rendition."""
    from PIL import Image

    from marketplace import storage
    from marketplace.catalogue.models import ProductImage

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 120, 60)).save(buffer, "JPEG")
    stored = storage.save_image(buffer.getvalue(), "product")
    db.session.add(
        ProductImage(
            product=product, stored_name=stored.name, width=stored.width, height=stored.height
        )
    )
    db.session.commit()
    return f"{stored.name}-card.webp"


STRIPE_TEST_SETTINGS = {
    "STRIPE_SECRET_KEY": "sk_test_world",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_world",
    "STRIPE_WEBHOOK_SECRET": "whsec_world",
}


def place_cod_order(shopper, product, quantity: int = 2, method: str = "cod"):
    """An order placed through the orders service (its payment row is created by the
    payments domain on the order_placed signal)."""
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )

    order = place_order(
        lines=[WantedLine(product.id, quantity, product.price_cents)],
        shipping=ShippingDetails(
            contact_name=shopper.name,
            phone="+212612345678",
            address_line1="12 rue des Palmiers",
            city="Errachidia",
            email=shopper.email,
        ),
        payment_method=method,
        idempotency_token=make_idempotency_token(),
        locale="fr",
        user=shopper,
    )
    db.session.commit()
    return order


def add_orders_and_payments(w: World | None = None) -> dict[str, Any]:
    """Orders of shopper A (from cooperative A) and B (from cooperative B) with payments; one
    of A's orders delivered and paid in cash, so the ledger and a payout batch have money."""
    from marketplace.orders.status import transition
    from marketplace.payments import payouts
    from marketplace.payments import services as payments

    if w is None:
        w = World(
            shopper_a=UserFactory(),
            shopper_b=UserFactory(),
            admin=AdminFactory(),
        )
        w.product_a = ProductFactory(stock=50)
        w.product_b = ProductFactory(stock=50)
        w.member_a = MemberFactory(cooperative=w.product_a.cooperative)
    extra = w.extra
    extra["order_a"] = place_cod_order(w.shopper_a, w.product_a)
    extra["sub_order_a"] = extra["order_a"].sub_orders[0]
    extra["order_b"] = place_cod_order(w.shopper_b, w.product_b, 1)
    extra["sub_order_b"] = extra["order_b"].sub_orders[0]
    # Paid in cash on delivery.
    done = place_cod_order(w.shopper_a, w.product_a, 3)
    sub = done.sub_orders[0]
    transition(sub, "shipped", w.member_a, carrier="Amana", tracking_number="AM1")
    transition(sub, "delivered", w.member_a)
    payments.mark_cash_collected(sub, w.member_a)
    extra["order_a_cash"] = done
    # Paid by card (the Checkout Session as Stripe reports it), then delivered: the
    # cooperative's balance becomes positive and goes into a payout batch.
    config = current_app.config
    saved = {key: config.get(key) for key in STRIPE_TEST_SETTINGS}
    config.update(STRIPE_TEST_SETTINGS)
    try:
        card = place_cod_order(w.shopper_a, w.product_a, 1, method="card")
        extra["order_a_card_unpaid"] = place_cod_order(w.shopper_a, w.product_a, 1, "card")
    finally:
        config.update(saved)
    payment = payments.payment_for(card)
    payment.stripe_session_id = f"cs_test_world_{card.id}"
    payments.fulfil_checkout_session(
        {
            "id": payment.stripe_session_id,
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": f"pi_test_world_{card.id}",
            "amount_total": card.total_cents,
            "currency": card.currency.lower(),
        }
    )
    sub = card.sub_orders[0]
    transition(sub, "shipped", w.member_a, carrier="Amana", tracking_number="AM2")
    transition(sub, "delivered", w.member_a)
    db.session.commit()
    extra["order_a_card"] = card
    extra["batch"] = payouts.create_batch(w.admin)
    db.session.commit()
    extra["payment_a"] = payments.payment_for(extra["order_a"])
    return extra


def pay_by_card(order) -> None:
    """The order's Checkout Session completed and paid, as Stripe reports it."""
    from marketplace.payments import services as payments

    payment = payments.payment_for(order)
    payment.stripe_session_id = f"cs_test_world_{order.id}"
    payments.fulfil_checkout_session(
        {
            "id": payment.stripe_session_id,
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": f"pi_test_world_{order.id}",
            "amount_total": order.total_cents,
            "currency": order.currency.lower(),
        }
    )
    db.session.commit()


def grow_world(w: World) -> dict[str, Any]:
    """More of everything the benchmarked pages list, for comparing their query counts at
    two sizes (tests/test_query_counts.py): products of both cooperatives, orders of shopper
    A from cooperative A (one of three lines shipped, delivered and paid in cash, one paid by
    card and delivered, one shared with cooperative B), the world's payout batch paid and a
    new one open, three more applications with their documents, and audit log entries."""
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )
    from marketplace.orders.status import transition
    from marketplace.payments import payouts
    from marketplace.payments import services as payments
    from marketplace.timeutil import utcnow

    grown: dict[str, Any] = {}
    products = [
        ProductFactory(
            slug=f"grown-{n}",
            cooperative=w.coop_a if n % 2 == 0 else w.coop_b,
            category=w.category,
            stock=50,
        )
        for n in range(6)
    ]
    grown["products"] = products
    own = [p for p in products if p.cooperative_id == w.coop_a.id]
    shipping = ShippingDetails(
        contact_name=w.shopper_a.name,
        phone="+212612345678",
        address_line1="12 rue des Palmiers",
        city="Errachidia",
        email=w.shopper_a.email,
    )

    def place(lines, method="cod"):
        order = place_order(
            lines=[WantedLine(p.id, quantity, p.price_cents) for p, quantity in lines],
            shipping=shipping,
            payment_method=method,
            idempotency_token=make_idempotency_token(),
            locale="fr",
            user=w.shopper_a,
        )
        db.session.commit()
        return order

    big = place([(p, n + 1) for n, p in enumerate(own)])
    sub = big.sub_orders[0]
    transition(sub, "shipped", w.member_a, carrier="Amana", tracking_number="AM3")
    transition(sub, "delivered", w.member_a)
    payments.mark_cash_collected(sub, w.member_a)
    db.session.commit()
    shared = place([(own[0], 1), (w.product_b, 1)])
    config = current_app.config
    saved = {key: config.get(key) for key in STRIPE_TEST_SETTINGS}
    config.update(STRIPE_TEST_SETTINGS)
    try:
        card = place([(own[1], 2)], method="card")
    finally:
        config.update(saved)
    pay_by_card(card)
    card_sub = card.sub_orders[0]
    transition(card_sub, "shipped", w.member_a, carrier="Amana", tracking_number="AM4")
    transition(card_sub, "delivered", w.member_a)
    db.session.commit()
    grown.update(big_order=big, big_sub_order=sub, orders=[big, shared, card])

    batch = w.extra.get("batch")
    if batch is not None:
        payouts.mark_paid(batch, "VIR-WORLD-1", w.admin)
        db.session.commit()
    grown["batch"] = payouts.create_batch(w.admin)
    db.session.commit()

    grown["pending"] = []
    for n in range(3):
        cooperative = CooperativeFactory(
            slug=f"grown-pending-{n}", status=CooperativeStatus.PENDING
        )
        MemberFactory(cooperative=cooperative)
        add_document(cooperative)
        grown["pending"].append(cooperative)

    audit = db.metadata.tables["audit_log"]
    db.session.execute(
        audit.insert(),
        [
            {
                "created_at": utcnow(),
                "actor_id": w.admin.id,
                "actor_email": w.admin.email,
                "actor_name": w.admin.name,
                "action": "bench.grown" if n % 2 else "cooperative.verified",
                "target_type": "cooperative",
                "target_id": w.coop_a.id,
                "target_label": "Cooperative A",
                "old_value": "",
                "new_value": "",
                "reason": "",
                "details": {},
            }
            for n in range(10)
        ],
    )
    db.session.commit()
    return grown
