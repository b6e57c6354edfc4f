"""Access checks shared by every domain's views."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def observer_required(view):
    """The impact pages: observers (council or ministry staff) and administrators."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not (current_user.is_admin or current_user.is_observer):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def cooperative_member_required(view):
    """Any member of a cooperative (whatever its status); the view checks the status."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.cooperative_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def verified_cooperative_required(view):
    """A member of a verified cooperative: the only ones who may sell."""

    @wraps(view)
    @cooperative_member_required
    def wrapped(*args, **kwargs):
        if not current_user.cooperative.is_verified:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
