"""Keeps the impact dashboard's rollup (marketplace/impact/models.py) in step with the
orders, so that the dashboard reads narrow derived tables instead of joining order lines,
sub-orders, orders, cooperatives and refunds:

- ``impact_sales``: the unit is the order. Whatever changes an order, one of its sub-orders
  or lines, or a refund of it, the order's rows are deleted and written again from the
  orders tables (one ``INSERT … SELECT``: ``refresh``), so they are exactly what an
  aggregate over the orders tables would give, whatever changed them through the ORM
  (services, admin edits, tests). What the flush does not see is caught too: a sub-order's
  status changed by a conditional ``UPDATE`` (orders.status.transition) through the
  ``sub_order_status_changed`` signal; a cooperative whose province or members change has
  all its orders written again; an order deleted has its months summed again.
- ``impact_months``: the (month, cooperative) rows of the orders written, for the closed
  months summed so far (``impact_state.months_through``), are summed again from
  ``impact_sales``. The current month is never summed there (orders placed now never wait
  for a shared row); ``close_months`` (the hourly ``impact-months`` job) adds a month once
  it has ended.
- Anything written by hand in SQL (a bulk import, the benchmark's seeding, a restore):
  ``flask impact-rebuild`` writes both tables again (idempotent).

When: off the request's path. The transaction that changes an order only records it, just
before its commit (``_record_before_commit``): one plain INSERT of new ``impact_pending``
rows, the order's id (or, for an order deleted, its (month, cooperative) pairs) — no lock
taken, nothing to wait for, whatever other orders commit at the same time. After the
commit it asks for the ``impact-refresh`` job through ``signals.queue_committed``, as the
e-mails do (the job runner enqueues it, one waiting run for any number of commits; without
a broker it runs inline, right after the commit, so development and the tests see exact
figures at once); the scheduler also runs it every minute, in case the broker lost a run.
The job (``refresh_pending``) claims the pending rows (``DELETE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``) and writes those orders again with
``refresh``, in its own transaction, a batch at a time. A row is new each time, never
updated (not ``ON CONFLICT DO NOTHING`` on the order: a change committing while a worker
holds the order's earlier row would be skipped and then missed); a pending row becomes
visible only with the commit of the change it records, so a claim always reads that
change. The dashboard (a read) shows how many orders are still pending.

On PostgreSQL, two runs writing the rows of the same order, or the same (month,
cooperative) sums, take turns (advisory locks held to the commit): the later one, reading
after the earlier one committed, writes rows that include both changes. A rebuild or a
month being closed takes the whole rollup in turn.
"""

from __future__ import annotations

import time
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
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from marketplace import signals
from marketplace.cooperatives.models import Cooperative
from marketplace.database import after_outermost_commit
from marketplace.extensions import db
from marketplace.impact.models import (
    FIRST_MARKERS,
    ImpactMonth,
    ImpactPending,
    ImpactSale,
    ImpactState,
)
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    OrderLine,
    PaymentMethod,
    SubOrderStatus,
)
from marketplace.payments.models import Refund, RefundStatus
from marketplace.timeutil import utcnow

MOROCCO = ZoneInfo("Africa/Casablanca")
JOB = "impact-refresh"  # marketplace/jobs/schedule.py
# session.info: what the transaction changed, recorded in impact_pending before the commit
PENDING = "impact_orders"  # the ids of the orders to write again
CELLS = "impact_cells"  # (month, cooperative) pairs of deleted orders
SUB_ORDERS = "impact_sub_orders"  # sub-orders (not in the session) whose orders changed
COOPERATIVES = "impact_cooperatives"  # cooperatives whose province or members changed
RECORDED = "impact_recorded"  # rows were inserted: ask for the job after the commit
CLAIM_BATCH = 500  # pending rows a run claims at a time (one transaction each)
RUN_SECONDS = 60  # a run gives the worker back after this long
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
    cells = set(cells)
    if not ids and not cells:
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
    # the changes committed so far are read below: their pending rows are done (a change
    # committed after this statement keeps its row for the job, and so do the rows a job
    # has claimed: it writes them again after this commit)
    unclaimed = select(ImpactPending.id).with_for_update(skip_locked=True)
    session.execute(
        delete(ImpactPending)
        .where(ImpactPending.id.in_(unclaimed))
        .execution_options(synchronize_session=False)
    )
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
    _clear(session)
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
    """An order deleted takes its rows with it (ON DELETE CASCADE): note now its (month,
    cooperative) pairs, from the order itself (its rows may not be written yet), so that
    their monthly rows are summed again."""
    gone = sorted({o.id for o in session.deleted if isinstance(o, Order) and o.id is not None})
    if gone:
        with session.no_autoflush:
            cells = set(
                session.execute(
                    select(_month_of(Order.created_at, session), CooperativeOrder.cooperative_id)
                    .distinct()
                    .join(CooperativeOrder, CooperativeOrder.order_id == Order.id)
                    .where(Order.id.in_(gone))
                )
            )
        session.info.setdefault(CELLS, set()).update(cells)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    sub_orders: set[int] = set()
    cooperatives: set[int] = set()
    flushed: dict[int, int] = {}  # the sub-orders of this flush: their orders
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Order):
            mark(instance.id, session)
        elif isinstance(instance, CooperativeOrder):
            mark(instance.order_id, session)
            if instance.id is not None and instance.order_id is not None:
                flushed[instance.id] = instance.order_id
        elif isinstance(instance, OrderLine | Refund):
            if instance.sub_order_id is not None:
                sub_orders.add(instance.sub_order_id)
        elif (
            isinstance(instance, Cooperative)
            and instance in session.dirty
            and _changed(instance, _COOPERATIVE_FIELDS)
        ):
            cooperatives.add(instance.id)
    for sub_order_id in list(sub_orders):
        # the sub-order is usually in the session already: its order, without a query
        order_id = flushed.get(sub_order_id)
        if order_id is None:
            known = session.identity_map.get(identity_key(CooperativeOrder, sub_order_id))
            order_id = known.__dict__.get("order_id") if known is not None else None
        if order_id is not None:
            mark(order_id, session)
            sub_orders.discard(sub_order_id)
    if sub_orders or cooperatives:
        session.info.setdefault(SUB_ORDERS, set()).update(sub_orders)
        session.info.setdefault(COOPERATIVES, set()).update(cooperatives)


@event.listens_for(Session, "before_commit")
def _record_before_commit(session: Session) -> None:
    """Record what the transaction changed in ``impact_pending`` (plain INSERTs of new rows:
    nothing waits for anything); the job writes the rollup after the commit."""
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction goes on, recorded at its commit
    # the commit flushes after this event: flush now to see what it will write
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not any(session.info.get(key) for key in (PENDING, CELLS, SUB_ORDERS, COOPERATIVES)):
        return
    orders = session.info.pop(PENDING, set())
    cells = session.info.pop(CELLS, set())
    sub_orders = session.info.pop(SUB_ORDERS, set())
    cooperatives = session.info.pop(COOPERATIVES, set())
    now = utcnow()
    rows = [{"order_id": i, "marked_at": now} for i in sorted(orders)]
    rows += [
        {"month": month, "cooperative_id": coop, "marked_at": now} for month, coop in sorted(cells)
    ]
    if rows:
        session.execute(insert(ImpactPending), rows)
    conditions = []
    if sub_orders:
        conditions.append(CooperativeOrder.id.in_(sorted(sub_orders)))
    if cooperatives:
        conditions.append(CooperativeOrder.cooperative_id.in_(sorted(cooperatives)))
    if conditions:
        their_orders = (
            select(CooperativeOrder.order_id, literal(now, ImpactPending.marked_at.type))
            .distinct()
            .where(or_(*conditions))
        )
        session.execute(insert(ImpactPending).from_select(["order_id", "marked_at"], their_orders))
    session.info[RECORDED] = True


@after_outermost_commit
def _ask_for_the_job(session: Session) -> None:
    """After a commit that recorded changes: ask for an ``impact-refresh`` run (enqueued on
    the broker, one waiting run for any number of commits; inline without a broker). The job
    runner sits above impact and answers ``signals.queue_committed``."""
    if session.info.pop(RECORDED, False):
        signals.queue_committed.send(JOB)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: what the transaction changed before it stands
    _clear(session)


def _clear(session) -> None:
    for key in (PENDING, CELLS, SUB_ORDERS, COOPERATIVES, RECORDED):
        session.info.pop(key, None)


# --- the impact-refresh job ---------------------------------------------------------------


def _claim(session: Session, limit: int) -> tuple[set[int], set[tuple[str, int]]]:
    """Take (delete) up to ``limit`` of the oldest pending rows that no other worker holds:
    the orders and (month, cooperative) pairs they name. A row is seen only once the
    transaction that recorded it has committed, so the orders read next include its change;
    a change committed later has a row of its own, left for the next claim."""
    oldest = (
        select(ImpactPending.id)
        .order_by(ImpactPending.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # (SQLite: one writer at a time anyway)
    )
    taken = session.execute(
        delete(ImpactPending)
        .where(ImpactPending.id.in_(oldest))
        .returning(ImpactPending.order_id, ImpactPending.month, ImpactPending.cooperative_id)
        .execution_options(synchronize_session=False)
    ).all()
    orders = {order for order, _month, _coop in taken if order is not None}
    cells = {(month, coop) for _order, month, coop in taken if month and coop is not None}
    return orders, cells


def refresh_pending(
    session: Session | None = None,
    *,
    batch: int = CLAIM_BATCH,
    seconds: float = RUN_SECONDS,
) -> dict[str, int]:
    """The ``impact-refresh`` job: claim the pending rows, ``batch`` at a time, and write
    their orders' rows (and monthly sums) again with ``refresh``, committing each batch.
    Idempotent, and safe with several workers at once: each claims other rows (SKIP LOCKED)
    and ``refresh``'s locks make two writes of one order take turns. Gives the worker back
    after ``seconds``; what is left waits for the next run (enqueued by the next commit, or
    the scheduler's, every minute)."""
    session = session or db.session
    deadline = time.monotonic() + seconds
    orders = 0
    while True:
        ids, cells = _claim(session, batch)
        if not ids and not cells:
            session.commit()
            break
        refresh(ids, session, cells)
        session.commit()
        orders += len(ids)
        if time.monotonic() >= deadline:
            break
    return {"orders": orders, "waiting": pending_orders(session)}


def pending_orders(session: Session | None = None) -> int:
    """How many orders have changes not yet written into the rollup (a read)."""
    session = session or db.session
    count = session.scalar(select(func.count(func.distinct(ImpactPending.order_id))))
    return int(count or 0)
