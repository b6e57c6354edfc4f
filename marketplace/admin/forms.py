"""Forms of the admin area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from marketplace.cooperatives.models import CooperativeStatus

# What each button does to the cooperative's status.
ACTIONS = {
    "approve": CooperativeStatus.VERIFIED,
    "reject": CooperativeStatus.REJECTED,
    "suspend": CooperativeStatus.SUSPENDED,
    "reinstate": CooperativeStatus.VERIFIED,
}


class ActionForm(FlaskForm):
    """A button that changes something (only the CSRF token)."""


class DecisionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired(), AnyOf(list(ACTIONS))])
    reason_code = SelectField(_l("Reason"), choices=[], validators=[Optional()])
    reason = TextAreaField(
        _l("Note for the cooperative"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3, "dir": "auto"},
    )

    def __init__(self, *args, reasons: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reason_code.choices = reason_choices(reasons)


def reason_choices(reasons: dict | None) -> list:
    return [("", _l("Choose a reason…")), *(reasons or {}).items()]
