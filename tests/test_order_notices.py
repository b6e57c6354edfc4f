"""The order-placed notices are written by the ``order-notices`` job (issue #18): the order's
transaction records them as due (a transactional outbox), the job renders and queues the
e-mails and messages, once, even when it fails for one order or runs twice at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from marketplace import mail
from marketplace.extensions import db
from marketplace.jobs import runner
from marketplace.jobs.models import JobState
from marketplace.orders import notifications
from marketplace.orders.models import OrderNoticeDue
from tests.factories import ProductFactory, place_test_order


def due() -> list[int]:
    db.session.expire_all()
    ids = list(db.session.scalars(select(OrderNoticeDue.order_id).order_by("order_id")))
    db.session.commit()  # on SQLite an open transaction would hold the job's write lock
    return ids


def queued_recipients() -> list[str]:
    rows = db.session.scalars(select(mail.QueuedMail.recipient).order_by("recipient")).all()
    db.session.commit()
    return list(rows)


def test_the_order_records_its_notices_due_and_the_commit_writes_them(app, outbox):
    order = place_test_order({ProductFactory(): 1}, email="amina@example.ma")
    # Before the commit: recorded, nothing rendered or sent.
    assert db.session.get(OrderNoticeDue, order.id) is not None
    assert outbox() == []
    db.session.commit()  # no broker in tests: the job runs right after the commit
    assert due() == []
    assert [m["To"] for m in outbox()] == ["amina@example.ma"]
    assert db.session.get(JobState, "order-notices").last_outcome == "ok"


def test_a_rolled_back_order_leaves_no_notice(app, outbox):
    place_test_order({ProductFactory(): 1})
    db.session.rollback()
    assert due() == []
    assert outbox() == []


def test_one_order_that_fails_holds_no_other_back_and_is_written_later(app, monkeypatch, outbox):
    real = notifications.write_placement_notices
    monkeypatch.setattr(notifications, "write_placement_notices", _failing)
    broken_id = place_test_order({ProductFactory(): 1}, email="first@example.ma").id
    db.session.commit()  # the inline run fails for it
    assert due() == [broken_id]
    assert outbox() == []
    recorded = db.session.get(JobState, "order-notices")
    assert recorded.last_outcome == "failed"
    db.session.commit()

    monkeypatch.setattr(
        notifications,
        "write_placement_notices",
        lambda order: _failing(order) if order.id == broken_id else real(order),
    )
    place_test_order({ProductFactory(): 1}, email="second@example.ma")
    db.session.commit()  # this run writes the second order and skips the first again
    assert due() == [broken_id]

    monkeypatch.setattr(notifications, "write_placement_notices", real)
    summary = runner.run_job("order-notices")
    assert summary == {"orders": 1, "failed": 0, "waiting": 0}
    assert due() == []
    # each shopper's confirmation queued once (the cooperatives' too, one per order)
    shoppers = [m["To"] for m in outbox() if m["To"].endswith("@example.ma")]
    assert sorted(shoppers) == ["first@example.ma", "second@example.ma"]


def _failing(order):
    raise RuntimeError(f"template broken for {order.number}")


@pytest.mark.postgres
def test_two_runs_at_once_write_each_order_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", mail.QUEUE)
    # The orders are committed with their notices due, the job held back meanwhile.
    monkeypatch.setattr(runner, "run_soon", lambda *a, **k: None)
    monkeypatch.setattr(notifications.signals.queue_committed, "send", lambda *a, **k: [])
    emails = [f"shopper{i}@example.ma" for i in range(12)]
    product = ProductFactory(stock=100)
    for email in emails:
        place_test_order({product: 1}, email=email)
        db.session.commit()
    assert len(due()) == 12

    barrier = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            barrier.wait()
            results.append(notifications.write_due_notices())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r["orders"] for r in results) == 12
    assert due() == []
    shoppers = [r for r in queued_recipients() if r.startswith("shopper")]
    assert sorted(shoppers) == sorted(emails)  # each exactly once
    messages = db.session.execute(select(mail.QueuedMail.recipient, mail.QueuedMail.subject)).all()
    assert len(messages) == len(set(messages))  # the cooperatives' e-mails once too
