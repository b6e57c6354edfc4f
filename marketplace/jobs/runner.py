"""Running jobs: enqueue on the broker (RQ on Redis) or, without ``JOBS_BROKER_URL``, run
inline; a worker's run of one job (claim, run, record); the scheduler's pick of due jobs.

Web processes only call ``enqueue``. A job enqueued by a commit (``send-mail``) is coalesced:
while one run is waiting in the queue, further commits add nothing (a Redis key marks it,
deleted when the run starts, so mail committed during a run gets a run of its own).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import traceback
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app
from sqlalchemy import delete, or_, select, update

from marketplace.extensions import db
from marketplace.jobs import schedule
from marketplace.jobs.models import JobFailure, JobOutcome, JobState
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
INLINE, QUEUED, ALREADY_QUEUED = "inline", "queued", "already queued"
MAX_FAILURES_KEPT = 200
LOG_SECONDS = 60.0
_pending_prefix = "souk:jobs:pending:"


class QueueUnavailable(RuntimeError):
    """The broker did not take the job (Redis down or hanging)."""


def broker_url(app: Flask | None = None) -> str | None:
    return (app or current_app).config.get("JOBS_BROKER_URL") or None


def queue_name(app: Flask | None = None) -> str:
    return (app or current_app).config.get("JOBS_QUEUE") or "souk"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- enqueueing ---------------------------------------------------------------------------

_clients: dict[tuple[int, str], redis.Redis] = {}
_clients_lock = threading.Lock()
_last_logged = {"at": None}


def _connection(app: Flask) -> redis.Redis:
    """This process's client for enqueueing, with the app's short Redis timeouts: a broker
    that hangs costs the request a fraction of a second, never the page."""
    key = (os.getpid(), broker_url(app) or "")
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = redis.Redis.from_url(key[1], **app.config.get("REDIS_OPTIONS", {}))
                _clients[key] = client
    return client


def _pending_key(app: Flask, name: str) -> str:
    return f"{_pending_prefix}{queue_name(app)}:{name}"


def enqueue(name: str, *, coalesce: bool = False) -> str:
    """Have job ``name`` run: on the queue when a broker is configured (returns QUEUED, or
    ALREADY_QUEUED when ``coalesce`` finds a run still waiting), else now, in this process,
    in an application context of its own (returns INLINE). Raises QueueUnavailable when the
    broker does not answer."""
    job = schedule.get(name)
    app = current_app._get_current_object()
    if not broker_url(app):
        run_inline(app, name)
        return INLINE
    from rq import Queue

    connection = _connection(app)
    pending = _pending_key(app, name)
    timeout = int(job.timeout.total_seconds())
    try:
        if coalesce and not connection.set(pending, "1", nx=True, ex=timeout):
            return ALREADY_QUEUED
        Queue(queue_name(app), connection=connection).enqueue(
            perform,
            name,
            job_timeout=timeout,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            description=name,
        )
    except redis.RedisError as exc:
        now = time.monotonic()
        if _last_logged["at"] is None or now - _last_logged["at"] >= LOG_SECONDS:
            _last_logged["at"] = now
            log.warning("job queue unavailable: %s not enqueued (%s)", name, exc)
        raise QueueUnavailable(str(exc)) from exc
    return QUEUED


def run_soon(name: str, **_kwargs) -> None:
    """Receiver of ``signals.queue_committed``: after a commit that queued e-mails or
    messages, enqueue the job that sends them (``name``; one waiting run is enough for any
    number of commits). A broker that does not answer loses nothing: the rows are committed
    and the scheduler's next run takes them."""
    try:
        enqueue(name, coalesce=True)
    except QueueUnavailable:
        pass  # logged by enqueue, once a minute
    except Exception:  # the data is committed: a failure to send must not undo the request
        log.exception("could not enqueue %s after the commit", name)


def run_inline(app: Flask, name: str) -> dict | None:
    """Run ``name`` now in a fresh application context (its own database session: this may
    be called right after another session's commit)."""
    with app.app_context():
        return run_job(name)


def perform(name: str) -> None:
    """The function a worker runs for each job taken from the queue."""
    from rq import get_current_job

    app = current_app._get_current_object()
    current = get_current_job()
    if current is not None:
        # From now on a new commit enqueues a new run: this one may already have read past it.
        current.connection.delete(_pending_key(app, name))
    run_inline(app, name)


# --- one run ------------------------------------------------------------------------------


def ensure_state(name: str) -> None:
    """The job's row in ``job_state`` (created once, whoever comes first)."""
    if db.session.get(JobState, name) is not None:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(JobState)
        .values(name=name, runs=0, failures_in_a_row=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    db.session.commit()


def claim(name: str, ttl: timedelta) -> str | None:
    """Take the job's row claim for ``ttl`` (committed); None when another worker holds
    it. The UPDATE repeats the condition, so of two workers racing only one gets a row."""
    ensure_state(name)
    now = utcnow()
    token = f"{worker_name()}:{secrets.token_hex(4)}"[:64]
    result = db.session.execute(
        update(JobState)
        .where(
            JobState.name == name,
            or_(JobState.locked_until.is_(None), JobState.locked_until < now),
        )
        .values(locked_by=token, locked_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def _summary_text(summary: dict[str, Any]) -> str:
    return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in summary.items())


def run_job(name: str) -> dict | None:
    """Run job ``name`` once here and record the outcome. An exclusive job that another
    worker is running is skipped (None). Never raises: a failure is recorded."""
    job = schedule.get(name)
    token = None
    if job.exclusive:
        token = claim(name, job.timeout)
        if token is None:
            log.info("job %s is running elsewhere: skipped", name)
            return None
    else:
        ensure_state(name)
    started = utcnow()
    clock = time.monotonic()
    error = None
    summary: dict[str, Any] = {}
    try:
        summary = job.function()() or {}
        db.session.commit()
        if summary.get("failed"):
            error = _summary_text(summary)
    except Exception:  # every failure is recorded for the operator
        db.session.rollback()
        error = traceback.format_exc(limit=8)[-4000:]
        log.exception("job %s failed", name)
    _record(name, token, started, time.monotonic() - clock, summary, error)
    return summary


def _record(
    name: str,
    token: str | None,
    started: datetime,
    duration: float,
    summary: dict[str, Any],
    error: str | None,
) -> None:
    finished = utcnow()
    outcome = JobOutcome.FAILED if error else JobOutcome.OK
    values: dict[str, Any] = {
        "last_started_at": started,
        "last_finished_at": finished,
        "last_outcome": outcome,
        "last_summary": (error.strip().splitlines()[-1] if error else _summary_text(summary))[
            :2000
        ],
        "last_duration_seconds": round(duration, 3),
        "runs": JobState.runs + 1,
        "failures_in_a_row": (JobState.failures_in_a_row + 1) if error else 0,
    }
    if not error:
        values["last_success_at"] = finished
    if token is not None:
        values.update(locked_by=None, locked_until=None)
    condition = [JobState.name == name]
    if token is not None:
        condition.append(or_(JobState.locked_by == token, JobState.locked_by.is_(None)))
    try:
        db.session.execute(
            update(JobState)
            .where(*condition)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if error:
            db.session.add(
                JobFailure(
                    job_name=name,
                    started_at=started,
                    finished_at=finished,
                    worker=worker_name()[:200],
                    error=error,
                )
            )
            db.session.flush()
            oldest_kept = db.session.scalar(
                select(JobFailure.id)
                .where(JobFailure.job_name == name)
                .order_by(JobFailure.id.desc())
                .offset(MAX_FAILURES_KEPT - 1)
                .limit(1)
            )
            if oldest_kept is not None:
                db.session.execute(
                    delete(JobFailure)
                    .where(JobFailure.job_name == name, JobFailure.id < oldest_kept)
                    .execution_options(synchronize_session=False)
                )
        db.session.commit()
    except Exception:  # the database itself failed: the run's own work is committed
        db.session.rollback()
        log.exception("could not record the run of job %s", name)


# --- the scheduler ------------------------------------------------------------------------


def take_due(now: datetime | None = None) -> list[str]:
    """The scheduled jobs due now, each moved one period on in the same committed UPDATE:
    of several schedulers (or a scheduler restarted) only one enqueues a given run."""
    now = now or utcnow()
    due = []
    for job in schedule.scheduled():
        ensure_state(job.name)
        result = db.session.execute(
            update(JobState)
            .where(
                JobState.name == job.name,
                or_(JobState.next_run_at.is_(None), JobState.next_run_at <= now),
            )
            .values(next_run_at=now + job.period)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            due.append(job.name)
    db.session.commit()
    return due


def schedule_tick() -> list[tuple[str, str]]:
    """Enqueue every job that is due; when the broker does not answer, run it here."""
    app = current_app._get_current_object()
    done = []
    for name in take_due():
        try:
            how = enqueue(name)
        except QueueUnavailable:
            run_inline(app, name)
            how = INLINE
        done.append((name, how))
    return done


# --- reading the state --------------------------------------------------------------------


def states() -> list[tuple[schedule.Job, JobState | None]]:
    found = {row.name: row for row in db.session.scalars(select(JobState))}
    return [(job, found.get(job.name)) for job in schedule.JOBS.values()]


def failures_page(page: int, per_page: int) -> tuple[list[JobFailure], int]:
    from sqlalchemy import func

    total = db.session.scalar(select(func.count()).select_from(JobFailure)) or 0
    rows = db.session.scalars(
        select(JobFailure)
        .order_by(JobFailure.finished_at.desc(), JobFailure.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), max(1, -(-total // per_page))
