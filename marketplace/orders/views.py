"""Shopper pages: cart, checkout, review, order history and order page."""

from __future__ import annotations

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
from flask_login import current_user, login_required
from sqlalchemy import func, select

from marketplace import transaction
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.http import next_url, page_arg, parse_int, refuse, wants_json
from marketplace.i18n import country_name, current_locale
from marketplace.orders import bp, cart, notifications
from marketplace.orders.checkout import (
    HOME_COUNTRY,
    Pickup,
    ShippingDetails,
    WantedLine,
    countries_for,
    make_idempotency_token,
    order_by_token,
    payment_methods_for,
    pickup_options,
    place_order,
    saved_address_for,
)
from marketplace.orders.forms import (
    ActionForm,
    AddToCartForm,
    CartLineForm,
    CheckoutForm,
    ConfirmOrderForm,
    ShopperCancelForm,
)
from marketplace.orders.models import Order, PaymentMethod
from marketplace.orders.names import cooperative_name, variant_title
from marketplace.orders.pricing import CartChanged, Quote, describe_price_changes, price_cart
from marketplace.orders.queries import get_order_for
from marketplace.orders.status import cancel_by_shopper
from marketplace.orders.stock import NotEnoughStock

CHECKOUT_KEY = "checkout"
GUEST_ORDERS_KEY = "guest_orders"
CHECKOUT_FIELDS = (
    "email",
    "contact_name",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "payment_method",
    "save_address",
    "delivery",
)


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


# --- cart -----------------------------------------------------------------------------------


@bp.get("/cart", endpoint="cart")
def cart_page():
    quote = price_cart(cart.entries())
    if quote.problems:
        # Told once: remembered in the session; the next change of the cart drops them.
        cart.acknowledge_unavailable(quote)
    page = render_template(
        "orders/cart.html",
        quote=quote,
        price_changes=describe_price_changes(quote),
        line_form=CartLineForm(),
        cod_ceiling=current_app.config["COD_MAX_TOTAL_CENTS"],
    )
    return page


@bp.post("/cart/add")
def cart_add():
    form = AddToCartForm()
    fallback = url_for("orders.cart")
    if not form.validate():
        return _cart_error(_("This form has expired. Please try again."), fallback, 400)
    try:
        variant, quantity = cart.add(
            form.product_id.data, form.quantity.data, variant_id=form.variant_id.data
        )
    except DomainError as error:
        refuse(error, show=False)
        return _cart_error(str(error.message), next_url(fallback), error.status_code)
    message = _(
        "%(name)s was added to your cart (%(n)d in the cart).",
        name=variant_title(variant.product, variant),
        n=quantity,
    )
    if wants_json():
        return jsonify(ok=True, message=message, count=cart.count())
    flash(message, "success")
    return redirect(next_url(fallback), code=303)


def _cart_error(message: str, target: str, status: int):
    if wants_json():
        return jsonify(ok=False, message=message, count=cart.count()), status
    flash(message, "error")
    return redirect(target, code=303)


@bp.post("/cart/update")
def cart_update():
    form = CartLineForm()
    target = url_for("orders.cart")
    if not form.validate():
        return _cart_error(_("This form has expired. Please try again."), target, 400)
    try:
        line = cart.line_key(form.variant_id.data, form.product_id.data)
        if form.action.data == "remove":
            cart.remove(line)
            message = _("The product was removed from your cart.")
        else:
            quantity = cart.set_quantity(line, form.quantity.data)
            message = (
                _("The product was removed from your cart.")
                if quantity == 0
                else _("Your cart was updated.")
            )
    except DomainError as error:
        refuse(error, show=False)
        return _cart_error(str(error.message), target, error.status_code)
    if wants_json():
        return jsonify(ok=True, message=message, count=cart.count())
    flash(message, "success")
    return redirect(target, code=303)


# --- checkout -------------------------------------------------------------------------------


def _checkout_data() -> dict:
    data = session.get(CHECKOUT_KEY)
    return data if isinstance(data, dict) else {}


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    quote = price_cart(cart.entries())
    if quote.is_empty:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("orders.cart"))
    user = _user()
    methods = payment_methods_for(quote)
    countries = countries_for(quote.cooperatives)
    stored = _checkout_data()
    form = CheckoutForm()
    form.set_choices(countries, methods, current_locale())
    pickups = pickup_options(quote.cooperatives)
    form.delivery.choices = [("ship", _("Delivery to my address"))] + [
        (f"fair-{p.fair_id}", _("Collect it at %(fair)s (%(city)s), no shipping fee", fair=p.name,
                                city=p.city))
        for p in pickups
    ]  # fmt: skip
    pickup = _pickup(form.delivery.data, pickups)
    if request.method == "POST" and pickup is not None:
        # Collected at the fair: the address is the fair's unless the shopper gave theirs.
        form.address_line1.data = form.address_line1.data or pickup.venue
        form.city.data = form.city.data or pickup.city
    if request.method == "GET":
        saved = saved_address_for(user)
        initial = dict(stored)
        if not initial and saved is not None:
            initial = {
                name: getattr(saved, name)
                for name in CHECKOUT_FIELDS
                if hasattr(saved, name) and name != "email"
            }
        if user is not None:
            initial.setdefault("email", user.email)
            initial.setdefault("contact_name", user.name)
        for name, value in initial.items():
            if name in form and name != "csrf_token" and value is not None:
                form[name].data = value
        if form.country.data not in countries:
            form.country.data = HOME_COUNTRY
        if form.payment_method.data not in methods:
            form.payment_method.data = methods[0] if len(methods) == 1 else None
        if _pickup(form.delivery.data, pickups) is None:
            form.delivery.data = "ship"
    elif form.validate_on_submit():
        data = {name: form[name].data for name in CHECKOUT_FIELDS}
        data["token"] = stored.get("token") or make_idempotency_token()
        session[CHECKOUT_KEY] = data
        return redirect(url_for("orders.review"), code=303)
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "orders/checkout.html",
            form=form,
            quote=quote,
            methods=methods,
            pickups=pickups,
            logged_in=user is not None,
            cod_ceiling=current_app.config["COD_MAX_TOTAL_CENTS"],
        ),
        status,
    )


def _pickup(choice: str | None, pickups: list[Pickup]) -> Pickup | None:
    """The fair chosen on the checkout form ("fair-<id>"), when it is one of ``pickups``."""
    if not choice or not choice.startswith("fair-"):
        return None
    fair_id = parse_int(choice.removeprefix("fair-"))
    return next((p for p in pickups if p.fair_id == fair_id), None)


def _chosen_pickup(choice: str | None, cooperatives) -> Pickup | None:
    """``_pickup`` among where the cart may be collected, the fairs asked only when the
    shopper chose one (most orders are delivered)."""
    if not (choice or "").startswith("fair-"):
        return None
    return _pickup(choice, pickup_options(cooperatives))


def _shipping_from(data: dict) -> ShippingDetails:
    return ShippingDetails(
        contact_name=data.get("contact_name") or "",
        phone=data.get("phone") or "",
        address_line1=data.get("address_line1") or "",
        address_line2=data.get("address_line2") or "",
        city=data.get("city") or "",
        region=data.get("region") or "",
        postal_code=data.get("postal_code") or "",
        country=data.get("country") or HOME_COUNTRY,
        email=data.get("email") or "",
    )


def _checkout_still_valid(data: dict, quote: Quote) -> str | None:
    """Why the details chosen on the checkout page no longer fit the cart, if they do not."""
    required = ("email", "contact_name", "phone", "address_line1", "city", "payment_method")
    if any(not data.get(name) for name in required):
        return _("Please fill in your shipping details.")
    if data.get("payment_method") not in payment_methods_for(quote):
        return _("The payment method you chose is not available for this cart any more.")
    if data.get("country") not in countries_for(quote.cooperatives):
        return _("Some cooperatives in your cart do not ship to this country.")
    return None


def _render_review(quote, data, changes, status=200, error=None):
    pickup = _chosen_pickup(data.get("delivery"), quote.cooperatives)
    form = ConfirmOrderForm(formdata=None)
    form.token.data = data["token"]
    form.fingerprint.data = quote.fingerprint()
    blocked = [line for line in quote.lines if line.problem]
    return (
        render_template(
            "orders/review.html",
            quote=quote,
            details=data,
            country_name=country_name(data.get("country")),
            form=form,
            changes=changes,
            blocked=blocked,
            error=error,
            pickup=pickup,
        ),
        status,
    )


@bp.route("/checkout/review", methods=["GET", "POST"])
def review():
    data = _checkout_data()
    if request.method == "POST":
        form = ConfirmOrderForm()
        if not form.validate():
            abort(400)
        # A second submit of a checkout this session has finished: its order exists. (While
        # the session still holds it, place_order finds a second submit's order itself.)
        if data.get("token") != form.token.data:
            existing = order_by_token(form.token.data or "")
            if existing is not None:
                return _after_placed(existing)
    if not data.get("token"):
        return redirect(url_for("orders.checkout"))
    quote = price_cart(cart.entries())
    if quote.is_empty:
        # A second submit that another request emptied the (account's) cart for.
        if request.method == "POST" and (existing := order_by_token(form.token.data or "")):
            return _after_placed(existing)
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("orders.cart"))
    problem = _checkout_still_valid(data, quote)
    pickup = _chosen_pickup(data.get("delivery"), quote.cooperatives)
    if not problem and (data.get("delivery") or "ship") != "ship" and pickup is None:
        problem = _("This order cannot be collected at this fair any more.")
    if problem:
        flash(problem, "error")
        return redirect(url_for("orders.checkout"))
    changes = quote.problems + describe_price_changes(quote)
    if request.method == "GET" or changes:
        cart.acknowledge(
            quote
        )  # what the page shows is seen (in the session: a GET writes nothing)
    if request.method == "GET":
        return _render_review(quote, data, changes)
    if changes:
        cart.store_seen()
        transaction.keep_changes()  # the cart as the 409 answer shows it

    if changes or form.fingerprint.data != quote.fingerprint():
        return _render_review(quote, data, changes or [_("Your cart changed.")], 409)
    if any(line.problem for line in quote.lines):
        return _render_review(quote, data, [], 409)
    # Unchanged since the shopper saw it: place it in this transaction, from this quote.
    try:
        order = place_order(
            lines=[
                WantedLine(line.product_id, line.quantity, line.unit_price_cents, line.variant_id)
                for line in quote.lines
            ],
            shipping=_shipping_from(data),
            payment_method=data["payment_method"],
            idempotency_token=form.token.data or data["token"],
            locale=current_locale(),
            user=_user(),
            save_address=bool(data.get("save_address")),
            quote=quote,
            collect_fair_id=pickup.fair_id if pickup else None,
        )
    except CartChanged as error:
        transaction.discard()  # the order; what the shopper now sees is acknowledged below
        quote = price_cart(cart.entries())
        changes = quote.problems + describe_price_changes(quote) or [str(error.message)]
        cart.acknowledge(quote)
        cart.store_seen()
        transaction.keep_changes()
        return _render_review(quote, data, changes, 409)
    except NotEnoughStock as error:
        refuse(error, show=False)
        quote = price_cart(cart.entries())
        return _render_review(quote, data, [], 409, error=str(error.message))
    except InvalidInput as error:
        refuse(error)
        return redirect(url_for("orders.checkout"))
    if not order.was_duplicate:
        cart.clear()
    session.pop(CHECKOUT_KEY, None)
    if order.user_id is None:
        numbers = [n for n in session.get(GUEST_ORDERS_KEY, []) if n != order.number]
        session[GUEST_ORDERS_KEY] = ([*numbers, order.number])[-20:]
    if not order.was_duplicate:
        flash(
            _("Thank you! Your order %(number)s has been placed.", number=order.number), "success"
        )
    return _after_placed(order)


def _after_placed(order: Order):
    if (
        order.payment_method == PaymentMethod.CARD.value
        and order.status == "pending_payment"
        and "payments.pay" in current_app.view_functions
    ):
        # payments.pay is a POST (it creates the Checkout Session): 307 re-posts the form.
        return redirect(url_for("payments.pay", number=order.number), code=307)
    return redirect(url_for("orders.detail", number=order.number), code=303)


# --- the shopper's orders -------------------------------------------------------------------


@bp.get("/orders")
@login_required
def history():
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    query = select(Order).where(Order.user_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.session.scalars(
        query.order_by(Order.created_at.desc(), Order.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return render_template(
        "orders/history.html",
        orders=orders,
        page=page,
        pages=max(1, -(-total // size)),
        total=total,
    )


def _is_shopper_of(order: Order) -> bool:
    """The person who placed the order (not an admin looking at it)."""
    if order.user_id is None:  # a guest: the order is in this browser's session
        return order.number in session.get(GUEST_ORDERS_KEY, [])
    return current_user.is_authenticated and current_user.id == order.user_id


def _viewable_order(number: str) -> Order:
    key = request.args.get("key")
    if key and notifications.check_order_access_key(number, key):
        numbers = [n for n in session.get(GUEST_ORDERS_KEY, []) if n != number]
        session[GUEST_ORDERS_KEY] = ([*numbers, number])[-20:]
    return get_order_for(number, _user(), session.get(GUEST_ORDERS_KEY, []))


@bp.get("/orders/<number>")
def detail(number):
    order = _viewable_order(number)
    if (key := request.args.get("key")) and notifications.check_order_access_key(number, key):
        return redirect(url_for("orders.detail", number=order.number))
    return render_template(
        "orders/detail.html",
        order=order,
        cancel_form=ShopperCancelForm(),
        is_shopper=_is_shopper_of(order),
        pay_form=ActionForm(),
        can_pay=(
            order.payment_method == PaymentMethod.CARD.value
            and order.status == "pending_payment"
            and "payments.pay" in current_app.view_functions
        ),
        cooperative_name=cooperative_name,
    )


@bp.post("/orders/<number>/cancel")
def cancel(number):
    order = _viewable_order(number)
    if not _is_shopper_of(order):
        abort(403)
    form = ShopperCancelForm()
    if not form.validate():
        abort(400)
    sub_ids = None
    if form.sub_order_id.data:
        sub_id = parse_int(form.sub_order_id.data)
        if sub_id is None:
            raise InvalidInput()
        sub_ids = [sub_id]
        if sub_ids[0] not in {s.id for s in order.sub_orders}:
            abort(404)
    try:
        count = cancel_by_shopper(order, sub_ids, _user())
    except DomainError as error:
        refuse(error)
        return redirect(url_for("orders.detail", number=order.number), code=303)
    flash(
        _("The order was cancelled.") if count else _("Nothing was cancelled."),
        "success",
    )
    return redirect(url_for("orders.detail", number=order.number), code=303)
