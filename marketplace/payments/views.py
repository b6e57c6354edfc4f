"""Public routes of the `payments` domain: paying by card and the Stripe webhook (the
cooperative's balance and cash-on-delivery actions are in seller_views.py)."""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from marketplace import transaction
from marketplace.errors import DomainError
from marketplace.extensions import csrf
from marketplace.http import refuse
from marketplace.i18n import current_locale
from marketplace.orders.models import Order, PaymentMethod, SubOrderStatus
from marketplace.orders.queries import get_order_for
from marketplace.payments import bp, root_bp, services, webhooks
from marketplace.payments.forms import ActionForm
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
            locale=current_locale(),
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
