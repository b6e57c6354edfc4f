"""Cooperative pages: incoming orders, an order's page with its actions, the packing slip."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.decorators import cooperative_member_required
from marketplace.errors import DomainError
from marketplace.http import page_arg, refuse
from marketplace.orders import bp
from marketplace.orders.forms import ActionForm, CancelForm, ShipForm
from marketplace.orders.models import CooperativeOrder, SubOrderStatus
from marketplace.orders.names import status_label
from marketplace.orders.queries import cooperative_orders_page, get_sub_order_for_cooperative
from marketplace.orders.status import COOPERATIVE, allowed_next, transition


@bp.get("/dashboard/orders")
@cooperative_member_required
def seller_orders():
    status = request.args.get("status", "")
    if status not in {s.value for s in SubOrderStatus}:
        status = ""
    q = (request.args.get("q") or "").strip()[:40]
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    found = cooperative_orders_page(current_user.cooperative_id, status, q, page, size)
    return render_template(
        "orders/seller_orders.html",
        subs=found.sub_orders,
        status=status,
        q=q,
        page=page,
        pages=max(1, -(-found.total // size)),
        total=found.total,
        counts=found.counts,
        statuses=list(SubOrderStatus),
    )


def _own_sub_order(sub_order_id: int) -> CooperativeOrder:
    return get_sub_order_for_cooperative(sub_order_id, current_user.cooperative_id)


@bp.get("/dashboard/orders/<int:sub_order_id>")
@cooperative_member_required
def seller_order(sub_order_id):
    sub = _own_sub_order(sub_order_id)
    return _render_seller_order(sub)


def _render_seller_order(sub, ship_form=None, cancel_form=None, status=200):
    return (
        render_template(
            "orders/seller_order.html",
            sub=sub,
            order=sub.order,
            allowed=allowed_next(sub, COOPERATIVE),
            ship_form=ship_form or ShipForm(formdata=None),
            cancel_form=cancel_form or CancelForm(formdata=None),
            action_form=ActionForm(),
        ),
        status,
    )


@bp.post("/dashboard/orders/<int:sub_order_id>/status")
@cooperative_member_required
def seller_transition(sub_order_id):
    """One endpoint for every move; the status machine decides what is legal."""
    sub = _own_sub_order(sub_order_id)
    new_status = request.form.get("status", "")
    ship_form = ShipForm()
    cancel_form = CancelForm() if new_status == SubOrderStatus.CANCELLED.value else None
    if not ActionForm().validate():
        abort(400)
    info = {}
    if new_status == SubOrderStatus.SHIPPED.value:
        if not ship_form.validate():
            return _render_seller_order(sub, ship_form=ship_form, status=400)
        info = {
            "carrier": ship_form.carrier.data or "",
            "tracking_number": ship_form.tracking_number.data or "",
        }
    elif cancel_form is not None:
        if not cancel_form.validate():
            return _render_seller_order(sub, cancel_form=cancel_form, status=400)
        info = {"reason": cancel_form.reason.data}
    try:
        transition(sub, new_status, current_user._get_current_object(), by=COOPERATIVE, **info)
    except DomainError as error:
        refuse(error)
        sub = _own_sub_order(sub_order_id)
        return _render_seller_order(sub, status=error.status_code)
    flash(_("The order is now “%(status)s”.", status=status_label(new_status)), "success")
    return redirect(url_for("orders.seller_order", sub_order_id=sub.id), code=303)


@bp.get("/dashboard/orders/<int:sub_order_id>/packing-slip")
@cooperative_member_required
def packing_slip(sub_order_id):
    sub = _own_sub_order(sub_order_id)
    return render_template("orders/packing_slip.html", sub=sub, order=sub.order)
