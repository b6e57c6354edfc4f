"""Order e-mails, each in its recipient's language, queued on the current transaction."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from marketplace.auth.models import User
from marketplace.auth.services import external_url
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.i18n import LANGUAGES
from marketplace.mail import queue_mail
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.models import CooperativeOrder, Order, SubOrderStatus

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
    return value if value in LANGUAGES else current_app.config["DEFAULT_LOCALE"]


def shopper_order_url(order: Order) -> str:
    lang = _locale(order.language)
    if order.user_id is None:
        return absolute_url(
            "orders.detail", lang=lang, number=order.number, key=order_access_key(order)
        )
    return absolute_url("orders.detail", lang=lang, number=order.number)


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
    queue_mail(
        order.email,
        _locale(order.language),
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
                order_url=absolute_url("orders.seller_order", lang=locale, sub_order_id=sub.id),
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
            review_url = absolute_url("reviews.mine", lang=_locale(order.language))
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
            _locale(order.language),
            SHOPPER_TEMPLATES[new],
            _shopper_subject(new, order.number),
            order=order,
            sub=sub,
            by=role,
            order_url=shopper_order_url(order),
            review_url=review_url,
            unsubscribe_url=notify.unsubscribe_url(
                shopper, NoticeKind.ORDER_STATUS, _locale(order.language)
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
                order_url=absolute_url("orders.seller_order", lang=locale, sub_order_id=sub.id),
                unsubscribe_url=notify.unsubscribe_url(member, NoticeKind.ORDER_STATUS, locale),
            )
