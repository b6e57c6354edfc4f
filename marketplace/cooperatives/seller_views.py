"""The seller dashboard: its home, the cooperative's public profile and shipping settings
(the product pages are the catalogue's: catalogue.seller_views). Everything is scoped to
``current_user.cooperative_id``. Only verified cooperatives may change anything; members of
a pending, rejected or suspended cooperative see the dashboard home with their status."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import signals
from marketplace.auth.decorators import cooperative_member_required, verified_cooperative_required
from marketplace.cooperatives import bp
from marketplace.cooperatives.forms import ProfileForm, ShippingForm
from marketplace.cooperatives.models import status_label
from marketplace.cooperatives.services import (
    reason_label,
    update_cooperative_profile,
    update_shipping_settings,
)
from marketplace.errors import DomainError
from marketplace.http import refuse
from marketplace.i18n import LOCALE_NAMES, pick
from marketplace.storage import image_url


def _has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def _locale_list(codes) -> str:
    return ", ".join(LOCALE_NAMES[code] for code in codes)


def render_dashboard(template: str, http_status: int = 200, **context):
    """Render a dashboard page with the helpers every dashboard template uses (the other
    domains' seller pages use it too: catalogue.seller_views adds the products' helpers)."""

    context.setdefault("can_sell", current_user.cooperative.is_verified)
    html = render_template(
        template,
        image_url=image_url,
        locale_list=_locale_list,
        pick=pick,
        **context,
    )
    return html, http_status


# --- home -----------------------------------------------------------------------------


@bp.get("/dashboard")
@cooperative_member_required
def dashboard():
    cooperative = current_user.cooperative
    # The products and what needs attention are the catalogue's (a higher domain): it
    # answers the signal with the template's context (attention, rows and their helpers).
    products: dict = {"attention": None, "rows": []}
    for _receiver, answer in signals.seller_dashboard_home.send(cooperative):
        products.update(answer or {})
    reason_text = ""
    if not cooperative.is_verified and cooperative.status_reason_code:
        reason_text = reason_label(cooperative.status_reason_code)
    return render_dashboard(
        "cooperatives/dashboard.html",
        cooperative=cooperative,
        picked_name=pick(cooperative.translations),
        status_text=status_label(cooperative.status),
        reason_text=reason_text,
        application_url=url_for("cooperatives.application")
        if _has_endpoint("cooperatives.application")
        else None,
        **products,
    )


# --- cooperative profile and shipping -------------------------------------------------


@bp.route("/dashboard/profile", methods=["GET", "POST"])
@verified_cooperative_required
def profile_edit():
    cooperative = current_user.cooperative
    if request.method == "GET":
        form = ProfileForm(formdata=None, data=ProfileForm.data_from_cooperative(cooperative))
        return _render_profile(form, cooperative)
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            update_cooperative_profile(cooperative, form.to_input())
        except DomainError as error:
            refuse(error, show=False)
            form.form_errors.append(error.message)
            cooperative = current_user.cooperative
        else:
            flash(_("Your cooperative's profile was saved."), "success")
            return redirect(url_for(".profile_edit"))
    return _render_profile(form, cooperative, 400)


def _render_profile(form: ProfileForm, cooperative, status: int = 200):
    public = None
    if _has_endpoint("cooperatives.detail") and cooperative.is_verified:
        public = url_for("cooperatives.detail", slug=cooperative.slug)
    return render_dashboard(
        "cooperatives/profile_form.html",
        status,
        form=form,
        cooperative=cooperative,
        public_cooperative_url=public,
    )


@bp.route("/dashboard/shipping", methods=["GET", "POST"])
@verified_cooperative_required
def shipping_edit():
    cooperative = current_user.cooperative
    if request.method == "GET":
        form = ShippingForm(formdata=None, data=ShippingForm.data_from_cooperative(cooperative))
        return render_dashboard("cooperatives/shipping_form.html", form=form)
    form = ShippingForm()
    if form.validate_on_submit():
        try:
            update_shipping_settings(cooperative, form.to_input())
        except DomainError as error:
            refuse(error, show=False)
            form.form_errors.append(error.message)
        else:
            flash(_("Your shipping settings were saved."), "success")
            return redirect(url_for(".shipping_edit"))
    return render_dashboard("cooperatives/shipping_form.html", 400, form=form)
