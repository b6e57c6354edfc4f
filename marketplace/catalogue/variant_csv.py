"""A cooperative's variants as a spreadsheet (issue #15): export them to CSV, change prices and
stock in Excel or LibreOffice, import the file back.

- ``export_csv``: UTF-8 with a byte order mark (Excel then opens Arabic names right), one row
  per variant: sku, product, option (names in the seller's language), price in MAD as
  "95.00", stock, active;
- ``preview``: reads an uploaded file (columns sku, price and stock, in any order, others
  ignored; "," or ";" between cells, found from the header; prices as "95.00", "95,00" or
  "٩٥٫٠٠"; an empty cell leaves the value as it is) and returns every change (old → new) and
  every problem with its line number. Nothing is written;
- ``apply``: writes the changes of a valid preview, carried by the page in a signed token
  (no file kept on the server between the two requests), all in one transaction and only
  if no price or stock changed since the preview (orders may have come in): otherwise the
  seller previews again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.audit import record_audit
from marketplace.catalogue import variants
from marketplace.catalogue.models import Product, ProductVariant
from marketplace.catalogue.variants import MAX_PRICE_CENTS, MAX_STOCK
from marketplace.cooperatives.services import ensure_can_sell
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.http import ascii_digits, parse_int
from marketplace.i18n import pick
from marketplace.money import to_cents

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
TOKEN_MAX_AGE = 3600  # seconds between the preview and "Apply"
COLUMNS = ("sku", "product", "option", "price", "stock", "active")
REQUIRED = ("sku", "price", "stock")
_SALT = "souk-variants-csv"


@dataclass(frozen=True)
class LineError:
    line: int  # 0: the file as a whole
    message: str


@dataclass(frozen=True)
class Change:
    line: int
    variant_id: int
    sku: str
    product_name: str
    option: str
    old_price_cents: int
    new_price_cents: int
    old_stock: int
    new_stock: int

    @property
    def price_changed(self) -> bool:
        return self.old_price_cents != self.new_price_cents

    @property
    def stock_changed(self) -> bool:
        return self.old_stock != self.new_stock


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    rows: int = 0
    token: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def unchanged(self) -> int:
        return self.rows - len(self.changes)


def _variants_of(cooperative_id: int):
    return (
        select(ProductVariant)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.cooperative_id == cooperative_id)
        .options(selectinload(ProductVariant.product).selectinload(Product.translations))
        .order_by(Product.created_at.desc(), Product.id.desc(), ProductVariant.position)
    )


def _price_text(cents: int) -> str:
    whole, part = divmod(cents, 100)
    return f"{whole}.{part:02d}"


# --- export ---------------------------------------------------------------------------


def export_csv(cooperative_id: int, locale: str) -> bytes:
    """The cooperative's variants as CSV bytes (UTF-8 with BOM, "," between cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for variant in db.session.scalars(_variants_of(cooperative_id)):
        writer.writerow(
            [
                variant.sku,
                pick(variant.product.translations, locale).name,
                variants.option_label(variant, locale).text,
                _price_text(variant.price_cents),
                variant.stock,
                "yes" if variant.active else "no",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- import ---------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _l("The file is larger than %(n)d KB: split it in several files.", n=MAX_BYTES // 1000)
        )
    if b"\x00" in data:
        raise InvalidInput(_l("This is not a CSV file: in your spreadsheet, save as “CSV”."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            _l("The file is not in UTF-8: in Excel, save it as “CSV UTF-8 (comma delimited)”.")
        ) from None


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The header's column positions and the (line number, cells) of each non-empty row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        rows = []
        header: list[str] | None = None
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise InvalidInput(
                    _l("The file has more than %(n)d lines: split it in several files.", n=MAX_ROWS)
                )
    except csv.Error:
        raise InvalidInput(
            _l("Line %(line)d cannot be read as CSV (check the quotes).", line=reader.line_num)
        ) from None
    if header is None:
        raise InvalidInput(_l("The file is empty."))
    positions = {name: header.index(name) for name in COLUMNS if name in header}
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise InvalidInput(
            _l(
                "The first line must name the columns sku, price and stock; missing: %(names)s.",
                names=", ".join(missing),
            )
        )
    return positions, rows


def _cell(cells: list[str], positions: dict[str, int], name: str) -> str:
    index = positions[name]
    return cells[index].strip() if index < len(cells) else ""


def _price(text: str, line: int, errors: list[LineError]) -> int | None:
    try:
        cents = to_cents(text)
    except ValueError:
        cents = None
    if cents is None or cents > MAX_PRICE_CENTS:
        errors.append(
            LineError(
                line,
                _l(
                    "Line %(line)d: “%(price)s” is not a price in MAD between 0 and 1,000,000 "
                    "(for example 95.00 or 95,00).",
                    line=line,
                    price=text[:30],
                ),
            )
        )
    return cents


def _stock(text: str, line: int, errors: list[LineError]) -> int | None:
    if ascii_digits(text).startswith(("-", "\u2212")):
        errors.append(
            LineError(line, _l("Line %(line)d: the stock cannot be negative.", line=line))
        )
        return None
    stock = parse_int(text, maximum=MAX_STOCK)
    if stock is None:
        errors.append(
            LineError(
                line,
                _l(
                    "Line %(line)d: “%(stock)s” is not a stock (a whole number between 0 and "
                    "1,000,000).",
                    line=line,
                    stock=text[:30],
                ),
            )
        )
    return stock


def preview(cooperative_id: int, data: bytes, locale: str) -> Preview:
    """What importing ``data`` would change, and what is wrong with it, line by line."""
    result = Preview()
    try:
        positions, rows = _read(_decode(data))
    except InvalidInput as error:
        result.errors.append(LineError(0, error.message))
        return result
    result.rows = len(rows)
    by_sku = {v.sku: v for v in db.session.scalars(_variants_of(cooperative_id))}
    seen: dict[str, int] = {}
    for line, cells in rows:
        sku = _cell(cells, positions, "sku")
        if not sku:
            result.errors.append(LineError(line, _l("Line %(line)d: the SKU is empty.", line=line)))
            continue
        if sku in seen:
            result.errors.append(
                LineError(
                    line,
                    _l(
                        "Line %(line)d: the SKU “%(sku)s” is already on line %(first)d.",
                        line=line,
                        sku=sku[:70],
                        first=seen[sku],
                    ),
                )
            )
            continue
        seen[sku] = line
        variant = by_sku.get(sku)
        if variant is None:
            result.errors.append(
                LineError(
                    line,
                    _l(
                        "Line %(line)d: no variant of your cooperative has the SKU “%(sku)s”.",
                        line=line,
                        sku=sku[:70],
                    ),
                )
            )
            continue
        price_text, stock_text = _cell(cells, positions, "price"), _cell(cells, positions, "stock")
        price = _price(price_text, line, result.errors) if price_text else variant.price_cents
        stock = _stock(stock_text, line, result.errors) if stock_text else variant.stock
        if price is None or stock is None:
            continue
        if price != variant.price_cents or stock != variant.stock:
            result.changes.append(
                Change(
                    line=line,
                    variant_id=variant.id,
                    sku=variant.sku,
                    product_name=pick(variant.product.translations, locale).name,
                    option=variants.option_label(variant, locale).text,
                    old_price_cents=variant.price_cents,
                    new_price_cents=price,
                    old_stock=variant.stock,
                    new_stock=stock,
                )
            )
    if result.valid and result.changes:
        result.token = _serializer().dumps(
            {
                "c": cooperative_id,
                "v": [
                    [c.variant_id, c.old_price_cents, c.new_price_cents, c.old_stock, c.new_stock]
                    for c in result.changes
                ],
            }
        )
    return result


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def apply(cooperative, token: str, actor=None) -> int:
    """Write the changes of a preview (its signed ``token``), all or none; the number of
    variants changed. Refused when the token is not one this site signed for this
    cooperative within the hour, or when a price or stock changed since the preview."""
    ensure_can_sell(cooperative)
    stale = InvalidInput(_l("This preview is no longer valid: import the file again."))
    try:
        payload = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
        if payload["c"] != cooperative.id:
            raise stale
        wanted = {int(row[0]): [int(x) for x in row[1:]] for row in payload["v"]}
    except (BadSignature, KeyError, TypeError, ValueError, IndexError):
        raise stale from None
    if not wanted:
        raise stale
    found = list(
        db.session.scalars(
            select(ProductVariant)
            .where(ProductVariant.id.in_(wanted), ProductVariant.cooperative_id == cooperative.id)
            .options(selectinload(ProductVariant.product).selectinload(Product.variants))
            .order_by(ProductVariant.id)
            .with_for_update()
        )
    )
    if len(found) != len(wanted):
        raise stale
    moved = [v.sku for v in found if (v.price_cents, v.stock) != (wanted[v.id][0], wanted[v.id][2])]
    if moved:
        raise Conflict(
            _l(
                "Prices or stock changed since the preview (orders may have come in), for "
                "example “%(sku)s”: import the file again to see the changes.",
                sku=moved[0],
            )
        )
    products = {}
    log = []
    for variant in found:
        _old_price, new_price, _old_stock, new_stock = wanted[variant.id]
        log.append([variant.sku, variant.price_cents, new_price, variant.stock, new_stock])
        variant.price_cents = new_price
        variant.stock = new_stock
        products[variant.product_id] = variant.product
    db.session.flush()
    # Prices and stock are not in the search document (names, option labels, category and
    # cooperative are): the products' summaries are all that follows.
    for product in products.values():
        variants.refresh_summary(product)
    db.session.flush()
    record_audit(
        actor,
        "variant.csv_imported",
        target_type="cooperative",
        target_id=cooperative.id,
        new_value=str(len(found)),
        changes=log,
    )
    return len(found)
