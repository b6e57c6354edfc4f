"""Writes made through the API with a cooperative's token: sub-order status changes (the
orders' own status machine) and bulk stock and price updates. Every write is recorded in
the audit log with the token's name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.api.models import ApiToken
from marketplace.api.tokens import audit_api_write
from marketplace.catalogue.models import Category, Product, ProductVariant
from marketplace.catalogue.variants import refresh_summary
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


def _named(line: dict) -> dict:
    """What a line named its variant by, for its error."""
    return {key: line[key] for key in ("product_id", "variant_id", "sku") if key in line}


def _line_error(index: int, line: dict, message) -> dict:
    return {"line": index, **_named(line), "message": str(message)}


def _find_variants(cooperative_id: int, lines: list[dict]) -> list[int | None]:
    """The id of the cooperative's variant each line names (None: not found, not theirs,
    or a product with several variants named by its id), in two queries whatever the
    number of lines."""
    by_id = {line["variant_id"] for line in lines if "variant_id" in line}
    by_sku = {line["sku"] for line in lines if "sku" in line}
    by_product = {line["product_id"] for line in lines if "product_id" in line}
    clauses = []
    if by_id:
        clauses.append(ProductVariant.id.in_(by_id))
    if by_sku:
        clauses.append(ProductVariant.sku.in_(by_sku))
    if by_product:
        clauses.append(ProductVariant.product_id.in_(by_product))
    rows = db.session.execute(
        select(ProductVariant.id, ProductVariant.sku, ProductVariant.product_id).where(
            ProductVariant.cooperative_id == cooperative_id, or_(*clauses)
        )
    ).all()
    ids = {row.id for row in rows}
    skus = {row.sku: row.id for row in rows}
    of_product: dict[int, list[int]] = {}
    for row in rows:
        of_product.setdefault(row.product_id, []).append(row.id)
    found: list[int | None] = []
    for line in lines:
        if "variant_id" in line:
            found.append(line["variant_id"] if line["variant_id"] in ids else None)
        elif "sku" in line:
            found.append(skus.get(line["sku"]))
        else:
            only = of_product.get(line["product_id"], [])
            found.append(only[0] if len(only) == 1 else None)
    return found


def _several_variants(cooperative_id: int, lines: list[dict]) -> set[int]:
    """The products named by id on ``lines`` that are the cooperative's but have several
    variants (the line must then name its variant)."""
    named = {line["product_id"] for line in lines if "product_id" in line}
    if not named:
        return set()
    return set(
        db.session.scalars(
            select(ProductVariant.product_id)
            .where(
                ProductVariant.cooperative_id == cooperative_id,
                ProductVariant.product_id.in_(named),
            )
            .group_by(ProductVariant.product_id)
            .having(func.count(ProductVariant.id) > 1)
        )
    )


def bulk_update(token: ApiToken, lines: list[dict]) -> list[dict]:
    """Apply every line or none. Each line names one of the cooperative's variants (by id,
    by SKU, or by its product's id when the product has a single variant).

    The variants are locked (SELECT … FOR UPDATE, in id order, on PostgreSQL; SQLite writes
    one transaction at a time) before their stock is read, then their products (in id
    order): the order checkouts lock them in, so an order that arrives meanwhile waits and
    then takes its units from the new stock: the stock never goes below zero, no unit is
    sold twice, and the product's summary (catalogue.variants.refresh_summary) counts
    every variant's latest stock."""
    cooperative_id = token.cooperative_id
    errors: list[dict] = []
    for index, line in enumerate(lines):
        if len(_named(line)) != 1:
            errors.append(
                _line_error(
                    index,
                    line,
                    _l("Name the variant by exactly one of variant_id, sku or product_id."),
                )
            )
    if errors:
        raise InvalidInput(_l("Nothing was changed: some lines cannot be applied."), errors=errors)
    found = _find_variants(cooperative_id, lines)
    several = _several_variants(cooperative_id, lines)
    seen: set[int] = set()
    for index, (line, variant_id) in enumerate(zip(lines, found, strict=True)):
        if line.get("product_id") in several:
            errors.append(
                _line_error(
                    index,
                    line,
                    _l("This product has several variants: name one by its variant_id or sku."),
                )
            )
        elif variant_id is not None and variant_id in seen:
            errors.append(_line_error(index, line, _l("This variant is already on another line.")))
        seen.add(variant_id)
    if errors:
        raise InvalidInput(_l("Nothing was changed: some lines cannot be applied."), errors=errors)
    missing = [
        _line_error(index, line, _l("This product does not exist."))
        for index, (line, variant_id) in enumerate(zip(lines, found, strict=True))
        if variant_id is None
    ]
    if missing:
        raise BulkNotFound(errors=missing)
    ids = sorted(set(found))
    product_ids = sorted(
        set(
            db.session.scalars(
                select(ProductVariant.product_id)
                .where(ProductVariant.id.in_(ids), ProductVariant.cooperative_id == cooperative_id)
                .order_by(ProductVariant.id)
                .with_for_update()
            )
        )
    )
    list(
        db.session.scalars(
            select(Product.id)
            .where(Product.id.in_(product_ids))
            .order_by(Product.id)
            .with_for_update()
        )
    )
    # Read after the locks: every variant of these products as committed now.
    products = {
        p.id: p
        for p in db.session.scalars(
            select(Product)
            .where(Product.id.in_(product_ids))
            .options(
                selectinload(Product.variants),
                selectinload(Product.translations),
                selectinload(Product.category).selectinload(Category.translations),
                selectinload(Product.cooperative).selectinload(Cooperative.translations),
            )
            .execution_options(populate_existing=True)
        )
    }
    variants_by_id = {v.id: v for p in products.values() for v in p.variants}
    for index, (line, variant_id) in enumerate(zip(lines, found, strict=True)):
        variant = variants_by_id[variant_id]
        expected = line.get("expected_stock")
        if "stock" in line and expected is not None and variant.stock != expected:
            errors.append(
                _line_error(
                    index,
                    line,
                    _l(
                        "The stock changed since you read it (orders may have come "
                        "in): it is now %(n)d.",
                        n=variant.stock,
                    ),
                )
            )
    if errors:
        raise BulkRefused(errors=errors)
    changes = []
    for line, variant_id in zip(lines, found, strict=True):
        variant = variants_by_id[variant_id]
        old_stock, old_price = variant.stock, variant.price_cents
        variant.stock = line.get("stock", old_stock)
        variant.price_cents = line.get("price_cents", old_price)
        changes.append(
            {
                "product_id": variant.product_id,
                "variant_id": variant.id,
                "sku": variant.sku,
                "stock": variant.stock,
                "price_cents": variant.price_cents,
                "old_stock": old_stock,
                "old_price_cents": old_price,
            }
        )
    for product in products.values():
        refresh_summary(product)
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
            details={"variant_id": change["variant_id"], "sku": change["sku"]},
        )
    return changes
