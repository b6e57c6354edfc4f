"""Forms of reviews: writing one, the cooperative's reply, a report, the admin's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from marketplace.reviews.services import MAX_BODY, MAX_REASON, MAX_REPLY, MODERATION

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
RATING_CHOICES = [
    SelectChoice("5", _l("5 stars: excellent")),
    SelectChoice("4", _l("4 stars: good")),
    SelectChoice("3", _l("3 stars: fair")),
    SelectChoice("2", _l("2 stars: poor")),
    SelectChoice("1", _l("1 star: very poor")),
]


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Your rating"), choices=RATING_CHOICES, validators=[DataRequired()])
    body = TextAreaField(
        _l("Your review (optional)"),
        validators=[Optional(), Length(max=MAX_BODY)],
        render_kw={"rows": 5, "dir": "auto", "maxlength": MAX_BODY},
    )
    photos = MultipleFileField(_l("Photos (optional, up to 3)"), render_kw={"accept": IMAGE_ACCEPT})
    remove_photos = SelectMultipleField(
        _l("Remove these photos"), choices=[], validate_choice=False
    )


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your public reply"),
        validators=[DataRequired(), Length(max=MAX_REPLY)],
        render_kw={"rows": 3, "dir": "auto", "maxlength": MAX_REPLY},
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with this review?"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        render_kw={"rows": 2, "dir": "auto", "maxlength": MAX_REASON},
    )


class ModerationForm(FlaskForm):
    action = HiddenField(validators=[DataRequired(), AnyOf(list(MODERATION))])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        render_kw={"rows": 2, "dir": "auto"},
    )
