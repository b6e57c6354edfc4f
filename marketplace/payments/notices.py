"""Telling the platform team and the cooperatives about money that moved outside the app: a
refund made in Stripe's dashboard, a shopper's bank disputing a card payment.

E-mails (each in its recipient's language, queued on the current transaction, so they leave
only if it commits): every active admin, and the members of each cooperative concerned who
kept e-mail for payment notices (the cooperative's own address when it has no member
account). The payment is also flagged: it shows in the admins' list of payments to review.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.auth.services import external_url
from marketplace.extensions import db
from marketplace.i18n import LOCALES
from marketplace.mail import queue_mail
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.orders.models import CooperativeOrder, Order
from marketplace.orders.names import cooperative_name
from marketplace.orders.notifications import cooperative_readers


def _locale(value: str | None) -> str:
    return value if value in LOCALES else current_app.config["DEFAULT_LOCALE"]


def tell_admins(
    order: Order, template: str, subject, *, sub_order: CooperativeOrder | None = None, **context
) -> int:
    """``templates/email/<template>.txt`` to every active admin, with a link to the order's
    payment page (and the name of ``sub_order``'s cooperative in the admin's language);
    how many e-mails were queued."""
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN.value, User.active.is_(True)).order_by(User.id)
    ).all()
    for admin in admins:
        locale = _locale(admin.locale)
        queue_mail(
            admin.email,
            locale,
            template,
            subject,
            admin=admin,
            order=order,
            payment_url=external_url("payments.admin_order", locale=locale, number=order.number),
            cooperative=(
                cooperative_name(sub_order.cooperative, locale) if sub_order is not None else ""
            ),
            **context,
        )
    return len(admins)


def tell_cooperative(sub_order: CooperativeOrder, template: str, subject, **context) -> int:
    """``templates/email/<template>.txt`` to the cooperative of ``sub_order`` (its members
    who kept e-mail for payment notices), with links to the order and the balance page."""
    order = sub_order.order
    readers = cooperative_readers(sub_order.cooperative_id, NoticeKind.PAYMENT)
    for email, locale, member in readers:
        queue_mail(
            email,
            locale,
            template,
            subject,
            order=order,
            sub=sub_order,
            cooperative=cooperative_name(sub_order.cooperative, locale),
            order_url=external_url("orders.seller_order", locale=locale, sub_order_id=sub_order.id),
            balance_url=external_url("payments.balance", locale=locale),
            unsubscribe_url=notify.unsubscribe_url(member, NoticeKind.PAYMENT, locale),
            **context,
        )
    return len(readers)
