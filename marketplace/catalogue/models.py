"""Categories and products with their per-language texts and images."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.timeutil import utcnow


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    HIDDEN = "hidden"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Platform commission for this category in basis points; None = the global rate.
    commission_bp: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent")
    translations: Mapped[list[CategoryTranslation]] = relationship(
        back_populates="category", cascade="all, delete-orphan", lazy="selectin"
    )


class CategoryTranslation(db.Model):
    __tablename__ = "category_translations"
    __table_args__ = (UniqueConstraint("category_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    category: Mapped[Category] = relationship(back_populates="translations")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        Index("ix_products_status_created", "status", "created_at", "id"),
        # Catalogue sorted by price (keyset pagination on (price_cents, id)).
        Index("ix_products_status_price", "status", "price_cents", "id"),
        # Related products on the product page: the first few of a category, featured then
        # newest, read from the end of this index instead of sorting the whole category.
        Index("ix_products_category_featured", "category_id", "featured", "created_at", "id"),
        # The home page's featured products, featured then newest: read from the end of this
        # index (without it, every visible product was sorted: 19 ms at 20,000 products).
        Index("ix_products_status_featured", "status", "featured", "created_at", "id"),
        # A unit of sale is a quantity above zero and a code, or neither (marketplace/catalogue/
        # units.py, which knows the codes: a new unit needs no schema change).
        CheckConstraint(
            "(unit_code IS NULL AND unit_quantity_milli IS NULL)"
            " OR (unit_code IS NOT NULL AND unit_quantity_milli > 0)",
            name="unit_quantity_and_code",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    # A summary of the product's active variants (ProductVariant, below), written only by
    # catalogue.variants.refresh_summary in the transaction that changes a variant, so that
    # cards, sorts and filters read one row per product: the cheapest active variant's price,
    # unit and size ("from 95,00 MAD / 500 g"), the dearest price (a range when they differ)
    # and the stock of every active variant together.
    price_cents: Mapped[int] = mapped_column(BigInteger)
    price_max_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # The unit of sale (units.py): 500 g is (500 000, "g"), 1,5 L (1 500, "l"); both None when
    # the item is sold whole. ``size`` holds its dimensions as typed ("150 × 230 cm").
    unit_quantity_milli: Mapped[int | None] = mapped_column(Integer)
    unit_code: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[str] = mapped_column(String(40), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.DRAFT.value)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # Normalised text of every translation, the category and the cooperative (text.normalize);
    # indexed by FTS5 on SQLite and a GIN tsvector index on PostgreSQL.
    search_document: Mapped[str] = mapped_column(Text, default="")
    # Visible reviews' ratings (marketplace.reviews), changed in the review's transaction.
    rating_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    cooperative: Mapped[Cooperative] = relationship(back_populates="products")
    category: Mapped[Category | None] = relationship()
    translations: Mapped[list[ProductTranslation]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    # Every product has at least one variant; one with a single variant shows no choice.
    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="(ProductVariant.position, ProductVariant.id)",
    )

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


# The cooperative's side of its link to its products, declared here because cooperatives sit
# below the catalogue and do not import it (as User.cooperative in cooperatives/models.py).
Cooperative.products = relationship(Product, back_populates="cooperative")


class ProductVariant(db.Model):
    """One size or pack of a product (500 g, 1 kg, 5 kg), with its own price, stock, SKU,
    weight for shipping and unit of sale. ``labels`` names the option in each language
    (``{"fr": "Grand", "ar": "كبير"}``, i18n.pick gives the fallback); when empty the unit and
    size name it ("500 g"). Cart and order lines reference a variant; an inactive variant is
    shown to nobody and cannot be bought, but keeps its order history."""

    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "sku", name="uq_product_variants_cooperative_sku"),
        CheckConstraint("price_cents >= 0", name="variant_price_non_negative"),
        CheckConstraint("stock >= 0", name="variant_stock_non_negative"),
        CheckConstraint(
            "(unit_code IS NULL AND unit_quantity_milli IS NULL)"
            " OR (unit_code IS NOT NULL AND unit_quantity_milli > 0)",
            name="variant_unit_quantity_and_code",
        ),
        # Price filters and sorts look for one matching active variant of each product.
        Index("ix_product_variants_product_active_price", "product_id", "active", "price_cents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    # The product's cooperative, copied so the database keeps SKUs unique per cooperative.
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    unit_quantity_milli: Mapped[int | None] = mapped_column(Integer)
    unit_code: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[str] = mapped_column(String(40), default="", server_default="")
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    product: Mapped[Product] = relationship(back_populates="variants")

    def __init__(self, **fields) -> None:
        # Column defaults apply only at INSERT; a new variant is summed into its product
        # (variants.refresh_summary) before that, so it starts with them already.
        for name, value in (("active", True), ("stock", 0), ("position", 0), ("size", "")):
            fields.setdefault(name, value)
        fields.setdefault("labels", {})
        super().__init__(**fields)


class ProductTranslation(db.Model):
    __tablename__ = "product_translations"
    __table_args__ = (UniqueConstraint("product_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML (nh3)

    product: Mapped[Product] = relationship(back_populates="translations")


class ProductImage(db.Model):
    """An uploaded product photo; display sizes are derived files next to the original."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)  # random base name
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="images")
