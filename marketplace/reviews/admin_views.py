"""Operator page of reviews: reported ones and hidden ones, hidden or restored with a reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.decorators import admin_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.http import refuse
from marketplace.reviews import bp, services
from marketplace.reviews.forms import ModerationForm
from marketplace.reviews.models import Review


@bp.get("/admin/reviews")
@admin_required
def admin_reviews():
    reported, hidden = services.moderation_queue()
    return render_template(
        "reviews/admin_reviews.html", reported=reported, hidden=hidden, form=ModerationForm()
    )


@bp.post("/admin/reviews/<int:review_id>/moderate")
@admin_required
def admin_moderate(review_id: int):
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound()
    form = ModerationForm()
    if not form.validate_on_submit():
        flash(_("Say why."), "error")
        return redirect(url_for("reviews.admin_reviews"))
    try:
        services.moderate(review, current_user, form.action.data, form.reason.data)
    except DomainError as error:
        refuse(error)
    else:
        flash(_("The review's status is changed."), "success")
    return redirect(url_for("reviews.admin_reviews"))
