"""The dashboard's tables as data (one definition for the page, the CSV and the XLSX files):
the filters written at the top of each file, numbers as numbers (MAD with two decimals),
months as dates, province, category and country names in the page's language."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.cooperatives.models import province_label
from marketplace.i18n import country_name

TEXT, INT, MONEY, PERCENT, MONTH = "text", "int", "money", "percent", "month"


@dataclass
class Table:
    name: str  # in URLs and file names
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list]


TABLE_TITLES = {
    "summary": _l("Key figures"),
    "months": _l("Month by month"),
    "provinces": _l("By province"),
    "categories": _l("By category"),
    "countries": _l("Shoppers by country"),
    "cooperatives": _l("Top cooperatives"),
    "products": _l("Top products"),
}


def _month_date(key: str) -> date:
    year, month = (int(part) for part in key.split("-"))
    return date(year, month, 1)


def tables(figures, locale: str) -> list[Table]:
    f = figures
    sales, orders, items = _("Sales"), _("Orders"), _("Items sold")
    summary = [
        [_("Sales (goods, after refunds)"), f.sales_cents, MONEY],
        [_("Orders"), f.orders, INT],
        [_("Items sold"), f.items, INT],
        [_("Average basket"), f.average_basket_cents, MONEY],
        [_("Sales paid by card"), f.card_sales_cents, MONEY],
        [_("Orders paid by card"), f.card_orders, INT],
        [_("Sales paid in cash on delivery"), f.cod_sales_cents, MONEY],
        [_("Orders paid in cash on delivery"), f.cod_orders, INT],
        [_("Sales by cooperatives with a majority of women members"), f.women_sales_cents, MONEY],
        [_("Share of sales by cooperatives with a majority of women members (%)"),
         f.women_share_percent, PERCENT],
        [_("Sales collected at the fairs"), f.fair_sales_cents, MONEY],
        [_("Orders collected at the fairs"), f.fair_orders, INT],
        [_("Cooperatives that applied"), f.cooperatives_applied, INT],
        [_("Verified cooperatives"), f.cooperatives_verified, INT],
        [_("Cooperatives that sold"), f.cooperatives_active, INT],
        [_("Suspended cooperatives"), f.cooperatives_suspended, INT],
        [_("Commission"), f.commission_cents, MONEY],
        [_("Paid out to cooperatives"), f.paid_out_cents, MONEY],
        [_("Owed to cooperatives today"), f.owed_cents, MONEY],
        [_("Shoppers"), f.shoppers, INT],
        [_("New shoppers"), f.shoppers_new, INT],
        [_("Returning shoppers"), f.shoppers_returning, INT],
        [_("Shoppers in Morocco"), f.shoppers_morocco, INT],
        [_("Shoppers abroad"), f.shoppers_abroad, INT],
    ]  # fmt: skip
    return [
        Table(
            "summary",
            str(TABLE_TITLES["summary"]),
            [(_("Figure"), TEXT), (_("Value"), "mixed")],
            summary,
        ),
        Table(
            "months",
            str(TABLE_TITLES["months"]),
            [(_("Month"), MONTH), (sales, MONEY), (orders, INT), (items, INT)],
            [[_month_date(r.key), r.sales_cents, r.orders, r.items] for r in f.months],
        ),
        Table(
            "provinces",
            str(TABLE_TITLES["provinces"]),
            [
                (_("Province"), TEXT),
                (sales, MONEY),
                (orders, INT),
                (items, INT),
                (_("Cooperatives that sold"), INT),
            ],
            [
                [
                    province_label(r.key),
                    *(r.shown(n) for n in ("sales_cents", "orders", "items")),
                    r.shown("extra"),
                ]
                for r in f.provinces
            ],
        ),
        Table(
            "categories",
            str(TABLE_TITLES["categories"]),
            [(_("Category"), TEXT), (sales, MONEY), (orders, INT), (items, INT)],
            [
                [r.label, *(r.shown(n) for n in ("sales_cents", "orders", "items"))]
                for r in f.categories
            ],
        ),
        Table(
            "countries",
            str(TABLE_TITLES["countries"]),
            [(_("Country"), TEXT), (_("Shoppers"), INT), (orders, INT), (sales, MONEY)],
            [[country_name(r.key, locale), r.extra, r.orders, r.sales_cents] for r in f.countries],
        ),
        Table(
            "cooperatives",
            str(TABLE_TITLES["cooperatives"]),
            [(_("Cooperative"), TEXT), (sales, MONEY), (orders, INT), (items, INT)],
            [[r.label, r.sales_cents, r.orders, r.items] for r in f.top_cooperatives],
        ),
        Table(
            "products",
            str(TABLE_TITLES["products"]),
            [(_("Product"), TEXT), (sales, MONEY), (orders, INT), (items, INT)],
            [[r.label, r.sales_cents, r.orders, r.items] for r in f.top_products],
        ),
    ]


def filter_lines(filters, names: dict[str, str]) -> list[list]:
    """What the file is about, written at its top."""
    every = _("All")
    return [
        [_("From"), filters.start],
        [_("To"), filters.end],
        [_("Province"), province_label(filters.province) if filters.province else every],
        [_("Category"), names.get("category") or every],
        [_("Cooperative"), names.get("cooperative") or every],
    ]


def _kind(table: Table, row: list, index: int) -> str:
    kind = table.columns[index][1]
    return row[2] if kind == "mixed" else kind


def _plain(value, kind: str):
    if value is None:
        return ""
    if kind == MONEY:
        return (Decimal(value) / 100).quantize(Decimal("0.01"))
    return value


def to_csv(table: Table, filters: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in filters:
        writer.writerow([label, value.isoformat() if isinstance(value, date) else value])
    writer.writerow([])
    writer.writerow([header for header, _kind_ in table.columns])
    for row in table.rows:
        cells = []
        for index in range(len(table.columns)):
            value = _plain(row[index], _kind(table, row, index))
            cells.append(value.isoformat() if isinstance(value, date) else value)
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8 (Arabic)


def to_xlsx(all_tables: list[Table], filters: list[list], rtl: bool) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    formats = {
        MONEY: book.add_format({"num_format": "#,##0.00"}),
        INT: book.add_format({"num_format": "0"}),
        PERCENT: book.add_format({"num_format": "0.0"}),
        MONTH: book.add_format({"num_format": "yyyy-mm"}),
        "day": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    for table in all_tables:
        sheet = book.add_worksheet(table.name)
        if rtl:
            sheet.right_to_left()
        sheet.write_string(0, 0, table.title, bold)
        for offset, (label, value) in enumerate(filters, start=1):
            sheet.write_string(offset, 0, label)
            if isinstance(value, date):
                sheet.write_datetime(offset, 1, value, formats["day"])
            else:
                sheet.write_string(offset, 1, str(value))
        header_row = len(filters) + 2
        for col, column in enumerate(table.columns):
            sheet.write_string(header_row, col, column[0], bold)
        for r, row in enumerate(table.rows, start=header_row + 1):
            for col in range(len(table.columns)):
                kind, value = _kind(table, row, col), row[col]
                if value is None:
                    continue
                if kind == TEXT:
                    sheet.write_string(r, col, str(value))
                elif kind == MONTH:
                    sheet.write_datetime(r, col, value, formats[MONTH])
                else:
                    sheet.write_number(r, col, float(_plain(value, kind)), formats[kind])
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, len(table.columns), 16)
    book.close()
    return buffer.getvalue()
