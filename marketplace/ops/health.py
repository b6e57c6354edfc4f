"""``/healthz`` for load balancers and container health checks (unprefixed)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify

from marketplace.extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 {"status": "ok"} when the database answers, 503 otherwise."""
    try:
        database_answers()
    except Exception:  # any failure means "do not send traffic here"
        log.exception("health check: the database does not answer")
        response = jsonify(status="unavailable", checks={"database": "error"})
        response.status_code = 503
    else:
        response = jsonify(status="ok", checks={"database": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


def database_answers() -> None:
    """``SELECT 1`` on a pooled DBAPI connection, outside the ORM session: no transaction is
    opened (on SQLite the session's BEGIN IMMEDIATE would take the write lock)."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
