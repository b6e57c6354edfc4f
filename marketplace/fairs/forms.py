"""Forms of the fairs domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.cooperatives.forms import LenientIntegerField, province_choices


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
TEXT = {"dir": "auto"}


class FairForm(FlaskForm):
    name_ar = StringField(_l("Name in Arabic"), [Optional(), Length(max=200)], render_kw=TEXT)
    name_fr = StringField(_l("Name in French"), [Optional(), Length(max=200)], render_kw=TEXT)
    name_en = StringField(_l("Name in English"), [Optional(), Length(max=200)], render_kw=TEXT)
    description_ar = TextAreaField(
        _l("Description in Arabic"), [Optional(), Length(max=5000)], render_kw=TEXT
    )
    description_fr = TextAreaField(
        _l("Description in French"), [Optional(), Length(max=5000)], render_kw=TEXT
    )
    description_en = TextAreaField(
        _l("Description in English"), [Optional(), Length(max=5000)], render_kw=TEXT
    )
    province = SelectField(_l("Province"), validators=[DataRequired()])
    city = StringField(_l("City"), [DataRequired(), Length(max=120)], render_kw=TEXT)
    venue = StringField(_l("Venue"), [DataRequired(), Length(max=200)], render_kw=TEXT)
    address = StringField(_l("Address"), [Optional(), Length(max=255)], render_kw=TEXT)
    latitude = StringField(
        _l("Latitude"),
        [Optional(), Length(max=20)],
        render_kw={"dir": "ltr", "inputmode": "decimal"},
    )
    longitude = StringField(
        _l("Longitude"),
        [Optional(), Length(max=20)],
        render_kw={"dir": "ltr", "inputmode": "decimal"},
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    registration_deadline = DateField(
        _l("Last day to apply for a stand"), validators=[DataRequired()]
    )
    max_stands = LenientIntegerField(_l("Number of stands"), validators=[DataRequired()])
    cover = FileField(_l("Cover picture"), render_kw={"accept": IMAGE_ACCEPT})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.province.choices = [SelectChoice(v, str(label)) for v, label in province_choices()]


class StandApplicationForm(FlaskForm):
    products = CheckboxesField(
        _l("The products you will bring"),
        validators=[DataRequired(_l("Choose the products you will bring to the fair."))],
    )
    note = TextAreaField(
        _l("A word for the organisers (optional)"),
        [Optional(), Length(max=2000)],
        render_kw=TEXT,
    )


class StandDecisionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired(), AnyOf(["accept", "decline"])])
    reason = TextAreaField(
        _l("Note for the cooperative"), [Optional(), Length(max=2000)], render_kw=TEXT
    )


class ActionForm(FlaskForm):
    """A button that changes something (only the CSRF token)."""
