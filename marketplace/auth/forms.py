"""Forms of the `auth` domain (labels and messages translated lazily)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from marketplace.auth.passwords import MAX_LENGTH, password_problem
from marketplace.i18n import LOCALE_NAMES, LOCALES

LOCALE_CHOICES = [
    SelectChoice(code, LOCALE_NAMES[code], render_kw={"lang": code}) for code in LOCALES
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("This e-mail address is too long.")),
            Email(
                message=_l("Please enter a valid e-mail address, for example name@example.ma."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "dir": "ltr"},
    )


def _name_field():
    return StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your name.")),
            Length(max=120, message=_l("Please use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )


def _locale_field():
    return SelectField(
        _l("Preferred language"),
        choices=LOCALE_CHOICES,
        validators=[DataRequired(message=_l("Please choose a language."))],
    )


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[DataRequired(message=_l("Please choose a password."))],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )


class NewPasswordMixin:
    """A new password typed twice, checked against the password policy."""

    password = _new_password_field(_l("New password"))
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Please type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def policy_context(self) -> dict:
        return {}

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", **self.policy_context())
        if problem:
            raise ValidationError(str(problem))


class RegisterForm(NewPasswordMixin, FlaskForm):
    name = _name_field()
    email = _email_field()
    locale = _locale_field()
    password = _new_password_field(_l("Password"))
    submit = SubmitField(_l("Create my account"))

    def policy_context(self) -> dict:
        return {"email": self.email.data or "", "name": self.name.data or ""}


class InvitationRegisterForm(NewPasswordMixin, FlaskForm):
    """Registration from an invitation: the e-mail address is the invited one."""

    name = _name_field()
    locale = _locale_field()
    password = _new_password_field(_l("Password"))
    submit = SubmitField(_l("Create my account and join"))


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Save my new password"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change my password"))


class ProfileForm(FlaskForm):
    name = _name_field()
    locale = _locale_field()
    submit = SubmitField(_l("Save"))


class InviteMemberForm(FlaskForm):
    email = _email_field(_l("E-mail address of the person to invite"))
    locale = SelectField(
        _l("Language of the invitation e-mail"),
        choices=LOCALE_CHOICES,
        validators=[DataRequired(message=_l("Please choose a language."))],
    )
    submit = SubmitField(_l("Send the invitation"))


class ConfirmForm(FlaskForm):
    """A button only (CSRF-protected POST): log out, resend a link, accept, cancel."""

    submit = SubmitField(_l("Confirm"))
