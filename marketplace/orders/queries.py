"""Finding an order for who may see it: its shopper (or the guest who placed it in this
browser), an admin, or the cooperative of a sub-order. Anything else is NotFound."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.cooperatives.models import Cooperative
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, Order


def get_order_for(number: str, user=None, guest_numbers: Iterable[str] = ()) -> Order:
    """The order with ``number`` if the viewer may see it (its shopper, or the guest who
    placed it in this browser), else NotFound."""

    number = (number or "").strip()[:40]
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.sub_orders).selectinload(CooperativeOrder.lines),
            selectinload(Order.sub_orders).selectinload(CooperativeOrder.events),
            selectinload(Order.sub_orders)
            .selectinload(CooperativeOrder.cooperative)
            .selectinload(Cooperative.translations),
        )
    )
    if order is None:
        raise NotFound()
    if user is not None and getattr(user, "is_admin", False):
        return order
    if user is not None and order.user_id is not None and order.user_id == user.id:
        return order
    if order.user_id is None and number in set(guest_numbers):
        return order
    raise NotFound()


def get_sub_order_for_cooperative(
    sub_order_id: int, cooperative_id: int | None
) -> CooperativeOrder:

    sub = db.session.get(CooperativeOrder, sub_order_id)
    if sub is None or cooperative_id is None or sub.cooperative_id != cooperative_id:
        raise NotFound()
    return sub
