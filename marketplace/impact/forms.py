"""Forms of the impact domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from marketplace.i18n import LOCALE_NAMES, LOCALES


class ObserverForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    name = StringField(
        _l("Name"), validators=[Optional(), Length(max=120)], render_kw={"dir": "auto"}
    )
    locale = SelectField(
        _l("Language of the e-mails"),
        choices=[
            SelectChoice(code, LOCALE_NAMES[code], render_kw={"lang": code}) for code in LOCALES
        ],
        default="fr",
    )
