"""One database transaction per request, opened and closed here and nowhere else.

Views and services only change objects and ``flush()``; after the view has answered,
``end_request`` commits when the request succeeded and rolls back otherwise:

- a response with a status of 400 or more rolls back (an ``abort()``, a form refused, an
  error page: the error handlers in marketplace/web.py answer them), unless the view called
  ``keep_changes()`` because what it wrote is the point of the error answer (a failed login
  counts towards the address's limit);
- a request marked failed rolls back whatever its status (``fail()``; ``http.refuse()`` marks
  it when a service refused with a ``DomainError`` and the view answers with a redirect);
- an exception that escaped the view is answered by an error handler, which rolls back;
- a request that only read has nothing to commit (``nothing_to_commit``): the teardown's
  close of the session ends its transaction.

A commit that fails is answered by the error handlers of marketplace/web.py, as an error of
the view would be (a database outage becomes a 503 and the session cookie goes back to what
the request brought). Mail queued during the transaction leaves only after the commit
(marketplace/mail.py listens to the session's commit and rollback).

A view that needs a second transaction (a provider called only once the row recording the
intent is committed) commits it itself, on a line marked ``# second transaction:`` with the
reason; tests/test_transactions.py refuses any other commit or rollback in a view module.

CLI commands and jobs are not requests: each commits its own work once (DESIGN.md).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, has_request_context

from marketplace.database import wrote_to_database
from marketplace.extensions import db

SECOND_TRANSACTION = "# second transaction:"  # the marker tests/test_transactions.py accepts
_FAILED = "transaction_failed"
_KEEP = "transaction_keep"


def fail() -> None:
    """Roll back, at the end of this request, everything it changed (whatever the status)."""
    if has_request_context():
        setattr(g, _FAILED, True)


def discard() -> None:
    """Roll back now what the request changed so far (a service refused halfway): the page
    that follows is rendered from the data as it was. Later changes are committed or not
    by the request's outcome as usual."""
    db.session.rollback()


def keep_changes() -> None:
    """Commit this request's changes although its response is an error (status >= 400)."""
    if has_request_context():
        setattr(g, _KEEP, True)


def failed() -> bool:
    return bool(g.get(_FAILED))


def nothing_to_commit() -> bool:
    """Whether committing now would keep nothing: no statement of this request may have
    written, no change waits to be flushed and no work waits for the commit (queued mail,
    files to delete: what listeners keep in ``session.info``)."""
    if not db.session.registry.has():  # no session was opened (a page from the cache)
        return True
    session = db.session
    return not (
        wrote_to_database() or session.new or session.dirty or session.deleted or session.info
    )


def end_request(response: Response) -> Response:
    """after_request: commit a request that succeeded, roll back any other."""
    if failed() or (response.status_code >= 400 and not g.get(_KEEP)):
        db.session.rollback()
        return response
    if nothing_to_commit():
        # A page that only read: the teardown closes the session, which ends its transaction
        # (a commit would cost the same round trip plus expiring every loaded object).
        return response
    try:
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - every error has its handler in web.py
        # Answered like an error of the view (a database outage is a 503 and the session
        # cookie goes back to what the request brought), also where exceptions propagate.
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def init_app(app: Flask) -> None:
    # Registered after every other after_request function of the app, so it runs first of
    # them (Flask runs them in reverse): the page cache and the request log see the outcome
    # of the commit, and a failed commit is answered (and logged) as an error.
    app.after_request(end_request)
