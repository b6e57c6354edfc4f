"""``flask jobs list | run NAME | worker | scheduler``."""

from __future__ import annotations

import logging
import os
import time

import click
import redis
from flask import current_app
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.jobs import runner, schedule

jobs_cli = AppGroup("jobs", help="Background and scheduled jobs (workers, scheduler, runs).")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


@jobs_cli.command("list")
def list_command() -> None:
    """Every declared job with its period, last run, outcome and next scheduled run."""
    for job, state in runner.states():
        period = f"every {int(job.period.total_seconds())} s" if job.period else "on demand"
        click.echo(f"{job.name} ({period}{', exclusive' if job.exclusive else ''})")
        if state is None or state.last_started_at is None:
            click.echo("  last run: never")
        else:
            click.echo(
                f"  last run: {_when(state.last_started_at)}, {state.last_outcome}, "
                f"{state.last_duration_seconds:.2f} s: {state.last_summary or ''}"
            )
            click.echo(
                f"  runs: {state.runs}, failures in a row: {state.failures_in_a_row}, "
                f"last success: {_when(state.last_success_at)}"
            )
        if job.period:
            click.echo(f"  next run: {_when(state.next_run_at if state else None)}")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(list(schedule.JOBS)))
def run_command(name: str) -> None:
    """Run one job now, in this process (an exclusive one running elsewhere is skipped)."""
    summary = runner.run_job(name)
    if summary is None:
        click.echo(f"{name} is running elsewhere: skipped")
        return
    click.echo(f"{name}: {runner._summary_text(summary) or 'done'}")
    outcome = {job.name: row for job, row in runner.states()}[name]
    if outcome is not None and outcome.last_outcome == "failed":
        raise SystemExit(1)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=None,
    help="Lower the worker's CPU priority by this much (default: JOB_WORKER_NICE, 10).",
)
def worker_command(burst: bool, nice: int | None) -> None:
    """Take jobs from the queue and run them, one at a time, until stopped (SIGTERM lets
    the current job finish). Start as many as the work needs, on any machine."""
    from rq import SimpleWorker

    url = runner.broker_url()
    if not url:
        raise click.ClickException(
            "JOBS_BROKER_URL is not set: jobs run inline where they are asked for, "
            "no worker is needed"
        )
    # Background work gives the CPU to web requests when they share the machine.
    increment = current_app.config["JOB_WORKER_NICE"] if nice is None else nice
    if increment > 0:
        os.nice(increment)
    # Blocking reads wait for jobs: no short socket timeout on the worker's own connection.
    connection = redis.Redis.from_url(url)
    worker = SimpleWorker([runner.queue_name()], connection=connection, name=runner.worker_name())
    level = current_app.config.get("LOG_LEVEL") or "INFO"
    worker.work(burst=burst, with_scheduler=False, logging_level=str(level).upper())


@jobs_cli.command("scheduler")
@click.option("--tick", default=5.0, show_default=True, help="Seconds between two looks.")
@click.option("--once", is_flag=True, help="Enqueue what is due now, then stop.")
def scheduler_command(tick: float, once: bool) -> None:
    """Enqueue each scheduled job when its period has passed (schedule.py). Several
    schedulers may run: each run is enqueued by one of them only."""
    log = logging.getLogger("marketplace.jobs.scheduler")
    while True:
        try:
            for name, how in runner.schedule_tick():
                log.info("scheduled job %s: %s", name, how)
                if once:
                    click.echo(f"{name}: {how}")
        except Exception:  # the database is down: try again at the next tick
            db.session.rollback()
            if once:
                raise
            log.exception("scheduler: could not read the jobs' state; trying again")
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(tick)


COMMANDS = [jobs_cli]
