"""Order e-mails, each in its recipient's language, queued on the current transaction; the
placement notices are written by the ``order-notices`` job after the order's commit."""

from __future__ import annotations

import logging
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, selectinload

from marketplace import signals
from marketplace.auth.models import User
from marketplace.auth.services import external_url
from marketplace.cooperatives.models import Cooperative
from marketplace.database import after_outermost_commit
from marketplace.extensions import db
from marketplace.i18n import LOCALES
from marketplace.mail import queue_mail
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.models import CooperativeOrder, Order, OrderNoticeDue, SubOrderStatus

log = logging.getLogger(__name__)

NOTICES_JOB = "order-notices"  # declared in jobs/schedule.py
# A run gives the worker back after this long; what is left waits for the next run.
NOTICES_RUN_SECONDS = 60
_NOTICES_DUE_KEY = "order_notices_due"

_SALT = "order-access"


def order_access_key(order: Order) -> str:
    """A secret for the link in a guest's e-mail that opens their order page."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(order.number)


def check_order_access_key(number: str, key: str) -> bool:
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(key or "")
    except BadSignature:
        return False
    return value == number


def absolute_url(endpoint: str, **values) -> str:
    """A link for a message: on PUBLIC_BASE_URL, never on the request's host."""
    return external_url(endpoint, **values)


def _locale(value: str | None) -> str:
    return value if value in LOCALES else current_app.config["DEFAULT_LOCALE"]


def shopper_order_url(order: Order) -> str:
    locale = _locale(order.locale)
    if order.user_id is None:
        return absolute_url(
            "orders.detail", locale=locale, number=order.number, key=order_access_key(order)
        )
    return absolute_url("orders.detail", locale=locale, number=order.number)


def cooperative_recipients(cooperative_id: int, kind: str | None = None) -> list[tuple[str, str]]:
    """(e-mail, locale) of the cooperative's active members (those who kept e-mail for
    ``kind`` of notice, when given); its own address when it has no member account."""
    return [(email, locale) for email, locale, _ in cooperative_readers(cooperative_id, kind)]


def cooperative_readers(cooperative_id: int, kind: str | None = None) -> list[tuple]:
    """(e-mail, locale, member or None) of ``cooperative_recipients``: the member's account
    gives the notice its unsubscribe link."""

    members = db.session.scalars(
        db.select(User).where(User.cooperative_id == cooperative_id, User.active.is_(True))
    ).all()
    if members:
        return [
            (m.email, _locale(m.locale), m)
            for m in members
            if kind is None or notify.wants_email(m, kind)
        ]
    cooperative = db.session.get(Cooperative, cooperative_id)
    if cooperative is not None and cooperative.email:
        return [(cooperative.email, current_app.config["DEFAULT_LOCALE"], None)]
    return []


def order_placed(order: Order) -> None:
    """Record, in the order's transaction, that its placement notices are due: the
    ``order-notices`` job renders and queues them after the commit (inline without a broker),
    so confirming an order does not wait for e-mails to be written."""
    db.session.add(OrderNoticeDue(order_id=order.id))
    db.session.info[_NOTICES_DUE_KEY] = True


@after_outermost_commit
def _after_commit(session: Session) -> None:
    if session.info.pop(_NOTICES_DUE_KEY, False):
        # The job runner sits above orders and answers ``signals.queue_committed``.
        signals.queue_committed.send(NOTICES_JOB)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: the order's own row stands
    session.info.pop(_NOTICES_DUE_KEY, None)


def write_due_notices(*, seconds: float = NOTICES_RUN_SECONDS) -> dict:
    """The ``order-notices`` job: claim a due order, queue its notices and delete its row,
    in one commit per order. Safe with several workers at once (each claims another order:
    SKIP LOCKED) and idempotent: a run that dies rolls its e-mails back with its claim, and
    the next run writes them again. An order whose notices cannot be written is logged,
    counted as failed and left for a later run; the others go on."""
    deadline = time.monotonic() + seconds
    written = failed = 0
    after = 0  # this run's claims move forward: an order that failed is not taken again
    while time.monotonic() < deadline:
        claimed = db.session.scalar(
            select(OrderNoticeDue.order_id)
            .where(OrderNoticeDue.order_id > after)
            .order_by(OrderNoticeDue.order_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if claimed is None:
            break
        after = claimed
        try:
            write_placement_notices(_order_to_notify(claimed))
            db.session.execute(delete(OrderNoticeDue).where(OrderNoticeDue.order_id == claimed))
            db.session.commit()
        except Exception:  # one order's failure must not hold the others back
            db.session.rollback()
            log.exception("could not write the notices of order %s", claimed)
            failed += 1
        else:
            written += 1
    db.session.commit()
    waiting = db.session.scalar(select(func.count()).select_from(OrderNoticeDue))
    return {"orders": written, "failed": failed, "waiting": int(waiting or 0)}


def _order_to_notify(order_id: int) -> Order:
    """The order with what its notices show (sub-orders, lines, cooperatives' names)."""
    return db.session.scalars(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.sub_orders).selectinload(CooperativeOrder.lines),
            selectinload(Order.sub_orders)
            .selectinload(CooperativeOrder.cooperative)
            .selectinload(Cooperative.translations),
        )
    ).one()


def write_placement_notices(order: Order) -> None:
    """The shopper's confirmation and, for each cooperative of the order, its new-order
    e-mails (members who kept them) and SMS or WhatsApp notices."""
    queue_mail(
        order.email,
        _locale(order.locale),
        "order_placed",
        _l("Your order %(number)s", number=order.number),
        order=order,
        order_url=shopper_order_url(order),
    )
    for sub in order.sub_orders:
        notify.notify_cooperative(
            sub.cooperative_id,
            NoticeKind.NEW_ORDER,
            "new_order",
            number=order.number,
            endpoint="orders.seller_order",
            values={"sub_order_id": sub.id},
        )
        for email, locale, member in cooperative_readers(sub.cooperative_id, NoticeKind.NEW_ORDER):
            queue_mail(
                email,
                locale,
                "order_placed_cooperative",
                _l("New order %(number)s", number=order.number),
                order=order,
                sub=sub,
                order_url=absolute_url("orders.seller_order", locale=locale, sub_order_id=sub.id),
                unsubscribe_url=notify.unsubscribe_url(member, NoticeKind.NEW_ORDER, locale),
            )


def _shopper_subject(status: str, number: str):
    if status == SubOrderStatus.SHIPPED.value:
        return _l("Your order %(number)s has shipped", number=number)
    if status == SubOrderStatus.DELIVERED.value:
        return _l("Your order %(number)s has been delivered", number=number)
    return _l("Your order %(number)s has been cancelled", number=number)


SHOPPER_TEMPLATES = {
    SubOrderStatus.SHIPPED.value: "order_shipped",
    SubOrderStatus.DELIVERED.value: "order_delivered",
    SubOrderStatus.CANCELLED.value: "order_cancelled",
}


def sub_order_changed(sub: CooperativeOrder, old: str, new: str, role: str) -> None:
    order = sub.order
    shopper = db.session.get(User, order.user_id) if order.user_id else None
    if new in SHOPPER_TEMPLATES:
        # The delivered e-mail (sent once per sub-order) invites an account holder to review.
        review_url = None
        if new == SubOrderStatus.DELIVERED.value and order.user_id is not None:
            review_url = absolute_url("reviews.mine", locale=_locale(order.locale))
        if shopper is not None:
            notify.notify_user(
                shopper,
                NoticeKind.ORDER_STATUS,
                SHOPPER_TEMPLATES[new],
                number=order.number,
                endpoint="orders.detail",
                values={"number": order.number},
            )
    if new in SHOPPER_TEMPLATES and notify.wants_email(shopper, NoticeKind.ORDER_STATUS):
        queue_mail(
            order.email,
            _locale(order.locale),
            SHOPPER_TEMPLATES[new],
            _shopper_subject(new, order.number),
            order=order,
            sub=sub,
            by=role,
            order_url=shopper_order_url(order),
            review_url=review_url,
            unsubscribe_url=notify.unsubscribe_url(
                shopper, NoticeKind.ORDER_STATUS, _locale(order.locale)
            ),
        )
    if new == SubOrderStatus.CANCELLED.value and role in ("shopper", "system", "admin"):
        # The cooperative learns that it need not prepare this part any more.
        notify.notify_cooperative(
            sub.cooperative_id,
            NoticeKind.ORDER_STATUS,
            "order_cancelled_cooperative",
            number=order.number,
            endpoint="orders.seller_order",
            values={"sub_order_id": sub.id},
        )
        for email, locale, member in cooperative_readers(
            sub.cooperative_id, NoticeKind.ORDER_STATUS
        ):
            queue_mail(
                email,
                locale,
                "order_cancelled_cooperative",
                _l("Order %(number)s was cancelled", number=order.number),
                order=order,
                sub=sub,
                by=role,
                order_url=absolute_url("orders.seller_order", locale=locale, sub_order_id=sub.id),
                unsubscribe_url=notify.unsubscribe_url(member, NoticeKind.ORDER_STATUS, locale),
            )
