"""What the job runner records: the state of every declared job (its claim while it runs,
when the scheduler enqueues it next, its last run and outcome) and the failures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class JobOutcome:
    OK = "ok"
    FAILED = "failed"


class JobState(db.Model):
    """One row per declared job (created the first time the job is claimed or scheduled)."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The row claim that keeps an exclusive job to one worker at a time: a worker takes it
    # with a conditional UPDATE; one that died gives it back when ``locked_until`` passes.
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The scheduler enqueues the job when this is past, and moves it one period on first.
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_summary: Mapped[str | None] = mapped_column(Text)
    last_duration_seconds: Mapped[float | None] = mapped_column(Float)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures_in_a_row: Mapped[int] = mapped_column(Integer, default=0)


class JobFailure(db.Model):
    """A run that raised or reported failures (kept for the operator; the newest
    ``MAX_FAILURES_KEPT`` per job)."""

    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    worker: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
