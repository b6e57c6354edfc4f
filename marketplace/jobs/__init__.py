"""The `jobs` domain: background and scheduled work run by workers through a job queue.

Web processes only enqueue (``runner.enqueue``); ``flask jobs worker`` processes run the
jobs, ``flask jobs scheduler`` enqueues the scheduled ones when they are due (``schedule.py``
declares them, with their period). Without ``JOBS_BROKER_URL`` every job runs inline, in the
process that asks for it. Blueprint `bp`: the operator's page of job runs and failures.
"""

from flask import Blueprint

bp = Blueprint("jobs", __name__)

from marketplace.jobs import admin_views  # noqa: E402,F401
