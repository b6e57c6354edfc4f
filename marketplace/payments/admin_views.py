"""Admin pages of the `payments` domain: payments to review, refunds, payout batches."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.auth.decorators import admin_required
from marketplace.cooperatives.validators import mask_rib
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.http import page_arg, refuse
from marketplace.orders.models import CooperativeOrder, Order
from marketplace.payments import bp, disputes, payouts, refunds, services
from marketplace.payments.forms import ActionForm, MarkPaidForm, RefundForm
from marketplace.payments.models import Payment, PayoutBatch, PayoutBatchStatus, RefundStatus

PAGE_SIZE = 50


@bp.get("/admin/payments")
@admin_required
def admin_payments():
    flagged_only = request.args.get("flagged") == "1"
    page = page_arg()
    query = (
        select(Payment)
        # each row links to its order: read for the page's rows only (a join would make the
        # database join and sort every payment before the limit)
        .options(selectinload(Payment.order))
        .order_by(Payment.flagged_for_review.desc(), Payment.id.desc())
    )
    if flagged_only:
        query = query.where(Payment.flagged_for_review.is_(True))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        "payments/admin_payments.html",
        payments=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        flagged_only=flagged_only,
        status_label=services.status_label,
        open_disputes=disputes.open_disputes() if page == 1 else [],
        dispute_status_label=disputes.status_label,
        dispute_reason_label=disputes.reason_label,
    )


def _order_by_number(number: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.number == number[:40]))
    if order is None:
        abort(404)
    return order


def _render_order(order: Order, forms: dict | None = None, status: int = 200):
    payment = services.payment_for(order)
    forms = forms or {}
    payment_disputes = disputes.disputes_of(payment)
    disputed = {
        share.sub_order_id
        for dispute in payment_disputes
        if dispute.is_open
        for share in dispute.shares
    }
    subs = []
    for sub in order.sub_orders:
        subs.append(
            {
                "sub": sub,
                "disputed": sub.id in disputed,
                "refunds": refunds.refunds_of(sub),
                "refundable": refunds.refundable_cents(sub, payment),
                "form": forms.get(sub.id) or RefundForm(formdata=None),
            }
        )
    return render_template(
        "payments/admin_order.html",
        order=order,
        payment=payment,
        subs=subs,
        status_label=services.status_label,
        refund_status_label=refunds.status_label,
        resolve_form=ActionForm(),
        disputes=payment_disputes,
        dispute_status_label=disputes.status_label,
        dispute_reason_label=disputes.reason_label,
    ), status


@bp.get("/admin/payments/orders/<number>")
@admin_required
def admin_order(number: str):
    order = _order_by_number(number)
    response = _render_order(order)
    return response


@bp.post("/admin/payments/sub-orders/<int:sub_order_id>/refund")
@admin_required
def admin_refund(sub_order_id: int):
    sub = db.session.get(CooperativeOrder, sub_order_id)
    if sub is None:
        abort(404)
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_order(sub.order, {sub.id: form}, 400)
    try:
        refund = refunds.create_refund(
            sub,
            form.amount_cents,
            form.reason.data,
            current_user._get_current_object(),
            goods_returned=form.goods_returned.data,
            shipping_only=form.shipping_only.data,
        )
    except DomainError as error:
        refuse(error, show=False)
        form.amount.errors = [*form.amount.errors, str(error.message)]
        return _render_order(sub.order, {sub.id: form}, error.status_code)
    if refund.status == RefundStatus.FAILED.value:
        flash(_("Stripe refused the refund, so nothing was refunded."), "error")
    elif not refund.manual and not refund.stripe_refund_id:
        flash(
            _(
                "Stripe did not answer. The refund is recorded and will be sent again "
                "automatically; nothing will be refunded twice."
            ),
            "warning",
        )
    else:
        flash(_("The refund was recorded and the customer informed."), "success")
    return redirect(url_for("payments.admin_order", number=sub.order.number), code=303)


@bp.post("/admin/payments/<int:payment_id>/resolve")
@admin_required
def admin_resolve(payment_id: int):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    payment.flagged_for_review = False
    payment.review_reason = "\n".join(
        part for part in (payment.review_reason, f"reviewed by {current_user.email}") if part
    )
    flash(_("The payment is no longer flagged."), "success")
    return redirect(url_for("payments.admin_order", number=payment.order.number), code=303)


def _decide(payment_id: int, decide, done_message: str):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    number = payment.order.number
    try:
        decide(payment, current_user._get_current_object())
    except DomainError as error:
        refuse(error)
    else:
        flash(done_message, "success")
    return redirect(url_for("payments.admin_order", number=number), code=303)


@bp.post("/admin/payments/<int:payment_id>/accept")
@admin_required
def admin_accept(payment_id: int):
    return _decide(
        payment_id, services.accept_flagged, _("The payment is accepted and the order confirmed.")
    )


@bp.post("/admin/payments/<int:payment_id>/release")
@admin_required
def admin_release(payment_id: int):
    return _decide(
        payment_id,
        services.release_flagged,
        _("The order is released: its products are back on sale."),
    )


@bp.get("/admin/payments/payouts")
@admin_required
def admin_payouts():
    listing = payouts.batches_page(page_arg(), PAGE_SIZE)
    return render_template(
        "payments/admin_payouts.html",
        batches=listing.lines,
        page=listing.page,
        pages=listing.pages,
        form=ActionForm(),
    )


@bp.post("/admin/payments/payouts/new")
@admin_required
def admin_payout_new():
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        batch = payouts.create_batch(current_user._get_current_object())
    except DomainError as error:
        refuse(error)
        return redirect(url_for("payments.admin_payouts"), code=303)
    flash(_("Payout batch %(id)d created.", id=batch.id), "success")
    return redirect(url_for("payments.admin_payout_batch", batch_id=batch.id), code=303)


def _batch(batch_id: int) -> PayoutBatch:
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/admin/payments/payouts/<int:batch_id>", methods=["GET", "POST"])
@admin_required
def admin_payout_batch(batch_id: int):
    batch = _batch(batch_id)
    form = MarkPaidForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                paid = payouts.mark_paid(
                    batch, form.reference.data, current_user._get_current_object()
                )
            except DomainError as error:
                refuse(error, show=False)
                form.reference.errors = [*form.reference.errors, str(error.message)]
                status = error.status_code
            else:
                _flash_paid(paid)
                return redirect(url_for("payments.admin_payout_batch", batch_id=batch_id), code=303)
        else:
            status = 400
        batch = _batch(batch_id)
    # The page shows RIBs masked; the full numbers are only in the CSV for the bank transfer.
    page = render_template(
        "payments/admin_payout_batch.html",
        batch=batch,
        form=form,
        transfers=payouts.transfer_outcome(batch),
        rebuild_form=ActionForm(),
        mask_rib=mask_rib,
    )
    return page, status


def _flash_paid(batch: PayoutBatch) -> None:
    outcome = payouts.transfer_outcome(batch)
    if outcome.failed:
        flash(
            ngettext(
                "Stripe refused %(num)d transfer: its amount is back in the cooperative's "
                "balance and will be in the next batch.",
                "Stripe refused %(num)d transfers: their amounts are back in the "
                "cooperatives' balances and will be in the next batch.",
                len(outcome.failed),
            ),
            "error",
        )
    if outcome.pending:
        flash(
            ngettext(
                "Stripe did not answer for %(num)d transfer. It is recorded and will be sent "
                "again automatically (or with the button below); nothing is paid twice.",
                "Stripe did not answer for %(num)d transfers. They are recorded and will be "
                "sent again automatically (or with the button below); nothing is paid twice.",
                len(outcome.pending),
            ),
            "warning",
        )
    if not outcome.failed and not outcome.pending:
        flash(_("The payout batch is marked as paid."), "success")


@bp.post("/admin/payments/payouts/<int:batch_id>/rebuild")
@admin_required
def admin_payout_rebuild(batch_id: int):
    batch = _batch(batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rebuilt = payouts.rebuild_batch(batch, current_user._get_current_object())
    except DomainError as error:
        refuse(error)
        return redirect(url_for("payments.admin_payout_batch", batch_id=batch_id), code=303)
    if rebuilt is None:
        flash(_("No cooperative is owed anything any more: the batch was removed."), "info")
        return redirect(url_for("payments.admin_payouts"), code=303)
    flash(
        _("The batch was rebuilt from the balances of now. Download its new file for the bank."),
        "success",
    )
    return redirect(url_for("payments.admin_payout_batch", batch_id=batch_id), code=303)


def _csv_response(batch: PayoutBatch) -> Response:
    return Response(
        payouts.export_csv(batch),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{payouts.csv_filename(batch)}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/admin/payments/payouts/<int:batch_id>.csv")
@admin_required
def admin_payout_csv(batch_id: int):
    batch = _batch(batch_id)
    if batch.status == PayoutBatchStatus.PAID.value:
        flash(
            _(
                "This batch was already paid. Download its file again with the button below "
                "(it is recorded in the audit log)."
            ),
            "info",
        )
        return redirect(url_for("payments.admin_payout_batch", batch_id=batch_id), code=303)
    return _csv_response(batch)


@bp.post("/admin/payments/payouts/<int:batch_id>/download-again")
@admin_required
def admin_payout_csv_again(batch_id: int):
    batch = _batch(batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if batch.status != PayoutBatchStatus.PAID.value:
        return _csv_response(batch)
    payouts.record_download_again(batch, current_user._get_current_object())
    response = _csv_response(batch)
    return response
