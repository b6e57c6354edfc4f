"""Stock: taken at checkout by one conditional UPDATE per product (two checkouts can never
both take the last unit), given back exactly once when a sub-order is cancelled."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.catalogue.models import Product
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.names import product_name


class NotEnoughStock(Conflict):
    default_message = _l("Not enough stock.")


def take_stock(product: Product, quantity: int) -> None:
    """Decrement the stock atomically, or raise NotEnoughStock: the database checks and
    writes in one statement, so two checkouts can never both take the last unit."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock >= quantity)
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        left = db.session.scalar(select(Product.stock).where(Product.id == product.id)) or 0
        db.session.expire(product, ["stock"])
        if left <= 0:
            raise NotEnoughStock(
                _l(
                    "Not enough stock: %(name)s is sold out.",
                    name=product_name(product),
                )
            )
        raise NotEnoughStock(
            _l(
                "Not enough stock: only %(n)d of %(name)s left.",
                n=left,
                name=product_name(product),
            )
        )
    db.session.expire(product, ["stock"])


def return_stock(sub_order: CooperativeOrder) -> bool:
    """Give the sub-order's units back to the products, exactly once (a conditional UPDATE
    on ``stock_returned`` decides who does it). Returns whether this call returned them."""
    claimed = db.session.execute(
        update(CooperativeOrder)
        .where(CooperativeOrder.id == sub_order.id, CooperativeOrder.stock_returned.is_(False))
        .values(stock_returned=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.expire(sub_order, ["stock_returned"])
        return False
    for line in sorted(sub_order.lines, key=lambda ln: ln.product_id or 0):
        if line.product_id is None:
            continue
        db.session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity)
            .execution_options(synchronize_session=False)
        )
        product = db.session.get(Product, line.product_id)
        if product is not None:
            db.session.expire(product, ["stock"])
    db.session.expire(sub_order, ["stock_returned"])
    return True
