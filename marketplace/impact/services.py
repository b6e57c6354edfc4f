"""The impact figures: what the platform did, for a date range, a province, a category or a
cooperative, computed by aggregate SQL in a constant number of queries (whatever the number
of orders), from the orders, refunds and payouts tables themselves.

Definitions (the README's "Impact dashboard" section says the same):
- an order counts from the moment it is placed and paid for (card) or confirmed (cash on
  delivery): its sub-orders in ``SOLD_STATUSES`` count, cancelled or unpaid ones do not; the
  date range is on the day the order was placed, in Morocco's time;
- sales are the goods' value (the order lines, shipping excluded) minus the refunds: a
  sub-order's succeeded refunds (at most its goods' value) are shared among its lines in
  proportion to their value, rounded down per line;
- commission is the platform's commission on delivered sub-orders, less the part returned
  with refunds (exactly the ledger's commission account); paid out is the payouts paid in the
  range; owed is what the platform owes the cooperatives today (their ledger balances);
- shoppers are told apart by their e-mail address; a shopper is new when their first order
  on the platform is in the range, returning otherwise; their country is the delivery
  address's;
- a cooperative has a majority of women members when more than half of its members are women.
Money figures (commission, paid out, owed) follow the province and cooperative filters, not
the category one (a payout is for a cooperative, not for a category).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import BigInteger, and_, case, cast, distinct, false, func, or_, select

from marketplace.catalogue.models import Category, ProductTranslation
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    CooperativeTranslation,
    Province,
)
from marketplace.extensions import cache, db
from marketplace.i18n import pick
from marketplace.orders.models import (
    CooperativeOrder,
    Order,
    OrderLine,
    PaymentMethod,
    SubOrderStatus,
)
from marketplace.payments.models import Payout, Refund, RefundStatus

MOROCCO = ZoneInfo("Africa/Casablanca")
SOLD_STATUSES = (
    SubOrderStatus.CONFIRMED.value,
    SubOrderStatus.SHIPPED.value,
    SubOrderStatus.DELIVERED.value,
)
TOP = 10
MAX_YEARS = 10  # the longest range shown (older starts are moved forward)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    province: str = ""
    category_id: int | None = None
    cooperative_id: int | None = None

    @classmethod
    def this_year(cls, today: date | None = None, **kwargs) -> Filters:
        today = today or datetime.now(MOROCCO).date()
        return cls(start=date(today.year, 1, 1), end=today, **kwargs)

    def normalised(self) -> Filters:
        start, end = (self.start, self.end) if self.start <= self.end else (self.end, self.start)
        earliest = date(max(end.year - MAX_YEARS, 1), end.month, 1)
        province = self.province if self.province in {p.value for p in Province} else ""
        return Filters(max(start, earliest), end, province, self.category_id, self.cooperative_id)

    def bounds(self) -> tuple[datetime, datetime]:
        """The range as UTC instants: from the first day's midnight in Morocco to the midnight
        after the last day."""
        first = datetime.combine(self.start, time.min, MOROCCO).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time.min, MOROCCO).astimezone(UTC)
        return first, after


@dataclass
class Row:
    """One line of a table: a key (month "2026-03", province code, id), its label and figures."""

    key: str
    label: str = ""
    sales_cents: int = 0
    orders: int = 0
    items: int = 0
    extra: int = 0  # cooperatives (provinces), shoppers (countries)
    hidden: bool = False  # public page: too few orders to be shown

    def shown(self, name: str) -> int | None:
        return None if self.hidden else getattr(self, name)


@dataclass
class Figures:
    filters: Filters
    sales_cents: int = 0
    orders: int = 0
    items: int = 0
    average_basket_cents: int = 0
    card_sales_cents: int = 0
    card_orders: int = 0
    cod_sales_cents: int = 0
    cod_orders: int = 0
    women_sales_cents: int = 0
    fair_sales_cents: int = 0  # orders collected at a fair
    fair_orders: int = 0
    women_share_percent: float = 0.0
    cooperatives_applied: int = 0
    cooperatives_verified: int = 0
    cooperatives_active: int = 0
    cooperatives_suspended: int = 0
    commission_cents: int = 0
    paid_out_cents: int = 0
    owed_cents: int = 0
    shoppers: int = 0
    shoppers_new: int = 0
    shoppers_returning: int = 0
    shoppers_morocco: int = 0
    shoppers_abroad: int = 0
    months: list[Row] = field(default_factory=list)
    provinces: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    countries: list[Row] = field(default_factory=list)
    top_cooperatives: list[Row] = field(default_factory=list)
    top_products: list[Row] = field(default_factory=list)
    queries: int = 0


def month_keys(start: date, end: date) -> list[str]:
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _month_of(column):
    """The month ("YYYY-MM") of a UTC timestamp in Morocco's time."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Africa/Casablanca", column), "YYYY-MM")
    # SQLite has no time zone database: Morocco's usual offset (UTC+1).
    return func.strftime("%Y-%m", column, "+1 hours")


def _refunded():
    """Succeeded refunds per sub-order: of its items (``refunded``) and of its shipping only
    (``shipping_refunded``, which carries no commission), as the ledger counts them."""
    shipping_only = getattr(Refund, "shipping_only", None)  # (the ledger's newer split)
    is_shipping = shipping_only.is_(True) if shipping_only is not None else false()

    def total(condition):
        # a BIGINT: PostgreSQL's SUM of BIGINT is NUMERIC, whose division is not integral
        return cast(func.sum(case((condition, Refund.amount_cents), else_=0)), BigInteger)

    return (
        select(
            Refund.sub_order_id,
            total(~is_shipping).label("refunded"),
            total(is_shipping).label("shipping_refunded"),
        )
        .where(Refund.status == RefundStatus.SUCCEEDED.value)
        .group_by(Refund.sub_order_id)
        .subquery()
    )


def _women_majority():
    return and_(
        Cooperative.women_members_count.is_not(None),
        Cooperative.members_count.is_not(None),
        Cooperative.women_members_count * 2 > Cooperative.members_count,
    )


class _Lines:
    """The sold order lines of the range and filters, with each line's net value."""

    def __init__(self, f: Filters):
        self.f = f
        self.start, self.after = f.bounds()
        refunded = _refunded()
        got_back = func.coalesce(refunded.c.refunded, 0)
        goods_back = case(
            (got_back > CooperativeOrder.items_cents, CooperativeOrder.items_cents),
            else_=got_back,
        )
        self.net = OrderLine.line_total_cents - case(
            (
                CooperativeOrder.items_cents > 0,
                (goods_back * OrderLine.line_total_cents) // CooperativeOrder.items_cents,
            ),
            else_=0,
        )
        self.refunded = refunded

    def select(self, *columns):
        f = self.f
        query = (
            select(*columns)
            .select_from(OrderLine)
            .join(CooperativeOrder, CooperativeOrder.id == OrderLine.sub_order_id)
            .join(Order, Order.id == CooperativeOrder.order_id)
            .join(Cooperative, Cooperative.id == CooperativeOrder.cooperative_id)
            .outerjoin(self.refunded, self.refunded.c.sub_order_id == CooperativeOrder.id)
            .where(
                CooperativeOrder.status.in_(SOLD_STATUSES),
                Order.created_at >= self.start,
                Order.created_at < self.after,
            )
        )
        if f.province:
            query = query.where(Cooperative.province == f.province)
        if f.cooperative_id:
            query = query.where(Cooperative.id == f.cooperative_id)
        if f.category_id:
            query = query.where(OrderLine.category_id == f.category_id)
        return query


def _int(value) -> int:
    return int(value or 0)


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator) if denominator else 0


def compute(f: Filters, lang: str, *, min_orders: int = 0) -> Figures:
    """Every figure of the dashboard; ``min_orders`` > 0 leaves out of the top cooperatives
    those with fewer orders (the public page identifies none below it)."""
    f = f.normalised()
    out = Figures(filters=f)
    lines = _Lines(f)
    net, shopper = lines.net, func.lower(Order.email)
    card = Order.payment_method == PaymentMethod.CARD.value
    cod = Order.payment_method == PaymentMethod.CASH_ON_DELIVERY.value
    queries = 0

    # 1. totals
    row = db.session.execute(
        lines.select(
            func.sum(net),
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
            func.sum(case((card, net), else_=0)),
            func.count(distinct(case((card, Order.id)))),
            func.sum(case((cod, net), else_=0)),
            func.count(distinct(case((cod, Order.id)))),
            func.sum(case((_women_majority(), net), else_=0)),
            func.count(distinct(Cooperative.id)),
            func.count(distinct(shopper)),
            func.count(distinct(case((Order.country == "MA", shopper)))),
            func.sum(case((Order.collect_fair_id.is_not(None), net), else_=0)),
            func.count(distinct(case((Order.collect_fair_id.is_not(None), Order.id)))),
        )
    ).one()
    queries += 1
    (
        out.sales_cents,
        out.orders,
        out.items,
        out.card_sales_cents,
        out.card_orders,
        out.cod_sales_cents,
        out.cod_orders,
        out.women_sales_cents,
        out.cooperatives_active,
        out.shoppers,
        out.shoppers_morocco,
        out.fair_sales_cents,
        out.fair_orders,
    ) = (_int(v) for v in row)
    out.shoppers_abroad = out.shoppers - out.shoppers_morocco
    out.average_basket_cents = _round_div(out.sales_cents, out.orders) if out.orders else 0
    if out.sales_cents > 0:
        out.women_share_percent = round(100 * out.women_sales_cents / out.sales_cents, 1)

    # 2. month by month
    month = _month_of(Order.created_at).label("month")
    by_month = {
        key: Row(key, "", _int(s), _int(o), _int(i))
        for key, s, o, i in db.session.execute(
            lines.select(
                month, func.sum(net), func.count(distinct(Order.id)), func.sum(OrderLine.quantity)
            ).group_by(month)
        )
    }
    queries += 1
    out.months = [by_month.get(key, Row(key)) for key in month_keys(f.start, f.end)]

    # 3. provinces (all five, in their usual order)
    by_province = {
        code: Row(code, "", _int(s), _int(o), _int(i), _int(c))
        for code, s, o, i, c in db.session.execute(
            lines.select(
                Cooperative.province,
                func.sum(net),
                func.count(distinct(Order.id)),
                func.sum(OrderLine.quantity),
                func.count(distinct(Cooperative.id)),
            ).group_by(Cooperative.province)
        )
    }
    queries += 1
    out.provinces = [by_province.get(p.value, Row(p.value)) for p in Province]

    # 4. categories
    category_rows = db.session.execute(
        lines.select(
            OrderLine.category_id,
            func.sum(net),
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
        )
        .group_by(OrderLine.category_id)
        .order_by(func.sum(net).desc(), OrderLine.category_id)
    ).all()
    queries += 1
    categories = {c.id: c for c in db.session.scalars(select(Category))}  # + translations
    queries += 2
    for category_id, s, o, i in category_rows:
        category = categories.get(category_id)
        label = pick(category.translations, lang).name if category else ""
        out.categories.append(Row(str(category_id or ""), label, _int(s), _int(o), _int(i)))

    # 5. top cooperatives
    coop_query = (
        lines.select(
            Cooperative.id,
            func.sum(net),
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
        )
        .group_by(Cooperative.id)
        .order_by(func.sum(net).desc(), Cooperative.id)
        .limit(TOP)
    )
    if min_orders > 0:
        coop_query = coop_query.having(func.count(distinct(Order.id)) >= min_orders)
    coop_rows = db.session.execute(coop_query).all()
    queries += 1
    names = _names(
        CooperativeTranslation, CooperativeTranslation.cooperative_id, [r[0] for r in coop_rows]
    )
    queries += 1
    out.top_cooperatives = [
        Row(str(cid), _label(names.get(cid), lang), _int(s), _int(o), _int(i))
        for cid, s, o, i in coop_rows
    ]

    # 6. top products (a deleted product keeps the name its order lines recorded)
    product_rows = db.session.execute(
        lines.select(
            OrderLine.product_id,
            func.max(OrderLine.product_name),
            func.sum(net),
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
        )
        .group_by(OrderLine.product_id)
        .order_by(func.sum(net).desc(), OrderLine.product_id)
        .limit(TOP)
    ).all()
    queries += 1
    names = _names(ProductTranslation, ProductTranslation.product_id, [r[0] for r in product_rows])
    queries += 1
    out.top_products = [
        Row(str(pid or ""), _label(names.get(pid), lang) or recorded, _int(s), _int(o), _int(i))
        for pid, recorded, s, o, i in product_rows
    ]

    # 7. countries of the shoppers
    out.countries = [
        Row(code or "", "", _int(s), _int(o), 0, _int(n))
        for code, s, o, n in db.session.execute(
            lines.select(
                Order.country,
                func.sum(net),
                func.count(distinct(Order.id)),
                func.count(distinct(shopper)),
            )
            .group_by(Order.country)
            .order_by(func.count(distinct(shopper)).desc(), Order.country)
        )
    ]
    queries += 1

    # 8. new and returning shoppers: returning when they had a sold order before the range
    # (each shopper's first sold order, all orders grouped once: no correlated subquery)
    first = (
        select(func.lower(Order.email).label("who"), func.min(Order.created_at).label("first_at"))
        .join(CooperativeOrder, CooperativeOrder.order_id == Order.id)
        .where(CooperativeOrder.status.in_(SOLD_STATUSES))
        .group_by(func.lower(Order.email))
        .subquery()
    )
    out.shoppers_returning = _int(
        db.session.scalar(
            lines.select(
                func.count(distinct(case((first.c.first_at < lines.start, shopper))))
            ).join(first, first.c.who == shopper)
        )
    )
    queries += 1
    out.shoppers_new = out.shoppers - out.shoppers_returning

    # 9. cooperatives: applied in the range, verified and suspended today
    coop_filter = []
    if f.province:
        coop_filter.append(Cooperative.province == f.province)
    if f.cooperative_id:
        coop_filter.append(Cooperative.id == f.cooperative_id)
    applied = and_(Cooperative.created_at >= lines.start, Cooperative.created_at < lines.after)
    row = db.session.execute(
        select(
            func.sum(case((applied, 1), else_=0)),
            func.sum(case((Cooperative.status == CooperativeStatus.VERIFIED.value, 1), else_=0)),
            func.sum(case((Cooperative.status == CooperativeStatus.SUSPENDED.value, 1), else_=0)),
        ).where(*coop_filter)
    ).one()
    queries += 1
    out.cooperatives_applied, out.cooperatives_verified, out.cooperatives_suspended = (
        _int(v) for v in row
    )

    # 10. commission (delivered sub-orders of the range) and what is owed (all of them)
    refunded = _refunded()
    got_back = func.coalesce(refunded.c.refunded, 0)
    shipping_back = func.coalesce(refunded.c.shipping_refunded, 0)
    items, total = CooperativeOrder.items_cents, CooperativeOrder.total_cents
    commission = CooperativeOrder.commission_cents
    # the commission returned with the item refunds: commission × refunded / items, rounded
    # half up, at most the whole commission (ledger.commission_share)
    items_back = case((got_back > items, items), else_=got_back)
    returned = (2 * commission * items_back + items) // (2 * items)
    share = case(
        (
            and_(items > 0, got_back > 0),
            case((returned > commission, commission), else_=returned),
        ),
        else_=0,
    )
    owed_part = case(
        (card, total - commission - got_back - shipping_back + share),
        else_=share - commission,
    )
    in_range = and_(Order.created_at >= lines.start, Order.created_at < lines.after)
    row = db.session.execute(
        select(func.sum(case((in_range, commission - share), else_=0)), func.sum(owed_part))
        .select_from(CooperativeOrder)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .join(Cooperative, Cooperative.id == CooperativeOrder.cooperative_id)
        .outerjoin(refunded, refunded.c.sub_order_id == CooperativeOrder.id)
        .where(CooperativeOrder.status == SubOrderStatus.DELIVERED.value, *coop_filter)
    ).one()
    queries += 1
    out.commission_cents, owed = _int(row[0]), _int(row[1])

    # 11. payouts: paid in the range, and all paid (what is owed is net of them)
    paid_in_range = and_(Payout.paid_at >= lines.start, Payout.paid_at < lines.after)
    row = db.session.execute(
        select(
            func.sum(case((paid_in_range, Payout.amount_cents), else_=0)),
            func.sum(Payout.amount_cents),
        )
        .select_from(Payout)
        .join(Cooperative, Cooperative.id == Payout.cooperative_id)
        .where(Payout.paid_at.is_not(None), *coop_filter)
    ).one()
    queries += 1
    out.paid_out_cents = _int(row[0])
    out.owed_cents = owed - _int(row[1])
    out.queries = queries
    return out


def cached_figures(f: Filters, lang: str, *, min_orders: int = 0) -> Figures:
    """``compute``, kept IMPACT_CACHE_SECONDS (300 s by default) in the application cache
    (Redis in production) per filters, language and threshold: the figures of a year of
    orders take a second or more to aggregate, the council does not need them to the
    second. IMPACT_CACHE_SECONDS=0 computes every time."""
    seconds = int(current_app.config.get("IMPACT_CACHE_SECONDS", 300))
    f = f.normalised()
    if seconds <= 0:
        return compute(f, lang, min_orders=min_orders)
    key = (
        f"impact:{f.start}:{f.end}:{f.province}:{f.category_id}:{f.cooperative_id}:"
        f"{lang}:{min_orders}"
    )
    found = cache.get(key)
    if isinstance(found, Figures):
        return found
    figures = compute(f, lang, min_orders=min_orders)
    cache.set(key, figures, timeout=seconds)
    return figures


def hide_small_groups(figures: Figures, minimum: int) -> None:
    """For the public page: a province or category with fewer than ``minimum`` orders is not
    shown (its figures could tell a small cooperative's sales)."""
    for row in [*figures.provinces, *figures.categories]:
        row.hidden = 0 < row.orders < minimum


def _names(model, owner_column, ids) -> dict[int, list]:
    ids = [i for i in ids if i is not None]
    found: dict[int, list] = {}
    if not ids:
        return found
    for translation in db.session.scalars(select(model).where(owner_column.in_(ids))):
        found.setdefault(getattr(translation, owner_column.key), []).append(translation)
    return found


def _label(translations, lang: str) -> str:
    return pick(translations, lang).name if translations else ""


def cooperative_choices(lang: str) -> list[tuple[int, str]]:
    """Verified or suspended cooperatives (those that may have sold), by name."""
    rows = db.session.execute(
        select(Cooperative.id, CooperativeTranslation.locale, CooperativeTranslation.name)
        .join(CooperativeTranslation, CooperativeTranslation.cooperative_id == Cooperative.id)
        .where(
            or_(
                Cooperative.status == CooperativeStatus.VERIFIED.value,
                Cooperative.status == CooperativeStatus.SUSPENDED.value,
            )
        )
    ).all()
    by_id: dict[int, dict[str, str]] = {}
    for coop_id, locale, name in rows:
        by_id.setdefault(coop_id, {})[locale] = name
    choices = []
    for coop_id, names in by_id.items():
        name = names.get(lang) or next(
            (names[code] for code in ("fr", "ar", "en") if code in names), ""
        )
        choices.append((coop_id, name))
    return sorted(choices, key=lambda c: c[1].casefold())


def category_choices(lang: str) -> list[tuple[int, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    return [(c.id, pick(c.translations, lang).name) for c in categories]
