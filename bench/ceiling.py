"""The ceiling: a minimal WSGI app returning the already-rendered bytes of the catalogue page,
served by the same gunicorn settings, so every result can be read as a ratio of what this
machine can do at all."""

from __future__ import annotations

import os
from pathlib import Path

BODY = Path(os.environ["CEILING_BODY"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
