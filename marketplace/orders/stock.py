"""Stock: taken at checkout by one conditional UPDATE per variant (two checkouts can never
both take the last unit of a size or pack), given back exactly once when a sub-order is
cancelled.

A product's ``stock`` is the summary of its active variants' (``catalogue.variants``): every
change of a variant's stock here changes the product's by the same amount in the same
transaction. Rows are locked in one order by every checkout and cancellation — all the
variants by id, then all the products by id — so two of them never wait on each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, select, update

from marketplace.catalogue.models import Product, ProductVariant
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.names import variant_title


class NotEnoughStock(Conflict):
    default_message = _l("Not enough stock.")


def take_stock(variant: ProductVariant, quantity: int) -> None:
    """Take ``quantity`` units of one variant (and of its product's summary), or raise
    NotEnoughStock: the database checks and writes in one statement."""
    take_stocks([(variant, quantity)])


def take_stocks(wanted: Iterable[tuple[ProductVariant, int]]) -> None:
    """Take every ``(variant, quantity)`` at once, or raise NotEnoughStock naming the first
    variant short of units (the caller rolls back what was taken before it). The variants
    are decremented in id order, then their products' summaries in id order."""
    by_variant: dict[int, tuple[ProductVariant, int]] = {}
    for variant, quantity in wanted:
        known = by_variant.get(variant.id)
        by_variant[variant.id] = (variant, quantity + (known[1] if known else 0))
    taken: dict[int, int] = {}
    for variant_id in sorted(by_variant):
        variant, quantity = by_variant[variant_id]
        result = db.session.execute(
            update(ProductVariant)
            .where(
                ProductVariant.id == variant_id,
                ProductVariant.active.is_(True),
                ProductVariant.stock >= quantity,
            )
            .values(stock=ProductVariant.stock - quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            _refuse(variant)
        db.session.expire(variant, ["stock"])
        taken[variant.product_id] = taken.get(variant.product_id, 0) + quantity
    for product_id in sorted(taken):
        quantity = taken[product_id]
        db.session.execute(
            update(Product)
            .where(Product.id == product_id)
            # The summary never goes below zero, even if it was out of step with its variants.
            .values(stock=case((Product.stock >= quantity, Product.stock - quantity), else_=0))
            .execution_options(synchronize_session=False)
        )
        _expire_product_stock(product_id)


def _refuse(variant: ProductVariant) -> None:
    row = db.session.execute(
        select(ProductVariant.stock, ProductVariant.active).where(ProductVariant.id == variant.id)
    ).first()
    left = (row.stock if row is not None and row.active else 0) or 0
    db.session.expire(variant, ["stock", "active"])
    name = variant_title(variant.product, variant)
    if left <= 0:
        raise NotEnoughStock(_l("Not enough stock: %(name)s is sold out.", name=name))
    raise NotEnoughStock(_l("Not enough stock: only %(n)d of %(name)s left.", n=left, name=name))


def _expire_product_stock(product_id: int) -> None:
    product = db.session.identity_map.get(db.session.identity_key(Product, product_id))
    if product is not None:
        db.session.expire(product, ["stock"])


def return_stock(sub_order: CooperativeOrder) -> bool:
    """Give the sub-order's units back to the variants sold (and to their products'
    summaries while the variant is active), exactly once: a conditional UPDATE on
    ``stock_returned`` decides who does it. Lines whose variant was deleted give nothing
    back. Returns whether this call returned them."""
    claimed = db.session.execute(
        update(CooperativeOrder)
        .where(CooperativeOrder.id == sub_order.id, CooperativeOrder.stock_returned.is_(False))
        .values(stock_returned=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.expire(sub_order, ["stock_returned"])
        return False
    returned: dict[int, int] = {}
    products: dict[int, list[tuple[int, int]]] = {}
    for line in sub_order.lines:
        if line.variant_id is None:
            continue
        returned[line.variant_id] = returned.get(line.variant_id, 0) + line.quantity
    for variant_id in sorted(returned):
        quantity = returned[variant_id]
        row = db.session.execute(
            update(ProductVariant)
            .where(ProductVariant.id == variant_id)
            .values(stock=ProductVariant.stock + quantity)
            .returning(ProductVariant.product_id)
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            continue
        products.setdefault(row.product_id, []).append((variant_id, quantity))
        variant = db.session.identity_map.get(db.session.identity_key(ProductVariant, variant_id))
        if variant is not None:
            db.session.expire(variant, ["stock"])
    for product_id in sorted(products):
        for variant_id, quantity in products[product_id]:
            # An inactive variant's units are not in its product's summary.
            db.session.execute(
                update(Product)
                .where(
                    Product.id == product_id,
                    exists().where(
                        ProductVariant.id == variant_id, ProductVariant.active.is_(True)
                    ),
                )
                .values(stock=Product.stock + quantity)
                .execution_options(synchronize_session=False)
            )
        _expire_product_stock(product_id)
    db.session.expire(sub_order, ["stock_returned"])
    return True
