"""Variants on the seller's side (issue #15), through the real dashboard pages: adding,
editing, reordering and deactivating variants, stock per variant from the products list, and
prices and stock from a spreadsheet (CSV export, preview with a per-line error report, apply
all at once with a signed token). Every variant route answers 404 for another cooperative's
variant."""

from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.audit import AuditLogEntry
from marketplace.catalogue.models import Product, ProductVariant
from marketplace.extensions import db
from tests.factories import MemberFactory, ProductFactory
from tests.helpers import csrf_token, login, post_form

TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"')


@pytest.fixture
def seller(client):
    member = MemberFactory()
    login(client, member)
    return member


def dates(cooperative, **kw):
    """Dates in 500 g and 1 kg (two variants)."""
    return ProductFactory(
        cooperative=cooperative,
        slug=kw.pop("slug", "dattes"),
        names={"fr": "Dattes Mejhoul", "ar": "تمر المجهول", "en": "Medjool dates"},
        variants=[
            {
                "sku": kw.pop("sku1", "DAT-500"),
                "price_cents": 9500,
                "stock": 10,
                "unit_quantity_milli": 500_000,
                "unit_code": "g",
                "labels": {"fr": "500 g", "ar": "٥٠٠ غ"},
            },
            {
                "sku": kw.pop("sku2", "DAT-1KG"),
                "price_cents": 18000,
                "stock": 4,
                "unit_quantity_milli": 1_000_000,
                "unit_code": "g",
                "labels": {"fr": "1 kg"},
            },
        ],
    )


def edit_url(product, locale="en") -> str:
    return f"/{locale}/dashboard/products/{product.id}/edit"


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def variant_data(**overrides) -> dict:
    data = {
        "sku": "DAT-5KG",
        "label_ar": "٥ كغ",
        "label_fr": "5 kg",
        "label_en": "",
        "price": "800",
        "stock": "3",
        "unit_quantity": "5",
        "unit_code": "kg",
        "size": "",
        "weight_grams": "5200",
    }
    data.update(overrides)
    return data


def skus(product) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ProductVariant.sku)
            .where(ProductVariant.product_id == product.id)
            .order_by(ProductVariant.position, ProductVariant.id)
        )
    )


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)))


def action(client, product, variant, verb, locale="en"):
    return post_form(
        client,
        f"/{locale}/dashboard/variants/{variant.id}/action",
        {"action": verb},
        form_url=edit_url(product, locale),
    )


# --- the product edit page -------------------------------------------------------------


def test_single_variant_product_form_looks_as_before_with_an_add_action(client, seller):
    product = ProductFactory(cooperative=seller.cooperative, price_cents=4500, stock=7)
    page = client.get(edit_url(product)).get_data(as_text=True)
    assert 'name="price"' in page and 'value="45"' in page
    assert 'name="stock"' in page and 'name="weight_grams"' in page
    assert f"/en/dashboard/products/{product.id}/variants/new" in page
    assert "variant-card" not in page


def test_several_variants_are_cards_and_the_product_form_has_no_price(client, seller):
    product = dates(seller.cooperative)
    page = client.get(edit_url(product, "ar")).get_data(as_text=True)
    assert 'name="price"' not in page  # edited variant by variant
    assert page.count('class="variant-card') == 2
    assert "DAT-500" in page and "DAT-1KG" in page and "٥٠٠ غ" in page
    # The product's own fields still save without the variants' fields.
    response = post_form(
        client,
        edit_url(product),
        {
            "name_fr": "Dattes Mejhoul d'Erfoud",
            "name_ar": "تمر المجهول",
            "category": str(product.category_id),
            "status": "active",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    product = reload(Product, product.id)
    assert (product.price_cents, product.price_max_cents, product.stock) == (9500, 18000, 14)


def test_seller_adds_a_variant_with_arabic_indic_digits(client, seller):
    product = ProductFactory(cooperative=seller.cooperative, slug="safran", price_cents=6000)
    url = f"/ar/dashboard/products/{product.id}/variants/new"
    assert client.get(url).status_code == 200
    response = post_form(
        client,
        url,
        variant_data(sku="SAF-5G", price="١٢٠٫٥", stock="١٢", unit_quantity="٥", unit_code="g"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith(
        f"/ar/dashboard/products/{product.id}/edit#variants"
    )
    added = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "SAF-5G"))
    assert (added.price_cents, added.stock, added.unit_quantity_milli) == (12050, 12, 5000)
    assert added.labels == {"ar": "٥ كغ", "fr": "5 kg"}
    assert added.weight_grams == 5200 and added.position == 1
    assert added.cooperative_id == seller.cooperative_id
    product = reload(Product, product.id)
    assert (product.price_cents, product.price_max_cents) == (6000, 12050)
    assert "5 kg" in product.search_document or "كغ" in product.search_document
    assert audit_actions() == ["variant.created"]
    page = client.get(edit_url(product, "ar")).get_data(as_text=True)
    assert page.count('class="variant-card') == 2


def test_errors_are_shown_with_what_was_typed(client, seller):
    product = dates(seller.cooperative)
    url = f"/en/dashboard/products/{product.id}/variants/new"
    response = post_form(client, url, variant_data(sku="", price="douze", stock="-1"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="douze"' in page and 'value="-1"' in page
    assert "Enter a SKU." in page
    assert skus(product) == ["DAT-500", "DAT-1KG"]


def test_sku_is_unique_per_cooperative_only(client, seller):
    product = dates(seller.cooperative)
    other = MemberFactory()
    dates(other.cooperative, slug="dattes-autres", sku1="OTHER-1", sku2="SHARED")
    url = f"/en/dashboard/products/{product.id}/variants/new"
    response = post_form(client, url, variant_data(sku="DAT-1KG"))
    assert response.status_code == 400
    assert "already has the SKU “DAT-1KG”" in response.get_data(as_text=True)
    # The same SKU as another cooperative's variant is fine.
    response = post_form(client, url, variant_data(sku="SHARED"))
    assert response.status_code == 302
    assert skus(product) == ["DAT-500", "DAT-1KG", "SHARED"]
    # Renaming a variant to a SKU its cooperative uses is refused too.
    second = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "DAT-1KG"))
    response = post_form(
        client, f"/en/dashboard/variants/{second.id}/edit", variant_data(sku="DAT-500")
    )
    assert response.status_code == 400
    assert "already has the SKU “DAT-500”" in response.get_data(as_text=True)
    # Too long, or with spaces.
    response = post_form(client, url, variant_data(sku="X" * 65))
    assert response.status_code == 400
    response = post_form(client, url, variant_data(sku="DAT 2KG"))
    assert response.status_code == 400 and "no spaces" in response.get_data(as_text=True)


def test_the_database_is_the_backstop_of_the_sku_check(seller, monkeypatch):
    """Two requests checking the same new SKU at once: the second insert meets the unique
    constraint and gets the same translated refusal, not a 500."""
    from marketplace.catalogue import variants
    from marketplace.errors import Conflict

    product = dates(seller.cooperative)
    monkeypatch.setattr(variants, "_check_sku", lambda coop_id, sku, exclude_id=None: sku)
    data = variants.VariantInput(sku="DAT-1KG", price_cents=100, stock=1)
    with force_locale("en"), pytest.raises(Conflict, match="already has the SKU"):
        variants.add_variant(product, data)
    # The transaction is still usable.
    db.session.rollback()
    assert skus(product) == ["DAT-500", "DAT-1KG"]


def test_seller_edits_a_variant_and_the_summary_follows(client, seller):
    product = dates(seller.cooperative)
    small = product.variants[0]
    url = f"/en/dashboard/variants/{small.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="DAT-500"' in page and 'value="95"' in page
    response = post_form(
        client,
        url,
        variant_data(
            sku="DAT-500G",
            label_fr="500 g",
            price="99,50",
            stock="20",
            unit_quantity="500",
            unit_code="g",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    small = reload(ProductVariant, small.id)
    assert (small.sku, small.price_cents, small.stock) == ("DAT-500G", 9950, 20)
    product = reload(Product, product.id)
    assert (product.price_cents, product.stock) == (9950, 24)
    assert audit_actions() == ["variant.updated"]


def test_stock_edited_with_an_old_figure_is_refused(client, seller):
    product = dates(seller.cooperative)
    small = product.variants[0]
    url = f"/en/dashboard/variants/{small.id}/edit"
    token = csrf_token(client, url)
    # An order takes two jars after the form was opened (it showed 10).
    db.session.execute(
        ProductVariant.__table__.update().where(ProductVariant.id == small.id).values(stock=8)
    )
    db.session.commit()
    data = variant_data(
        sku="DAT-500", stock="15", stock_was="10", unit_quantity="500", unit_code="g"
    )
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == 400
    assert "it is now 8" in response.get_data(as_text=True)
    assert reload(ProductVariant, small.id).stock == 8


def test_reorder_and_deactivate_and_the_last_active_one_stays(client, seller):
    product = dates(seller.cooperative)
    small, large = product.variants
    response = action(client, product, large, "up")
    assert response.status_code == 302
    assert skus(product) == ["DAT-1KG", "DAT-500"]
    response = action(client, product, large, "down")
    assert skus(product) == ["DAT-500", "DAT-1KG"]

    response = action(client, product, small, "deactivate")
    assert response.status_code == 302
    product = reload(Product, product.id)
    assert (product.price_cents, product.price_max_cents, product.stock) == (18000, 18000, 4)
    # The last active variant cannot be deactivated (nor deleted).
    response = action(client, product, large, "deactivate")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "keeps at least one active variant" in page
    assert reload(ProductVariant, large.id).active is True
    # A variant is never deleted (orders and carts refer to it): there is no such action.
    assert action(client, product, large, "remove").status_code == 400
    assert reload(ProductVariant, large.id) is not None
    # Offered again.
    action(client, product, small, "activate")
    assert reload(ProductVariant, small.id).active is True
    assert reload(Product, product.id).stock == 14
    assert audit_actions() == [
        "variant.moved",
        "variant.moved",
        "variant.deactivated",
        "variant.activated",
    ]


def test_another_cooperatives_variant_is_a_404_on_every_route(client, seller):
    mine = dates(seller.cooperative)
    theirs = dates(MemberFactory().cooperative, slug="autres", sku1="T1", sku2="T2")
    variant = theirs.variants[0]
    before = (variant.price_cents, variant.stock, variant.active, variant.position)
    token = csrf_token(client, edit_url(mine))
    assert client.get(f"/en/dashboard/variants/{variant.id}/edit").status_code == 404
    assert client.get(f"/en/dashboard/products/{theirs.id}/variants/new").status_code == 404
    posts = {
        f"/en/dashboard/variants/{variant.id}/edit": variant_data(sku="HACK"),
        f"/en/dashboard/products/{theirs.id}/variants/new": variant_data(sku="HACK"),
        f"/en/dashboard/variants/{variant.id}/stock": {"stock": "0"},
        f"/en/dashboard/variants/{variant.id}/action": {"action": "deactivate"},
        f"/en/dashboard/products/{theirs.id}/stock": {"stock": "0"},
    }
    for verb in ("up", "down", "activate"):
        assert (
            client.post(
                f"/en/dashboard/variants/{variant.id}/action",
                data={"csrf_token": token, "action": verb},
            ).status_code
            == 404
        )
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    variant = reload(ProductVariant, variant.id)
    assert (variant.price_cents, variant.stock, variant.active, variant.position) == before
    assert skus(theirs) == ["T1", "T2"]


# --- the products list ----------------------------------------------------------------------


def test_products_list_has_a_stock_form_per_variant(client, seller):
    product = dates(seller.cooperative)
    single = ProductFactory(cooperative=seller.cooperative, slug="safran", stock=3)
    page = client.get("/ar/dashboard/products").get_data(as_text=True)
    small, large = product.variants
    assert f'id="variant-stock-{small.id}"' in page and f'id="variant-stock-{large.id}"' in page
    assert f'id="stock-{single.id}"' in page  # as before for a single variant
    assert f'id="stock-{product.id}"' not in page

    response = post_form(
        client,
        f"/ar/dashboard/variants/{large.id}/stock",
        {"stock": "٢٥", "was": "4", "back": "products"},
        form_url="/ar/dashboard/products",
    )
    assert response.status_code == 302
    assert reload(ProductVariant, large.id).stock == 25
    assert reload(Product, product.id).stock == 35
    # An old figure does not undo what orders did.
    response = post_form(
        client,
        f"/en/dashboard/variants/{large.id}/stock",
        {"stock": "9", "was": "4"},
        form_url="/en/dashboard/products",
    )
    assert reload(ProductVariant, large.id).stock == 25
    # The single variant's product keeps its quick stock form (its only variant's).
    assert f"/ar/dashboard/variants/{single.variants[0].id}/stock" in page
    post_form(
        client,
        f"/en/dashboard/variants/{single.variants[0].id}/stock",
        {"stock": "٧", "was": "3"},
        form_url="/en/dashboard/products",
    )
    assert reload(Product, single.id).stock == 7
    assert audit_actions() == ["variant.stock", "variant.stock"]
    # The product's own route (older pages) sets its only variant too.
    post_form(
        client,
        f"/en/dashboard/products/{single.id}/stock",
        {"stock": "8", "was": "7"},
        form_url="/en/dashboard/products",
    )
    assert reload(Product, single.id).stock == 8


def _queries(app, client, url: str) -> int:
    app.config["QUERY_COUNT_HEADER"] = True
    try:
        client.get(url)
        response = client.get(url)
    finally:
        app.config["QUERY_COUNT_HEADER"] = False
    assert response.status_code == 200, url
    return int(response.headers["X-Query-Count"])


def test_query_counts_do_not_grow_with_variants(client, seller, app):
    """The products list, a product's page with its variant cards and the CSV export: the
    same number of queries with 2 or 8 products and 2 or 6 variants each."""
    product = dates(seller.cooperative)
    pages = {
        "list": "/en/dashboard/products",
        "edit": edit_url(product),
        "csv": "/en/dashboard/variants.csv",
    }
    small = {name: _queries(app, client, url) for name, url in pages.items()}
    for n in range(6):
        dates(seller.cooperative, slug=f"d{n}", sku1=f"A{n}", sku2=f"B{n}")
    from marketplace.catalogue import variants

    for k in range(4):
        variants.add_variant(
            db.session.get(Product, product.id),
            variants.VariantInput(sku=f"EXTRA-{k}", price_cents=100 + k, stock=k),
        )
    db.session.commit()
    large = {name: _queries(app, client, url) for name, url in pages.items()}
    assert large == small


# --- CSV --------------------------------------------------------------------------------


def upload(client, content: bytes, locale="en", name="variants.csv"):
    url = f"/{locale}/dashboard/variants/import"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_csv_export_has_bom_and_the_sellers_language(client, seller):
    dates(seller.cooperative)
    dates(MemberFactory().cooperative, slug="autres", sku1="THEIRS-1", sku2="THEIRS-2")
    response = client.get("/ar/dashboard/variants.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "sku,product,option,price,stock,active"
    assert lines[1:] == [
        "DAT-500,تمر المجهول,٥٠٠ غ,95.00,10,yes",
        "DAT-1KG,تمر المجهول,1 kg,180.00,4,yes",
    ]


def test_csv_with_errors_previews_them_by_line_and_applies_nothing(client, seller):
    product = dates(seller.cooperative)
    dates(MemberFactory().cooperative, slug="autres", sku1="THEIRS-1", sku2="THEIRS-2")
    content = (
        b"sku;price;stock;note\n"
        b"DAT-500;99,00;12;ok\n"
        b"NOPE;10;1;\n"
        b"THEIRS-1;10;1;\n"
        b"DAT-1KG;douze;3;\n"
        b"DAT-500;90;3;\n"
        b";5;5;\n"
    )
    response = upload(client, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no variant of your cooperative has the SKU “NOPE”" in page
    assert "Line 3:" in page and "Line 4:" in page
    assert "Line 5: “douze” is not a price" in page
    assert "Line 6: the SKU “DAT-500” is already on line 2." in page
    assert "Line 7: the SKU is empty." in page
    assert 'name="token"' not in page  # nothing to apply
    negative = upload(client, b"sku,price,stock\nDAT-500,95.00,-3\n").get_data(as_text=True)
    assert "Line 2: the stock cannot be negative." in negative
    assert skus(product) == ["DAT-500", "DAT-1KG"]
    assert [v.stock for v in reload(Product, product.id).variants] == [10, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00s\x00k\x00u", "This is not a CSV file"),
        ("sku,price,stock\nDAT-500,95,1\n".encode("cp1256") + b"\xe9\n", "not in UTF-8"),
        (b"name,cost\nx,1\n", "missing: sku, price, stock"),
        (b"", "The file is empty."),
        (b"sku,price,stock\n" + b"DAT-500,95,1\n" * 5001, "more than 5000 lines"),
        (b"sku,price,stock\n" + b"x" * 1_000_001, "larger than 1000 KB"),
    ],
)
def test_csv_files_that_cannot_be_read_are_refused(client, seller, content, message):
    dates(seller.cooperative)
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_valid_csv_applies_every_change_at_once(client, seller):
    product = dates(seller.cooperative)
    other = ProductFactory(cooperative=seller.cooperative, slug="safran", price_cents=6000, stock=2)
    # Excel in French: ";" between cells, "," as the decimal sign, Arabic-Indic digits typed.
    content = (
        "\ufeffsku;product;option;price;stock;active\n"
        "DAT-500;Dattes;500 g;99,50;١٢;yes\n"
        "DAT-1KG;Dattes;1 kg;180.00;4;yes\n"
        "safran-1;Safran;;;٩;yes\n"
    ).encode()
    response = upload(client, content)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    page = response.get_data(as_text=True)
    assert "2 variants will change" in page
    assert "Stock: 10 → 12" in page and "Stock: 2 → 9" in page
    # The preview changed nothing.
    assert reload(Product, product.id).price_cents == 9500
    token = TOKEN_RE.search(page).group(1)
    response = post_form(
        client,
        "/en/dashboard/variants/import/apply",
        {"token": token},
        form_url="/en/dashboard/variants/import",
    )
    assert response.status_code == 302
    product = reload(Product, product.id)
    assert [(v.price_cents, v.stock) for v in product.variants] == [(9950, 12), (18000, 4)]
    assert (product.price_cents, product.stock) == (9950, 16)
    assert reload(Product, other.id).stock == 9
    entry = db.session.scalar(
        select(AuditLogEntry).where(AuditLogEntry.action == "variant.csv_imported")
    )
    assert entry.target_id == seller.cooperative_id and entry.new_value == "2"
    # The same token twice: the values it expects are gone, nothing is applied again.
    db.session.execute(
        ProductVariant.__table__.update().where(ProductVariant.sku == "safran-1").values(stock=1)
    )
    db.session.commit()
    response = post_form(
        client,
        "/en/dashboard/variants/import/apply",
        {"token": token},
        form_url="/en/dashboard/variants/import",
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "safran-1")) == 1
    )


def test_apply_refuses_a_tampered_or_foreign_token(client, seller, app):
    from itsdangerous import URLSafeTimedSerializer

    product = dates(seller.cooperative)
    theirs = dates(MemberFactory().cooperative, slug="autres", sku1="T1", sku2="T2")
    response = upload(client, b"sku,price,stock\nDAT-500,1,1\n")
    token = TOKEN_RE.search(response.get_data(as_text=True)).group(1)
    url, form_url = "/en/dashboard/variants/import/apply", "/en/dashboard/variants/import"
    for bad in (token[:-3] + "abc", token + "x", "", "not-a-token"):
        response = post_form(client, url, {"token": bad}, form_url=form_url)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "no longer valid" in page
    # Signed with another key, naming the other cooperative's variant: refused as well.
    forged = URLSafeTimedSerializer("guess", salt="souk-variants-csv").dumps(
        {"c": seller.cooperative_id, "v": [[theirs.variants[0].id, 9500, 1, 10, 0]]}
    )
    post_form(client, url, {"token": forged}, form_url=form_url)
    real_key = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="souk-variants-csv")
    foreign = real_key.dumps(
        {"c": seller.cooperative_id, "v": [[theirs.variants[0].id, 9500, 1, 10, 0]]}
    )
    post_form(client, url, {"token": foreign}, form_url=form_url)
    assert [(v.price_cents, v.stock) for v in reload(Product, theirs.id).variants] == [
        (9500, 10),
        (18000, 4),
    ]
    assert [(v.price_cents, v.stock) for v in reload(Product, product.id).variants] == [
        (9500, 10),
        (18000, 4),
    ]
    assert db.session.scalar(select(func.count(AuditLogEntry.id))) == 0
