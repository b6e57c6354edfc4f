"""Routes of the `impact` domain: the dashboard and its exports (observers and admins) and
the public impact page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from marketplace.auth.decorators import observer_required
from marketplace.cooperatives.models import PROVINCE_LABELS, Province, province_label
from marketplace.http import download_name, int_arg, parse_int
from marketplace.i18n import current_locale, text_direction
from marketplace.impact import bp, charts, exports, services

PUBLIC_MIN_ORDERS_DEFAULT = 10


def _date_arg(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def filters_from_request(locale: str) -> tuple[services.Filters, dict[str, str]]:
    """The filters the query string asks for (anything invalid is ignored), and the names
    of the chosen category and cooperative."""
    default = services.Filters.this_year()
    province = request.args.get("province", "")
    category_id = int_arg("category", minimum=1, maximum=2**31 - 1)
    cooperative_id = int_arg("cooperative", minimum=1, maximum=2**31 - 1)
    names: dict[str, str] = {}
    categories = dict(services.category_choices(locale))
    if category_id not in categories:
        category_id = None
    else:
        names["category"] = categories[category_id]
    cooperatives = dict(services.cooperative_choices(locale))
    if cooperative_id not in cooperatives:
        cooperative_id = None
    else:
        names["cooperative"] = cooperatives[cooperative_id]
    filters = services.Filters(
        start=_date_arg("from") or default.start,
        end=_date_arg("to") or default.end,
        province=province,
        category_id=category_id,
        cooperative_id=cooperative_id,
    ).normalised()
    names["categories"] = categories  # type: ignore[assignment]
    names["cooperatives"] = cooperatives  # type: ignore[assignment]
    return filters, names


def filter_args(filters: services.Filters) -> dict:
    """The query string of the chosen filters (for the export links)."""
    args = {"from": filters.start.isoformat(), "to": filters.end.isoformat()}
    for key, value in (
        ("province", filters.province),
        ("category", filters.category_id),
        ("cooperative", filters.cooperative_id),
    ):
        if value:
            args[key] = value
    return args


def chart_set(figures: services.Figures, locale: str, prefix: str) -> dict:
    rtl = text_direction(locale) == "rtl"
    months = figures.months
    sales = [charts.Point(charts.month_label(r.key, locale), r.sales_cents) for r in months]
    orders = [charts.Point(charts.month_label(r.key, locale), r.orders) for r in months]
    provinces = [
        charts.Point(province_label(r.key), r.shown("sales_cents") or 0) for r in figures.provinces
    ]
    return {
        "sales_by_month": charts.bar_chart(
            sales,
            title=_("Sales month by month (MAD)"),
            chart_id=f"{prefix}-sales-month",
            locale=locale,
            rtl=rtl,
            money=True,
        ),
        "orders_by_month": charts.line_chart(
            orders,
            title=_("Orders month by month"),
            chart_id=f"{prefix}-orders-month",
            locale=locale,
            rtl=rtl,
            money=False,
        ),
        "sales_by_province": charts.bar_chart(
            provinces,
            title=_("Sales by province (MAD)"),
            chart_id=f"{prefix}-sales-province",
            locale=locale,
            rtl=rtl,
            money=True,
        ),
        "map": charts.province_map(
            {r.key: r.shown("sales_cents") or 0 for r in figures.provinces},
            {p.value: str(label) for p, label in PROVINCE_LABELS.items()},
            title=_("Map of the five provinces shaded by sales (schematic)"),
            chart_id=f"{prefix}-map",
            locale=locale,
        ),
    }


@bp.get("/impact/dashboard")
@observer_required
def dashboard():
    locale = current_locale()
    filters, names = filters_from_request(locale)
    figures = services.cached_figures(filters, locale)
    return render_template(
        "impact/dashboard.html",
        figures=figures,
        filters=filters,
        provinces=[(p.value, province_label(p.value)) for p in Province],
        categories=names["categories"],
        cooperatives=names["cooperatives"],
        charts=chart_set(figures, locale, "dash"),
        tables={t.name: t for t in exports.tables(figures, locale)},
        export_args=filter_args(filters),
        pending_orders=services.pending_orders(),
    )


@bp.get("/impact/export.<any(csv, xlsx):fmt>")
@observer_required
def export(fmt: str):
    """Every table in one workbook (XLSX, a sheet each), or one table as CSV (``table``)."""
    locale = current_locale()
    filters, names = filters_from_request(locale)
    figures = services.cached_figures(filters, locale)
    all_tables = exports.tables(figures, locale)
    header = exports.filter_lines(filters, names)
    stem = f"impact-{filters.start.isoformat()}-{filters.end.isoformat()}"
    if fmt == "xlsx":
        body = exports.to_xlsx(all_tables, header, text_direction(locale) == "rtl")
        return _download(
            body,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{stem}.xlsx",
        )
    wanted = request.args.get("table", "summary")
    table = next((t for t in all_tables if t.name == wanted), None)
    if table is None:
        abort(404)
    body = exports.to_csv(table, header).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", f"{stem}-{table.name}.csv")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{download_name(name, "impact")}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/impact")
def public():
    """The council's transparency page: aggregate figures for a year; a cooperative is
    named only with at least IMPACT_PUBLIC_MIN_ORDERS orders."""
    locale = current_locale()
    this_year = datetime.now(services.MOROCCO).date().year
    year = parse_int(request.args.get("year"), minimum=2020, maximum=this_year) or this_year
    end = min(date(year, 12, 31), datetime.now(services.MOROCCO).date())
    filters = services.Filters(start=date(year, 1, 1), end=end)
    minimum = int(current_app.config.get("IMPACT_PUBLIC_MIN_ORDERS", PUBLIC_MIN_ORDERS_DEFAULT))
    minimum = max(minimum, 1)
    figures = services.cached_figures(filters, locale, min_orders=minimum)
    services.hide_small_groups(figures, minimum)
    return render_template(
        "impact/public.html",
        figures=figures,
        year=year,
        years=list(range(this_year, 2019, -1)),
        minimum=minimum,
        charts=chart_set(figures, locale, "pub"),
        tables={t.name: t for t in exports.tables(figures, locale)},
    )
