"""Structured (JSON) logs with the request id of the request being served."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A request id given by the proxy is kept only when it is short and harmless in logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# URL parts that are secrets (password reset, e-mail verification, invitation tokens).
SECRET_URL_ARGUMENTS = frozenset({"token"})


def request_id() -> str | None:
    """The current request's id: the proxy's X-Request-ID when valid, else a new one."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def loggable_path() -> str:
    """The request path with secret URL arguments (tokens) masked."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_ARGUMENTS and isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path


def install_record_factory() -> None:
    """Every log record made while serving a request carries its ``request_id``."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra ``fields``
    and, for errors, the formatted traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the ``marketplace`` loggers (production default; set
    LOG_JSON=0 for plain text, or LOG_JSON=1 in development)."""
    install_record_factory()
    wanted = app.config.get("LOG_JSON")
    if wanted is None and os.environ.get("LOG_JSON") is not None:
        wanted = os.environ["LOG_JSON"].strip().lower() in {"1", "true", "yes", "on"}
    if not (wanted if wanted is not None else not (app.debug or app.testing)):
        return
    logger = logging.getLogger("marketplace")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL", "INFO").upper())
    logger.propagate = False
