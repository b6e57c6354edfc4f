"""The dashboard form that makes a personal access token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.api.tokens import EXPIRY_CHOICES_DAYS, SCOPE_LABELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name of the token"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Say where it is used, e.g. “Stock spreadsheet” or “Shop till”."),
        render_kw={"dir": "auto", "maxlength": 80, "autocomplete": "off"},
    )
    scopes = CheckboxesField(
        _l("What it may do"),
        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
        validators=[DataRequired(_l("Choose at least one permission for the token."))],
    )
    expires = SelectField(
        _l("Expires"),
        choices=[
            SelectChoice("", _l("Never (until revoked)")),
            *[SelectChoice(str(d), _l("After %(n)d days", n=d)) for d in EXPIRY_CHOICES_DAYS],
        ],
        default="90",
    )

    def expires_in_days(self) -> int | None:
        return int(self.expires.data) if self.expires.data else None


class RevokeForm(FlaskForm):
    pass
