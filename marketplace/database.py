"""Engine set-up per database, and per-request SQL query counting."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from marketplace.extensions import db


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def after_outermost_commit(listener: Callable[[Session], None]) -> Callable[[Session], None]:
    """Run ``listener(session)`` once a session's outermost transaction has committed.
    SQLAlchemy's ``after_commit`` also fires when a savepoint is released (``begin_nested``),
    while nothing is committed yet: what must wait for the commit (sending mail, deleting
    files, bumping cache versions, enqueueing jobs) goes through here instead."""

    def on_commit(session: Session) -> None:
        if not session.in_nested_transaction():
            listener(session)

    event.listen(Session, "after_commit", on_commit)
    return listener


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # Python's sqlite3 must not issue BEGIN itself: we emit BEGIN IMMEDIATE so that a
    # transaction that will write takes the write lock up front (no lock upgrade deadlocks).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _begin_sqlite(conn) -> None:
    """Page views read in a deferred transaction (WAL readers never wait); anything that may
    write (form posts, commands, background work) takes the write lock up front."""
    if has_request_context() and request.method in READ_ONLY_METHODS:
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# Statements that cannot change the database (a request that sent only these has nothing to
# commit, see wrote_to_database). Anything else counts as a write, savepoints included.
_READ_ONLY_STATEMENTS = ("SELECT", "SET ", "SHOW ", "BEGIN", "PRAGMA")
_WROTE = "wrote_to_database"


def _may_write(statement: str, context) -> bool:
    if any(getattr(context, flag, False) for flag in ("isinsert", "isupdate", "isdelete")):
        return True
    head = statement.lstrip()[:6].upper()
    if head.startswith("WITH"):  # a read only if SQLAlchemy compiled it from a SELECT
        compiled = getattr(context, "compiled", None)
        return not getattr(getattr(compiled, "statement", None), "is_select", False)
    return not head.startswith(_READ_ONLY_STATEMENTS)


def _observe_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    """Count the request's queries (QUERY_COUNT_HEADER) and note whether it wrote."""
    if has_request_context():
        g.query_count = getattr(g, "query_count", 0) + 1
        if not g.get(_WROTE) and _may_write(statement, context):
            setattr(g, _WROTE, True)


def wrote_to_database() -> bool:
    """Whether this request sent a statement that may have changed the database."""
    return bool(g.get(_WROTE))


def init_database(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
        event.listen(engine, "before_cursor_execute", _observe_statement)
