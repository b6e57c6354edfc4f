"""The sub-order status machine: who may move a sub-order from which status to which
(``TRANSITIONS``), ``transition`` which makes a move, the parent order's status derived from
its sub-orders, and the moves made for a shopper (cancel) or a payment (confirm, release).

Plain functions: no request, no session. They change the data, ``flush()`` and raise
``DomainError`` subclasses with a translated message; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace import signals
from marketplace.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from marketplace.extensions import db
from marketplace.orders import notifications
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    OrderEvent,
    OrderStatus,
    SubOrderStatus,
)
from marketplace.orders.names import status_label
from marketplace.orders.stock import return_stock
from marketplace.timeutil import utcnow

S = SubOrderStatus

# Who moves a sub-order (an OrderEvent's actor_role).
SYSTEM, SHOPPER, COOPERATIVE, ADMIN = "system", "shopper", "cooperative", "admin"


# (from, to) -> who may make that move. Nothing else is legal.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.PENDING_PAYMENT, S.CONFIRMED): frozenset({SYSTEM, ADMIN}),
    (S.PENDING_PAYMENT, S.CANCELLED): frozenset({SYSTEM, SHOPPER, COOPERATIVE, ADMIN}),
    (S.CONFIRMED, S.SHIPPED): frozenset({COOPERATIVE, ADMIN}),
    (S.CONFIRMED, S.CANCELLED): frozenset({SHOPPER, COOPERATIVE, ADMIN}),
    (S.SHIPPED, S.DELIVERED): frozenset({COOPERATIVE, ADMIN}),
    # A parcel that comes back (delivery refused, lost): the cooperative cancels with a
    # reason and the stock returns. The shopper can no longer cancel once it has shipped.
    (S.SHIPPED, S.CANCELLED): frozenset({COOPERATIVE, ADMIN}),
}


def allowed_next(sub_order: CooperativeOrder, role: str) -> list[str]:
    """The statuses ``role`` may move this sub-order to (for buttons)."""
    return [
        new
        for (old, new), roles in TRANSITIONS.items()
        if old == sub_order.status and role in roles
    ]


def role_of(actor, sub_order: CooperativeOrder) -> str:
    if actor is None:
        return SYSTEM
    if getattr(actor, "is_admin", False):
        return ADMIN
    if actor.cooperative_id is not None and actor.cooperative_id == sub_order.cooperative_id:
        return COOPERATIVE
    if sub_order.order.user_id is not None and sub_order.order.user_id == actor.id:
        return SHOPPER
    raise Forbidden()


def transition(
    sub_order: CooperativeOrder,
    new_status: str,
    actor=None,
    *,
    by: str | None = None,
    reason: str = "",
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
) -> CooperativeOrder:
    """THE sub-order status machine. Moves ``sub_order`` to ``new_status`` if that move is
    legal for who asks (``by``: system|shopper|cooperative|admin, derived from ``actor`` when
    not given), records an OrderEvent, returns stock on cancellation (once), updates the
    parent order's status, sends ``signals.sub_order_status_changed`` and the e-mails.

    A concurrent change of the same sub-order makes this raise Conflict (compare-and-set on
    the status column), so two requests can never both apply a move.
    """
    new = _parse_status(new_status)
    old = S(sub_order.status)
    role = by or role_of(actor, sub_order)
    _check_move(old, new, role)
    reason = _checked_reason(new, role, reason, note)
    carrier = (carrier or "").strip()[:80]
    tracking_number = (tracking_number or "").strip()[:80]

    if new == S.CANCELLED:  # e.g. PAYMENTS refuses while card money is not refunded
        signals.sub_order_cancelling.send(sub_order, old=old.value, actor=actor, role=role)

    now = utcnow()
    _move(sub_order, old, _changed_columns(new, now, reason, carrier, tracking_number))
    if new == S.CANCELLED:
        return_stock(sub_order)
    _record_event(
        sub_order,
        old,
        new,
        actor=actor,
        role=role,
        note=_event_note(new, note, reason, carrier, tracking_number),
        now=now,
    )
    refresh_order_status(sub_order.order)
    signals.sub_order_status_changed.send(
        sub_order, old=old.value, new=new.value, actor=actor, reason=reason
    )

    notifications.sub_order_changed(sub_order, old.value, new.value, role)
    return sub_order


def _parse_status(value: str) -> SubOrderStatus:
    try:
        return S(value)
    except ValueError as exc:
        raise IllegalTransition() from exc


def _check_move(old: SubOrderStatus, new: SubOrderStatus, role: str) -> None:
    """Refuse a move TRANSITIONS does not allow ``role`` to make, saying why."""
    roles = TRANSITIONS.get((old, new))
    if new == S.CANCELLED and old in (S.SHIPPED, S.DELIVERED) and role not in (roles or ()):
        raise IllegalTransition(
            _l("This part of your order has already shipped and can no longer be cancelled.")
            if role == SHOPPER
            else _l("This order has already shipped and can no longer be cancelled.")
        )
    if roles is None:
        raise IllegalTransition(
            _l(
                "An order that is “%(old)s” cannot become “%(new)s”.",
                old=status_label(old),
                new=status_label(new),
            )
        )
    if role not in roles:
        if role == SHOPPER and new == S.CANCELLED:
            raise IllegalTransition(
                _l("This part of your order has already shipped and can no longer be cancelled.")
            )
        raise IllegalTransition(
            _l(
                "You may not change an order from “%(old)s” to “%(new)s”.",
                old=status_label(old),
                new=status_label(new),
            )
        )


def _checked_reason(new: SubOrderStatus, role: str, reason: str, note: str) -> str:
    """The cancellation's reason, required from a cooperative or an admin; the reason and
    the note at most 1,000 characters."""
    reason = (reason or "").strip()
    if new == S.CANCELLED and role in (COOPERATIVE, ADMIN) and not reason:
        raise InvalidInput(_l("Please give the reason for the cancellation."))
    if len(reason) > 1000 or len(note) > 1000:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=1000))
    return reason


def _changed_columns(
    new: SubOrderStatus, now, reason: str, carrier: str, tracking_number: str
) -> dict[str, Any]:
    """The sub-order's columns the move writes: the status and the moment of the move."""
    values: dict[str, Any] = {"status": new.value, "updated_at": now}
    if new == S.CONFIRMED:
        values["confirmed_at"] = now
    elif new == S.SHIPPED:
        values.update(shipped_at=now, carrier=carrier, tracking_number=tracking_number)
    elif new == S.DELIVERED:
        values["delivered_at"] = now
    elif new == S.CANCELLED:
        values.update(cancelled_at=now, cancel_reason=reason)
    return values


def _move(sub_order: CooperativeOrder, old: SubOrderStatus, values: dict[str, Any]) -> None:
    """Write ``values`` only if the sub-order is still ``old`` (compare-and-set): a
    concurrent move of the same sub-order makes this raise Conflict."""
    changed = db.session.execute(
        update(CooperativeOrder)
        .where(CooperativeOrder.id == sub_order.id, CooperativeOrder.status == old.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.expire(sub_order)
        raise Conflict()
    db.session.expire(sub_order, list(values))


def _event_note(
    new: SubOrderStatus, note: str, reason: str, carrier: str, tracking_number: str
) -> str:
    """What the order's timeline shows for the move: the reason of a cancellation, the
    carrier and tracking number of a shipment, else the note given."""
    if new == S.CANCELLED:
        return reason
    if new == S.SHIPPED and (carrier or tracking_number):
        return " ".join(part for part in (carrier, tracking_number) if part)
    return note.strip()


def _record_event(
    sub_order: CooperativeOrder,
    old: SubOrderStatus,
    new: SubOrderStatus,
    *,
    actor,
    role: str,
    note: str,
    now,
) -> None:
    db.session.add(
        OrderEvent(
            sub_order_id=sub_order.id,
            from_status=old.value,
            to_status=new.value,
            actor_id=getattr(actor, "id", None),
            actor_role=role,
            note=note,
            created_at=now,
        )
    )
    db.session.flush()
    db.session.expire(sub_order, ["events"])


def derive_order_status(statuses: Iterable[str]) -> str:
    statuses = list(statuses)
    live = [s for s in statuses if s != S.CANCELLED]
    if not live:
        return OrderStatus.CANCELLED.value
    if any(s == S.PENDING_PAYMENT for s in live):
        return OrderStatus.PENDING_PAYMENT.value
    if all(s == S.DELIVERED for s in live):
        return OrderStatus.DELIVERED.value
    if all(s in (S.SHIPPED, S.DELIVERED) for s in live):
        return OrderStatus.SHIPPED.value
    if any(s in (S.SHIPPED, S.DELIVERED) for s in live):
        return OrderStatus.PARTIALLY_SHIPPED.value
    return OrderStatus.CONFIRMED.value


def refresh_order_status(order: Order) -> str:
    statuses = db.session.scalars(
        select(CooperativeOrder.status).where(CooperativeOrder.order_id == order.id)
    ).all()
    order.status = derive_order_status(statuses)
    db.session.flush()
    return order.status


def cancel_by_shopper(order: Order, sub_order_ids: Iterable[int] | None, actor=None) -> int:
    """Cancel the sub-orders of ``order`` that have not shipped (all of them, or the given
    ones). Returns how many were cancelled."""
    wanted = set(sub_order_ids) if sub_order_ids is not None else None
    count = 0
    for sub in order.sub_orders:
        if wanted is not None and sub.id not in wanted:
            continue
        if sub.status in (S.PENDING_PAYMENT, S.CONFIRMED):
            transition(sub, S.CANCELLED.value, actor, by=SHOPPER, note="")
            count += 1
        elif wanted is not None:
            raise IllegalTransition(
                _l("This part of your order has already shipped and can no longer be cancelled.")
            )
    if count == 0:
        raise IllegalTransition(_l("Nothing in this order can be cancelled any more."))
    return count


def confirm_payment(order: Order, actor=None) -> list[CooperativeOrder]:
    """The card payment of ``order`` succeeded: every sub-order awaiting payment becomes
    confirmed. Idempotent (a second call confirms nothing). Raises IllegalTransition when
    nothing is awaiting payment and nothing is live any more (the order was released or
    cancelled before the money arrived: PAYMENTS must refund)."""
    confirmed = []
    for sub in order.sub_orders:
        if sub.status == S.PENDING_PAYMENT:
            transition(sub, S.CONFIRMED.value, actor, by=SYSTEM if actor is None else ADMIN)
            confirmed.append(sub)
    if not confirmed and all(sub.status == S.CANCELLED for sub in order.sub_orders):
        raise IllegalTransition(_l("This order was cancelled before its payment arrived."))
    return confirmed


def release_unpaid_order(order: Order, reason: str) -> list[CooperativeOrder]:
    """The card payment will not come (session expired, payment failed): cancel every
    sub-order still awaiting payment and give its stock back, exactly once. Idempotent."""
    released = []
    for sub in order.sub_orders:
        if sub.status == S.PENDING_PAYMENT:
            transition(
                sub, S.CANCELLED.value, None, by=SYSTEM, reason=reason or "payment not received"
            )
            released.append(sub)
    return released
