"""The cooperative's side of the fairs: applying for a stand, the fair-day hand-over."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import cooperative_member_required, verified_cooperative_required
from marketplace.catalogue.models import Product, ProductStatus
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.fairs import bp, services
from marketplace.fairs.forms import ActionForm, StandApplicationForm
from marketplace.fairs.models import STAND_STATUS_LABELS, StandStatus
from marketplace.http import parse_int, refuse
from marketplace.i18n import current_locale, pick
from marketplace.orders.models import CooperativeOrder


def _products_choices() -> list[tuple[str, str]]:
    products = db.session.scalars(
        select(Product)
        .where(
            Product.cooperative_id == current_user.cooperative_id,
            Product.status == ProductStatus.ACTIVE.value,
        )
        .order_by(Product.id)
    )
    return [(str(p.id), pick(p.translations).name if p.translations else p.slug) for p in products]


@bp.get("/dashboard/fairs")
@cooperative_member_required
def seller_fairs():
    return render_template(
        "fairs/seller_fairs.html",
        fairs=services.upcoming(),
        past=services.past(),
        applications=services.applications_of_cooperative(current_user.cooperative_id),
        fair_name=services.fair_name,
        open_for_applications=services.open_for_applications,
        status_labels=STAND_STATUS_LABELS,
        accepted=StandStatus.ACCEPTED.value,
    )


def _fair_or_404(fair_id: int):
    try:
        return services.fair_by_id(fair_id)
    except NotFound:
        abort(404)


@bp.route("/dashboard/fairs/<int:fair_id>/apply", methods=["GET", "POST"])
@verified_cooperative_required
def seller_apply(fair_id: int):
    fair = _fair_or_404(fair_id)
    form = StandApplicationForm()
    form.products.choices = _products_choices()
    if form.validate_on_submit():
        try:
            services.apply_for_stand(
                current_user.cooperative,
                fair,
                [n for n in (parse_int(v) for v in form.products.data) if n],
                form.note.data or "",
                current_user,
            )
        except DomainError as error:
            refuse(error)
        else:
            flash(_("Your application for a stand has been sent."), "success")
            return redirect(url_for("fairs.seller_fairs"), code=303)
    return render_template(
        "fairs/seller_apply.html",
        fair=fair,
        form=form,
        name=services.fair_name(fair),
        already=services.application_for(fair, current_user.cooperative_id),
        is_open=services.open_for_applications(fair),
    ), (400 if form.is_submitted() else 200)


def _exhibiting(fair):
    application = services.application_for(fair, current_user.cooperative_id)
    if application is None or application.status != StandStatus.ACCEPTED.value:
        abort(404)
    return application


@bp.get("/dashboard/fairs/<int:fair_id>/day")
@verified_cooperative_required
def fair_day(fair_id: int):
    fair = _fair_or_404(fair_id)
    _exhibiting(fair)
    subs = services.fair_orders(fair, current_user.cooperative_id)
    return render_template(
        "fairs/fair_day.html",
        fair=fair,
        name=services.fair_name(fair, current_locale()),
        to_hand_over=[s for s in subs if s.status != "delivered"],
        handed_over=[s for s in subs if s.status == "delivered"],
        form=ActionForm(),
    )


@bp.post("/dashboard/fairs/<int:fair_id>/orders/<int:sub_order_id>/collected")
@verified_cooperative_required
def mark_collected(fair_id: int, sub_order_id: int):
    fair = _fair_or_404(fair_id)
    _exhibiting(fair)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    sub = db.session.get(CooperativeOrder, sub_order_id)
    if sub is None or sub.cooperative_id != current_user.cooperative_id:
        abort(404)
    try:
        services.mark_collected(sub, fair, current_user)
    except NotFound:
        abort(404)
    except DomainError as error:
        refuse(error)
    else:
        flash(_("Order %(number)s handed over.", number=sub.order.number), "success")
    return redirect(url_for("fairs.fair_day", fair_id=fair.id), code=303)
