"""Product variants (issue #15): one product, several sizes or packs, each with its own price,
stock, SKU, weight and unit of sale (models.ProductVariant).

The one module that knows how variants sum up into their product and how they are named:

- ``refresh_summary`` writes the product's summary columns (cheapest active price, dearest
  price, stock of every active variant, the cheapest one's unit and size) from its variants;
  every change of a variant's price, stock, unit or active flag calls it in the same
  transaction, so cards, sorts and filters read one row per product;
- ``option_label`` names a variant in a language: its own label there, else its label in the
  fallback language (flagged), else its unit and size ("500 g");
- ``shows_choice`` is false for a product with a single active variant: its page offers no
  choice and it looks and behaves as a product always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from marketplace.catalogue import units
from marketplace.i18n import FALLBACK_ORDER, current_lang

if TYPE_CHECKING:
    from marketplace.catalogue.models import Product, ProductVariant

SKU_MAX = 64


@dataclass(frozen=True)
class OptionLabel:
    """A variant's name in a language: ``lang`` is the language of ``text`` (for ``lang=``
    on the page) and ``fallback`` whether it is another one than asked."""

    text: str
    lang: str
    fallback: bool

    def __str__(self) -> str:
        return self.text


def active_variants(product: Product) -> list[ProductVariant]:
    """The variants a shopper can see, in the seller's order."""
    return [variant for variant in product.variants if variant.active]


def shows_choice(product: Product) -> bool:
    return len(active_variants(product)) > 1


def default_variant(product: Product) -> ProductVariant | None:
    """The variant bought when none is chosen: the first active one in stock, else the
    first active one."""
    shown = active_variants(product)
    return next((v for v in shown if v.stock > 0), shown[0] if shown else None)


def find_active(product: Product, variant_id: int | None) -> ProductVariant | None:
    """The product's active variant ``variant_id`` (a shared ``?variant=`` link); None when it
    is not one of them."""
    return next((v for v in active_variants(product) if v.id == variant_id), None)


def option_label(variant: ProductVariant, locale: str | None = None) -> OptionLabel:
    locale = locale or current_lang()
    labels = {code: text for code, text in (variant.labels or {}).items() if text}
    if locale in labels:
        return OptionLabel(labels[locale], locale, False)
    for code in FALLBACK_ORDER:
        if code in labels:
            return OptionLabel(labels[code], code, True)
    return OptionLabel(units.describe(variant, locale), locale, False)


def refresh_summary(product: Product) -> None:
    """Write the product's summary columns from its variants (see the module docstring). A
    product with no active variant keeps its last prices and has no stock."""
    shown = active_variants(product)
    product.stock = sum(v.stock for v in shown)
    if not shown:
        return
    cheapest = min(shown, key=lambda v: (v.price_cents, v.position, v.id or 0))
    product.price_cents = cheapest.price_cents
    product.price_max_cents = max(v.price_cents for v in shown)
    product.unit_quantity_milli = cheapest.unit_quantity_milli
    product.unit_code = cheapest.unit_code
    product.size = cheapest.size
