"""``/healthz`` for load balancers and container health checks (unprefixed).

503 only when the database does not answer: without it nothing works, so traffic should go
elsewhere. Redis is reported but does not fail the check: without it the site still serves
(rate limits count in memory, pages are rendered without the cache).
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify

from marketplace.extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

RETRY_AFTER_SECONDS = 5
# A load balancer asks every few seconds: the traceback of an outage once a minute is enough.
LOG_SECONDS = 60.0


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 {"status": "ok"} when the database answers ("degraded" when Redis does not),
    503 {"status": "unavailable"} when the database does not."""
    checks = {}
    try:
        database_answers()
    except Exception:  # noqa: BLE001 - any failure means "do not send traffic here"
        _log_database_failure()
        checks["database"] = "error"
    else:
        _state()["failing_since"] = None
        checks["database"] = "ok"
    redis = redis_answers()
    if redis is not None:
        checks["redis"] = "ok" if redis else "error"
    if checks["database"] != "ok":
        response = jsonify(status="unavailable", checks=checks)
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = jsonify(status="ok" if redis is not False else "degraded", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response


def _state() -> dict:
    return current_app.extensions.setdefault("healthz", {"failing_since": None, "logged": None})


def _log_database_failure() -> None:
    state, now = _state(), time.monotonic()
    if state["failing_since"] is None:
        state["failing_since"] = now
    if state["logged"] is None or now - state["logged"] >= LOG_SECONDS:
        state["logged"] = now
        log.exception(
            "health check: the database does not answer (for %d s)", now - state["failing_since"]
        )


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


def redis_answers() -> bool | None:
    """Whether Redis answers a PING within the short socket timeouts (None: no Redis)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("healthz_redis")
    if client is None:
        import redis

        options = current_app.config.get("REDIS_OPTIONS", {})
        client = current_app.extensions["healthz_redis"] = redis.from_url(url, **options)
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - down or hung: reported, not raised
        return False
