"""Flask-Login wiring: the session stores "<user id>:<session version>"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.auth.models import User
from marketplace.extensions import db, login_manager
from marketplace.http import parse_int

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str):
    """A session whose version is older than the user's (logout, password change,
    deactivation) no longer loads the user."""

    user_id, version = (parse_int(part) for part in session_id.partition(":")[::2])
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
