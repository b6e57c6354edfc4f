"""The operator's page of background jobs: each job's last run and outcome, and the runs
that failed (newest first, with their error)."""

from __future__ import annotations

from flask import render_template

from marketplace.auth.decorators import admin_required
from marketplace.http import page_arg
from marketplace.jobs import bp, runner
from marketplace.jobs.models import JobOutcome

PAGE_SIZE = 20


@bp.get("/admin/jobs")
@admin_required
def admin_jobs():
    page = page_arg()
    failures, pages = runner.failures_page(page, PAGE_SIZE)
    return render_template(
        "jobs/admin_jobs.html",
        jobs=runner.states(),
        failures=failures,
        failed=JobOutcome.FAILED,
        page=page,
        pages=pages,
    )
