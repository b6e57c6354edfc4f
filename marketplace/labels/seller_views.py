"""The cooperative's certificates: the list with their status and expiry, and a new one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from marketplace import timeutil
from marketplace.auth.decorators import cooperative_member_required, verified_cooperative_required
from marketplace.catalogue.models import Product
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.http import parse_int, refuse
from marketplace.i18n import current_locale, pick
from marketplace.labels import bp, services
from marketplace.labels.forms import CertificateForm


@bp.get("/dashboard/certificates")
@cooperative_member_required
def seller_certificates():
    return render_template(
        "labels/seller_certificates.html",
        certificates=services.cooperative_certificates(current_user.cooperative_id),
        today=timeutil.today(),
    )


def _product_choices() -> list[tuple[str, str]]:
    locale = current_locale()
    products = db.session.scalars(
        select(Product)
        .where(Product.cooperative_id == current_user.cooperative_id)
        .order_by(Product.id)
    )
    return [(str(p.id), pick(p.translations, locale).name or p.slug) for p in products]


@bp.route("/dashboard/certificates/new", methods=["GET", "POST"])
@verified_cooperative_required
def seller_certificate_new():
    form = CertificateForm()
    form.label.choices = [SelectChoice(v, t) for v, t in services.label_choices(current_locale())]
    form.products.choices = [SelectChoice(v, t) for v, t in _product_choices()]
    if form.validate_on_submit():
        data = services.CertificateData(
            label_id=parse_int(form.label.data) or 0,
            number=form.number.data,
            issuing_body=form.issuing_body.data or "",
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
            for_cooperative=bool(form.for_cooperative.data),
            product_ids=[parse_int(v) or 0 for v in form.products.data or []],
        )
        try:
            services.submit_certificate(
                current_user.cooperative, current_user, data, form.document.data
            )
        except DomainError as error:
            refuse(error)
        else:
            flash(_("Your certificate was sent; an administrator will verify it."), "success")
            return redirect(url_for("labels.seller_certificates"))
    return render_template("labels/seller_certificate_form.html", form=form)
