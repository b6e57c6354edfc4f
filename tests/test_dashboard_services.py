"""Product editing services (marketplace.catalogue.services) and the shipping settings
(marketplace.cooperatives.services)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.catalogue import services as catalogue
from marketplace.catalogue import variants
from marketplace.catalogue.models import ProductStatus
from marketplace.cooperatives import services as cooperatives
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory


def png_bytes(color=(1, 2, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


def product_input(category=None, **overrides) -> catalogue.ProductInput:
    values = {
        "texts": catalogue.TextsInput(names={"fr": "Dattes"}, descriptions={"fr": "Bonnes"}),
        "category_id": category.id if category else None,
        "price_cents": 12000,
        "stock": 4,
        "unit_quantity_milli": 1000,  # 1 kg
        "unit_code": "kg",
        "weight_grams": 1100,
        "status": ProductStatus.ACTIVE.value,
    }
    values.update(overrides)
    return catalogue.ProductInput(**values)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("Une ligne", "<p>Une ligne</p>"),
        ("a\nb\n\nc", "<p>a<br>b</p><p>c</p>"),
        ("5 < 6 & 7 > 3", "<p>5 &lt; 6 &amp; 7 &gt; 3</p>"),
        ("<strong>Bio</strong>\nsec", "<p><strong>Bio</strong><br>sec</p>"),
        ("<ul><li>un</li><li onclick='x'>deux</li></ul>", "<ul><li>un</li><li>deux</li></ul>"),
        ('<p style="color:red">x<img src=x onerror=alert(1)></p>', "<p>x</p>"),
        ("<script>alert(1)</script><em>ok</em>", "<p><em>ok</em></p>"),
        ('<a href="javascript:alert(1)">lien</a>', "<p>lien</p>"),
    ],
)
def test_descriptions_keep_only_light_formatting(typed, stored):
    assert catalogue.sanitize_description(typed) == stored


@pytest.mark.parametrize(
    "typed", ["Ligne un\nligne deux\n\nParagraphe & <3", "<p><strong>Bio</strong></p>"]
)
def test_description_edited_again_saves_the_same(typed):
    stored = catalogue.sanitize_description(typed)
    assert catalogue.sanitize_description(catalogue.description_for_editing(stored)) == stored


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Huile d'argan – 1 L", "huile-d-argan-1-l"),
        ("Crème à l'Élan", "creme-a-l-elan"),
        ("تمر المجهول", "tmr-almjhoul"),
        ("زَعْفَرَان ٢٠٢٦", "zafran-2026"),
        ("ⵜⴰⵎⵓⵔⵜ", ""),
    ],
)
def test_slugify_is_ascii(text, slug):
    assert catalogue.slugify(text) == slug


def test_slug_falls_back_to_product_and_stays_unique(app):
    CooperativeFactory()
    ProductFactory(slug="product")
    assert catalogue.unique_product_slug({"ar": "ⵜⴰⵎⵓⵔⵜ"}) == "product-2"
    assert catalogue.unique_product_slug({"fr": "Dattes", "ar": "تمر"}) == "dattes"


def test_create_product_requires_a_name_and_a_verified_cooperative(app):
    category = CategoryFactory()
    cooperative = CooperativeFactory()
    with pytest.raises(InvalidInput):
        catalogue.create_product(
            cooperative, product_input(category, texts=catalogue.TextsInput(names={"fr": "  "}))
        )
    pending = CooperativeFactory(status=CooperativeStatus.PENDING.value)
    with pytest.raises(Forbidden):
        catalogue.create_product(pending, product_input(category))


@pytest.mark.parametrize(
    "overrides",
    [
        {"price_cents": -1},
        {"stock": -1},
        {"stock": variants.MAX_STOCK + 1},
        {"weight_grams": -5},
        {"status": "published"},
        {"category_id": 999_999},
        {"size": "x" * 41},
        {"unit_code": "stone"},  # not a unit of the list
        {"unit_code": "kg", "unit_quantity_milli": None},  # a unit needs its quantity
        {"unit_code": None, "unit_quantity_milli": 500},  # a quantity needs its unit
        {"unit_code": "g", "unit_quantity_milli": 0},
        {"unit_code": "piece", "unit_quantity_milli": 1500},  # 1.5 pieces
    ],
)
def test_create_product_refuses_bad_values(app, overrides):
    category = CategoryFactory()
    with pytest.raises(InvalidInput):
        catalogue.create_product(CooperativeFactory(), product_input(category, **overrides))


def test_removing_every_language_but_one(app):
    category = CategoryFactory()
    product = ProductFactory()
    catalogue.update_product(
        product,
        product_input(category, texts=catalogue.TextsInput(names={"ar": "تمر"})),
    )
    assert [(t.locale, t.name) for t in product.translations] == [("ar", "تمر")]
    assert catalogue.missing_locales(product.translations) == ["fr", "en"]


def test_images_are_limited_and_reordered(app):
    product = ProductFactory()
    images = catalogue.add_product_images(product, [png_bytes((n, n, n)) for n in range(3)])
    a, b, c = (image.id for image in images)
    catalogue.reorder_product_images(product, {c: 1, a: 2, 999: 0})
    assert [i.id for i in sorted(product.images, key=lambda i: i.position)] == [c, a, b]
    catalogue.move_product_image(product, b, -1)
    assert [i.id for i in sorted(product.images, key=lambda i: i.position)] == [c, b, a]
    catalogue.move_product_image(product, c, -1)  # already first: stays first
    assert sorted(product.images, key=lambda i: i.position)[0].id == c
    with pytest.raises(NotFound):
        catalogue.remove_product_image(product, 999_999)
    catalogue.add_product_images(product, [png_bytes() for _ in range(5)])
    with pytest.raises(InvalidInput) as refused:
        catalogue.add_product_images(product, [png_bytes()])
    assert refused.value.details == {"field": "images"}
    db.session.rollback()


def test_set_stock(app):
    product = ProductFactory(stock=2)
    catalogue.set_stock(product, 0)
    assert product.stock == 0
    with pytest.raises(InvalidInput):
        catalogue.set_stock(product, -1)
    product.cooperative.status = CooperativeStatus.SUSPENDED.value
    with pytest.raises(Forbidden):
        catalogue.set_stock(product, 5)
    db.session.rollback()


def test_shipping_settings_refuse_negative_amounts(app):
    cooperative = CooperativeFactory()
    with pytest.raises(InvalidInput):
        cooperatives.update_shipping_settings(
            cooperative, cooperatives.ShippingInput(-1, None, True, False)
        )
    cooperatives.update_shipping_settings(
        cooperative, cooperatives.ShippingInput(0, 30000, False, True)
    )
    assert cooperative.shipping_fee_cents == 0
    assert cooperative.free_shipping_threshold_cents == 30000


def test_attention_lists_missing_texts_out_of_stock_and_drafts(app):
    cooperative = CooperativeFactory()
    empty = ProductFactory(cooperative=cooperative, stock=0, names={"fr": "Henné"})
    ProductFactory(cooperative=cooperative, status=ProductStatus.DRAFT.value)
    attention = catalogue.dashboard_attention(cooperative)
    assert attention.out_of_stock == [empty]
    assert attention.missing_translations == [(empty, ["ar", "en"])]
    assert attention.drafts == 1
    assert attention.total == 2
    assert set(attention.profile_gaps) == {"logo", "cover", "story"}


def test_create_product_makes_its_first_variant_with_the_slug_as_sku(app):
    cooperative = CooperativeFactory()
    ProductFactory(
        cooperative=cooperative, slug="ancien", variants=[{"sku": "dattes", "price_cents": 900}]
    )
    product = catalogue.create_product(cooperative, product_input(CategoryFactory(), size="x"))
    db.session.commit()
    (variant,) = product.variants
    assert product.slug == "dattes"
    assert variant.sku == "dattes-2"  # "dattes" is already a SKU of this cooperative
    assert (variant.price_cents, variant.stock, variant.weight_grams) == (12000, 4, 1100)
    assert (variant.unit_quantity_milli, variant.unit_code, variant.size) == (1000, "kg", "x")
    assert variant.active and variant.cooperative_id == cooperative.id
    assert (product.price_cents, product.price_max_cents, product.stock) == (12000, 12000, 4)
    assert (product.unit_quantity_milli, product.unit_code) == (1000, "kg")
    other = catalogue.create_product(CooperativeFactory(), product_input(CategoryFactory()))
    assert other.variants[0].sku == other.slug  # SKUs are unique per cooperative only


def test_update_product_writes_the_single_variant_and_its_stock_check(app):
    product = ProductFactory(price_cents=5000, stock=7)
    catalogue.update_product(
        product, product_input(price_cents=6500, stock=3, stock_was=7, weight_grams=600)
    )
    db.session.commit()
    (variant,) = product.variants
    assert (variant.price_cents, variant.stock, variant.weight_grams) == (6500, 3, 600)
    assert (product.price_cents, product.price_max_cents, product.stock) == (6500, 6500, 3)
    # An order took a unit meanwhile: the seller's figure (shown 3) no longer holds.
    variant.stock = 2
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        catalogue.update_product(product, product_input(stock=10, stock_was=3))
    assert refused.value.details["current"] == 2
    db.session.rollback()
    # Left as shown: what orders made of it stays.
    catalogue.update_product(product, product_input(stock=3, stock_was=3))
    assert (variant.stock, product.stock) == (2, 2)


def test_update_product_leaves_several_variants_alone(app):
    product = ProductFactory(
        variants=[{"price_cents": 9500, "stock": 3}, {"price_cents": 17000, "stock": 1}]
    )
    catalogue.update_product(
        product, product_input(price_cents=None, stock=None, weight_grams=None)
    )
    db.session.commit()
    assert [(v.price_cents, v.stock) for v in product.variants] == [(9500, 3), (17000, 1)]
    assert (product.price_cents, product.price_max_cents, product.stock) == (9500, 17000, 4)
    assert [t.name for t in product.translations] == ["Dattes"]
    with pytest.raises(InvalidInput):
        catalogue.set_stock(product, 5)


def test_set_stock_writes_the_variant_and_the_summary(app):
    product = ProductFactory(stock=2)
    catalogue.set_stock(product, 9, expected=2)
    db.session.commit()
    assert (product.variants[0].stock, product.stock) == (9, 9)
    with pytest.raises(Conflict):
        catalogue.set_stock(product, 1, expected=2)
    db.session.rollback()
