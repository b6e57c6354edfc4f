"""Keeps the impact dashboard's rollup (marketplace/impact/models.py) in step with the
orders, in the transaction that changes them, so that the dashboard reads narrow derived
tables instead of joining order lines, sub-orders, orders, cooperatives and refunds:

- ``impact_sales``: the unit is the order. Whatever changes an order, one of its sub-orders
  or lines, or a refund of it, the order's rows are deleted and written again from the
  orders tables (one ``INSERT … SELECT``) just before the commit, so they are exactly what
  an aggregate over the orders tables would give, whatever changed them through the ORM
  (services, admin edits, tests). What the flush does not see is caught too: a sub-order's
  status changed by a conditional ``UPDATE`` (orders.status.transition) through the
  ``sub_order_status_changed`` signal; a cooperative whose province or members change has
  all its orders written again; an order deleted has its month summed again.
- ``impact_months``: the (month, cooperative) rows of the orders written, for the closed
  months summed so far (``impact_state.months_through``), are summed again from
  ``impact_sales``. The current month is never summed there (orders placed now never wait
  for a shared row); ``close_months`` (the hourly ``impact-months`` job) adds a month once
  it has ended.
- Anything written by hand in SQL (a bulk import, the benchmark's seeding, a restore):
  ``flask impact-rebuild`` writes both tables again (idempotent).

On PostgreSQL, two transactions that write the rows of the same order, or the same
(month, cooperative) sums, take turns (advisory locks held to the commit): the later one,
reading after the earlier one committed, writes rows that include both changes. A rebuild
or a month being closed takes the whole rollup in turn.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.impact.models import FIRST_MARKERS, ImpactMonth, ImpactSale, ImpactState
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    OrderLine,
    PaymentMethod,
    SubOrderStatus,
)
from marketplace.payments.models import Refund, RefundStatus

MOROCCO = ZoneInfo("Africa/Casablanca")
PENDING = "impact_orders"  # session.info: the ids of the orders to write again
LOCK_SPACE = 16_016  # advisory locks (LOCK_SPACE, order id); (LOCK_SPACE, 0): the table
WHOLE_TABLE_ABOVE = 2_000  # orders: beyond, lock the whole table rather than each order
SOLD_STATUSES = (
    SubOrderStatus.CONFIRMED.value,
    SubOrderStatus.SHIPPED.value,
    SubOrderStatus.DELIVERED.value,
)
_COOPERATIVE_FIELDS = ("province", "members_count", "women_members_count")


def _month_of(column, session: Session):
    """The month ("YYYY-MM") of a UTC timestamp in Morocco's time."""
    if _is_postgres(session):
        return func.to_char(func.timezone("Africa/Casablanca", column), "YYYY-MM")
    # SQLite has no time zone database: Morocco's usual offset (UTC+1).
    return func.strftime("%Y-%m", column, "+1 hours")


def _refunded(order_ids: list[int] | None = None):
    """Succeeded refunds per sub-order (of these orders; all: None): of its items
    (``refunded``) and of its shipping only (``shipping_refunded``, which carries no
    commission), as the ledger counts them."""
    shipping_only = getattr(Refund, "shipping_only", None)  # (the ledger's newer split)
    is_shipping = shipping_only.is_(True) if shipping_only is not None else false()

    def total(condition):
        # a BIGINT: PostgreSQL's SUM of BIGINT is NUMERIC, whose division is not integral
        return cast(func.sum(case((condition, Refund.amount_cents), else_=0)), BigInteger)

    query = (
        select(
            Refund.sub_order_id,
            total(~is_shipping).label("refunded"),
            total(is_shipping).label("shipping_refunded"),
        )
        .where(Refund.status == RefundStatus.SUCCEEDED.value)
        .group_by(Refund.sub_order_id)
    )
    if order_ids is not None:
        query = query.where(
            Refund.sub_order_id.in_(
                select(CooperativeOrder.id).where(CooperativeOrder.order_id.in_(order_ids))
            )
        )
    return query.subquery()


def _women_majority():
    return and_(
        Cooperative.women_members_count.is_not(None),
        Cooperative.members_count.is_not(None),
        Cooperative.women_members_count * 2 > Cooperative.members_count,
    )


def _rows(order_ids: list[int] | None, session: Session):
    """The ``impact_sales`` rows of these orders (all orders: None), as a SELECT."""
    refunded = _refunded(order_ids)
    got_back = func.coalesce(refunded.c.refunded, 0)
    shipping_back = func.coalesce(refunded.c.shipping_refunded, 0)
    items, total = CooperativeOrder.items_cents, CooperativeOrder.total_cents
    commission = CooperativeOrder.commission_cents
    line_total = OrderLine.line_total_cents
    items_back = case((got_back > items, items), else_=got_back)
    net = line_total - case((items > 0, (items_back * line_total) // items), else_=0)
    card = Order.payment_method == PaymentMethod.CARD.value
    # the commission the item refunds return: commission × refunded / items, rounded half
    # up, at most the whole commission (ledger.commission_share)
    returned = (2 * commission * items_back + items) // (2 * items)
    share = case(
        (
            and_(items > 0, got_back > 0),
            case((returned > commission, commission), else_=returned),
        ),
        else_=0,
    )
    owed = case(
        (card, total - commission - got_back - shipping_back + share),
        else_=share - commission,
    )

    def first(*keys):
        """1 on the first line (by id) of each group of lines sharing ``keys``, else 0."""
        number = func.row_number().over(partition_by=keys, order_by=OrderLine.id)
        return case((number == 1, 1), else_=0)

    sub_first = func.row_number().over(partition_by=CooperativeOrder.id, order_by=OrderLine.id)
    delivered_first = and_(
        CooperativeOrder.status == SubOrderStatus.DELIVERED.value, sub_first == 1
    )
    columns = {
        "line_id": OrderLine.id,
        "order_id": Order.id,
        "sub_order_id": CooperativeOrder.id,
        "cooperative_id": CooperativeOrder.cooperative_id,
        "created_at": Order.created_at,
        "month": _month_of(Order.created_at, session),
        "province": Cooperative.province,
        "women": case((_women_majority(), True), else_=False),
        "category_id": OrderLine.category_id,
        "product_id": OrderLine.product_id,
        "quantity": OrderLine.quantity,
        "net_cents": net,
        "shopper": func.lower(Order.email),
        "country": Order.country,
        "card": case((card, True), else_=False),
        "fair": case((Order.collect_fair_id.is_not(None), True), else_=False),
        "commission_cents": case((delivered_first, commission - share), else_=0),
        "owed_cents": case((delivered_first, owed), else_=0),
        "order_first": first(Order.id),
        "order_province_first": first(Order.id, Cooperative.province),
        "order_category_first": first(Order.id, OrderLine.category_id),
        "order_province_category_first": first(
            Order.id, Cooperative.province, OrderLine.category_id
        ),
        "sub_order_first": case((sub_first == 1, 1), else_=0),
        "sub_order_category_first": first(CooperativeOrder.id, OrderLine.category_id),
        "order_product_first": first(Order.id, OrderLine.product_id),
    }
    query = (
        select(*(column.label(name) for name, column in columns.items()))
        .select_from(OrderLine)
        .join(CooperativeOrder, CooperativeOrder.id == OrderLine.sub_order_id)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .join(Cooperative, Cooperative.id == CooperativeOrder.cooperative_id)
        .outerjoin(refunded, refunded.c.sub_order_id == CooperativeOrder.id)
        .where(CooperativeOrder.status.in_(SOLD_STATUSES))
    )
    if order_ids is not None:
        query = query.where(Order.id.in_(order_ids))
    return list(columns), query


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def refresh(order_ids, session: Session | None = None, cells=()) -> int:
    """Write again the rows of these orders (of the current transaction), and the monthly
    rows of ``cells`` ((month, cooperative) pairs) besides theirs. Returns how many orders
    were asked for."""
    session = session or db.session
    ids = sorted({int(i) for i in order_ids if i is not None})
    if not ids:
        return 0
    locked_each = _is_postgres(session) and len(ids) <= WHOLE_TABLE_ABOVE
    if _is_postgres(session):
        if not locked_each:
            session.execute(text("SELECT pg_advisory_xact_lock(:s, 0)"), {"s": LOCK_SPACE})
        else:
            # the whole table shared (a rebuild waits), then each order, in order
            session.execute(
                text(
                    "SELECT pg_advisory_xact_lock_shared(:s, 0), "
                    "(SELECT count(pg_advisory_xact_lock(:s, o.id)) FROM "
                    "(SELECT unnest(CAST(:ids AS integer[])) AS id ORDER BY 1) AS o)"
                ),
                {"s": LOCK_SPACE, "ids": ids},
            )
    pair = (ImpactSale.month, ImpactSale.cooperative_id)
    cells = set(cells)
    cells |= set(
        session.execute(delete(ImpactSale).where(ImpactSale.order_id.in_(ids)).returning(*pair))
    )
    names, rows = _rows(ids, session)
    cells |= set(session.execute(insert(ImpactSale).from_select(names, rows).returning(*pair)))
    # only closed months can be summed: orders of the current month stop here
    closed = last_closed_month()
    cells = {cell for cell in cells if cell[0] <= closed}
    if cells:
        through = months_through(session)  # read under the lock: the job moves it under it
        _write_months(session, sorted(c for c in cells if c[0] <= through), lock=locked_each)
    return len(ids)


def months_through(session: Session | None = None) -> str:
    """The last month summed in ``impact_months`` ("" when none)."""
    session = session or db.session
    return session.scalar(select(ImpactState.months_through).where(ImpactState.id == 1)) or ""


def last_closed_month(today: date | None = None) -> str:
    """The month before the current one, in Morocco's time ("2026-11" in December 2026)."""
    today = today or datetime.now(MOROCCO).date()
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year:04d}-{month:02d}"


def _set_months_through(session: Session, month: str) -> None:
    state = session.get(ImpactState, 1)
    if state is None:
        session.add(ImpactState(id=1, months_through=month))
    else:
        state.months_through = month
    session.flush()


def _cells(session: Session, order_ids: list[int]) -> set[tuple[str, int]]:
    """The (month, cooperative) pairs of these orders' rows."""
    return {
        (month, coop)
        for month, coop in session.execute(
            select(ImpactSale.month, ImpactSale.cooperative_id)
            .distinct()
            .where(ImpactSale.order_id.in_(order_ids))
        )
    }


_MONTH_KEYS = ("month", "cooperative_id", "category_id", "country", "card", "women", "fair")
_MONTH_SUMS = (
    "quantity",
    "net_cents",
    "commission_cents",
    "owed_cents",
    *FIRST_MARKERS,
)


def _month_rows():
    keys = [getattr(ImpactSale, name) for name in _MONTH_KEYS]
    names = [*_MONTH_KEYS, "province", *_MONTH_SUMS]
    query = select(
        *keys,
        func.max(ImpactSale.province),  # the cooperative's: one per cooperative
        *(func.sum(getattr(ImpactSale, name)) for name in _MONTH_SUMS),
    ).group_by(*keys)
    return names, query


def _write_months(session: Session, cells: list[tuple[str, int]], *, lock: bool) -> None:
    """Write again the ``impact_months`` rows of these (month, cooperative) pairs from the
    ``impact_sales`` rows; ``lock``: one transaction at a time per pair (PostgreSQL)."""
    if not cells:
        return
    if lock:
        keys = sorted({coop * 1_000_000 + int(month.replace("-", "")) for month, coop in cells})
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(c.key)) FROM "
                "(SELECT unnest(CAST(:keys AS bigint[])) AS key ORDER BY 1) AS c"
            ),
            {"keys": keys},
        )
    pairs = tuple_(ImpactMonth.month, ImpactMonth.cooperative_id).in_(cells)
    session.execute(delete(ImpactMonth).where(pairs))
    names, query = _month_rows()
    query = query.where(tuple_(ImpactSale.month, ImpactSale.cooperative_id).in_(cells))
    session.execute(insert(ImpactMonth).from_select(names, query))


def _lock_whole(session: Session) -> None:
    """Wait for every transaction writing rows, and keep them waiting (to the commit)."""
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:s, 0)"), {"s": LOCK_SPACE})


def rebuild(session: Session | None = None, today: date | None = None) -> dict[str, int]:
    """Write both tables again from the orders tables, the closed months summed
    (idempotent: ``flask impact-rebuild``, after data was written outside the application).
    The caller commits."""
    session = session or db.session
    _lock_whole(session)
    session.execute(delete(ImpactMonth))
    session.execute(delete(ImpactSale))
    names, rows = _rows(None, session)
    session.execute(insert(ImpactSale).from_select(names, rows))
    through = last_closed_month(today)
    names, months = _month_rows()
    session.execute(
        insert(ImpactMonth).from_select(names, months.where(ImpactSale.month <= through))
    )
    _set_months_through(session, through)
    _forget(session)
    count = session.scalar(select(func.count()).select_from(ImpactSale)) or 0
    return {"lines": int(count), "months_through": through}


def close_months(session: Session | None = None, today: date | None = None) -> dict:
    """Sum the months closed since the last run into ``impact_months`` (the hourly
    ``impact-months`` job; nothing to do most hours; idempotent). The runner commits."""
    session = session or db.session
    through = last_closed_month(today)
    if months_through(session) >= through:
        return {"months_added": 0}
    _lock_whole(session)
    done = months_through(session)  # again, under the lock
    if done >= through:
        return {"months_added": 0}
    names, months = _month_rows()
    new = and_(ImpactSale.month > done, ImpactSale.month <= through)
    session.execute(delete(ImpactMonth).where(ImpactMonth.month > done))
    session.execute(insert(ImpactMonth).from_select(names, months.where(new)))
    _set_months_through(session, through)
    return {"months_added": 1, "months_through": through}


def mark(order_id: int | None, session: Session | None = None) -> None:
    if order_id is not None:
        (session or db.session).info.setdefault(PENDING, set()).add(int(order_id))


def _on_sub_order_status_changed(sub_order, **_info) -> None:
    """Receiver of ``signals.sub_order_status_changed`` (connected in
    ``marketplace.connect_receivers``): the status was changed by an UPDATE statement that
    the session's flush does not see."""
    mark(sub_order.order_id)


def _changed(instance, fields) -> bool:
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _before_deleting(session: Session, _flush_context, _instances) -> None:
    """An order deleted takes its rows with it (ON DELETE CASCADE) before the commit: note
    its (month, cooperative) pairs now, so that their monthly rows are written again."""
    gone = {o.id for o in session.deleted if isinstance(o, Order) and o.id is not None}
    if gone:
        with session.no_autoflush:
            cells = _cells(session, sorted(gone))
        session.info.setdefault("impact_cells", set()).update(cells)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    sub_orders: set[int] = set()
    cooperatives: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Order):
            mark(instance.id, session)
        elif isinstance(instance, CooperativeOrder):
            mark(instance.order_id, session)
        elif isinstance(instance, OrderLine | Refund):
            if instance.sub_order_id is not None:
                sub_orders.add(instance.sub_order_id)
        elif (
            isinstance(instance, Cooperative)
            and instance in session.dirty
            and _changed(instance, _COOPERATIVE_FIELDS)
        ):
            cooperatives.add(instance.id)
    if sub_orders or cooperatives:
        session.info.setdefault("impact_sub_orders", set()).update(sub_orders)
        session.info.setdefault("impact_cooperatives", set()).update(cooperatives)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    # the commit flushes after this event: flush now to see what it will write
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not (
        session.info.get(PENDING)
        or session.info.get("impact_sub_orders")
        or session.info.get("impact_cooperatives")
    ):
        return
    orders = session.info.pop(PENDING, set())
    cells = session.info.pop("impact_cells", set())
    sub_orders = session.info.pop("impact_sub_orders", set())
    cooperatives = session.info.pop("impact_cooperatives", set())
    if sub_orders or cooperatives:
        conditions = []
        if sub_orders:
            conditions.append(CooperativeOrder.id.in_(sorted(sub_orders)))
        if cooperatives:
            conditions.append(CooperativeOrder.cooperative_id.in_(sorted(cooperatives)))
        orders |= set(
            session.scalars(select(CooperativeOrder.order_id).distinct().where(or_(*conditions)))
        )
    refresh(orders, session, cells)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (PENDING, "impact_cells", "impact_sub_orders", "impact_cooperatives"):
        session.info.pop(key, None)
