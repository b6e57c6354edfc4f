"""Forms of the notification settings: the phone number, its code, the channels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.notify.models import Channel
from marketplace.notify.services import CHANNEL_LABELS, KIND_LABELS


class PhoneForm(FlaskForm):
    number = StringField(
        _l("Mobile number"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "dir": "ltr"},
    )
    channel = RadioField(
        _l("Send the code by"),
        choices=[
            SelectChoice(Channel.WHATSAPP.value, _l("WhatsApp")),
            SelectChoice(Channel.SMS.value, _l("SMS")),
        ],
        default=Channel.WHATSAPP.value,
        validators=[DataRequired()],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "dir": "ltr",
        },
    )


class ChannelsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


def preferences_form(kinds, phone_verified: bool, data: dict | None = None, **kwargs):
    """A form with one group of channel checkboxes per kind of notice."""
    channels = [Channel.EMAIL]
    if phone_verified:
        channels += [Channel.SMS, Channel.WHATSAPP]

    class PreferencesForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(
            PreferencesForm,
            f"kind_{kind.value}",
            ChannelsField(
                KIND_LABELS[kind],
                choices=[SelectChoice(c.value, CHANNEL_LABELS[c]) for c in channels],
                validate_choice=True,
            ),
        )
    return PreferencesForm(data=data, **kwargs)
