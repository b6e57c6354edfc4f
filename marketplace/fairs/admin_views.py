"""Operator pages of the fairs: creating and editing fairs, deciding stand applications."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import storage
from marketplace.auth.decorators import admin_required
from marketplace.cooperatives.models import province_label
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.fairs import bp, services
from marketplace.fairs.forms import FairForm, StandDecisionForm
from marketplace.fairs.models import STAND_STATUS_LABELS, Fair, StandApplication
from marketplace.http import refuse


def _data(form: FairForm, cover_path: str | None) -> services.FairData:
    return services.FairData(
        names={code: form[f"name_{code}"].data or "" for code in ("ar", "fr", "en")},
        descriptions={code: form[f"description_{code}"].data or "" for code in ("ar", "fr", "en")},
        province=form.province.data,
        city=form.city.data or "",
        venue=form.venue.data or "",
        address=form.address.data or "",
        latitude=(form.latitude.data or "").strip(),
        longitude=(form.longitude.data or "").strip(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        registration_deadline=form.registration_deadline.data,
        max_stands=form.max_stands.data or 0,
        cover_path=cover_path,
    )


def _save_cover(form: FairForm) -> str | None:
    upload = form.cover.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return storage.save_image(upload, kind="cover").name


def _fill(form: FairForm, fair: Fair) -> None:
    for t in fair.translations:
        form[f"name_{t.locale}"].data = t.name
        form[f"description_{t.locale}"].data = t.description
    for name in ("province", "city", "venue", "address", "latitude", "longitude", "starts_on",
                 "ends_on", "registration_deadline", "max_stands"):  # fmt: skip
        form[name].data = getattr(fair, name)


@bp.get("/admin/fairs")
@admin_required
def admin_fairs():
    return render_template(
        "fairs/admin_fairs.html",
        fairs=services.all_fairs(),
        fair_name=services.fair_name,
        province_label=province_label,
        accepted_count=services.accepted_count,
    )


@bp.route("/admin/fairs/new", methods=["GET", "POST"])
@admin_required
def admin_fair_new():
    form = FairForm()
    if form.validate_on_submit():
        try:
            fair = services.create_fair(_data(form, _save_cover(form)), current_user)
        except (DomainError, storage.UploadRejected) as error:
            refuse(error)
        else:
            flash(_("The fair is created."), "success")
            return redirect(url_for("fairs.admin_fair", fair_id=fair.id), code=303)
    return render_template("fairs/admin_fair_form.html", form=form, fair=None), (
        400 if form.is_submitted() else 200
    )


@bp.route("/admin/fairs/<int:fair_id>", methods=["GET", "POST"])
@admin_required
def admin_fair(fair_id: int):
    try:
        fair = services.fair_by_id(fair_id)
    except NotFound:
        abort(404)
    form = FairForm()
    if form.validate_on_submit():
        try:
            services.update_fair(fair, _data(form, _save_cover(form)), current_user)
        except (DomainError, storage.UploadRejected) as error:
            refuse(error)
        else:
            flash(_("The fair is saved."), "success")
            return redirect(url_for("fairs.admin_fair", fair_id=fair.id), code=303)
    elif not form.is_submitted():
        _fill(form, fair)
    return render_template(
        "fairs/admin_fair_form.html",
        form=form,
        fair=fair,
        name=services.fair_name(fair),
        applications=services.applications_of(fair),
        status_labels=STAND_STATUS_LABELS,
        decision_form=StandDecisionForm(formdata=None),
        accepted=services.accepted_count(fair),
    ), (400 if form.is_submitted() else 200)


@bp.post("/admin/fairs/applications/<int:application_id>/decide")
@admin_required
def admin_decide(application_id: int):
    application = db.session.get(StandApplication, application_id)
    if application is None:
        abort(404)
    form = StandDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.decide(application, form.action.data == "accept", form.reason.data or "",
                        current_user)  # fmt: skip
    except DomainError as error:
        refuse(error)
    else:
        flash(_("The decision is recorded; the cooperative has been told by e-mail."), "success")
    return redirect(url_for("fairs.admin_fair", fair_id=application.fair_id), code=303)
