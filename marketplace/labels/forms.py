"""Forms of labels (admin), certificates (cooperative) and certificate decisions (admin)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.labels.models import KIND_LABELS
from marketplace.labels.services import DECISIONS
from marketplace.number_fields import WholeNumberField

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
DOCUMENT_ACCEPT = "application/pdf,image/jpeg,image/png"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class LabelForm(FlaskForm):
    slug = StringField(
        _l("Address of the public page"),
        validators=[
            DataRequired(),
            Length(max=120),
            Regexp(SLUG, message=_l("Use lower-case letters, digits and dashes only.")),
        ],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    issuing_body = StringField(
        _l("Issuing body"), validators=[Optional(), Length(max=200)], render_kw={"dir": "auto"}
    )
    position = WholeNumberField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(0, 10000)]
    )
    name_ar = StringField(
        _l("Name in Arabic"),
        validators=[Optional(), Length(max=200)],
        render_kw={"dir": "rtl", "lang": "ar"},
    )
    name_fr = StringField(
        _l("Name in French"),
        validators=[Optional(), Length(max=200)],
        render_kw={"dir": "ltr", "lang": "fr"},
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[Optional(), Length(max=200)],
        render_kw={"dir": "ltr", "lang": "en"},
    )
    description_ar = TextAreaField(
        _l("Description in Arabic"),
        validators=[Optional(), Length(max=4000)],
        render_kw={"dir": "rtl", "lang": "ar", "rows": 4},
    )
    description_fr = TextAreaField(
        _l("Description in French"),
        validators=[Optional(), Length(max=4000)],
        render_kw={"dir": "ltr", "lang": "fr", "rows": 4},
    )
    description_en = TextAreaField(
        _l("Description in English"),
        validators=[Optional(), Length(max=4000)],
        render_kw={"dir": "ltr", "lang": "en", "rows": 4},
    )
    logo = FileField(_l("Logo"), render_kw={"accept": IMAGE_ACCEPT})


class CertificateForm(FlaskForm):
    label = SelectField(_l("Label"), choices=[], validators=[DataRequired()])
    number = StringField(
        _l("Certificate number"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    issuing_body = StringField(
        _l("Issuing body"), validators=[Optional(), Length(max=200)], render_kw={"dir": "auto"}
    )
    issued_on = DateField(_l("Date of issue"), validators=[DataRequired()])
    expires_on = DateField(_l("Expiry date"), validators=[DataRequired()])
    for_cooperative = BooleanField(_l("The cooperative itself holds this certificate"))
    products = SelectMultipleField(_l("Products it covers"), choices=[], validate_choice=False)
    document = FileField(
        _l("The certificate (PDF, JPEG or PNG)"), render_kw={"accept": DOCUMENT_ACCEPT}
    )

    def validate_products(self, field) -> None:
        allowed = {choice.value for choice in self.products.choices}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError(_l("Choose among your products."))


class ActionForm(FlaskForm):
    """A button that changes something (only the CSRF token)."""


class CertificateDecisionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired(), AnyOf(list(DECISIONS))])
    reason = TextAreaField(
        _l("Reason (shown to the cooperative)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3, "dir": "auto"},
    )
