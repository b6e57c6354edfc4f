"""Forms of the seller's variant pages (catalogue.seller_views): a variant, the buttons of
its card, and the CSV import with its signed preview. Numbers use the shared fields
(Arabic-Indic digits accepted) through the product form's helpers in cooperatives.forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.catalogue import variants
from marketplace.cooperatives.forms import SaleFields, unit_choices, unit_ok
from marketplace.i18n import LANGUAGES, current_lang


def _strip(value):
    return value.strip() if isinstance(value, str) else value


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
        lang = current_lang()
        codes = sorted(LANGUAGES, key=lambda code: code != lang)
        return [(code, self[f"label_{code}"]) for code in codes]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return unit_ok(self) and ok

    def to_input(self) -> variants.VariantInput:
        return variants.VariantInput(
            sku=self.sku.data or "",
            labels={code: self[f"label_{code}"].data or "" for code in LANGUAGES},
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
