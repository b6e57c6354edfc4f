"""Forms of the seller dashboard (products, quick stock, images, profile, shipping)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.catalogue import services as catalogue
from marketplace.catalogue import units
from marketplace.catalogue.models import ProductStatus
from marketplace.cooperatives import services as cooperatives
from marketplace.http import parse_int
from marketplace.i18n import LANGUAGES, current_lang
from marketplace.number_fields import MoneyField as _MoneyField
from marketplace.number_fields import QuantityField, WholeNumberField, format_amount

__all__ = ["MoneyField", "format_amount"]

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


def _int_field(label, minimum, maximum, required=True, **kw):
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


class ProductForm(FlaskForm):
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
    price = MoneyField(_l("Price (MAD)"), [InputRequired(message=_l("Enter the price."))])
    stock = _int_field(_l("Stock (units available)"), 0, catalogue.MAX_STOCK)
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
    weight_grams = _int_field(
        _l("Shipping weight (grams)"), 0, catalogue.MAX_WEIGHT_GRAMS, required=False
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_code.choices = [
            SelectChoice("", _l("No unit")),
            *(SelectChoice(code, name) for code, name in units.code_choices(current_lang())),
        ]

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
        if not self.unit_quantity.errors:
            code = self.unit_code.data or None
            problem = units.problem(self.unit_quantity.data, code)
            if problem is not None:
                # Under the unit when it is missing or unknown, else under the quantity.
                known = code is not None and code in units.UNITS
                target = self.unit_quantity if known else self.unit_code
                target.errors = [*target.errors, problem]
                ok = False
        return ok

    def uploaded_images(self) -> list:
        return [f for f in (self.images.data or []) if f and getattr(f, "filename", "")]

    def to_input(self) -> catalogue.ProductInput:
        return catalogue.ProductInput(
            texts=catalogue.TextsInput(
                names={code: self[f"name_{code}"].data or "" for code in LANGUAGES},
                descriptions={code: self[f"description_{code}"].data or "" for code in LANGUAGES},
            ),
            category_id=int(self.category.data) if self.category.data else None,
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
        data = {
            "category": str(product.category_id or ""),
            "price": product.price_cents,
            "stock": product.stock,
            "stock_was": product.stock,
            "unit_quantity": product.unit_quantity_milli,
            "unit_code": product.unit_code or "",
            "size": product.size,
            "weight_grams": product.weight_grams,
            "status": product.status,
        }
        for translation in product.translations:
            data[f"name_{translation.locale}"] = translation.name
            data[f"description_{translation.locale}"] = catalogue.description_for_editing(
                translation.description
            )
        return data


class StockForm(FlaskForm):
    """The small quick-stock form on each row of the products list."""

    stock = _int_field(_l("Stock"), 0, catalogue.MAX_STOCK)
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
