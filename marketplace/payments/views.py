"""Routes of the `payments` domain: paying by card, the Stripe webhook, the cooperative's
balance and its cash-on-delivery actions."""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import transaction
from marketplace.auth.decorators import cooperative_member_required
from marketplace.errors import DomainError
from marketplace.extensions import csrf
from marketplace.http import next_url, refuse
from marketplace.i18n import current_lang
from marketplace.orders.models import Order, PaymentMethod, SubOrderStatus
from marketplace.orders.queries import get_order_for, get_sub_order_for_cooperative
from marketplace.payments import bp, ledger, payouts, root_bp, services, webhooks
from marketplace.payments.forms import ActionForm, RefusedDeliveryForm
from marketplace.payments.models import PaymentStatus
from marketplace.web import is_database_unavailable

log = logging.getLogger(__name__)
GUEST_ORDERS_KEY = "guest_orders"  # where ORDERS remembers a guest's order numbers


def _order(number: str) -> Order:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return get_order_for(number, user, guest_numbers=session.get(GUEST_ORDERS_KEY, []))


def _status_payload(order: Order, payment, status: str | None = None) -> dict:
    status = status or payment.status
    return {
        "status": status,
        "label": services.status_label(status),
        "paid": status == PaymentStatus.PAID.value,
        "done": status not in (PaymentStatus.PENDING.value, PaymentStatus.PROCESSING.value),
        "order_url": url_for("orders.detail", number=order.number),
    }


# --- paying by card -----------------------------------------------------------------------


@bp.route("/orders/<number>/pay", methods=["GET", "POST"])
def pay(number: str):
    order = _order(number)
    if order.payment_method != PaymentMethod.CARD.value:
        abort(404)
    payment = services.payment_for(order)
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template(
            "payments/pay.html",
            order=order,
            payment=payment,
            form=form,
            card_enabled=services.card_payments_enabled(),
            payable=any(s.status == SubOrderStatus.PENDING_PAYMENT.value for s in order.sub_orders)
            and payment.status != PaymentStatus.PAID.value,
        ), (200 if request.method == "GET" else 400)
    try:
        url = services.start_card_checkout(
            order,
            lang=current_lang(),
            success_url=url_for("payments.success", number=order.number, _external=True),
            cancel_url=url_for("payments.cancelled", number=order.number, _external=True),
        )
    except DomainError as error:
        refuse(error)
        return redirect(url_for("payments.pay", number=order.number), code=303)
    if url is None:  # the session had already ended: show what came of it
        return redirect(url_for("payments.success", number=order.number), code=303)
    return redirect(url, code=303)


@bp.get("/orders/<number>/paid")
def success(number: str):
    """Back from Stripe: never trusts the query string; asks Stripe about our session."""
    order = _order(number)
    payment = services.payment_for(order)
    seen = services.status_seen_by_stripe(payment)  # reads only: the webhook applies it
    return render_template(
        "payments/success.html",
        order=order,
        payment=payment,
        status=_status_payload(order, payment, seen),
    )


@bp.get("/orders/<number>/payment-status")
def status(number: str):
    order = _order(number)
    payment = services.payment_for(order)
    response = jsonify(_status_payload(order, payment))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/orders/<number>/payment-cancelled")
def cancelled(number: str):
    order = _order(number)
    payment = services.payment_for(order)
    return render_template(
        "payments/cancelled.html", order=order, payment=payment, form=ActionForm()
    )


# --- the Stripe webhook (unprefixed, CSRF-exempt, authenticated by its signature) ---------


@root_bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    config = current_app.config
    try:
        event = webhooks.verify_event(
            request.get_data(cache=False),
            request.headers.get("Stripe-Signature"),
            config.get("STRIPE_WEBHOOK_SECRET"),
            int(config.get("STRIPE_WEBHOOK_TOLERANCE", webhooks.DEFAULT_TOLERANCE_SECONDS)),
        )
    except webhooks.WebhookRejected as rejected:
        log.warning("stripe webhook rejected: %s", rejected)
        return jsonify({"error": "invalid webhook"}), 400
    try:
        outcome = webhooks.handle_event(event)
    except webhooks.DuplicateEvent:
        transaction.fail()  # nothing of it is kept
        return jsonify({"received": True, "duplicate": True}), 200
    except webhooks.NotReady:  # not recorded: Stripe delivers it again later
        log.info("stripe event %s (%s) not ready yet", event.get("id"), event.get("type"))
        return jsonify({"error": "not ready, retry later"}), 409
    except Exception as error:
        if is_database_unavailable(error):
            raise  # the site's 503 with Retry-After; Stripe delivers the event again
        log.exception("stripe event %s (%s) failed", event.get("id"), event.get("type"))
        return jsonify({"error": "handler failed"}), 500
    return jsonify({"received": True, "outcome": outcome}), 200


# --- the cooperative's side ---------------------------------------------------------------


def _own_sub_order(sub_order_id: int):
    try:
        return get_sub_order_for_cooperative(sub_order_id, current_user.cooperative_id)
    except DomainError:
        abort(404)


@bp.get("/dashboard/balance")
@cooperative_member_required
def balance():
    coop_id = current_user.cooperative_id
    entries = ledger.entries_for(coop_id, limit=500)
    summary = payouts.balance_summary(coop_id)
    return render_template(
        "payments/balance.html",
        balance_cents=summary.balance_cents,
        summary=summary,
        payout_delay_days=ledger.payout_delay().days,
        entries=entries,
        payouts=payouts.payouts_of(coop_id),
        awaiting_cash=services.cod_awaiting_cash(coop_id),
        kind_labels=ledger.KIND_LABELS,
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
