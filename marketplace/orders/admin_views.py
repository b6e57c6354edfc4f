"""Operator page: every order."""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.auth.decorators import admin_required
from marketplace.extensions import db
from marketplace.http import page_arg
from marketplace.orders import bp
from marketplace.orders.models import CooperativeOrder, Order, OrderStatus, PaymentMethod


@bp.get("/admin/orders")
@admin_required
def admin_orders():
    status = request.args.get("status", "")
    if status not in {s.value for s in OrderStatus}:
        status = ""
    method = request.args.get("method", "")
    if method not in {m.value for m in PaymentMethod}:
        method = ""
    q = (request.args.get("q") or "").strip()[:60]
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    query = select(Order)
    if status:
        query = query.where(Order.status == status)
    if method:
        query = query.where(Order.payment_method == method)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(
            Order.number.ilike(like) | Order.email.ilike(like) | Order.contact_name.ilike(like)
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.session.scalars(
        query.options(selectinload(Order.sub_orders).selectinload(CooperativeOrder.cooperative))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return render_template(
        "orders/admin_orders.html",
        orders=orders,
        status=status,
        method=method,
        q=q,
        page=page,
        pages=max(1, -(-total // size)),
        total=total,
        statuses=list(OrderStatus),
        methods=list(PaymentMethod),
    )
