"""Operator pages: the labels and the certificates (waiting, expiring soon, decisions)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import timeutil
from marketplace.auth.decorators import admin_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.http import refuse
from marketplace.i18n import LOCALES
from marketplace.labels import bp, services
from marketplace.labels.forms import ActionForm, CertificateDecisionForm, LabelForm
from marketplace.labels.models import Certificate, Label


@bp.get("/admin/labels")
@admin_required
def admin_labels():
    return render_template("labels/admin_labels.html", labels=services.all_labels())


def _label_data(form: LabelForm) -> services.LabelData:
    return services.LabelData(
        slug=form.slug.data.strip(),
        kind=form.kind.data,
        issuing_body=form.issuing_body.data or "",
        names={code: form[f"name_{code}"].data or "" for code in LOCALES},
        descriptions={code: form[f"description_{code}"].data or "" for code in LOCALES},
        position=form.position.data or 0,
    )


def _save(label: Label | None, form: LabelForm):
    logo = form.logo.data if getattr(form.logo.data, "filename", "") else None
    try:
        saved = services.save_label(label, _label_data(form), current_user, logo)
    except DomainError as error:
        refuse(error)
        return None
    flash(_("The label is saved."), "success")
    return redirect(url_for("labels.admin_label_edit", label_id=saved.id))


@bp.route("/admin/labels/new", methods=["GET", "POST"])
@admin_required
def admin_label_new():
    form = LabelForm()
    if form.validate_on_submit() and (done := _save(None, form)):
        return done
    return render_template("labels/admin_label_form.html", form=form, label=None)


@bp.route("/admin/labels/<int:label_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_label_edit(label_id: int):
    label = db.session.get(Label, label_id)
    if label is None:
        raise NotFound()
    form = LabelForm(obj=label)
    if not form.is_submitted():
        for t in label.translations:
            if t.locale in LOCALES:
                form[f"name_{t.locale}"].data = t.name
                form[f"description_{t.locale}"].data = t.description
    if form.validate_on_submit() and (done := _save(label, form)):
        return done
    return render_template(
        "labels/admin_label_form.html", form=form, label=label, delete_form=ActionForm()
    )


@bp.post("/admin/labels/<int:label_id>/delete")
@admin_required
def admin_label_delete(label_id: int):
    label = db.session.get(Label, label_id)
    if label is None:
        raise NotFound()
    if not ActionForm().validate_on_submit():
        return redirect(url_for("labels.admin_label_edit", label_id=label_id))
    try:
        services.delete_label(label, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("labels.admin_label_edit", label_id=label_id))
    flash(_("The label is deleted."), "success")
    return redirect(url_for("labels.admin_labels"))


@bp.get("/admin/certificates")
@admin_required
def admin_certificates():
    day = timeutil.today()
    pending, expiring = services.admin_queue(day)
    return render_template(
        "labels/admin_certificates.html", pending=pending, expiring=expiring, today=day
    )


def _certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound()
    return certificate


@bp.get("/admin/certificates/<int:certificate_id>")
@admin_required
def admin_certificate(certificate_id: int):
    return render_template(
        "labels/admin_certificate.html",
        certificate=_certificate(certificate_id),
        form=CertificateDecisionForm(),
        today=timeutil.today(),
    )


@bp.post("/admin/certificates/<int:certificate_id>/decide")
@admin_required
def admin_certificate_decide(certificate_id: int):
    certificate = _certificate(certificate_id)
    form = CertificateDecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve or reject."), "error")
        return redirect(url_for("labels.admin_certificate", certificate_id=certificate.id))
    try:
        services.decide_certificate(certificate, current_user, form.action.data, form.reason.data)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("labels.admin_certificate", certificate_id=certificate_id))
    flash(_("The decision is recorded; the cooperative has been told by e-mail."), "success")
    return redirect(url_for("labels.admin_certificates"))
