"""Forms of the `payments` domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.money import to_cents


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button that changes something (only the CSRF token)."""


class RefundForm(FlaskForm):
    amount = StringField(
        _l("Amount to refund (MAD)"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Please enter the amount to refund."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please give the reason for the refund.")),
            Length(max=1000, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    goods_returned = BooleanField(_l("The goods came back: return them to stock"))
    shipping_only = BooleanField(_l("Shipping costs only (they carry no commission)"))

    def validate_amount(self, field) -> None:
        try:
            cents = to_cents(field.data or "")
        except ValueError as exc:
            raise ValidationError(
                _l("Please enter an amount in dirhams, for example 120 or 120.50.")
            ) from exc
        if cents <= 0:
            raise ValidationError(_l("The amount to refund must be more than zero."))
        if cents > 100_000_000:
            raise ValidationError(_l("This amount is too large."))
        self.amount_cents = cents


class MarkPaidForm(FlaskForm):
    reference = StringField(
        _l("Bank transfer reference"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please give the reference of the bank transfer.")),
            Length(max=120, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class RefusedDeliveryForm(FlaskForm):
    reason = StringField(
        _l("What happened (optional)"),
        filters=[_strip],
        validators=[Length(max=500, message=_l("Please use at most %(max)d characters."))],
    )
