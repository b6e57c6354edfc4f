"""The impact figures: what the platform did, for a date range, a province, a category or a
cooperative, computed by aggregate SQL in a constant number of queries (whatever the number
of orders) from ``impact_sales``, one row per sold order line with its net value and
markers that count each order once, kept in step with the orders, sub-orders, lines and
refunds in the transaction that changes them (marketplace/impact/rollup.py), and from the
cooperatives and payouts tables.

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
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased

from marketplace.catalogue.models import Category, ProductTranslation
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    CooperativeTranslation,
    Province,
)
from marketplace.extensions import cache, db
from marketplace.i18n import pick
from marketplace.impact.models import FIRST_MARKERS, ImpactSale
from marketplace.impact.models import ImpactMonth as M
from marketplace.impact.models import ImpactSale as S
from marketplace.impact.rollup import (
    SOLD_STATUSES,  # noqa: F401 (the definition's name)
    months_through,
)
from marketplace.impact.rollup import pending_orders as rollup_pending_orders
from marketplace.orders.models import OrderLine
from marketplace.payments.models import Payout

MOROCCO = ZoneInfo("Africa/Casablanca")
TOP = 10
WORK_MEM = "64MB"  # for the dashboard's aggregates only (SET LOCAL: this transaction)
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


def _int(value) -> int:
    return int(value or 0)


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator) if denominator else 0


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


class _Sales:
    """The sales of the range and filters: the rows of ``impact_months`` for the months the
    range covers whole, and those of ``impact_sales`` for the days of the months it covers
    in part; and which *first* marker counts each thing once (an order, an order in a
    province, a sub-order…) under the filters."""

    def __init__(self, f: Filters, months_through: str):
        self.f = f
        self.months_through = months_through
        self.start, self.after = f.bounds()
        # the months read from impact_months: covered whole by the range, and summed there
        self.full_months = [
            key for key in month_keys(f.start, f.end) if _whole(key, f) and key <= months_through
        ]
        self.where = [*self.filters(S), S.created_at >= self.start, S.created_at < self.after]
        # the other days, from impact_sales: before the first, after the last (UTC instants)
        if self.full_months:
            first, last = self.full_months[0], self.full_months[-1]
            head_end = Filters(_first_day(first), f.end).bounds()[0]
            tail_start = Filters(_first_day(last), _last_day(last)).bounds()[1]
            self.days = [
                or_(
                    and_(S.created_at >= self.start, S.created_at < head_end),
                    and_(S.created_at >= tail_start, S.created_at < self.after),
                ),
                S.month.not_in(self.full_months),
            ]
        else:
            self.days = [S.created_at >= self.start, S.created_at < self.after]

    def filters(self, model, *, money: bool = False) -> list:
        """The province, cooperative and category filters on ``model`` (commission, paid
        out and owed are not by category: ``money``)."""
        f, conditions = self.f, []
        if f.province:
            conditions.append(model.province == f.province)
        if f.cooperative_id:
            conditions.append(model.cooperative_id == f.cooperative_id)
        if f.category_id and not money:
            conditions.append(model.category_id == f.category_id)
        return conditions

    def source(self):
        """The rows to sum: whole months from ``impact_months``, the other days from
        ``impact_sales`` (the same columns)."""
        names = ("month", "province", "category_id", "cooperative_id", "country", "card")
        names += ("women", "fair", "net_cents", "quantity", *FIRST_MARKERS)
        months = select(*(getattr(M, n) for n in names)).where(
            M.month.in_(self.full_months), *self.filters(M)
        )
        days = select(*(getattr(S, n) for n in names)).where(*self.days, *self.filters(S))
        return union_all(months, days).cte("sales")

    def first(self, *dimensions: str) -> str:
        """The marker that is 1 once per order among the lines of the filters and the
        ``dimensions`` ("province", "category", "cooperative") grouped by."""
        keys = set(dimensions)
        keys |= {"province"} if self.f.province else set()
        keys |= {"category"} if self.f.category_id else set()
        keys |= {"cooperative"} if self.f.cooperative_id else set()
        if "cooperative" in keys:  # a cooperative's part of an order: its sub-order
            return "sub_order_category_first" if "category" in keys else "sub_order_first"
        if {"province", "category"} <= keys:
            return "order_province_category_first"
        if "province" in keys:
            return "order_province_first"
        if "category" in keys:
            return "order_category_first"
        return "order_first"


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def _last_day(month: str) -> date:
    year, number = int(month[:4]), int(month[5:])
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return following - timedelta(days=1)


def _whole(month: str, f: Filters) -> bool:
    """Whether the range covers every day of ``month`` ("YYYY-MM")."""
    return f.start <= _first_day(month) and _last_day(month) <= f.end


# the groupings read in one pass: name -> key columns grouped by
_GROUPINGS = {
    "total": (),
    "month": ("month",),
    "province": ("province",),
    "category": ("category_id",),
    "cooperative": ("cooperative_id", "province"),
    "country": ("country",),
}
_KEYS = ("month", "province", "category_id", "cooperative_id", "country")


class _Sums(NamedTuple):
    """One row of ``_grouped``: its keys (None where not grouped by), then its sums."""

    month: str | None
    province: str | None
    category_id: int | None
    cooperative_id: int | None
    country: str | None
    net: int
    items: int
    orders: int  # each order once
    province_orders: int  # each order once per province
    category_orders: int  # each order once per category
    cooperative_orders: int  # each sub-order once
    card_net: int
    card_orders: int
    women_net: int
    fair_net: int
    fair_orders: int


def _grouped(sales: _Sales) -> dict[str, list[_Sums]]:
    """Every sum of the dashboard, for each grouping, in one query: a single pass with
    GROUPING SETS on PostgreSQL, the same groupings one after the other (UNION ALL) on
    SQLite."""
    u = sales.source()
    c = u.c

    def total(expression):
        # an integer on both databases (PostgreSQL's SUM of BIGINT is NUMERIC)
        return cast(func.coalesce(func.sum(expression), 0), BigInteger)

    first = c[sales.first()]
    measures = (
        total(c.net_cents),
        total(c.quantity),
        total(first),
        total(c[sales.first("province")]),
        total(c[sales.first("category")]),
        total(c[sales.first("cooperative")]),
        total(case((c.card, c.net_cents), else_=0)),
        total(case((c.card, first), else_=0)),
        total(case((c.women, c.net_cents), else_=0)),
        total(case((c.fair, c.net_cents), else_=0)),
        total(case((c.fair, first), else_=0)),
    )
    keys = [c[name] for name in _KEYS]
    found: dict[str, list] = {name: [] for name in _GROUPINGS}
    if _postgres():
        # grouping(): a bit set per key column left out of the row's grouping
        bits = {}
        for name, grouped in _GROUPINGS.items():
            bits[sum(1 << (4 - i) for i, k in enumerate(_KEYS) if k not in grouped)] = name
        sets = [tuple_(*(c[k] for k in grouped)) for grouped in _GROUPINGS.values()]
        rows = db.session.execute(
            select(func.grouping(*keys), *keys, *measures).group_by(func.grouping_sets(*sets))
        )
        for kind, *rest in rows:
            found[bits[kind]].append(_Sums(*rest))
        return found
    parts = []
    for index, grouped in enumerate(_GROUPINGS.values()):
        shown = [(c[k] if k in grouped else null()).label(k) for k in _KEYS]
        parts.append(
            select(literal(index).label("kind"), *shown, *measures).group_by(
                *(c[k] for k in grouped)
            )
        )
    names = list(_GROUPINGS)
    for kind, *rest in db.session.execute(union_all(*parts)):
        found[names[kind]].append(_Sums(*rest))
    return found


def compute(f: Filters, locale: str, *, min_orders: int = 0) -> Figures:
    """Every figure of the dashboard, read from ``impact_sales`` (kept in step with the
    orders by marketplace/impact/rollup.py) in a constant number of queries; ``min_orders``
    > 0 leaves out of the top cooperatives those with fewer orders (the public page
    identifies none below it)."""
    f = f.normalised()
    out = Figures(filters=f)
    sales = _Sales(f, months_through())
    queries = 1
    hashagg = None
    if _postgres():
        # aggregates of ~10^5 rows: in memory, and not worth compiling (JIT) for each view;
        # the products summed in the order of their index (a hash table of every product
        # is several times slower), then hashing again for the other sums
        hashagg = db.session.scalar(
            select(
                func.current_setting("enable_hashagg"),
                func.set_config("jit", "off", True),
                func.set_config("work_mem", WORK_MEM, True),
                func.set_config("enable_hashagg", "off", True),
            )
        )
        queries += 1

    # 0. the top products' sums (names below)
    net_total = func.sum(S.net_cents)
    product_rows = db.session.execute(
        select(S.product_id, net_total, func.sum(S.order_product_first), func.sum(S.quantity))
        .where(*sales.where)
        .group_by(S.product_id)
        .order_by(net_total.desc(), S.product_id)
        .limit(TOP)
    ).all()
    queries += 1
    if hashagg is not None:
        db.session.execute(select(func.set_config("enable_hashagg", hashagg, True)))
        queries += 1

    # 1. the sums, in total and per month, province, category, cooperative and country
    grouped = _grouped(sales)
    queries += 1
    for g in grouped["total"]:
        out.sales_cents, out.items, out.orders = g.net, g.items, g.orders
        out.card_sales_cents, out.card_orders = g.card_net, g.card_orders
        out.women_sales_cents = g.women_net
        out.fair_sales_cents, out.fair_orders = g.fair_net, g.fair_orders
    out.cod_sales_cents = out.sales_cents - out.card_sales_cents  # card or cash: nothing else
    out.cod_orders = out.orders - out.card_orders
    out.average_basket_cents = _round_div(out.sales_cents, out.orders) if out.orders else 0
    if out.sales_cents > 0:
        out.women_share_percent = round(100 * out.women_sales_cents / out.sales_cents, 1)

    by_month = {g.month: Row(g.month, "", g.net, g.orders, g.items) for g in grouped["month"]}
    out.months = [by_month.get(key, Row(key)) for key in month_keys(f.start, f.end)]

    cooperatives = grouped["cooperative"]
    out.cooperatives_active = len(cooperatives)
    per_province: dict[str, int] = {}
    for g in cooperatives:
        per_province[g.province] = per_province.get(g.province, 0) + 1
    by_province = {
        g.province: Row(
            g.province, "", g.net, g.province_orders, g.items, per_province.get(g.province, 0)
        )
        for g in grouped["province"]
    }
    out.provinces = [by_province.get(p.value, Row(p.value)) for p in Province]

    # 2. category names (+ their translations)
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    queries += 2
    category_rows = sorted(
        ((g.category_id, g.net, g.category_orders, g.items) for g in grouped["category"]),
        key=lambda r: (-r[1], r[0] is None, r[0] or 0),
    )
    for category_id, s, o, i in category_rows:
        category = categories.get(category_id)
        label = pick(category.translations, locale).name if category else ""
        out.categories.append(Row(str(category_id or ""), label, s, o, i))

    # 3. top cooperatives, and their names
    coop_rows = sorted(
        ((g.cooperative_id, g.net, g.cooperative_orders, g.items) for g in cooperatives),
        key=lambda r: (-r[1], r[0]),
    )
    if min_orders > 0:
        coop_rows = [r for r in coop_rows if r[2] >= min_orders]
    coop_rows = coop_rows[:TOP]
    names = _names(
        CooperativeTranslation, CooperativeTranslation.cooperative_id, [r[0] for r in coop_rows]
    )
    queries += 1
    out.top_cooperatives = [
        Row(str(cid), _label(names.get(cid), locale), s, o, i) for cid, s, o, i in coop_rows
    ]

    # 4. top products, and the name their order lines recorded for those without one now (a
    # deleted product): reading the lines of every top product costs 30 ms over 130,000.
    ids = [r[0] for r in product_rows if r[0] is not None]
    names = _names(ProductTranslation, ProductTranslation.product_id, ids)
    queries += 1
    unnamed = [pid for pid in ids if pid not in names]
    recorded = dict(
        db.session.execute(
            select(S.product_id, func.max(OrderLine.product_name))
            .join(OrderLine, OrderLine.id == S.line_id)
            .where(
                *sales.where,
                or_(
                    S.product_id.in_(unnamed) if unnamed else false(),
                    S.product_id.is_(None) if any(r[0] is None for r in product_rows) else false(),
                ),
            )
            .group_by(S.product_id)
        ).all()
    )
    queries += 1
    out.top_products = [
        Row(
            str(pid or ""),
            _label(names.get(pid), locale) or recorded.get(pid, ""),
            _int(s),
            _int(o),
            _int(i),
        )
        for pid, s, o, i in product_rows
    ]

    # 5. shoppers: in all, per country, and returning (a sold order before the range)
    shopper_rows = _shoppers(sales)
    queries += 1
    per_country = {code: n for kind, code, n, _r in shopper_rows if kind == 0}
    for kind, _code, n, returning in shopper_rows:
        if kind == 1:
            out.shoppers, out.shoppers_returning = _int(n), _int(returning)
    out.shoppers_morocco = per_country.get("MA", 0)
    out.shoppers_abroad = out.shoppers - out.shoppers_morocco
    out.shoppers_new = out.shoppers - out.shoppers_returning
    out.countries = sorted(
        (
            Row(g.country or "", "", g.net, g.orders, 0, per_country.get(g.country, 0))
            for g in grouped["country"]
        ),
        key=lambda r: (-r.extra, r.key),
    )

    # 6. cooperatives: applied in the range, verified and suspended today
    coop_filter = []
    if f.province:
        coop_filter.append(Cooperative.province == f.province)
    if f.cooperative_id:
        coop_filter.append(Cooperative.id == f.cooperative_id)
    applied = and_(Cooperative.created_at >= sales.start, Cooperative.created_at < sales.after)
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

    # 7. commission (delivered sub-orders of the range) and what is owed (all of them), and
    # the payouts: paid in the range, and all paid (what is owed is net of them)
    money = union_all(
        # the summed months: commission of those the range covers, all that is owed
        select(
            case((M.month.in_(sales.full_months), M.commission_cents), else_=0).label("c"),
            M.owed_cents.label("o"),
        ).where(*sales.filters(M, money=True)),
        # the range's other days: their commission
        select(S.commission_cents, literal(0)).where(*sales.days, *sales.filters(S, money=True)),
        # the months not summed yet: what they leave owed
        select(literal(0), S.owed_cents).where(
            S.month > sales.months_through, *sales.filters(S, money=True)
        ),
    ).subquery("money")
    row = db.session.execute(select(func.sum(money.c.c), func.sum(money.c.o))).one()
    queries += 1
    out.commission_cents, owed = _int(row[0]), _int(row[1])
    paid_in_range = and_(Payout.paid_at >= sales.start, Payout.paid_at < sales.after)
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


def _shoppers(sales: _Sales) -> list:
    """(0, country, shoppers, 0) per country, then (1, None, shoppers, returning): shoppers
    told apart by e-mail; returning when they had a sold order before the range (whatever
    the filters)."""
    pairs = (
        select(S.shopper, S.country)
        .where(*sales.where, getattr(S, sales.first()) == 1)
        .group_by(S.shopper, S.country)
        .cte("pairs")
    )
    who = select(pairs.c.shopper).distinct().subquery("who")
    earlier = aliased(ImpactSale)
    returning = (
        select(earlier.line_id)
        .where(earlier.shopper == who.c.shopper, earlier.created_at < sales.start)
        .exists()
    )
    per_country = select(
        literal(0).label("kind"), pairs.c.country, func.count(), literal(0)
    ).group_by(pairs.c.country)
    everyone = select(
        literal(1),
        null(),
        func.count(),
        func.coalesce(func.sum(case((returning, 1), else_=0)), 0),
    ).select_from(who)
    return db.session.execute(union_all(per_country, everyone)).all()


def pending_orders() -> int:
    """How many orders have changed since the ``impact-refresh`` job last wrote them into
    the rollup (the dashboard's note; a read, never a write: the job does the writing)."""
    return rollup_pending_orders()


def cached_figures(f: Filters, locale: str, *, min_orders: int = 0) -> Figures:
    """``compute``, kept IMPACT_CACHE_SECONDS (300 s by default) in the application cache
    (Redis in production) per filters, language and threshold: the figures of a year of
    orders take a second or more to aggregate, the council does not need them to the
    second. IMPACT_CACHE_SECONDS=0 computes every time."""
    seconds = int(current_app.config.get("IMPACT_CACHE_SECONDS", 300))
    f = f.normalised()
    if seconds <= 0:
        return compute(f, locale, min_orders=min_orders)
    key = (
        f"impact:{f.start}:{f.end}:{f.province}:{f.category_id}:{f.cooperative_id}:"
        f"{locale}:{min_orders}"
    )
    found = cache.get(key)
    if isinstance(found, Figures):
        return found
    figures = compute(f, locale, min_orders=min_orders)
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


def _label(translations, locale: str) -> str:
    return pick(translations, locale).name if translations else ""


def cooperative_choices(locale: str) -> list[tuple[int, str]]:
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
    for coop_id, name_locale, name in rows:
        by_id.setdefault(coop_id, {})[name_locale] = name
    choices = []
    for coop_id, names in by_id.items():
        name = names.get(locale) or next(
            (names[code] for code in ("fr", "ar", "en") if code in names), ""
        )
        choices.append((coop_id, name))
    return sorted(choices, key=lambda c: c[1].casefold())


def category_choices(locale: str) -> list[tuple[int, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    return [(c.id, pick(c.translations, locale).name) for c in categories]
