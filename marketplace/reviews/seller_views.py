"""The cooperative's reviews: every review of its products, with its one public reply."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.decorators import cooperative_member_required
from marketplace.errors import DomainError
from marketplace.http import refuse
from marketplace.reviews import bp, services
from marketplace.reviews.forms import ReplyForm, ReportForm


@bp.get("/dashboard/reviews")
@cooperative_member_required
def seller_reviews():
    return render_template(
        "reviews/seller_reviews.html",
        reviews=services.cooperative_reviews(current_user.cooperative_id),
        reply_form=ReplyForm(),
        report_form=ReportForm(),
        cooperative=current_user.cooperative,
    )


@bp.post("/dashboard/reviews/<int:review_id>/reply")
@cooperative_member_required
def seller_reply(review_id: int):
    review = services.review_for_cooperative(review_id, current_user.cooperative_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash(_("Write your reply."), "error")
        return redirect(url_for("reviews.seller_reviews"))
    try:
        services.reply(review, current_user, form.body.data)
    except DomainError as error:
        refuse(error)
    else:
        flash(_("Your reply is published under the review."), "success")
    return redirect(url_for("reviews.seller_reviews"))
