"""The impact dashboard's rollup: one row per order line of a sold sub-order, with what the
figures need already worked out (see ``marketplace.impact.rollup``, which keeps it in step
with the orders through the ``impact-refresh`` job, run right after each commit that changes
one, and the README's "Impact dashboard" section).

A row holds the line's net value (its share of the sub-order's refunds taken off), its
quantity, the order's instant, month (Morocco's time), shopper, country and way of paying,
the cooperative's province and whether most of its members are women, the sub-order's
commission and what it leaves owed to the cooperative (on its first line only), and
*first* markers: ``order_first`` is 1 on one line of each order and 0 on the others, so
that ``SUM(order_first)`` counts orders without ``COUNT(DISTINCT …)``; likewise once per
order and province, per order and category, per order, province and category, per
sub-order, per sub-order and category, and per order and product.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db

FIRST_MARKERS = (
    "order_first",
    "order_province_first",
    "order_category_first",
    "order_province_category_first",
    "sub_order_first",
    "sub_order_category_first",
)


class ImpactSale(db.Model):
    __tablename__ = "impact_sales"
    __table_args__ = (
        # the date range; the returning shoppers (an earlier sale of the same shopper)
        Index("ix_impact_sales_created", "created_at"),
        Index("ix_impact_sales_shopper_created", "shopper", "created_at"),
        # the cells of impact_months to write again
        Index("ix_impact_sales_cooperative_month", "cooperative_id", "month"),
        # top products read in index order, without the table
        Index(
            "ix_impact_sales_products",
            "product_id",
            postgresql_include=["created_at", "net_cents", "quantity", "order_product_first"],
        ),
    )

    # fixed-width columns first, text last: rows are read faster (no offset to work out)
    line_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sub_order_id: Mapped[int] = mapped_column(Integer)
    cooperative_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    net_cents: Mapped[int] = mapped_column(BigInteger)
    # delivered sub-orders, on their first line: the commission net of the refunds' share,
    # and what the sub-order leaves owed to the cooperative (as the ledger counts them)
    commission_cents: Mapped[int] = mapped_column(BigInteger)
    owed_cents: Mapped[int] = mapped_column(BigInteger)
    order_first: Mapped[int] = mapped_column(SmallInteger)
    order_province_first: Mapped[int] = mapped_column(SmallInteger)
    order_category_first: Mapped[int] = mapped_column(SmallInteger)
    order_province_category_first: Mapped[int] = mapped_column(SmallInteger)
    sub_order_first: Mapped[int] = mapped_column(SmallInteger)
    sub_order_category_first: Mapped[int] = mapped_column(SmallInteger)
    order_product_first: Mapped[int] = mapped_column(SmallInteger)
    women: Mapped[bool] = mapped_column(Boolean)  # a majority of women members
    card: Mapped[bool] = mapped_column(Boolean)
    fair: Mapped[bool] = mapped_column(Boolean)  # collected at a fair
    month: Mapped[str] = mapped_column(String(7))  # "2026-03", in Morocco's time
    province: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    shopper: Mapped[str] = mapped_column(String(254))  # the order's e-mail, lower case


class ImpactMonth(db.Model):
    """``impact_sales`` summed per month (Morocco's time), cooperative, category, country, way
    of paying, fair or not, for the closed months up to ``ImpactState.months_through``: what
    the dashboard sums over those months when a range covers them whole (the other days are
    read from ``impact_sales``). The *first* markers are summed too, so orders are still
    counted once each. Written again, for the (month, cooperative) pairs of the orders that
    changed, right after their ``impact_sales`` rows; a month that closes is added by the
    ``impact-months`` job (marketplace/impact/rollup.py)."""

    __tablename__ = "impact_months"
    __table_args__ = (Index("ix_impact_months_cooperative_month", "cooperative_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    commission_cents: Mapped[int] = mapped_column(BigInteger)
    owed_cents: Mapped[int] = mapped_column(BigInteger)
    order_first: Mapped[int] = mapped_column(Integer)
    order_province_first: Mapped[int] = mapped_column(Integer)
    order_category_first: Mapped[int] = mapped_column(Integer)
    order_province_category_first: Mapped[int] = mapped_column(Integer)
    sub_order_first: Mapped[int] = mapped_column(Integer)
    sub_order_category_first: Mapped[int] = mapped_column(Integer)
    women: Mapped[bool] = mapped_column(Boolean)
    card: Mapped[bool] = mapped_column(Boolean)
    fair: Mapped[bool] = mapped_column(Boolean)
    month: Mapped[str] = mapped_column(String(7))
    province: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))


class ImpactPending(db.Model):
    """What changed and is still to be written into the rollup: the request that changes an
    order only inserts a row here (a new row each time, never an update: no lock, no wait, no
    conflict with any other transaction), and the ``impact-refresh`` job, run after its
    commit, claims the rows and writes the orders' ``impact_sales`` rows again
    (marketplace/impact/rollup.py). A row names an order (``order_id``), or a (month,
    cooperative) pair of ``impact_months`` to sum again (an order deleted: its rows are
    gone with it). An order marked twice has two rows; the job writes it once."""

    __tablename__ = "impact_pending"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: may be deleted
    cooperative_id: Mapped[int | None] = mapped_column(Integer)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    month: Mapped[str | None] = mapped_column(String(7))


class ImpactState(db.Model):
    """One row: the last month summed in ``impact_months`` (the months after it, the current
    one at least, are read from ``impact_sales``: orders placed now never wait for a shared
    monthly row)."""

    __tablename__ = "impact_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    months_through: Mapped[str] = mapped_column(String(7), default="")  # "2026-11"; "": none
