"""Shopper pages of reviews: products waiting for a review, writing or changing one,
reporting one, and the pages of a product's reviews after the first."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from marketplace.catalogue import queries
from marketplace.errors import DomainError, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.http import next_url, parse_int, refuse
from marketplace.i18n import current_locale
from marketplace.reviews import bp, services
from marketplace.reviews.forms import ReportForm, ReviewForm
from marketplace.reviews.models import Review

PER_PAGE = 10


@bp.get("/reviews")
@login_required
def mine():
    return render_template(
        "reviews/mine.html",
        items=services.awaiting_review(current_user),
        can_edit=services.can_edit,
    )


@bp.route("/reviews/write/<int:sub_order_id>/<int:product_id>", methods=["GET", "POST"])
@login_required
def write(sub_order_id: int, product_id: int):
    sub, review = services.review_target(current_user, sub_order_id, product_id)
    if review is not None and not services.can_edit(review):
        flash(_("A review can be changed during 30 days only."), "error")
        return redirect(url_for("reviews.mine"))
    form = ReviewForm(obj=None)
    if review is not None:
        form.remove_photos.choices = [SelectChoice(str(p.id), str(p.id)) for p in review.photos]
        if not form.is_submitted():
            form.rating.data, form.body.data = str(review.rating), review.body
    line = next(line for line in sub.lines if line.product_id == product_id)
    if form.validate_on_submit():
        data = services.ReviewData(
            rating=parse_int(form.rating.data) or 0,
            body=form.body.data or "",
            locale=current_locale(),
            photos=list(form.photos.data or []),
            remove_photo_ids=[parse_int(v) or 0 for v in form.remove_photos.data or []],
        )
        try:
            saved = services.save_review(current_user, sub.id, product_id, data)
        except DomainError as error:
            refuse(error)
        else:
            flash(_("Thank you! Your review is published."), "success")
            product = saved.product
            if product is not None and product.status == "active":
                return redirect(url_for("storefront.product", slug=product.slug) + "#reviews")
            return redirect(url_for("reviews.mine"))
    return render_template("reviews/write.html", form=form, sub=sub, line=line, review=review)


@bp.post("/reviews/<int:review_id>/report")
@login_required
def report(review_id: int):
    review = db.session.get(Review, review_id)
    if review is None or not review.visible:
        abort(404)
    if current_user.is_admin or (
        current_user.cooperative_id and current_user.cooperative_id != review.cooperative_id
    ):
        abort(403)
    form = ReportForm()
    back = next_url(url_for("reviews.mine"))
    if not form.validate_on_submit():
        flash(_("Say what is wrong with this review."), "error")
        return redirect(back)
    try:
        services.report(review, current_user, form.reason.data)
    except DomainError as error:
        refuse(error)
    else:
        flash(_("Thank you: an administrator will look at this review."), "success")
    return redirect(back)


@bp.get("/products/<slug>/reviews")
def product_reviews(slug: str):
    product = queries.visible_product_by_slug(slug)
    if product is None:
        raise NotFound(_l("This product does not exist or is no longer for sale."))
    after = request.args.get("after") or None
    try:
        page = services.product_reviews(
            product.id, current_locale(), per_page=PER_PAGE, after=after
        )
    except services.BadCursor as exc:
        raise InvalidInput(
            _l("This link is not valid. Please start again from the first page.")
        ) from exc
    if after and not page.reviews:
        raise NotFound(_l("This page of results does not exist."))
    return render_template(
        "reviews/product_reviews.html",
        product=product,
        page=page,
        distribution=services.distribution(product.id),
        report_form=ReportForm(),
    )
