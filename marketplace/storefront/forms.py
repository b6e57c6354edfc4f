"""The product grid's filter form (GET, no CSRF: it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import Select, html_params

from marketplace.catalogue.queries import DEFAULT_SORT
from marketplace.money import to_cents

MAX_FILTER_PRICE_CENTS = 100_000_000  # 1 000 000 MAD

SORT_LABELS = {
    "newest": _l("Newest first"),
    "price_asc": _l("Price: low to high"),
    "price_desc": _l("Price: high to low"),
    "name": _l("Name (A–Z)"),
}


def _price(form, field) -> None:
    field.cents = None
    raw = (field.data or "").strip()
    if not raw:
        return
    try:
        cents = to_cents(raw)
    except ValueError as exc:
        raise ValidationError(_l("Enter an amount in dirhams, for example 120 or 99.50.")) from exc
    if cents > MAX_FILTER_PRICE_CENTS:
        raise ValidationError(_l("Enter an amount in dirhams, for example 120 or 99.50."))
    field.cents = cents


class ListSelect(Select):
    """A select of a long list (500 cooperatives): the options are rendered once per list
    (and language) and reused; only the chosen one is marked per request. WTForms' own widget
    spent a third of the catalogue page's time building those options."""

    rendered: dict[tuple, str] = {}
    MAX_LISTS = 64

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        pairs = tuple((str(choice.value), str(choice.label)) for choice in field.choices)
        options = self.rendered.get(pairs)
        if options is None:
            options = "".join(
                f'<option value="{escape(value)}">{escape(label)}</option>'
                for value, label in pairs
            )
            if len(self.rendered) >= self.MAX_LISTS:
                self.rendered.clear()
            self.rendered[pairs] = options
        if field.data not in (None, ""):
            plain = f'<option value="{escape(field.data)}">'
            options = options.replace(plain, f"{plain[:-1]} selected>", 1)
        html = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(html)  # noqa: S704  # nosec B704 - every value and label escaped above


class FilterForm(Form):
    category = SelectField(_l("Category"), choices=[], validate_choice=False, widget=ListSelect())
    province = SelectField(_l("Province"), choices=[], validate_choice=False, widget=ListSelect())
    cooperative = SelectField(
        _l("Cooperative"), choices=[], validate_choice=False, widget=ListSelect()
    )
    price_min = StringField(
        _l("Minimum price (MAD)"), validators=[Optional(), Length(max=20), _price]
    )
    price_max = StringField(
        _l("Maximum price (MAD)"), validators=[Optional(), Length(max=20), _price]
    )
    in_stock = BooleanField(_l("In stock only"))
    label = SelectField(_l("Label"), choices=[], validate_choice=False, widget=ListSelect())
    sort = SelectField(
        _l("Sort by"),
        choices=[SelectChoice(key, label) for key, label in SORT_LABELS.items()],
        default=DEFAULT_SORT,
        validate_choice=False,
    )

    def set_choices(self, categories, provinces, cooperatives, labels=()) -> None:
        def choices(everything, pairs):
            return [SelectChoice("", everything), *(SelectChoice(v, label) for v, label in pairs)]

        self.category.choices = choices(_l("All categories"), categories)
        self.province.choices = choices(_l("All provinces"), provinces)
        self.cooperative.choices = choices(_l("All cooperatives"), cooperatives)
        self.label.choices = choices(_l("All labels"), labels)

    def validate(self, extra_validators=None) -> bool:
        self.price_min.cents = self.price_max.cents = None
        valid = super().validate(extra_validators)
        for field in (self.category, self.province, self.cooperative, self.label):
            allowed = {choice.value for choice in field.choices}
            if field.data and field.data not in allowed:
                field.errors = [*field.errors, _l("This choice is not available.")]
                valid = False
        if self.sort.data not in SORT_LABELS:  # unknown sort key: the default order
            self.sort.data = DEFAULT_SORT
        low, high = self.price_min.cents, self.price_max.cents
        if low is not None and high is not None and low > high:
            self.price_max.errors = [
                *self.price_max.errors,
                _l("The maximum price must not be lower than the minimum price."),
            ]
            self.price_min.cents = self.price_max.cents = None
            valid = False
        return valid

    def clean_value(self, name: str) -> str:
        """The field's value when valid, else empty (an invalid filter is not applied)."""
        field = self[name]
        return "" if field.errors else (field.data or "")
