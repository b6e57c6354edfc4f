"""The impact rollup written off the order's path (marketplace/impact/rollup.py): the
transaction that places or changes an order only records it in ``impact_pending``; the
``impact-refresh`` job, asked for after the commit, writes its ``impact_sales`` rows. Two
workers running the job at once (PostgreSQL, threads) write exactly what a rebuild does.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import func, select

from marketplace import signals
from marketplace.extensions import db
from marketplace.impact import rollup
from marketplace.impact.models import ImpactPending, ImpactSale
from marketplace.jobs import runner
from marketplace.jobs.models import JobState
from tests.factories import CooperativeFactory, ProductFactory, UserFactory
from tests.helpers import login
from tests.payments_support import deliver, place
from tests.test_impact_rollup import _equals_a_rebuild, _snapshot


@contextlib.contextmanager
def _jobs_held():
    """The commits' requests for a job are noted instead of run (as when the broker has
    them waiting in its queue and no worker took them yet)."""
    asked: list[str] = []

    def note(name, **_kwargs):
        asked.append(name)

    signals.queue_committed.disconnect(runner.run_soon)
    signals.queue_committed.connect(note)
    try:
        yield asked
    finally:
        signals.queue_committed.disconnect(note)
        signals.queue_committed.connect(runner.run_soon)


def _committed_counts(order_id: int) -> tuple[int, int]:
    """What other connections see: the order's impact_sales rows and pending rows."""
    db.session.commit()  # (SQLite: the test's own transaction holds the write lock)
    with db.engine.connect() as conn:
        sales = conn.scalar(
            select(func.count()).select_from(ImpactSale).where(ImpactSale.order_id == order_id)
        )
        pending = conn.scalar(
            select(func.count())
            .select_from(ImpactPending)
            .where(ImpactPending.order_id == order_id)
        )
    return int(sales), int(pending)


def _products(count: int = 2):
    coop = CooperativeFactory(province="errachidia", members_count=4, women_members_count=3)
    products = [
        ProductFactory(cooperative=coop, price_cents=4000 + i, stock=500) for i in range(count)
    ]
    db.session.commit()
    return products


def test_placing_an_order_records_it_and_the_job_writes_its_rows(app):
    first, second = _products()
    with _jobs_held() as asked:
        order = place([(first, 2), (second, 1)], method="cod")
        # committed: the order is recorded as pending, its rollup rows not written
        assert _committed_counts(order.id) == (0, 1)
        # the order's commit asks for its rollup once (and for its notices)
        assert sorted(asked) == ["impact-refresh", "order-notices"]
        # a change of its status is recorded again (a new row: nothing waits)
        deliver(order.sub_orders[0])
        sales, pending = _committed_counts(order.id)
        assert sales == 0 and pending >= 2
        assert rollup.pending_orders() == 1

        # the dashboard (a read) says the figures are not complete yet, and writes nothing
        observer = UserFactory(role="observer")
        db.session.commit()
        client = app.test_client()
        login(client, observer)
        page = client.get("/en/impact/dashboard")
        assert page.status_code == 200
        assert "1 recent order is still being added to these figures." in page.text
        assert _committed_counts(order.id) == (0, pending)

    # the job (what a worker runs) writes the order's rows and takes the pending rows
    summary = runner.run_job("impact-refresh")
    assert summary == {"orders": 1, "waiting": 0}
    db.session.expire_all()
    assert _committed_counts(order.id) == (2, 0)
    assert db.session.get(JobState, "impact-refresh").last_outcome == "ok"
    assert _equals_a_rebuild()
    # again: nothing to do, nothing changes (idempotent)
    kept = _snapshot()
    assert runner.run_job("impact-refresh") == {"orders": 0, "waiting": 0}
    db.session.expire_all()
    assert _snapshot() == kept
    page = client.get("/en/impact/dashboard")
    assert "still being added" not in page.text


def test_without_a_broker_the_job_runs_right_after_the_commit(app):
    (product,) = _products(1)
    order = place([(product, 3)], method="cod")
    assert _committed_counts(order.id) == (1, 0)
    assert (
        db.session.scalar(select(ImpactSale.quantity).where(ImpactSale.order_id == order.id)) == 3
    )
    # an order deleted: its rows go with it, nothing is left pending
    db.session.delete(order)
    db.session.commit()
    assert _committed_counts(order.id) == (0, 0)


def test_the_job_is_scheduled_every_minute_as_a_safety_net():
    from datetime import timedelta

    from marketplace.jobs import schedule

    job = schedule.get("impact-refresh")
    assert job.period == timedelta(minutes=1)
    assert not job.exclusive  # two workers share the pending rows
    assert "impact-refresh" in {j.name for j in schedule.scheduled()}


@pytest.mark.postgres
def test_two_workers_at_once_write_exactly_what_a_rebuild_writes(app):
    products = _products(3)
    other = ProductFactory(
        cooperative=CooperativeFactory(province="tinghir"), price_cents=7000, stock=500
    )
    db.session.commit()
    with _jobs_held():
        orders = []
        for index in range(24):
            lines = [(products[index % 3], 1 + index % 2), (other, 1)]
            orders.append(place(lines, method="cod"))
        # the same orders marked again, so that both workers meet the same orders
        for order in orders[::2]:
            deliver(order.sub_orders[0])
        assert rollup.pending_orders() == 24
        pending_rows = db.session.scalar(select(func.count()).select_from(ImpactPending))
        assert pending_rows > 24

    barrier = threading.Barrier(2)
    summaries: list[dict] = []
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                summaries.append(rollup.refresh_pending(batch=4))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(summaries) == 2
    # each pending row claimed by one worker only; each order written at least once
    assert sum(s["orders"] for s in summaries) >= 24
    assert db.session.scalar(select(func.count()).select_from(ImpactPending)) == 0
    assert _equals_a_rebuild()
    assert db.session.scalar(select(func.count(func.distinct(ImpactSale.order_id)))) == 24
