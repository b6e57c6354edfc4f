"""Marshmallow schemas of the API: what requests may hold and what responses hold. They
are also the OpenAPI description (flask-smorest and apispec turn them into JSON Schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.api.models import Scope
from marketplace.catalogue.queries import PROVINCES, SORTS
from marketplace.catalogue.variants import MAX_PRICE_CENTS, MAX_STOCK, SKU_MAX
from marketplace.http import parse_int
from marketplace.i18n import LOCALES
from marketplace.orders.models import SubOrderStatus

MAX_ID = 2_147_483_647
MAX_BULK_LINES = 200


class WholeNumber(fields.Integer):
    """A whole number: in a query string as people type it (``http.parse_int``: ASCII or
    Arabic-Indic digits, nothing else); in JSON a number without a fractional part (2 or
    2.0, never a boolean)."""

    default_error_messages = {"invalid": "Not a whole number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():  # JSON Schema: 2.0 is an integer
            return int(value)
        if isinstance(value, str) and self.metadata.get("query", False):
            number = parse_int(value)
            if number is None:
                raise self.make_error("invalid")
            return number
        raise self.make_error("invalid")


class StrictBoolean(fields.Boolean):
    truthy = {"true", "1", "yes", "y", True}
    falsy = {"false", "0", "no", "n", False}


def query_int(minimum: int, maximum: int, **kwargs) -> WholeNumber:
    return WholeNumber(
        validate=validate.Range(min=minimum, max=maximum),
        metadata={"query": True, **kwargs.pop("metadata", {})},
        **kwargs,
    )


def json_int(minimum: int, maximum: int, **kwargs) -> WholeNumber:
    return WholeNumber(validate=validate.Range(min=minimum, max=maximum), **kwargs)


# --- requests -------------------------------------------------------------------------------


class LocaleQuery(Schema):
    lang = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "Language of the texts (else Accept-Language, else French)."},
    )


class ProductListQuery(LocaleQuery):
    category = fields.String(
        validate=validate.Length(min=1, max=120),
        metadata={"description": "Slug of a category (its sub-categories included)."},
    )
    cooperative = fields.String(
        validate=validate.Length(min=1, max=120), metadata={"description": "Cooperative slug."}
    )
    province = fields.String(validate=validate.OneOf(PROVINCES))
    in_stock = StrictBoolean()
    min_price_cents = query_int(0, MAX_PRICE_CENTS)
    max_price_cents = query_int(0, MAX_PRICE_CENTS)
    sort = fields.String(validate=validate.OneOf(SORTS), load_default="newest")
    limit = query_int(1, 100, load_default=24)
    after = fields.String(
        validate=validate.Length(min=1, max=600),
        metadata={"description": "The next_cursor of the previous page."},
    )


class CursorQuery(LocaleQuery):
    limit = query_int(1, 100, load_default=50)
    after = fields.String(
        validate=validate.Length(min=1, max=600),
        metadata={"description": "The next_cursor of the previous page."},
    )


class SearchQuery(LocaleQuery):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Words to find (any language, accents and Arabic marks ignored)."},
    )
    page = query_int(1, 5, load_default=1)
    limit = query_int(1, 100, load_default=20)


class SubOrderQuery(CursorQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in SubOrderStatus]))


class StatusChange(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf([s.value for s in SubOrderStatus])
    )
    reason = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "Required to cancel: why (sent to the shopper)."},
    )
    carrier = fields.String(validate=validate.Length(max=80))
    tracking_number = fields.String(validate=validate.Length(max=80))


class BulkLine(Schema):
    """One variant's new stock and/or price (a line with neither changes nothing). The
    variant is named by exactly one of ``variant_id``, ``sku`` or, for a product sold in a
    single variant, ``product_id``."""

    product_id = json_int(
        1,
        MAX_ID,
        metadata={"description": "A product with a single variant (else: 400, name the variant)."},
    )
    variant_id = json_int(1, MAX_ID)
    sku = fields.String(
        validate=validate.Length(min=1, max=SKU_MAX),
        metadata={"description": "Your SKU of the variant."},
    )
    stock = json_int(0, MAX_STOCK)
    price_cents = json_int(0, MAX_PRICE_CENTS)
    expected_stock = json_int(
        0,
        MAX_STOCK,
        metadata={
            "description": "Only change the stock if it is still this (what your tool last "
            "read): orders may have taken units since."
        },
    )


class BulkUpdate(Schema):
    items = fields.List(
        fields.Nested(BulkLine),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK_LINES),
    )


# --- responses ------------------------------------------------------------------------------


class Text(Schema):
    """A translated text: its value, the language it is in and whether that is another
    language than asked (a fallback)."""

    value = fields.String(required=True)
    lang = fields.String(required=True, allow_none=True)
    fallback = fields.Boolean(required=True)


class Image(Schema):
    url = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)


class CategoryRef(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.Nested(Text, required=True)


class Category(CategoryRef):
    parent_id = fields.Integer(required=True, allow_none=True)
    position = fields.Integer(required=True)
    description = fields.Nested(Text, required=True)
    product_count = fields.Integer(required=True)


class CategoryList(Schema):
    lang = fields.String(required=True)
    items = fields.List(fields.Nested(Category), required=True)


class Unit(Schema):
    quantity = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": 'Decimal quantity of the unit ("500", "1.5"); null: no unit.'},
    )
    code = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "g, kg, ml, cl, l, piece, m or m2; null: the item itself."},
    )
    label = fields.String(
        required=True, metadata={"description": 'Quantity and unit in `lang` ("500 g"), or "".'}
    )
    size = fields.String(
        required=True,
        metadata={"description": 'Dimensions of the item ("150 × 230 cm"), or "".'},
    )


class CooperativeRef(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.Nested(Text, required=True)


class Variant(Schema):
    """One size or pack of a product on sale, in the seller's order."""

    id = fields.Integer(required=True)
    sku = fields.String(required=True)
    label = fields.Nested(
        Text,
        required=True,
        metadata={"description": 'The option\'s name ("500 g", "Grand"), else its unit.'},
    )
    price_cents = fields.Integer(required=True)
    stock = fields.Integer(required=True)
    in_stock = fields.Boolean(required=True)
    unit = fields.Nested(Unit, required=True)
    weight_grams = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Weight for shipping."}
    )


class ProductSummary(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    url = fields.String(required=True)
    name = fields.Nested(Text, required=True)
    unit = fields.Nested(
        Unit, required=True, metadata={"description": "The cheapest variant's unit."}
    )
    price_cents = fields.Integer(
        required=True, metadata={"description": "The cheapest variant's price."}
    )
    price_min_cents = fields.Integer(required=True)
    price_max_cents = fields.Integer(
        required=True, metadata={"description": "The dearest variant's price."}
    )
    currency = fields.String(required=True)
    stock = fields.Integer(required=True, metadata={"description": "Every variant's stock."})
    in_stock = fields.Boolean(required=True)
    variants = fields.List(fields.Nested(Variant), required=True)
    category = fields.Nested(CategoryRef, required=True, allow_none=True)
    cooperative = fields.Nested(CooperativeRef, required=True)
    image = fields.Nested(Image, required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ProductDetail(ProductSummary):
    description = fields.Nested(
        Text, required=True, metadata={"description": "Sanitised HTML (p, ul, ol, li, strong…)."}
    )
    weight_grams = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The weight of the variant bought by default."},
    )
    images = fields.List(fields.Nested(Image), required=True)


class ProductPage(Schema):
    lang = fields.String(required=True)
    items = fields.List(fields.Nested(ProductSummary), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class Cooperative(CooperativeRef):
    url = fields.String(required=True)
    story = fields.Nested(Text, required=True)
    province = fields.String(required=True)
    province_name = fields.String(required=True)
    commune = fields.String(required=True)
    founded_year = fields.Integer(required=True, allow_none=True)
    members_count = fields.Integer(required=True, allow_none=True)
    women_members_count = fields.Integer(required=True, allow_none=True)
    logo_url = fields.String(required=True, allow_none=True)
    product_count = fields.Integer(required=True)


class CooperativePage(Schema):
    lang = fields.String(required=True)
    items = fields.List(fields.Nested(Cooperative), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class SearchResult(Schema):
    lang = fields.String(required=True)
    query = fields.String(required=True)
    total = fields.Integer(required=True)
    more_than_counted = fields.Boolean(required=True)
    page = fields.Integer(required=True)
    items = fields.List(fields.Nested(ProductSummary), required=True)


class OrderLine(Schema):
    product_id = fields.Integer(required=True, allow_none=True)
    variant_id = fields.Integer(required=True, allow_none=True)
    sku = fields.String(required=True)
    variant_label = fields.Nested(
        Text,
        required=True,
        allow_none=True,
        metadata={"description": 'The option as ordered ("Grand"); null: the unit names it.'},
    )
    name = fields.Nested(Text, required=True)
    unit = fields.Nested(Unit, required=True)
    quantity = fields.Integer(required=True)
    unit_price_cents = fields.Integer(required=True)
    line_total_cents = fields.Integer(required=True)


class ShippingAddress(Schema):
    contact_name = fields.String(required=True)
    phone = fields.String(required=True)
    address_line1 = fields.String(required=True)
    address_line2 = fields.String(required=True)
    city = fields.String(required=True)
    region = fields.String(required=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True)


class SubOrder(Schema):
    id = fields.Integer(required=True)
    order_number = fields.String(required=True)
    status = fields.String(required=True)
    allowed_next = fields.List(fields.String(), required=True)
    payment_method = fields.String(required=True)
    currency = fields.String(required=True)
    items_cents = fields.Integer(required=True)
    shipping_cents = fields.Integer(required=True)
    total_cents = fields.Integer(required=True)
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    shipping_address = fields.Nested(ShippingAddress, required=True)
    lines = fields.List(fields.Nested(OrderLine), required=True)


class SubOrderPage(Schema):
    lang = fields.String(required=True)
    items = fields.List(fields.Nested(SubOrder), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class OwnVariant(Schema):
    id = fields.Integer(required=True)
    sku = fields.String(required=True)
    label = fields.Nested(Text, required=True)
    active = fields.Boolean(required=True)
    position = fields.Integer(required=True)
    unit = fields.Nested(Unit, required=True)
    stock = fields.Integer(required=True)
    price_cents = fields.Integer(required=True)
    weight_grams = fields.Integer(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)


class OwnProduct(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.Nested(Text, required=True)
    status = fields.String(required=True)
    unit = fields.Nested(Unit, required=True)
    stock = fields.Integer(required=True, metadata={"description": "Active variants' stock."})
    price_cents = fields.Integer(required=True)
    price_max_cents = fields.Integer(required=True)
    variants = fields.List(
        fields.Nested(OwnVariant),
        required=True,
        metadata={"description": "Every variant, inactive ones too."},
    )
    updated_at = fields.DateTime(required=True)


class OwnProductPage(Schema):
    lang = fields.String(required=True)
    items = fields.List(fields.Nested(OwnProduct), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class BulkChange(Schema):
    product_id = fields.Integer(required=True)
    variant_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    stock = fields.Integer(required=True)
    price_cents = fields.Integer(required=True)
    old_stock = fields.Integer(required=True)
    old_price_cents = fields.Integer(required=True)


class BulkResult(Schema):
    updated = fields.List(fields.Nested(BulkChange), required=True)


class ProblemDetail(Schema):
    field = fields.String()
    line = fields.Integer()
    product_id = fields.Integer()
    variant_id = fields.Integer()
    sku = fields.String()
    message = fields.String(required=True)


class Problem(Schema):
    """RFC 9457 problem details; ``title`` and ``detail`` are in the request's language."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    request_id = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(ProblemDetail))


SCOPES = [s.value for s in Scope]
