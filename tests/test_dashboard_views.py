"""Seller dashboard through the app: products, photos, quick stock, profile, shipping, and
who may open what."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.catalogue.models import Product, ProductImage, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from tests.factories import (
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import csrf_token, login, post_form

NEW = "/en/dashboard/products/new"


def png(color=(200, 120, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def photo(name="photo.png", color=(200, 120, 40)):
    return (io.BytesIO(png(color)), name)


def edit_url(product, locale="en") -> str:
    return f"/{locale}/dashboard/products/{product.id}/edit"


def product_data(cat, **overrides) -> dict:
    data = {
        "name_ar": "",
        "description_ar": "",
        "name_fr": "Dattes Mejhoul",
        "description_fr": "Dattes d'Erfoud.",
        "name_en": "",
        "description_en": "",
        "category": str(cat.id),
        "price": "120",
        "stock": "10",
        "unit_quantity": "500",
        "unit_code": "g",
        "weight_grams": "550",
        "status": "active",
    }
    data.update(overrides)
    return data


def products_of(cooperative) -> list[Product]:
    return list(db.session.scalars(select(Product).where(Product.cooperative_id == cooperative.id)))


@pytest.fixture
def category():
    return CategoryFactory(names={"fr": "Dattes", "ar": "تمور", "en": "Dates"})


@pytest.fixture
def seller(client):
    member = MemberFactory()
    login(client, member)
    return member


# --- creating products ----------------------------------------------------------------


def test_product_in_arabic_only_appears_in_arabic_catalogue_search_and_with_marker(
    client, seller, category
):
    data = product_data(
        category,
        name_fr="",
        description_fr="",
        name_ar="زعفران تالوين",
        description_ar="زعفران حر من الجنوب",
        price="120,50",
    )
    response = post_form(client, NEW, data, form_url=NEW)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (product,) = products_of(seller.cooperative)
    assert product.price_cents == 12050
    assert [t.locale for t in product.translations] == ["ar"]
    assert product.slug == "zafran-talouin"
    assert response.headers["Location"].endswith(edit_url(product))

    arabic = client.get("/ar/products").get_data(as_text=True)
    assert "زعفران تالوين" in arabic
    found = client.get("/ar/search?q=زعفران").get_data(as_text=True)
    assert "زعفران تالوين" in found
    for locale in ("en", "fr"):
        page = client.get(f"/{locale}/products").get_data(as_text=True)
        assert "زعفران تالوين" in page
        assert 'class="fallback-marker" lang="ar"' in page


def test_create_page_shows_missing_languages_and_translated_categories(client, seller, category):
    page = client.get("/fr" + NEW[3:]).get_data(as_text=True)
    assert "Dattes" in page  # the category in French
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    response = post_form(client, NEW, product_data(category))
    assert len(products_of(seller.cooperative)) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not yet translated into:" in page
    assert "العربية" in page and "English" in page


def test_validation_errors_keep_what_was_typed(client, seller, category):
    data = product_data(
        category,
        price="12x",
        name_fr="Huile d'argan bio",
        unit_quantity="1,5",
        unit_code="l",
        images=[photo()],
    )
    response = post_form(client, NEW, data, form_url=NEW, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter an amount in dirhams" in page
    assert "Your photos were not saved: please choose them again." in page
    assert 'value="12x"' in page
    assert "Huile d&#39;argan bio" in page
    assert 'value="1,5"' in page and '<option selected value="l">' in page  # the unit kept
    assert products_of(seller.cooperative) == []


def test_a_name_in_at_least_one_language_is_required(client, seller, category):
    response = post_form(client, NEW, product_data(category, name_fr="", description_fr=""))
    assert response.status_code == 400
    assert "at least one language" in response.get_data(as_text=True)
    assert products_of(seller.cooperative) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "-5", "Enter an amount in dirhams"),
        ("price", "99999999999", "This amount is too large."),
        ("stock", "-1", "Enter a whole number between 0 and 1000000."),
        ("stock", "abc", "Enter a whole number, for example 12."),
        ("stock", "99999999999", "Enter a whole number between 0 and 1000000."),
        ("weight_grams", "-20", "Enter a whole number between 0 and 1000000."),
        ("category", "999999", "Not a valid choice."),
        ("status", "published", "Not a valid choice."),
    ],
)
def test_bad_numbers_and_choices_are_refused(client, seller, category, field, value, message):
    response = post_form(client, NEW, product_data(category, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert products_of(seller.cooperative) == []


def test_description_is_sanitised_on_save(client, seller, category):
    html = "<p onclick='x()'>Bio <strong>sans sucre</strong><script>alert(1)</script></p>"
    post_form(client, NEW, product_data(category, description_fr=html + '<a href="/x">l</a>'))
    (product,) = products_of(seller.cooperative)
    assert product.translations[0].description == "<p>Bio <strong>sans sucre</strong></p>l"


def test_slugs_are_unique(client, seller, category):
    for _ in range(2):
        post_form(client, NEW, product_data(category))
    assert sorted(p.slug for p in products_of(seller.cooperative)) == [
        "dattes-mejhoul",
        "dattes-mejhoul-2",
    ]


def test_create_with_photos_stores_them_in_order(client, seller, category, app):
    data = product_data(category, images=[photo("a.png"), photo("b.jpg.png", (10, 10, 10))])
    response = post_form(client, NEW, data, form_url=NEW, content_type="multipart/form-data")
    assert response.status_code == 302
    (product,) = products_of(seller.cooperative)
    assert [i.position for i in product.images] == [0, 1]
    media = Path(app.config["MEDIA_DIR"])
    for image in product.images:
        assert (media / f"{image.stored_name}-card.webp").is_file()
        assert (media / f"{image.stored_name}-card.jpg").is_file()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_created(client, seller, category):
    data = product_data(category, images=[(io.BytesIO(b"MZ\x90\x00" + b"\0" * 100), "x.png")])
    response = post_form(client, NEW, data, form_url=NEW, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Only JPEG, PNG and WebP images are accepted." in page
    assert 'value="Dattes Mejhoul"' in page
    assert products_of(seller.cooperative) == []


# --- editing products and photos ------------------------------------------------------


def test_edit_product_changes_texts_price_and_status(client, seller, category):
    product = ProductFactory(cooperative=seller.cooperative, names={"fr": "Amlou"})
    page = client.get(edit_url(product)).get_data(as_text=True)
    assert 'value="Amlou"' in page and 'value="120"' in page
    data = product_data(
        category,
        name_fr="Amlou maison",
        name_en="Homemade amlou",
        price="95,5",
        stock="0",
        status="hidden",
    )
    response = post_form(client, edit_url(product), data)
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.price_cents == 9550
    assert product.stock == 0
    assert product.status == ProductStatus.HIDDEN.value
    assert {t.locale: t.name for t in product.translations} == {
        "fr": "Amlou maison",
        "en": "Homemade amlou",
    }
    assert "homemade amlou" in product.search_document
    assert product.slug.startswith("product-")  # the slug does not change with the name


def test_ninth_photo_is_refused(client, seller, category):
    product = ProductFactory(cooperative=seller.cooperative)
    data = product_data(category, images=[photo(f"{n}.png") for n in range(8)])
    response = post_form(
        client,
        edit_url(product),
        data,
        form_url=edit_url(product),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(product)
    assert len(product.images) == 8

    data = product_data(category, images=[photo("ninth.png")], name_fr="Changed")
    response = post_form(
        client,
        edit_url(product),
        data,
        form_url=edit_url(product),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "at most 8 photos" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert len(product.images) == 8
    assert product.translations[0].name != "Changed"  # the whole change was refused


def _product_with_photos(client, seller, category, count=3):
    product = ProductFactory(cooperative=seller.cooperative)
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9)][:count]
    data = product_data(category, images=[photo(f"{n}.png", c) for n, c in enumerate(colors)])
    post_form(
        client,
        edit_url(product),
        data,
        form_url=edit_url(product),
        content_type="multipart/form-data",
    )
    db.session.refresh(product)
    return product


def images_order(product) -> list[int]:
    db.session.expire_all()
    return [
        i.id
        for i in db.session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id == product.id)
            .order_by(ProductImage.position)
        )
    ]


def test_photos_reordered_with_position_fields(client, seller, category):
    product = _product_with_photos(client, seller, category)
    a, b, c = images_order(product)
    url = f"/en/dashboard/products/{product.id}/images"
    response = post_form(
        client,
        url,
        {"action": "order", f"position-{a}": "3", f"position-{b}": "1", f"position-{c}": "2"},
        form_url=edit_url(product),
    )
    assert response.status_code == 302
    assert images_order(product) == [b, c, a]
    positions = [
        i.position
        for i in db.session.scalars(
            select(ProductImage).where(ProductImage.product_id == product.id)
        )
    ]
    assert sorted(positions) == [0, 1, 2]


def test_photos_moved_with_buttons_and_removed(client, seller, category, app):
    product = _product_with_photos(client, seller, category)
    a, b, c = images_order(product)
    url = f"/en/dashboard/products/{product.id}/images"
    post_form(client, url, {"action": f"up:{c}"}, form_url=edit_url(product))
    assert images_order(product) == [a, c, b]
    post_form(client, url, {"action": f"down:{a}"}, form_url=edit_url(product))
    assert images_order(product) == [c, a, b]
    removed = db.session.get(ProductImage, a).stored_name
    post_form(client, url, {"action": f"remove:{a}"}, form_url=edit_url(product))
    assert images_order(product) == [c, b]
    assert [i.position for i in db.session.get(Product, product.id).images] == [0, 1]
    assert not list(Path(app.config["MEDIA_DIR"]).glob(f"{removed}-*"))


def test_another_products_photo_cannot_be_touched(client, seller, category):
    product = _product_with_photos(client, seller, category, count=1)
    other = _product_with_photos(client, seller, category, count=1)
    (other_image,) = images_order(other)
    url = f"/en/dashboard/products/{product.id}/images"
    response = post_form(
        client, url, {"action": f"remove:{other_image}"}, form_url=edit_url(product)
    )
    assert response.status_code == 404
    assert images_order(other) == [other_image]


# --- quick stock ----------------------------------------------------------------------


def test_quick_stock_edit_from_the_products_list(client, seller):
    product = ProductFactory(cooperative=seller.cooperative, stock=3)
    page = client.get("/en/dashboard/products").get_data(as_text=True)
    assert f'id="stock-{product.id}"' in page
    url = f"/en/dashboard/products/{product.id}/stock"
    response = post_form(
        client, url, {"stock": "42", "back": "products"}, form_url="/en/dashboard/products"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/en/dashboard/products")
    db.session.refresh(product)
    assert product.stock == 42

    response = post_form(client, url, {"stock": "-4", "back": "home"}, form_url="/en/dashboard")
    assert response.headers["Location"].endswith("/en/dashboard")
    db.session.refresh(product)
    assert product.stock == 42
    page = client.get("/en/dashboard").get_data(as_text=True)
    assert "was not changed" in page


def test_quick_stock_without_csrf_token_is_refused(client, seller):
    product = ProductFactory(cooperative=seller.cooperative, stock=3)
    response = client.post(f"/en/dashboard/products/{product.id}/stock", data={"stock": "9"})
    assert response.status_code == 400
    db.session.refresh(product)
    assert product.stock == 3


# --- dashboard home -------------------------------------------------------------------


def test_home_lists_what_needs_attention(client, seller):
    ProductFactory(cooperative=seller.cooperative, names={"fr": "Henné"}, stock=0)
    ProductFactory(
        cooperative=seller.cooperative,
        names={"fr": "Couscous", "ar": "كسكس", "en": "Couscous"},
        status=ProductStatus.DRAFT.value,
    )
    page = client.get("/en/dashboard").get_data(as_text=True)
    assert "“Henné” is out of stock" in page
    assert "“Henné” has no text in: العربية, English." in page
    assert "1 product is a draft" in page
    assert "Couscous" in page


def test_products_list_tolerates_bad_page_and_status(client, seller):
    ProductFactory(cooperative=seller.cooperative, names={"fr": "Amlou"})
    for query in ("?page=abc", "?page=-1", "?page=99999999999999", "?status=nonsense"):
        response = client.get("/en/dashboard/products" + query)
        assert response.status_code == 200
    assert "Amlou" in client.get("/en/dashboard/products?status=active").get_data(as_text=True)
    assert "Amlou" not in client.get("/en/dashboard/products?status=draft").get_data(as_text=True)


# --- access ---------------------------------------------------------------------------


def test_another_cooperatives_product_is_a_404_and_stays_unchanged(client, category):
    product_a = ProductFactory(names={"fr": "Produit de A"}, stock=5)
    member_b = MemberFactory()
    login(client, member_b)
    response = client.get(edit_url(product_a))
    assert response.status_code == 404
    assert "Produit de A" not in response.get_data(as_text=True)

    token = csrf_token(client, NEW)
    data = {"csrf_token": token, **product_data(category, name_fr="Volé", price="1")}
    assert client.post(edit_url(product_a), data=data).status_code == 404
    stock_url = f"/en/dashboard/products/{product_a.id}/stock"
    assert client.post(stock_url, data={"csrf_token": token, "stock": "0"}).status_code == 404
    images_url = f"/en/dashboard/products/{product_a.id}/images"
    assert client.post(images_url, data={"csrf_token": token}).status_code == 404
    db.session.refresh(product_a)
    assert product_a.price_cents == 12000 and product_a.stock == 5
    assert product_a.translations[0].name == "Produit de A"


def test_unknown_product_id_is_a_404(client, seller):
    assert client.get("/en/dashboard/products/987654/edit").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/en/dashboard",
        "/en/dashboard/products",
        NEW,
        "/en/dashboard/profile",
        "/en/dashboard/shipping",
    ],
)
def test_shopper_is_refused(client, url):
    login(client, UserFactory())
    assert client.get(url).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/en/dashboard/products/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "status",
    [CooperativeStatus.PENDING, CooperativeStatus.REJECTED, CooperativeStatus.SUSPENDED],
)
def test_unverified_cooperative_sees_its_status_but_cannot_sell(client, category, status):
    cooperative = CooperativeFactory(status=status.value, status_reason="Documents illisibles")
    product = ProductFactory(
        cooperative=cooperative, status=ProductStatus.DRAFT.value, names={"fr": "Tapis"}
    )
    member = MemberFactory(cooperative=cooperative)
    login(client, member)

    home = client.get("/en/dashboard")
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert "Status of your cooperative" in text
    assert "Documents illisibles" in text
    assert f"/dashboard/products/{product.id}/edit" not in text

    assert client.get(NEW).status_code == 403
    assert client.get(edit_url(product)).status_code == 403
    token = csrf_token(client, "/en/dashboard")
    created = client.post(NEW, data={"csrf_token": token, **product_data(category)})
    assert created.status_code == 403
    published = client.post(
        edit_url(product), data={"csrf_token": token, **product_data(category, status="active")}
    )
    assert published.status_code == 403
    stock = client.post(
        f"/en/dashboard/products/{product.id}/stock", data={"csrf_token": token, "stock": "7"}
    )
    assert stock.status_code == 403
    assert client.get("/en/dashboard/profile").status_code == 403
    db.session.refresh(product)
    assert product.status == ProductStatus.DRAFT.value
    assert product.stock == 10
    assert products_of(cooperative) == [product]


# --- profile and shipping -------------------------------------------------------------


def test_profile_edit_saves_names_stories_and_pictures(client, seller, app):
    cooperative = seller.cooperative
    product = ProductFactory(cooperative=cooperative)
    page = client.get("/en/dashboard/profile").get_data(as_text=True)
    assert f'value="Coopérative {cooperative.id}"' in page
    data = {
        "name_ar": "تعاونية النخيل",
        "story_ar": "قصتنا",
        "name_fr": "Coopérative des Palmiers",
        "story_fr": "Notre histoire",
        "name_en": "",
        "story_en": "",
        "logo": photo("logo.png"),
        "cover": photo("cover.png"),
    }
    response = post_form(
        client,
        "/en/dashboard/profile",
        data,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(cooperative)
    texts = {t.locale: (t.name, t.story) for t in cooperative.translations}
    assert texts == {
        "ar": ("تعاونية النخيل", "قصتنا"),
        "fr": ("Coopérative des Palmiers", "Notre histoire"),
    }
    assert cooperative.logo_path and cooperative.cover_path
    assert (Path(app.config["MEDIA_DIR"]) / f"{cooperative.logo_path}-thumb.webp").is_file()
    db.session.refresh(product)
    assert "palmiers" in product.search_document

    data = {**data, "logo": (io.BytesIO(b""), ""), "cover": (io.BytesIO(b""), "")}
    data["remove_logo"] = "y"
    post_form(client, "/en/dashboard/profile", data, content_type="multipart/form-data")
    db.session.refresh(cooperative)
    assert cooperative.logo_path is None and cooperative.cover_path


def test_profile_story_needs_a_name_in_its_language(client, seller):
    data = {"name_fr": "Coop", "story_fr": "", "name_en": "", "story_en": "Our story"}
    response = post_form(client, "/en/dashboard/profile", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "name in the same language." in page
    assert "Our story" in page


def test_shipping_settings(client, seller):
    cooperative = seller.cooperative
    data = {
        "shipping_fee": "25,50",
        "free_shipping_threshold": "500",
        "ships_abroad": "y",
    }
    response = post_form(client, "/en/dashboard/shipping", data)
    assert response.status_code == 302
    db.session.refresh(cooperative)
    assert cooperative.shipping_fee_cents == 2550
    assert cooperative.free_shipping_threshold_cents == 50000
    assert cooperative.accepts_cash_on_delivery is False
    assert cooperative.ships_abroad is True
    page = client.get("/fr/dashboard/shipping").get_data(as_text=True)
    assert 'value="25,50"' in page

    response = post_form(client, "/en/dashboard/shipping", {"shipping_fee": "-3"})
    assert response.status_code == 400
    assert 'value="-3"' in response.get_data(as_text=True)
    db.session.refresh(cooperative)
    assert cooperative.shipping_fee_cents == 2550


# --- stock changed by orders while the seller was editing -----------------------------


def _sell(product, left: int) -> None:
    """What an order does meanwhile: the stock of the product's (only) variant changes under
    the seller's feet, and the product's summary with it."""
    from marketplace.catalogue.variants import refresh_summary

    product = db.session.get(Product, product.id)
    product.variants[0].stock = left
    refresh_summary(product)
    db.session.commit()


def test_quick_stock_does_not_undo_orders_placed_meanwhile(client, seller):
    product = ProductFactory(cooperative=seller.cooperative, stock=5)
    page = client.get("/en/dashboard/products").get_data(as_text=True)
    assert 'name="was" value="5"' in page
    _sell(product, 3)
    url = f"/en/dashboard/products/{product.id}/stock"
    post_form(client, url, {"stock": "10", "was": "5"}, form_url="/en/dashboard/products")
    db.session.refresh(product)
    assert product.stock == 3
    page = client.get("/en/dashboard/products").get_data(as_text=True)
    assert "The stock changed while you were editing" in page
    post_form(client, url, {"stock": "10", "was": "3"}, form_url="/en/dashboard/products")
    db.session.refresh(product)
    assert product.stock == 10


def test_editing_other_fields_keeps_the_stock_orders_left(client, seller, category):
    product = ProductFactory(cooperative=seller.cooperative, stock=5)
    assert 'name="stock_was" type="hidden" value="5"' in client.get(edit_url(product)).get_data(
        as_text=True
    )
    _sell(product, 2)
    data = product_data(category, name_fr="Nouveau nom", stock="5", stock_was="5")
    assert post_form(client, edit_url(product), data).status_code == 302
    db.session.refresh(product)
    assert product.stock == 2
    assert product.translations[0].name == "Nouveau nom"


def test_changing_a_stock_that_changed_meanwhile_asks_to_check(client, seller, category):
    product = ProductFactory(cooperative=seller.cooperative, stock=5)
    _sell(product, 2)
    data = product_data(category, stock="8", stock_was="5")
    response = post_form(client, edit_url(product), data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "it is now 2" in page
    assert 'name="stock_was" type="hidden" value="2"' in page
    db.session.refresh(product)
    assert product.stock == 2
    data["stock_was"] = "2"
    assert post_form(client, edit_url(product), data).status_code == 302
    db.session.refresh(product)
    assert product.stock == 8
