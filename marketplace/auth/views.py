"""Public routes of the `auth` domain (the members pages are in seller_views.py): form →
service → one commit → flash/redirect/render."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace import transaction
from marketplace.auth import bp, services
from marketplace.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    InvitationRegisterForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from marketplace.errors import DomainError
from marketplace.extensions import limiter
from marketplace.http import refuse, safe_redirect_target
from marketplace.i18n import current_locale

DEFAULT_AUTH_LIMIT = "10 per minute;50 per hour"
DEFAULT_RESET_EMAIL_LIMIT = "5 per hour"


def _auth_limit() -> str:
    return current_app.config.get("AUTH_RATE_LIMIT", DEFAULT_AUTH_LIMIT)


def _reset_email_limit() -> str:
    return current_app.config.get("RESET_EMAIL_RATE_LIMIT", DEFAULT_RESET_EMAIL_LIMIT)


def _email_key() -> str:
    return "email:" + services.normalize_email(request.form.get("email", ""))[:254]


# --- helpers ------------------------------------------------------------------------------


def _home_for(user) -> str:
    return url_for("storefront.home", locale=user.locale or current_locale())


# --- registration and verification --------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = current_locale()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.name.data, form.email.data, form.password.data, form.locale.data
            )
        except DomainError as error:
            refuse(error, form)
        else:
            login_user(user)
            flash(
                _(
                    "Welcome, %(name)s! We sent you an e-mail: open the link in it to confirm "
                    "your address.",
                    name=user.name,
                ),
                "success",
            )
            return redirect(
                safe_redirect_target(request.args.get("next"))
                or url_for("auth.account", locale=user.locale)
            )
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user = services.verify_email(token)
    except DomainError as error:
        return render_template("auth/link_invalid.html", message=error.message), 400
    flash(_("Thank you, your e-mail address %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login"))


@bp.post("/verify/resend")
@login_required
@limiter.limit(_auth_limit)
def resend_verification():
    form = ConfirmForm()
    if form.validate_on_submit() and not current_user.email_verified:
        services.send_verification(current_user)
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("auth.account"))


# --- logging in and out -------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    next_url = safe_redirect_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("auth.account"))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            refuse(error)
            status = error.status_code
            if "retry_after" in error.details:
                headers["Retry-After"] = str(error.details["retry_after"])
        else:
            if user is not None:
                login_user(user)
                return redirect(next_url or _home_for(user))
            transaction.keep_changes()  # the failure counts towards the address's limit
            # Same answer whether the address is known or not.
            flash(_("The e-mail address or the password is not correct."), "error")
            status = 401
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form, next_url=next_url), status, headers


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("storefront.home"))
    if current_user.is_authenticated:
        services.log_out(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("storefront.home"))


# --- passwords ----------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
@limiter.limit(_reset_email_limit, key_func=_email_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, current_locale())
        # The same answer for known and unknown addresses.
        return render_template("auth/forgot_password_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as error:
        return render_template("auth/link_invalid.html", message=error.message, reset=True), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except DomainError as error:
            refuse(error, form)
        else:
            login_user(user)
            flash(_("Your new password is saved. You are logged in."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/reset_password.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except DomainError as error:
            refuse(error, form)
        else:
            login_user(user)  # this session goes on with the new session version
            flash(
                _("Your password is changed. Every other session has been logged out."),
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200


# --- account ------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.name.data, form.locale.data)
        except DomainError as error:
            refuse(error, form)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.account", locale=current_user.locale))
    return render_template("auth/account.html", form=form), 400 if form.errors else 200


# --- accepting an invitation -------------------------------------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)  # InvitationUnavailable → translated 404
    has_account = services.user_by_email(invitation.email) is not None
    if current_user.is_authenticated:
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                services.accept_invitation(invitation, current_user._get_current_object())
            except DomainError as error:
                refuse(error)
                return render_template(
                    "auth/invitation.html", invitation=invitation, form=form, refused=True
                ), 400
            flash(_("Welcome! You are now a member of the cooperative."), "success")
            return redirect(url_for("cooperatives.dashboard"))
        return render_template("auth/invitation.html", invitation=invitation, form=form)
    form = InvitationRegisterForm()
    if request.method == "GET":
        form.locale.data = invitation.locale
    if not has_account and form.validate_on_submit():
        try:
            user = services.register_from_invitation(
                invitation, form.name.data, form.password.data, form.locale.data
            )
        except DomainError as error:
            refuse(error, form)
        else:
            login_user(user)
            flash(_("Welcome! You are now a member of the cooperative."), "success")
            return redirect(url_for("cooperatives.dashboard", locale=user.locale))
    return render_template(
        "auth/invitation.html", invitation=invitation, form=form, has_account=has_account
    ), 400 if form.errors else 200
