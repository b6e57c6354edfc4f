"""Writes made through the API with a cooperative's token: sub-order status changes (the
orders' own status machine) and bulk stock and price updates. Every write is recorded in
the audit log with the token's name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.api.models import ApiToken
from marketplace.api.tokens import audit_api_write
from marketplace.catalogue.models import Category, Product
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder
from marketplace.orders.status import COOPERATIVE, transition


def change_status(token: ApiToken, sub: CooperativeOrder, data: dict) -> CooperativeOrder:
    """The dashboard's move, made by the token's member as the cooperative."""
    old = sub.status
    transition(
        sub,
        data["status"],
        token.created_by,
        by=COOPERATIVE,
        reason=data.get("reason", ""),
        carrier=data.get("carrier", ""),
        tracking_number=data.get("tracking_number", ""),
    )
    audit_api_write(
        token,
        "api.sub_order_status",
        target_type="sub_order",
        target_id=sub.id,
        target_label=sub.order.number,
        old_value=old,
        new_value=data["status"],
        reason=data.get("reason", ""),
    )
    return sub


class BulkRefused(Conflict):
    """At least one line cannot be applied; nothing was changed."""

    default_message = _l("Nothing was changed: some lines cannot be applied.")


class BulkNotFound(NotFound):
    default_message = _l("Nothing was changed: some products are not yours or do not exist.")


def bulk_update(token: ApiToken, lines: list[dict]) -> list[dict]:
    """Apply every line or none. The products are locked (SELECT … FOR UPDATE, in id order,
    on PostgreSQL; SQLite writes one transaction at a time) before their stock is read, so
    an order that arrives meanwhile waits and then takes its units from the new stock: the
    stock never goes below zero and no unit is sold twice."""
    errors: list[dict] = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if line["product_id"] in seen:
            errors.append(
                {
                    "line": index,
                    "product_id": line["product_id"],
                    "message": str(_l("This product is already on another line.")),
                }
            )
        seen.add(line["product_id"])
    if errors:
        raise InvalidInput(_l("Nothing was changed: some lines cannot be applied."), errors=errors)
    ids = sorted(seen)
    locked = set(
        db.session.scalars(
            select(Product.id)
            .where(Product.id.in_(ids), Product.cooperative_id == token.cooperative_id)
            .order_by(Product.id)
            .with_for_update()
        )
    )
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product)
            .where(Product.id.in_(locked))
            .options(
                selectinload(Product.translations),
                selectinload(Product.category).selectinload(Category.translations),
                selectinload(Product.cooperative).selectinload(Cooperative.translations),
            )
            .execution_options(populate_existing=True)
        )
    }
    missing = [
        {
            "line": index,
            "product_id": line["product_id"],
            "message": str(_l("This product does not exist.")),
        }
        for index, line in enumerate(lines)
        if line["product_id"] not in products
    ]
    if missing:
        raise BulkNotFound(errors=missing)
    for index, line in enumerate(lines):
        product = products[line["product_id"]]
        expected = line.get("expected_stock")
        if "stock" in line and expected is not None and product.stock != expected:
            errors.append(
                {
                    "line": index,
                    "product_id": product.id,
                    "message": str(
                        _l(
                            "The stock changed since you read it (orders may have come "
                            "in): it is now %(n)d.",
                            n=product.stock,
                        )
                    ),
                }
            )
    if errors:
        raise BulkRefused(errors=errors)
    changes = []
    for line in lines:
        product = products[line["product_id"]]
        old_stock, old_price = product.stock, product.price_cents
        product.stock = line.get("stock", old_stock)
        product.price_cents = line.get("price_cents", old_price)
        changes.append(
            {
                "product_id": product.id,
                "stock": product.stock,
                "price_cents": product.price_cents,
                "old_stock": old_stock,
                "old_price_cents": old_price,
            }
        )
    db.session.flush()
    for change in changes:
        if (change["stock"], change["price_cents"]) == (
            change["old_stock"],
            change["old_price_cents"],
        ):
            continue
        audit_api_write(
            token,
            "api.product_updated",
            target_type="product",
            target_id=change["product_id"],
            target_label=products[change["product_id"]].slug,
            old_value=f"stock={change['old_stock']} price={change['old_price_cents']}",
            new_value=f"stock={change['stock']} price={change['price_cents']}",
        )
    return changes
