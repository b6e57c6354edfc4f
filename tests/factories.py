"""factory_boy factories: valid objects in one call, committed to the test database."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.auth.models import Role, User
from marketplace.auth.passwords import hash_password
from marketplace.catalogue.models import (
    Category,
    CategoryTranslation,
    Product,
    ProductStatus,
    ProductTranslation,
    ProductVariant,
)
from marketplace.catalogue.variants import default_variant, refresh_summary
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    CooperativeTranslation,
    Province,
)
from marketplace.extensions import db
from marketplace.timeutil import utcnow

PASSWORD = "correct horse battery staple"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.ma")
    name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))
    locale = "fr"
    role = Role.SHOPPER.value
    active = True
    email_verified_at = factory.LazyFunction(utcnow)


class AdminFactory(UserFactory):
    role = Role.ADMIN.value


class CooperativeFactory(BaseFactory):
    class Meta:
        model = Cooperative

    slug = factory.Sequence(lambda n: f"cooperative-{n}")
    registration_number = factory.Sequence(lambda n: f"RC-{10000 + n}")
    province = Province.ERRACHIDIA.value
    commune = "Erfoud"
    phone = "+212600000000"
    rib = "011780000012345678901296"  # a valid Moroccan RIB (key 96)
    status = CooperativeStatus.VERIFIED.value
    shipping_fee_cents = 3000
    accepts_cash_on_delivery = True

    @factory.post_generation
    def names(self, create, extracted, **kwargs):
        """``names={"fr": "…", "ar": "…"}``; by default a French and an Arabic name."""
        names = extracted or {"fr": f"Coopérative {self.id}", "ar": f"تعاونية {self.id}"}
        for locale, name in names.items():
            self.translations.append(
                CooperativeTranslation(locale=locale, name=name, story=f"Story {locale}")
            )
        if create:
            db.session.commit()


class MemberFactory(UserFactory):
    """A user who belongs to a cooperative (its owner by default)."""

    role = Role.MEMBER.value
    cooperative = factory.SubFactory(CooperativeFactory)
    is_cooperative_owner = True


class CategoryFactory(BaseFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")

    @factory.post_generation
    def names(self, create, extracted, **kwargs):
        names = extracted or {
            "fr": f"Catégorie {self.id}",
            "ar": f"فئة {self.id}",
            "en": f"Category {self.id}",
        }
        for locale, name in names.items():
            self.translations.append(CategoryTranslation(locale=locale, name=name))
        if create:
            db.session.commit()


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    slug = factory.Sequence(lambda n: f"product-{n}")
    cooperative = factory.SubFactory(CooperativeFactory)
    category = factory.SubFactory(CategoryFactory)
    price_cents = 12000
    stock = 10
    unit_quantity_milli = 500_000  # 500 g
    unit_code = "g"
    status = ProductStatus.ACTIVE.value

    @factory.post_generation
    def variants(self, create, extracted, **kwargs):
        """One default variant from the product's price, stock and unit (every product has
        one), or ``variants=[{"price_cents": …, "stock": …, "labels": {…}, …}, …]``."""
        wanted = extracted or [
            {
                "price_cents": self.price_cents,
                "stock": self.stock,
                "unit_quantity_milli": self.unit_quantity_milli,
                "unit_code": self.unit_code,
                "size": self.size or "",
            }
        ]
        for position, fields in enumerate(wanted):
            fields = {"sku": f"{self.slug}-{position + 1}", "position": position, **fields}
            self.variants.append(ProductVariant(cooperative_id=self.cooperative.id, **fields))
        refresh_summary(self)

    @factory.post_generation
    def names(self, create, extracted, **kwargs):
        """``names={"fr": "…"}`` or ``names={"fr": ("name", "description")}``."""
        names = extracted or {
            "fr": f"Produit {self.id}",
            "ar": f"منتج {self.id}",
            "en": f"Product {self.id}",
        }
        for locale, value in names.items():
            name, description = value if isinstance(value, tuple) else (value, "")
            self.translations.append(
                ProductTranslation(locale=locale, name=name, description=description)
            )
        if create:
            db.session.commit()


# == orders (ORDERS) ==========================================================================


def place_test_order(items, *, user=None, payment_method="cod", token=None, **shipping):
    """Place an order through the real service for ``{product or variant: quantity}`` (not
    committed); a product is bought in its default variant."""
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )

    details = {
        "contact_name": "Fatima Zahra",
        "phone": "+212612345678",
        "address_line1": "12 rue des Palmiers",
        "city": "Erfoud",
        "email": getattr(user, "email", None) or "shopper@example.ma",
        **shipping,
    }
    return place_order(
        lines=[
            WantedLine(variant.product_id, quantity, variant.price_cents, variant.id)
            for variant, quantity in (
                (item if isinstance(item, ProductVariant) else default_variant(item), quantity)
                for item, quantity in items.items()
            )
        ],
        shipping=ShippingDetails(**details),
        payment_method=payment_method,
        idempotency_token=token or make_idempotency_token(),
        locale=getattr(user, "locale", None) or "fr",
        user=user,
    )


def set_variant(item, **fields):
    """Change a variant's price, stock, labels… (a product's: its first variant) and its
    product's summary, as the seller's services do; flushed, not committed."""
    variant = item if isinstance(item, ProductVariant) else item.variants[0]
    for name, value in fields.items():
        setattr(variant, name, value)
    refresh_summary(variant.product)
    db.session.flush()
    return variant
