"""Forms of the cart, the checkout and the order pages."""

from __future__ import annotations

import re

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace.cooperatives.validators import normalize_phone
from marketplace.http import ascii_digits
from marketplace.orders.checkout import HOME_COUNTRY
from marketplace.orders.names import payment_method_label

_INTERNATIONAL = re.compile(r"\+?[0-9]{8,15}")
_SEPARATORS = re.compile(r"[\s.\-/()\u200e\u200f\u202a-\u202e]+")


def normalize_international_phone(value: str) -> str | None:
    """+<country code><number>, 8 to 15 digits (E.164), or None."""
    text = _SEPARATORS.sub("", ascii_digits(value or "").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") or not _INTERNATIONAL.fullmatch(text):
        return None
    return text


def country_choices(codes, locale: str) -> list[tuple[str, str]]:
    territories = Locale.parse(locale).territories
    choices = [(code, territories.get(code, code)) for code in codes]
    home = [c for c in choices if c[0] == HOME_COUNTRY]
    others = sorted((c for c in choices if c[0] != HOME_COUNTRY), key=lambda c: c[1])
    return home + others


class AddToCartForm(FlaskForm):
    # Raw strings: the service parses them and explains what is wrong. ``variant_id`` is the
    # size or pack chosen (the product page's radio inputs); absent: the default variant.
    product_id = HiddenField()
    variant_id = HiddenField()
    quantity = StringField(_l("Quantity"), default="1")


class CartLineForm(FlaskForm):
    # The line's variant; ``product_id`` names it in a form of before variants.
    variant_id = HiddenField()
    product_id = HiddenField()
    quantity = StringField(_l("Quantity"))
    action = HiddenField(default="update")


class CheckoutForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    contact_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(
        _l("Phone"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("For the delivery, e.g. 06 12 34 56 78."),
    )
    address_line1 = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    address_line2 = StringField(_l("Address (continued)"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    region = StringField(_l("Province or region"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    country = SelectField(_l("Country"), default=HOME_COUNTRY, validate_choice=True)
    payment_method = RadioField(_l("Payment"), validators=[DataRequired()])
    # "ship", or "fair-<id>": collected at a fair (choices from services.pickup_options)
    delivery = RadioField(_l("Delivery"), default="ship", validate_choice=False)
    save_address = BooleanField(_l("Remember this address for my next orders"), default=True)

    def set_choices(self, countries, methods, locale: str) -> None:
        self.country.choices = country_choices(countries, locale)
        self.payment_method.choices = [(m, payment_method_label(m)) for m in methods]
        if len(methods) == 1 and not self.payment_method.data:
            self.payment_method.data = methods[0]
        if not self.country.data:
            self.country.data = HOME_COUNTRY

    def validate_country(self, field) -> None:
        if field.data not in {code for code, _ in field.choices or []}:
            raise ValidationError(_l("The cooperatives in your cart do not ship to this country."))

    def validate_payment_method(self, field) -> None:
        if field.data not in {code for code, _ in field.choices or []}:
            raise ValidationError(_l("Please choose a payment method."))

    def validate_phone(self, field) -> None:
        if self.country.data == HOME_COUNTRY:
            normalized = normalize_phone(field.data)
            message = _l(
                "Enter a Moroccan phone number, for example 06 12 34 56 78 or +212 6 12 34 56 78."
            )
        else:
            normalized = normalize_phone(field.data) or normalize_international_phone(field.data)
            message = _l("Enter the phone number with its country code, e.g. +33 6 12 34 56 78.")
        if normalized is None:
            raise ValidationError(message)
        field.data = normalized


class ConfirmOrderForm(FlaskForm):
    token = HiddenField()
    fingerprint = HiddenField()


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class ShipForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=80)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=80)])


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"),
        validators=[
            DataRequired(message=_l("Please give the reason for the cancellation.")),
            Length(max=1000),
        ],
    )


class ShopperCancelForm(FlaskForm):
    sub_order_id = HiddenField()
