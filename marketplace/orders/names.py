"""The words an order is shown with: product and cooperative names in a language, and the
labels of statuses, payment methods and who made a change (pages, e-mails, notices)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.catalogue.models import Product, ProductVariant
from marketplace.catalogue.variants import shows_choice, with_option
from marketplace.cooperatives.models import Cooperative
from marketplace.i18n import pick
from marketplace.orders.models import OrderStatus, PaymentMethod, SubOrderStatus

S = SubOrderStatus


SUB_ORDER_STATUS_LABELS = {
    S.PENDING_PAYMENT: _l("Awaiting payment"),
    S.CONFIRMED: _l("Confirmed"),
    S.SHIPPED: _l("Shipped"),
    S.DELIVERED: _l("Delivered"),
    S.CANCELLED: _l("Cancelled"),
}


ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.PARTIALLY_SHIPPED: _l("Partly shipped"),
    OrderStatus.SHIPPED: _l("Shipped"),
    OrderStatus.DELIVERED: _l("Delivered"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}


PAYMENT_METHOD_LABELS = {
    PaymentMethod.CASH_ON_DELIVERY: _l("Cash on delivery"),
    PaymentMethod.CARD: _l("Bank card"),
}


ACTOR_LABELS = {
    "system": _l("automatically"),
    "shopper": _l("by the customer"),
    "cooperative": _l("by the cooperative"),
    "admin": _l("by the platform team"),
}


def actor_label(role: str | None) -> str:
    label = ACTOR_LABELS.get(role or "")
    return str(label) if label is not None else ""


# By stored value, for pages that ask once per row (where both tables name a status, the
# sub-order's label is kept: it comes last).
_STATUS_LABELS_BY_VALUE = {
    key.value: label
    for key, label in (*ORDER_STATUS_LABELS.items(), *SUB_ORDER_STATUS_LABELS.items())
}
_PAYMENT_METHOD_LABELS_BY_VALUE = {key.value: label for key, label in PAYMENT_METHOD_LABELS.items()}


def status_label(value: str | None) -> str:
    label = _STATUS_LABELS_BY_VALUE.get(value or "")
    return str(label) if label is not None else value or ""


def payment_method_label(value: str | None) -> str:
    label = _PAYMENT_METHOD_LABELS_BY_VALUE.get(value or "")
    return str(label) if label is not None else value or ""


def product_name(product: Product, locale: str | None = None) -> str:
    picked = pick(product.translations, locale)
    return picked.name if picked else product.slug


def cooperative_name(cooperative: Cooperative, locale: str | None = None) -> str:
    picked = pick(cooperative.translations, locale)
    return picked.name if picked else cooperative.slug


def variant_title(
    product: Product, variant: ProductVariant | None, locale: str | None = None
) -> str:
    """The product's name, with the variant's option label when the product offers a choice
    ("Dattes Mejhoul — 1 kg"); the name alone for a product sold in one variant."""
    name = product_name(product, locale)
    # A variant withdrawn from a choice is still named (the cart says which one went).
    chosen = shows_choice(product) or (variant is not None and not variant.active)
    if variant is None or not chosen or len(product.variants) < 2:
        return name
    return with_option(name, variant, locale)
