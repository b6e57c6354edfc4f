"""Domain errors raised by services; views turn them into a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A business rule refused the operation. ``message`` is shown to the user."""

    status_code = 400
    default_message = _l("This request could not be processed.")

    def __init__(self, message=None, **details) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    status_code = 400
    default_message = _l("Some of the information given is not valid.")


class NotFound(DomainError):
    status_code = 404
    default_message = _l("This page does not exist.")


class Forbidden(DomainError):
    status_code = 403
    default_message = _l("You are not allowed to do this.")


class Conflict(DomainError):
    status_code = 409
    default_message = _l("This changed in the meantime; please try again.")


class IllegalTransition(Conflict):
    default_message = _l("This status change is not allowed.")


class TooManyRequests(DomainError):
    status_code = 429
    default_message = _l("Too many attempts; please wait a little and try again.")
