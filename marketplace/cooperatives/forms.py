"""Forms of the cooperatives domain: the application (one per step) and the seller
dashboard's profile and shipping pages (the product forms are the catalogue's:
catalogue.seller_forms)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.cooperatives import services as cooperatives
from marketplace.cooperatives.models import PROVINCE_LABELS, Province
from marketplace.cooperatives.validators import (
    MoroccanPhone,
    MoroccanRib,
    clean_rib,
    normalize_phone,
)
from marketplace.i18n import LOCALES
from marketplace.number_fields import MoneyField, WholeNumberField
from marketplace.timeutil import utcnow


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LenientIntegerField(WholeNumberField):
    """A whole number (the shared field: ASCII or Arabic-Indic digits, a text input with a
    numeric keyboard)."""


def province_choices():
    return [("", _l("Choose the province…"))] + [
        (province.value, PROVINCE_LABELS[province]) for province in Province
    ]


class IdentityForm(FlaskForm):
    """Step 1: who the cooperative is."""

    name_ar = StringField(
        _l("Name of the cooperative in Arabic"),
        filters=[_strip],
        validators=[Length(max=200)],
        render_kw={"dir": "rtl", "lang": "ar", "autocomplete": "organization"},
    )
    name_fr = StringField(
        _l("Name of the cooperative in French"),
        filters=[_strip],
        validators=[Length(max=200)],
        render_kw={"dir": "ltr", "lang": "fr", "autocomplete": "organization"},
    )
    registration_number = StringField(
        _l("Registration number"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the registration number.")), Length(max=64)],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    province = SelectField(
        _l("Province"),
        choices=province_choices,
        validators=[DataRequired(_l("Choose the province."))],
        validate_choice=True,
    )
    commune = StringField(
        _l("Commune"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the commune.")), Length(max=120)],
    )
    founded_year = LenientIntegerField(
        _l("Year founded"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    members_count = LenientIntegerField(
        _l("Number of members"),
        validators=[
            InputRequired(_l("Enter the number of members.")),
            NumberRange(min=1, max=100000, message=_l("Enter a number between 1 and 100000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    women_members_count = LenientIntegerField(
        _l("Number of women members"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Enter a number between 0 and 100000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Save and continue"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.name_ar.data and not self.name_fr.data:
            # Under the field the person looks at: the Arabic name on an Arabic page.
            target = self.name_ar if str(get_locale() or "") == "ar" else self.name_fr
            target.errors = [*target.errors, _l("Give the name in Arabic, in French, or both.")]
            return False
        return valid

    def validate_founded_year(self, field) -> None:
        year = utcnow().year
        if field.data is not None and not 1900 <= field.data <= year:
            raise ValidationError(
                _l("Enter a year between %(first)d and %(last)d.", first=1900, last=year)
            )

    def validate_women_members_count(self, field) -> None:
        members = self.members_count.data
        if field.data is not None and isinstance(members, int) and field.data > members:
            raise ValidationError(_l("There cannot be more women members than members in total."))

    def values(self) -> dict:
        return {
            "name_ar": self.name_ar.data or "",
            "name_fr": self.name_fr.data or "",
            "registration_number": self.registration_number.data,
            "province": self.province.data,
            "commune": self.commune.data,
            "founded_year": self.founded_year.data,
            "members_count": self.members_count.data,
            "women_members_count": self.women_members_count.data,
        }


class ContactForm(FlaskForm):
    """Step 2: phone, e-mail and the bank account that receives the payments."""

    phone = StringField(
        _l("Phone number"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a phone number.")), Length(max=40), MoroccanPhone()],
        render_kw={"type": "tel", "inputmode": "tel", "dir": "ltr", "autocomplete": "tel"},
    )
    email = EmailField(
        _l("E-mail of the cooperative (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=254), Email(_l("Enter a valid e-mail address."))],
        render_kw={"dir": "ltr", "autocomplete": "email"},
    )
    rib = StringField(
        _l("Bank account number (RIB, 24 digits)"),
        filters=[_strip],
        validators=[Length(max=60), MoroccanRib()],
        render_kw={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Save and continue"))

    def __init__(self, *args, saved_rib: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.saved_rib = saved_rib

    def validate_rib(self, field) -> None:
        if not field.data and not self.saved_rib:
            raise ValidationError(_l("Enter the RIB of the cooperative's bank account."))

    def values(self) -> dict:
        return {
            "phone": normalize_phone(self.phone.data),
            "email": (self.email.data or "").lower(),
            "rib": clean_rib(self.rib.data) if self.rib.data else self.saved_rib,
        }


class StoryForm(FlaskForm):
    """Step 3: the cooperative's story, in as many languages as the applicant likes."""

    story_ar = TextAreaField(
        _l("Story in Arabic"),
        filters=[_strip],
        validators=[Length(max=5000)],
        render_kw={"dir": "rtl", "lang": "ar", "rows": 6},
    )
    story_fr = TextAreaField(
        _l("Story in French"),
        filters=[_strip],
        validators=[Length(max=5000)],
        render_kw={"dir": "ltr", "lang": "fr", "rows": 6},
    )
    story_en = TextAreaField(
        _l("Story in English"),
        filters=[_strip],
        validators=[Length(max=5000)],
        render_kw={"dir": "ltr", "lang": "en", "rows": 6},
    )
    submit = SubmitField(_l("Save and continue"))

    def validate_story_en(self, field) -> None:
        if not (field.data or self.story_ar.data or self.story_fr.data):
            raise ValidationError(_l("Tell your story in at least one language."))

    def values(self) -> dict:
        return {
            "story_ar": self.story_ar.data or "",
            "story_fr": self.story_fr.data or "",
            "story_en": self.story_en.data or "",
        }


class DocumentsForm(FlaskForm):
    """Step 4: verification documents (checked by their content in marketplace.storage)."""

    statutes = FileField(
        _l("Statutes of the cooperative"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    registration_certificate = FileField(
        _l("Registration certificate"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    other = FileField(
        _l("Other document (optional)"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    # The name of a document to remove (set by that document's "Remove" button).
    remove = StringField(validators=[Optional(), Length(max=100)])
    upload = SubmitField(_l("Send the files"))
    submit = SubmitField(_l("Save and continue"))

    FILE_FIELDS = ("statutes", "registration_certificate", "other")


class ReviewForm(FlaskForm):
    """Step 5: confirm and send."""

    confirm = BooleanField(
        _l("I confirm that this information is true and that I may represent the cooperative."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Send the application"))


class ResubmitForm(FlaskForm):
    """A rejected cooperative's owner sends the corrected application again."""

    note = TextAreaField(
        _l("What did you correct?"),
        validators=[
            DataRequired(_l("Please tell us what you corrected or sent since the decision.")),
            Length(max=2000),
        ],
        render_kw={"rows": 4, "dir": "auto"},
    )
    statutes = FileField(
        _l("Statutes of the cooperative"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    registration_certificate = FileField(
        _l("Registration certificate"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    other = FileField(
        _l("Other document (optional)"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    submit = SubmitField(_l("Send the application again"))

    FILE_FIELDS = ("statutes", "registration_certificate", "other")


# --- the seller dashboard: profile and shipping ------------------------------------------

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class ProfileForm(FlaskForm):
    name_ar = StringField(_l("Name in Arabic"), [Length(max=cooperatives.NAME_MAX)])
    story_ar = TextAreaField(
        _l("Story in Arabic"), [Length(max=cooperatives.STORY_MAX)], render_kw={"rows": 6}
    )
    name_fr = StringField(_l("Name in French"), [Length(max=cooperatives.NAME_MAX)])
    story_fr = TextAreaField(
        _l("Story in French"), [Length(max=cooperatives.STORY_MAX)], render_kw={"rows": 6}
    )
    name_en = StringField(_l("Name in English"), [Length(max=cooperatives.NAME_MAX)])
    story_en = TextAreaField(
        _l("Story in English"), [Length(max=cooperatives.STORY_MAX)], render_kw={"rows": 6}
    )
    logo = FileField(_l("Logo"), render_kw={"accept": IMAGE_ACCEPT})
    remove_logo = BooleanField(_l("Remove the logo"))
    cover = FileField(_l("Cover photo"), render_kw={"accept": IMAGE_ACCEPT})
    remove_cover = BooleanField(_l("Remove the cover photo"))

    def locale_fields(self):
        return [(code, self[f"name_{code}"], self[f"story_{code}"]) for code in LOCALES]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not any((self[f"name_{code}"].data or "").strip() for code in LOCALES):
            self.form_errors.append(_l("Give the cooperative's name in at least one language."))
            ok = False
        for code in LOCALES:
            name, story = self[f"name_{code}"], self[f"story_{code}"]
            if (story.data or "").strip() and not (name.data or "").strip():
                story.errors = [
                    *story.errors,
                    _l("A story needs the cooperative's name in the same language."),
                ]
                ok = False
        return ok

    @staticmethod
    def _one_file(field):
        upload = field.data
        return upload if upload and getattr(upload, "filename", "") else None

    def to_input(self) -> cooperatives.ProfileInput:
        return cooperatives.ProfileInput(
            names={code: self[f"name_{code}"].data or "" for code in LOCALES},
            stories={code: self[f"story_{code}"].data or "" for code in LOCALES},
            logo=self._one_file(self.logo),
            cover=self._one_file(self.cover),
            remove_logo=bool(self.remove_logo.data),
            remove_cover=bool(self.remove_cover.data),
        )

    @classmethod
    def data_from_cooperative(cls, cooperative) -> dict:
        data = {}
        for translation in cooperative.translations:
            data[f"name_{translation.locale}"] = translation.name
            data[f"story_{translation.locale}"] = translation.story
        return data


class ShippingForm(FlaskForm):
    shipping_fee = MoneyField(
        _l("Shipping fee per order (MAD)"),
        [InputRequired(message=_l("Enter the shipping fee (0 for free shipping)."))],
        max_cents=cooperatives.MAX_SHIPPING_CENTS,
    )
    free_shipping_threshold = MoneyField(
        _l("Free shipping from (MAD)"),
        [Optional()],
        max_cents=cooperatives.MAX_FREE_SHIPPING_THRESHOLD_CENTS,
        description=_l("Orders of at least this amount ship free. Leave empty for never."),
    )
    accepts_cash_on_delivery = BooleanField(_l("We accept cash on delivery"))
    ships_abroad = BooleanField(_l("We ship outside Morocco"))

    def to_input(self) -> cooperatives.ShippingInput:
        return cooperatives.ShippingInput(
            shipping_fee_cents=self.shipping_fee.data,
            free_shipping_threshold_cents=self.free_shipping_threshold.data,
            accepts_cash_on_delivery=bool(self.accepts_cash_on_delivery.data),
            ships_abroad=bool(self.ships_abroad.data),
        )

    @classmethod
    def data_from_cooperative(cls, cooperative) -> dict:
        return {
            "shipping_fee": cooperative.shipping_fee_cents,
            "free_shipping_threshold": cooperative.free_shipping_threshold_cents,
            "accepts_cash_on_delivery": cooperative.accepts_cash_on_delivery,
            "ships_abroad": cooperative.ships_abroad,
        }
