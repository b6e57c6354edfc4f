"""Background and scheduled jobs (marketplace/jobs/): inline without a broker; recorded runs
and failures (``flask jobs list``, the admin page); exclusive jobs and the scheduler safe
when two run at once; and real ``flask jobs worker`` processes on the real Redis broker
draining the e-mail outbox and running a scheduled job.

The broker tests use the Redis of this machine (JOBS_TEST_BROKER_URL, by default
redis://127.0.0.1:6379/0) on a queue of their own; they are skipped when it does not answer,
unless CI=true, where they are required.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, update

from marketplace import mail
from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.jobs import runner, schedule
from marketplace.jobs.models import JobFailure, JobState
from marketplace.mail import QueuedMail
from marketplace.orders.models import Order, OrderNoticeDue
from marketplace.timeutil import utcnow
from tests.factories import AdminFactory, ProductFactory, place_test_order
from tests.helpers import login

PROJECT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("JOBS_TEST_BROKER_URL", "redis://127.0.0.1:6379/0")


def notices_due() -> int:
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(OrderNoticeDue))
    db.session.commit()  # as queue_size
    return count


def queue_size() -> int:
    db.session.expire_all()
    count = db.session.scalar(db.select(db.func.count()).select_from(QueuedMail))
    db.session.commit()  # on SQLite an open transaction would hold the workers' write lock
    return count


def state(name: str) -> JobState | None:
    db.session.expire_all()
    found = db.session.get(JobState, name)
    if found is not None:
        db.session.expunge(found)  # a snapshot: reading it opens no transaction
    db.session.commit()
    return found


@pytest.fixture
def failing_job(monkeypatch):
    """expire-unpaid-orders whose body raises."""

    def explode():
        raise RuntimeError("the payments database is unreachable")

    job = schedule.JOBS["expire-unpaid-orders"]
    monkeypatch.setitem(
        schedule.JOBS,
        job.name,
        schedule.Job(
            job.name, "tests.test_jobs:_boom", job.description, job.period, True, job.timeout
        ),
    )
    monkeypatch.setattr(sys.modules[__name__], "_boom", explode, raising=False)
    return job.name


# --- inline (no broker) -------------------------------------------------------------------


def test_without_a_broker_a_queued_mail_is_sent_inline_after_the_commit(app, monkeypatch, outbox):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", mail.QUEUE)
    assert not app.config.get("JOBS_BROKER_URL")
    threads = threading.active_count()
    place_test_order({ProductFactory(): 1})
    assert outbox() == []  # nothing before the commit
    db.session.commit()
    assert [m["To"] for m in outbox()] == ["shopper@example.ma"]
    assert queue_size() == 0
    assert threading.active_count() == threads  # no thread was started
    recorded = state("send-mail")
    assert recorded.last_outcome == "ok" and recorded.runs == 1
    assert "sent: 1" in recorded.last_summary


def test_flask_jobs_list_shows_every_job_with_its_last_run(app):
    runner.run_job("send-mail")
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["jobs", "list"]).output
    for name in schedule.JOBS:
        assert name in output
    assert "send-mail (every 60 s)" in output
    assert "reconcile-payments (every 600 s, exclusive)" in output
    assert "ok" in output and "sent: 0" in output
    assert output.count("last run: never") == len(schedule.JOBS) - 1


def test_a_failing_job_is_recorded_and_shown_to_the_admin(app, client, failing_job):
    result = app.test_cli_runner().invoke(args=["jobs", "run", failing_job])
    assert result.exit_code == 1
    runner.run_job(failing_job)
    recorded = state(failing_job)
    assert recorded.last_outcome == "failed" and recorded.failures_in_a_row == 2
    assert recorded.locked_by is None  # the claim is given back
    assert "the payments database is unreachable" in recorded.last_summary
    failures = db.session.scalars(select(JobFailure)).all()
    assert len(failures) == 2 and "RuntimeError" in failures[0].error
    listed = app.test_cli_runner().invoke(args=["jobs", "list"]).output
    assert "failed" in listed and "failures in a row: 2" in listed

    admin = AdminFactory()
    db.session.commit()
    login(client, admin)
    page = client.get("/en/admin/jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "the payments database is unreachable" in html
    assert "Failed (2 in a row)" in html
    assert "expire-unpaid-orders" in html
    assert "5 minutes" in html and "1 day" in html and "1 minute" in html


def test_a_success_after_failures_resets_the_count(app, monkeypatch, failing_job):
    runner.run_job(failing_job)
    monkeypatch.setattr(sys.modules[__name__], "_boom", lambda: {"expired": 0}, raising=False)
    runner.run_job(failing_job)
    recorded = state(failing_job)
    assert recorded.last_outcome == "ok" and recorded.failures_in_a_row == 0
    assert recorded.runs == 2 and recorded.last_success_at is not None


def test_a_run_reporting_failures_counts_as_failed(app, monkeypatch, failing_job):
    monkeypatch.setattr(
        sys.modules[__name__], "_boom", lambda: {"expired": 3, "failed": 1}, raising=False
    )
    runner.run_job(failing_job)
    recorded = state(failing_job)
    assert recorded.last_outcome == "failed"
    assert recorded.last_summary == "expired: 3, failed: 1"


def test_an_exclusive_job_runs_once_when_two_workers_start_it_together(app, monkeypatch):
    started = threading.Barrier(2)
    runs = []

    def slow():
        runs.append(threading.get_ident())
        time.sleep(0.5)
        return {"expired": 0}

    job = schedule.JOBS["expire-unpaid-orders"]
    monkeypatch.setitem(
        schedule.JOBS,
        job.name,
        schedule.Job(job.name, "tests.test_jobs:_slow", "", job.period, True, job.timeout),
    )
    monkeypatch.setattr(sys.modules[__name__], "_slow", slow, raising=False)
    runner.ensure_state(job.name)
    results = []

    def worker():
        started.wait()
        results.append(runner.run_inline(app, job.name))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(runs) == 1
    assert sorted(results, key=lambda r: r is None) == [{"expired": 0}, None]
    assert state(job.name).runs == 1


def test_a_claim_left_by_a_dead_worker_expires(app):
    name = "reconcile-payments"
    assert runner.claim(name, timedelta(minutes=20)) is not None
    assert runner.claim(name, timedelta(minutes=20)) is None
    db.session.execute(
        update(JobState)
        .where(JobState.name == name)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert runner.claim(name, timedelta(minutes=20)) is not None


def test_the_scheduler_enqueues_each_run_once_even_with_two_schedulers(app):
    now = utcnow()
    first = runner.take_due(now)
    assert sorted(first) == sorted(job.name for job in schedule.scheduled())
    assert runner.take_due(now) == []  # a second scheduler at the same moment

    def due_within(delay: timedelta) -> list[str]:
        return sorted(job.name for job in schedule.scheduled() if job.period <= delay)

    assert "send-mail" in due_within(timedelta(seconds=61))
    assert sorted(runner.take_due(now + timedelta(seconds=61))) == due_within(timedelta(seconds=61))
    later = runner.take_due(now + timedelta(minutes=11))
    assert {"expire-unpaid-orders", "reconcile-payments"} <= set(later)
    assert sorted(later) == due_within(timedelta(minutes=11))
    tomorrow = runner.take_due(now + timedelta(days=1, seconds=1))
    assert sorted(tomorrow) == sorted(job.name for job in schedule.scheduled())


def test_a_scheduler_tick_without_a_broker_runs_the_due_jobs_here(app):
    output = app.test_cli_runner().invoke(args=["jobs", "scheduler", "--once"]).output
    for job in schedule.scheduled():
        assert f"{job.name}: inline" in output
    assert state("expire-unpaid-orders").last_outcome == "ok"
    assert state("reconcile-payments").last_summary == "stripe not configured: 1"


def test_the_worker_command_refuses_to_start_without_a_broker(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_BROKER_URL is not set" in result.output


def test_gunicorn_starts_no_background_work():
    source = (PROJECT / "gunicorn.conf.py").read_text()
    assert "mail" not in source and "Thread" not in source and "jobs" not in source
    assert not hasattr(mail, "ensure_sender")


# --- a real broker and real worker processes ----------------------------------------------


def _broker_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def broker(app, monkeypatch):
    """The app enqueueing on the real Redis, on a queue of this test's own."""
    if not _broker_answers():
        message = f"Redis (the job broker) does not answer at {BROKER_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI requires it")
        pytest.skip(f"{message}: real-worker tests skipped")
    queue = f"souk-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "JOBS_BROKER_URL", BROKER_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", queue)
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", mail.QUEUE)
    client = redis.Redis.from_url(BROKER_URL)
    yield client
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)


def worker_env(app, **extra) -> dict:
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
        "MAIL_DELIVERY": "queue",
        "JOBS_BROKER_URL": app.config["JOBS_BROKER_URL"],
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "MEDIA_DIR": app.config["MEDIA_DIR"],
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start_workers(app, count: int = 1, **extra) -> list[subprocess.Popen]:
    """``flask jobs worker`` processes; their log goes to a file that stop_workers prints
    (pytest shows it when the test fails)."""
    workers = []
    for _ in range(count):
        log = open(  # noqa: SIM115 - closed by stop_workers
            Path(app.config["MAIL_OUTBOX_DIR"]).parent / f"worker-{uuid.uuid4().hex[:6]}.log", "w+"
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker"],
            cwd=PROJECT,
            env=worker_env(app, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker.log = log
        workers.append(worker)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker.log.seek(0)
        print(worker.log.read()[-5000:])
        worker.log.close()


def wait_for(condition, seconds: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_web_side_only_enqueues_and_two_workers_send_each_mail_once(app, broker, outbox):
    products = [ProductFactory() for _ in range(3)]
    for index, product in enumerate(products):
        place_test_order({product: 1}, email=f"shopper{index}@example.ma")
        db.session.commit()  # enqueues (once: later commits find a run waiting)
    # The request only recorded that the orders' notices are due: no e-mail is written or
    # sent by this process.
    assert notices_due() == 3 and queue_size() == 0 and outbox() == []
    queue_key = f"rq:queue:{app.config['JOBS_QUEUE']}"
    # coalesced: one waiting run of each job the commits asked for, for three commits (the
    # orders' notices, and the impact rollup's refresh of the orders)
    from rq import Queue

    waiting = Queue(app.config["JOBS_QUEUE"], connection=broker).jobs
    assert sorted(job.description for job in waiting) == ["impact-refresh", "order-notices"]
    assert broker.llen(queue_key) == 2

    def all_sent() -> bool:
        return notices_due() == 0 and queue_size() == 0

    workers = start_workers(app, count=2)
    try:
        # Each worker lowered its priority (JOB_WORKER_NICE, 10 by default) below this
        # process's: web requests on the same machine come first.
        lowered = min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
        wait_for(
            lambda: all(os.getpriority(os.PRIO_PROCESS, w.pid) == lowered for w in workers),
            what="the workers to lower their priority",
        )
        # The notices' job queues the e-mails, its commit enqueues send-mail.
        wait_for(all_sent, what="the outbox to be drained")
        # More mail while the workers run, committed in a burst.
        for index in range(5):
            place_test_order({products[0]: 1}, email=f"late{index}@example.ma")
            db.session.commit()
        wait_for(all_sent, what="the late mail to be sent")
        wait_for(lambda: broker.llen(queue_key) == 0, what="the queue to empty")
    finally:
        stop_workers(workers)
    sent = sorted(message["To"] for message in outbox())
    expected = sorted(
        [f"shopper{i}@example.ma" for i in range(3)] + [f"late{i}@example.ma" for i in range(5)]
    )
    assert sent == expected  # each exactly once
    recorded = state("send-mail")
    assert recorded.runs >= 2 and recorded.last_outcome == "ok"


def test_a_worker_runs_the_scheduled_expiry_of_unpaid_orders(app, broker, stripe_keys):
    from tests.payments_support import place

    product = ProductFactory(price_cents=5000, stock=10)
    order = place([(product, 3)], method="card")
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(created_at=utcnow() - timedelta(minutes=61))
    )
    db.session.commit()
    assert db.session.get(Product, product.id).stock == 7
    db.session.commit()

    # The scheduler process enqueues what is due; a worker runs it.
    scheduler = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "scheduler", "--once"],
        cwd=PROJECT,
        env=worker_env(app),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "expire-unpaid-orders: queued" in scheduler.stdout
    stripe_env = {
        "STRIPE_SECRET_KEY": app.config["STRIPE_SECRET_KEY"],
        "STRIPE_PUBLISHABLE_KEY": app.config["STRIPE_PUBLISHABLE_KEY"],
        "STRIPE_WEBHOOK_SECRET": app.config["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": app.config["STRIPE_API_BASE"],
    }
    workers = start_workers(app, **stripe_env)
    try:
        for job in schedule.scheduled():  # every scheduled job was enqueued once
            wait_for(lambda name=job.name: (s := state(name)) and s.last_outcome, what=job.name)
    finally:
        stop_workers(workers)
    recorded = state("expire-unpaid-orders")
    assert recorded.last_outcome == "ok", recorded.last_summary
    assert "expired: 1" in recorded.last_summary
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 10
    assert state("reconcile-payments").last_outcome == "ok"
    assert state("check-ledger").last_summary == "problems: 0, failed: 0"
    assert state("remind-certificates").last_summary == "reminders sent: 0"
