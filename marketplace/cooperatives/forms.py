"""Forms of the cooperatives domain: the application (one per step) and the seller
dashboard (products, quick stock, images, profile, shipping)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.catalogue import services as catalogue
from marketplace.catalogue import units
from marketplace.catalogue.models import ProductStatus
from marketplace.cooperatives import services as cooperatives
from marketplace.cooperatives.models import PROVINCE_LABELS, Province
from marketplace.cooperatives.validators import (
    MoroccanPhone,
    MoroccanRib,
    clean_rib,
    normalize_phone,
)
from marketplace.http import parse_int
from marketplace.i18n import LANGUAGES, current_lang
from marketplace.number_fields import MoneyField as _MoneyField
from marketplace.number_fields import QuantityField, WholeNumberField
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


# --- the seller dashboard ----------------------------------------------------------------

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class MoneyField(_MoneyField):
    """An amount in MAD (the shared field), at most a product's highest price."""

    def __init__(self, label=None, validators=None, max_cents=catalogue.MAX_PRICE_CENTS, **kw):
        super().__init__(label, validators, max_cents=max_cents, **kw)


class SeenNumber(HiddenField):
    """A hidden whole number the page showed (e.g. the stock when the form was opened);
    anything else reads as None (unknown) rather than an error nobody could see."""

    def process_formdata(self, valuelist) -> None:
        value = (valuelist[0] if valuelist else "").strip()
        self.data = parse_int(value, maximum=999_999_999)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


def int_field(label, minimum, maximum, required=True, **kw):
    validators = [InputRequired(message=_l("This field is required."))] if required else []
    if not required:
        validators.append(Optional())
    validators.append(
        NumberRange(
            min=minimum,
            max=maximum,
            # NumberRange fills in %(min)s and %(max)s.
            message=_l("Enter a whole number between %(min)s and %(max)s."),
        )
    )
    return WholeNumberField(label, validators, **kw)


LANG_LABELS = {
    "ar": (_l("Name in Arabic"), _l("Description in Arabic")),
    "fr": (_l("Name in French"), _l("Description in French")),
    "en": (_l("Name in English"), _l("Description in English")),
}


class SaleFields(FlaskForm):
    """What a product or one of its variants is sold at: price, stock, unit of sale, size and
    shipping weight (the product form of a single-variant product and the variant form)."""

    price = MoneyField(_l("Price (MAD)"), [InputRequired(message=_l("Enter the price."))])
    stock = int_field(_l("Stock (units available)"), 0, catalogue.MAX_STOCK)
    stock_was = SeenNumber()
    # The unit of sale: a quantity and a unit from the list ("500" and grams), or neither
    # when the product is the item itself; the size for items with dimensions (carpets).
    unit_quantity = QuantityField(_l("Quantity"), max_milli=units.MAX_QUANTITY_MILLI)
    # Choices in the page's language (units.code_choices); a code not in the list is
    # refused by validate() with a sentence under the field.
    unit_code = SelectField(_l("Unit"), choices=[], validate_choice=False, default="")
    size = StringField(
        _l("Size (optional)"),
        [Length(max=catalogue.SIZE_MAX)],
        description=_l('The dimensions of the item, for example "150 × 230 cm" or "Ø 30 cm".'),
    )
    weight_grams = int_field(
        _l("Shipping weight (grams)"), 0, catalogue.MAX_WEIGHT_GRAMS, required=False
    )


class ProductForm(SaleFields):
    name_ar = StringField(LANG_LABELS["ar"][0], [Length(max=catalogue.NAME_MAX)])
    description_ar = TextAreaField(
        LANG_LABELS["ar"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    name_fr = StringField(LANG_LABELS["fr"][0], [Length(max=catalogue.NAME_MAX)])
    description_fr = TextAreaField(
        LANG_LABELS["fr"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    name_en = StringField(LANG_LABELS["en"][0], [Length(max=catalogue.NAME_MAX)])
    description_en = TextAreaField(
        LANG_LABELS["en"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    category = SelectField(
        _l("Category"), [DataRequired(message=_l("Choose a category."))], choices=[]
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(ProductStatus.DRAFT.value, _l("Draft (only you see it)")),
            SelectChoice(ProductStatus.ACTIVE.value, _l("Active (for sale)")),
            SelectChoice(ProductStatus.HIDDEN.value, _l("Hidden (not shown to shoppers)")),
        ],
        default=ProductStatus.DRAFT.value,
    )
    images = MultipleFileField(
        _l("Add photos"), render_kw={"accept": IMAGE_ACCEPT, "capture": "environment"}
    )

    # The fields of the product's only variant (catalogue.services writes them there); a
    # product with several variants edits them variant by variant (VariantForm).
    VARIANT_FIELDS = (
        "price",
        "stock",
        "stock_was",
        "unit_quantity",
        "unit_code",
        "size",
        "weight_grams",
    )

    def __init__(self, *args, variant_fields: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_variant_fields = variant_fields
        if not variant_fields:
            for name in self.VARIANT_FIELDS:
                delattr(self, name)
            return
        self.unit_code.choices = unit_choices()

    def set_category_choices(self, choices: list[tuple[str, str]]) -> None:
        self.category.choices = [
            SelectChoice("", _l("Choose a category")),
            *(SelectChoice(value, label) for value, label in choices),
        ]

    def language_fields(self):
        """(code, name field, description field) for each language, in LANGUAGES order."""
        return [(code, self[f"name_{code}"], self[f"description_{code}"]) for code in LANGUAGES]

    def missing_languages(self) -> list[str]:
        return [code for code in LANGUAGES if not (self[f"name_{code}"].data or "").strip()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not any((self[f"name_{code}"].data or "").strip() for code in LANGUAGES):
            self.form_errors.append(_l("Give the product a name in at least one language."))
            for code in LANGUAGES:
                self[f"name_{code}"].errors = [
                    *self[f"name_{code}"].errors,
                    _l("Enter a name in at least one language."),
                ]
            ok = False
        for code in LANGUAGES:
            name, description = self[f"name_{code}"], self[f"description_{code}"]
            if (description.data or "").strip() and not (name.data or "").strip():
                description.errors = [
                    *description.errors,
                    _l("A description needs the product's name in the same language."),
                ]
                ok = False
        if self.has_variant_fields and not unit_ok(self):
            ok = False
        return ok

    def uploaded_images(self) -> list:
        return [f for f in (self.images.data or []) if f and getattr(f, "filename", "")]

    def to_input(self) -> catalogue.ProductInput:
        texts = catalogue.TextsInput(
            names={code: self[f"name_{code}"].data or "" for code in LANGUAGES},
            descriptions={code: self[f"description_{code}"].data or "" for code in LANGUAGES},
        )
        category_id = int(self.category.data) if self.category.data else None
        if not self.has_variant_fields:
            # Several variants: their fields are edited one by one (catalogue.variants).
            return catalogue.ProductInput(
                texts=texts,
                category_id=category_id,
                price_cents=None,
                stock=None,
                status=self.status.data,
            )
        return catalogue.ProductInput(
            texts=texts,
            category_id=category_id,
            price_cents=self.price.data,
            stock=self.stock.data,
            stock_was=self.stock_was.data,
            unit_quantity_milli=self.unit_quantity.data,
            unit_code=self.unit_code.data or None,
            size=self.size.data or "",
            weight_grams=self.weight_grams.data,
            status=self.status.data,
        )

    @classmethod
    def data_from_product(cls, product) -> dict:
        data = {"category": str(product.category_id or ""), "status": product.status}
        if len(product.variants) == 1:
            only = product.variants[0]
            data.update(
                price=only.price_cents,
                stock=only.stock,
                stock_was=only.stock,
                unit_quantity=only.unit_quantity_milli,
                unit_code=only.unit_code or "",
                size=only.size,
                weight_grams=only.weight_grams,
            )
        for translation in product.translations:
            data[f"name_{translation.locale}"] = translation.name
            data[f"description_{translation.locale}"] = catalogue.description_for_editing(
                translation.description
            )
        return data


def unit_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("No unit")),
        *(SelectChoice(code, name) for code, name in units.code_choices(current_lang())),
    ]


def unit_ok(form) -> bool:
    """The quantity and unit of ``form`` make a unit of sale; else a sentence under the unit
    (missing or unknown) or under the quantity."""
    if form.unit_quantity.errors:
        return True  # already refused by the field
    code = form.unit_code.data or None
    problem = units.problem(form.unit_quantity.data, code)
    if problem is None:
        return True
    known = code is not None and code in units.UNITS
    target = form.unit_quantity if known else form.unit_code
    target.errors = [*target.errors, problem]
    return False


class StockForm(FlaskForm):
    """The small quick-stock form on each row of the products list."""

    stock = int_field(_l("Stock"), 0, catalogue.MAX_STOCK)
    was = SeenNumber()  # the stock shown in the list
    back = HiddenField(default="products")


class ImagesForm(FlaskForm):
    """Reordering and removing a product's photos. Each photo has an input named
    ``position-<image id>``; the pressed button sends ``action`` ("order", "up:<id>",
    "down:<id>" or "remove:<id>")."""

    action = StringField()

    def positions(self, formdata) -> dict[int, int]:
        result = {}
        for key, value in formdata.items():
            if not key.startswith("position-"):
                continue
            image_id, position = key.removeprefix("position-"), value.strip()
            image, place = parse_int(image_id), parse_int(position.removeprefix("-"), maximum=99999)
            if image is not None and place is not None:
                result[image] = -place if position.startswith("-") else place
        return result

    def parsed_action(self) -> tuple[str, int | None]:
        verb, _, target = (self.action.data or "order").partition(":")
        image_id = parse_int(target)
        if verb in ("up", "down", "remove") and image_id is not None:
            return verb, image_id
        return "order", None


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

    def language_fields(self):
        return [(code, self[f"name_{code}"], self[f"story_{code}"]) for code in LANGUAGES]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not any((self[f"name_{code}"].data or "").strip() for code in LANGUAGES):
            self.form_errors.append(_l("Give the cooperative's name in at least one language."))
            ok = False
        for code in LANGUAGES:
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
            names={code: self[f"name_{code}"].data or "" for code in LANGUAGES},
            stories={code: self[f"story_{code}"].data or "" for code in LANGUAGES},
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
