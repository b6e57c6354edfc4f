"""Notice e-mails carry a link that stops them (the notification preferences, issue 19)."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.status import transition
from tests.helpers import post_form, release_test_transaction
from tests.world import build_world

LINK = re.compile(r"https?://\S+/notifications/unsubscribe/\S+")


def test_a_shipped_notice_carries_a_link_that_stops_the_next_ones(app, client, outbox):
    world = build_world()
    sub = world.extra["order_a"].sub_orders[0]
    transition(sub, "shipped", world.member_a, carrier="Amana", tracking_number="AM9")
    db.session.commit()
    shipped = [m for m in outbox() if m["To"] == world.shopper_a.email and "AM9" in str(m)]
    assert len(shipped) == 1
    (link,) = LINK.findall(shipped[0].get_content())
    path = link.split("://", 1)[1].split("/", 1)[1]
    release_test_transaction()
    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert notify.wants_email(world.shopper_a, NoticeKind.ORDER_STATUS)  # a GET changes nothing
    assert post_form(client, f"/{path}", {}).status_code == 200
    assert not notify.wants_email(world.shopper_a, NoticeKind.ORDER_STATUS)
    before = len(outbox())
    transition(sub, "delivered", world.member_a)
    db.session.commit()
    assert [m for m in outbox()[before:] if m["To"] == world.shopper_a.email] == []


def test_a_new_order_notice_to_a_member_carries_their_own_link(app, outbox):
    world = build_world()
    mails = [m for m in outbox() if m["To"] == world.member_a.email]
    assert mails, "the world's orders notified cooperative A's owner"
    (link,) = LINK.findall(mails[0].get_content())
    token = link.rsplit("/", 1)[1]
    target = notify.read_unsubscribe(token)
    assert (target.user.id, target.kind, target.channel) == (
        world.member_a.id,
        NoticeKind.NEW_ORDER.value,
        "email",
    )


def test_a_guest_order_notice_has_no_link(app, outbox):
    from tests.world import place_cod_order

    world = build_world()
    guest = type("Guest", (), {"name": "Invité", "email": "guest@example.ma"})()
    order = place_cod_order(guest, world.product_a, 1)
    order.user_id = None
    db.session.commit()
    transition(order.sub_orders[0], "shipped", world.member_a, carrier="Amana")
    db.session.commit()
    to_guest = [m for m in outbox() if m["To"] == "guest@example.ma" and "Amana" in str(m)]
    assert to_guest and not LINK.search(to_guest[-1].get_content())
