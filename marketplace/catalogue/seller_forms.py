"""Forms of the seller's product pages (catalogue.seller_views): a product, its quick stock,
its photos; and of its variant pages: a variant, the buttons of its card, and the CSV import
with its signed preview. Numbers use the shared fields (Arabic-Indic digits accepted)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.catalogue import services as catalogue
from marketplace.catalogue import units, variants
from marketplace.catalogue.models import ProductStatus
from marketplace.http import parse_int
from marketplace.i18n import LOCALES, current_locale
from marketplace.number_fields import MoneyField as _MoneyField
from marketplace.number_fields import QuantityField, WholeNumberField

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# --- products ---------------------------------------------------------------------------


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


LOCALE_LABELS = {
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
    name_ar = StringField(LOCALE_LABELS["ar"][0], [Length(max=catalogue.NAME_MAX)])
    description_ar = TextAreaField(
        LOCALE_LABELS["ar"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    name_fr = StringField(LOCALE_LABELS["fr"][0], [Length(max=catalogue.NAME_MAX)])
    description_fr = TextAreaField(
        LOCALE_LABELS["fr"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
    )
    name_en = StringField(LOCALE_LABELS["en"][0], [Length(max=catalogue.NAME_MAX)])
    description_en = TextAreaField(
        LOCALE_LABELS["en"][1], [Length(max=catalogue.DESCRIPTION_MAX)], render_kw={"rows": 6}
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

    def locale_fields(self):
        """(code, name field, description field) for each language, in LOCALES order."""
        return [(code, self[f"name_{code}"], self[f"description_{code}"]) for code in LOCALES]

    def missing_locales(self) -> list[str]:
        return [code for code in LOCALES if not (self[f"name_{code}"].data or "").strip()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not any((self[f"name_{code}"].data or "").strip() for code in LOCALES):
            self.form_errors.append(_l("Give the product a name in at least one language."))
            for code in LOCALES:
                self[f"name_{code}"].errors = [
                    *self[f"name_{code}"].errors,
                    _l("Enter a name in at least one language."),
                ]
            ok = False
        for code in LOCALES:
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
            names={code: self[f"name_{code}"].data or "" for code in LOCALES},
            descriptions={code: self[f"description_{code}"].data or "" for code in LOCALES},
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
        *(SelectChoice(code, name) for code, name in units.code_choices(current_locale())),
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


# --- variants ---------------------------------------------------------------------------

OPTION_LABELS = {
    "ar": _l("Option name in Arabic"),
    "fr": _l("Option name in French"),
    "en": _l("Option name in English"),
}


class VariantForm(SaleFields):
    """A variant of a product: its SKU, option name per language, price, stock, unit of
    sale, size and shipping weight (catalogue.variants.VariantInput)."""

    sku = StringField(
        _l("SKU (your reference)"),
        [DataRequired(message=_l("Enter a SKU.")), Length(max=variants.SKU_MAX)],
        filters=[_strip],
        render_kw={"dir": "ltr", "autocomplete": "off", "autocapitalize": "characters"},
        description=_l("Unique in your cooperative, for example DATES-500G."),
    )
    label_ar = StringField(OPTION_LABELS["ar"], [Length(max=variants.LABEL_MAX)])
    label_fr = StringField(OPTION_LABELS["fr"], [Length(max=variants.LABEL_MAX)])
    label_en = StringField(OPTION_LABELS["en"], [Length(max=variants.LABEL_MAX)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_code.choices = unit_choices()

    def label_fields(self):
        """(code, field) of each option name, the page's language first."""
        locale = current_locale()
        codes = sorted(LOCALES, key=lambda code: code != locale)
        return [(code, self[f"label_{code}"]) for code in codes]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return unit_ok(self) and ok

    def to_input(self) -> variants.VariantInput:
        return variants.VariantInput(
            sku=self.sku.data or "",
            labels={code: self[f"label_{code}"].data or "" for code in LOCALES},
            price_cents=self.price.data,
            stock=self.stock.data,
            unit_quantity_milli=self.unit_quantity.data,
            unit_code=self.unit_code.data or None,
            size=self.size.data or "",
            weight_grams=self.weight_grams.data,
        )

    @classmethod
    def data_from_variant(cls, variant) -> dict:
        data = {
            "sku": variant.sku,
            "price": variant.price_cents,
            "stock": variant.stock,
            "stock_was": variant.stock,
            "unit_quantity": variant.unit_quantity_milli,
            "unit_code": variant.unit_code or "",
            "size": variant.size,
            "weight_grams": variant.weight_grams,
        }
        for code, text in (variant.labels or {}).items():
            data[f"label_{code}"] = text
        return data

    @classmethod
    def data_for_new(cls, product) -> dict:
        """A new variant starts from the product's last one (unit, weight), SKU empty."""
        last = product.variants[-1] if product.variants else None
        if last is None:
            return {}
        return {
            "price": last.price_cents,
            "unit_code": last.unit_code or "",
            "weight_grams": last.weight_grams,
        }


class VariantActionForm(FlaskForm):
    """The buttons of a variant's card: ``action`` is "up", "down", "deactivate" or
    "activate". (A variant is never deleted: orders and carts refer to it; one no longer
    sold is deactivated.)"""

    action = HiddenField()

    ACTIONS = ("up", "down", "deactivate", "activate")

    def validate_action(self, field) -> None:
        if field.data not in self.ACTIONS:
            raise ValidationError(_l("Unknown action."))


class VariantsImportForm(FlaskForm):
    """A CSV file of variants (sku, price, stock) to preview."""

    file = FileField(
        _l("CSV file"),
        render_kw={"accept": ".csv,text/csv,text/plain"},
    )


class VariantsApplyForm(FlaskForm):
    """The previewed changes, signed (catalogue.variant_csv.sign)."""

    token = HiddenField()
