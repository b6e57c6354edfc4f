"""The cooperative's side of payments: its balance (ledger, payouts, cash awaited) and the
cash-on-delivery actions on its orders (cash collected, delivery refused)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.decorators import cooperative_member_required
from marketplace.errors import DomainError
from marketplace.http import next_url, page_arg, refuse
from marketplace.orders.queries import get_sub_order_for_cooperative
from marketplace.payments import bp, ledger, payouts, services
from marketplace.payments.forms import ActionForm, RefusedDeliveryForm

STATEMENT_PAGE_SIZE = 50  # ledger entries per page of the balance page, newest first


def _own_sub_order(sub_order_id: int):
    try:
        return get_sub_order_for_cooperative(sub_order_id, current_user.cooperative_id)
    except DomainError:
        abort(404)


@bp.get("/dashboard/balance")
@cooperative_member_required
def balance():
    coop_id = current_user.cooperative_id
    statement = ledger.statement_page(coop_id, page_arg(), STATEMENT_PAGE_SIZE)
    summary = payouts.balance_summary(coop_id)  # summed by the database, not from the page
    return render_template(
        "payments/balance.html",
        balance_cents=summary.balance_cents,
        summary=summary,
        payout_delay_days=ledger.payout_delay().days,
        entries=statement.entries,
        page=statement.page,
        pages=statement.pages,
        # shown on the first page only (older pages show older entries)
        payouts=payouts.payouts_of(coop_id) if statement.page == 1 else [],
        awaiting_cash=services.cod_awaiting_cash(coop_id) if statement.page == 1 else [],
        # translated once, not once per entry
        kind_labels={kind: str(label) for kind, label in ledger.KIND_LABELS.items()},
    )


@bp.post("/dashboard/orders/<int:sub_order_id>/cash-collected")
@cooperative_member_required
def cash_collected(sub_order_id: int):
    sub_order = _own_sub_order(sub_order_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.mark_cash_collected(sub_order, current_user._get_current_object())
    except DomainError as error:
        refuse(error)
    else:
        flash(_("The cash payment was recorded."), "success")
    return redirect(_back(), code=303)


@bp.post("/dashboard/orders/<int:sub_order_id>/delivery-refused")
@cooperative_member_required
def delivery_refused(sub_order_id: int):
    sub_order = _own_sub_order(sub_order_id)
    form = RefusedDeliveryForm()
    if not form.validate_on_submit():
        flash(_("Please use at most %(max)d characters.", max=500), "error")
        return redirect(_back(), code=303)
    try:
        services.refuse_delivery(
            sub_order, current_user._get_current_object(), reason=form.reason.data or ""
        )
    except DomainError as error:
        refuse(error)
    else:
        flash(_("The order was cancelled and its products returned to stock."), "success")
    return redirect(_back(), code=303)


def _back() -> str:
    """Back to the page the button was on (only our own pages), else the balance."""
    return next_url(url_for("payments.balance"))
