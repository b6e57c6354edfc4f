"""Variants on the storefront (issue #15): cards say "from" the cheapest price, price filters
and sorts read active variants' prices, search finds option labels in every language, the
product page offers a choice of radio buttons (none for a single variant), ``?variant=``
links, Open Graph and JSON-LD offers; query counts do not grow with variants or products."""

from __future__ import annotations

import json
import re

import pytest

from marketplace.catalogue import variants as variant_rules
from marketplace.catalogue.models import ProductVariant
from marketplace.catalogue.search import search_products
from marketplace.extensions import db
from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory
from tests.helpers import post_form, release_test_transaction

RADIO_RE = re.compile(
    r'<input type="radio" name="variant_id" id="variant-(\d+)" value="\d+"([^>]*)>'
)
JSON_LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
NBSP = "\u00a0"


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def grid_slugs(html: str) -> list[str]:
    grid = html.split('class="product-grid"', 1)[-1]
    seen: list[str] = []
    for slug in re.findall(r'href="/(?:ar|fr|en)/products/([a-z0-9-]+)"', grid):
        if slug not in seen:
            seen.append(slug)
    return seen


def radios(html: str) -> dict[int, set[str]]:
    """The page's variant radio buttons: id -> {"checked", "disabled"} as present."""
    return {
        int(variant_id): {flag for flag in ("checked", "disabled") if f" {flag}" in attrs}
        for variant_id, attrs in RADIO_RE.findall(html)
    }


def json_ld(html: str) -> dict:
    match = JSON_LD_RE.search(html)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def variant(product, position: int) -> ProductVariant:
    return next(v for v in product.variants if v.position == position)


@pytest.fixture
def dates(app):
    """Dates in three sizes (500 g in stock, 1 kg with 3 left, 5 kg sold out) and a withdrawn
    2 kg pack, labelled in French and Arabic; and a single-variant argan oil."""
    category = CategoryFactory(slug="dates", names={"fr": "Dattes", "en": "Dates"})
    coop = CooperativeFactory(slug="nakhil", names={"fr": "Nakhil", "ar": "نخيل"})
    product = ProductFactory(
        slug="mejhoul",
        cooperative=coop,
        category=category,
        names={"fr": "Dattes Mejhoul", "ar": "تمر المجهول", "en": "Mejhoul dates"},
        variants=[
            {
                "price_cents": 9500,
                "stock": 20,
                "unit_quantity_milli": 500_000,
                "unit_code": "g",
                "labels": {"fr": "Petit sachet", "ar": "كيس صغير"},
            },
            {
                "price_cents": 18000,
                "stock": 3,
                "unit_quantity_milli": 1_000,
                "unit_code": "kg",
                "labels": {"fr": "Boîte familiale"},
            },
            {
                "price_cents": 80000,
                "stock": 0,
                "unit_quantity_milli": 5_000,
                "unit_code": "kg",
            },
            {
                "price_cents": 30000,
                "stock": 7,
                "unit_quantity_milli": 2_000,
                "unit_code": "kg",
                "labels": {"fr": "Coffret cadeau", "ar": "علبة هدية"},
                "active": False,
            },
        ],
    )
    single = ProductFactory(
        slug="argan",
        cooperative=coop,
        category=category,
        price_cents=15000,
        stock=4,
        unit_quantity_milli=250,
        unit_code="l",
        names={"fr": "Huile d'argan", "en": "Argan oil"},
    )
    release_test_transaction()
    return {"product": product, "single": single}


# --- cards, filters, sorts ------------------------------------------------------------------


def test_card_says_from_the_cheapest_price_when_variants_differ(client, dates):
    html = get(client, "/en/products")
    assert f"from MAD{NBSP}95.00" in html
    assert f"MAD{NBSP}150.00" in html
    assert f"from MAD{NBSP}150.00" not in html  # one variant: its price as always
    # The unit is the cheapest variant's (the summary), as cards showed it.
    card = html.split('href="/en/products/mejhoul"', 1)[1].split("</li>", 1)[0]
    assert "500" in card and "/ <bdi>" in card
    french = get(client, "/fr/products")
    assert f"95,00{NBSP}MAD" in french


def test_price_filter_matches_any_active_variant_and_not_an_inactive_one(client, dates):
    # 180 MAD is the 1 kg box's price: the product's cheapest (95) is outside the range.
    assert grid_slugs(get(client, "/en/products?price_min=170&price_max=190")) == ["mejhoul"]
    # 800 MAD: the sold-out 5 kg is still an active variant.
    assert grid_slugs(get(client, "/en/products?price_min=700")) == ["mejhoul"]
    # 300 MAD is the price of the withdrawn gift box only.
    assert grid_slugs(get(client, "/en/products?price_min=250&price_max=350")) == []
    assert grid_slugs(get(client, "/en/products?price_max=120")) == ["mejhoul"]
    assert grid_slugs(get(client, "/en/products?price_min=100&price_max=160")) == ["argan"]


def test_price_filter_costs_no_extra_query(app, client, dates):
    from tests.test_query_counts import query_count

    plain = query_count(app, client, "/en/products")
    assert query_count(app, client, "/en/products?price_min=170&price_max=190") == plain


def test_price_sorts_use_the_cheapest_active_price(client, dates):
    ProductFactory(slug="cheap", price_cents=9000, names={"en": "Cheap"})
    # Its dearest variant costs more than every other product: only the cheapest counts.
    ProductFactory(
        slug="range",
        names={"en": "Range"},
        variants=[{"price_cents": 12000, "stock": 1}, {"price_cents": 99000, "stock": 1}],
    )
    # A withdrawn cheap variant does not make it cheap.
    ProductFactory(
        slug="withdrawn",
        names={"en": "Withdrawn"},
        variants=[{"price_cents": 100, "stock": 1, "active": False}, {"price_cents": 16000}],
    )
    release_test_transaction()
    ascending = ["cheap", "mejhoul", "range", "argan", "withdrawn"]
    assert grid_slugs(get(client, "/en/products?sort=price_asc")) == ascending
    assert grid_slugs(get(client, "/en/products?sort=price_desc")) == ascending[::-1]


def test_in_stock_filter_counts_every_active_variant(client, app):
    ProductFactory(
        slug="some-left",
        names={"en": "Some left"},
        variants=[{"price_cents": 1000, "stock": 0}, {"price_cents": 2000, "stock": 2}],
    )
    ProductFactory(
        slug="only-withdrawn-left",
        names={"en": "Withdrawn left"},
        variants=[
            {"price_cents": 1000, "stock": 0},
            {"price_cents": 2000, "stock": 5, "active": False},
        ],
    )
    release_test_transaction()
    assert grid_slugs(get(client, "/en/products?in_stock=y")) == ["some-left"]


# --- search ---------------------------------------------------------------------------------


def search_slugs(query: str) -> list[str]:
    return sorted(p.slug for p in search_products(query, "fr").products)


def test_search_finds_option_labels_in_arabic_and_french(client, dates):
    assert search_slugs("familiale") == ["mejhoul"]
    assert search_slugs("Boite familiale") == ["mejhoul"]  # accents normalised
    assert search_slugs("كيس") == ["mejhoul"]
    assert search_slugs("الكيس الصغير") == ["mejhoul"]  # article and letter forms normalised
    # The withdrawn variant's labels are not searchable.
    assert search_slugs("coffret") == []
    assert search_slugs("هدية") == []
    assert "mejhoul" in get(client, "/ar/search?q=كيس")
    assert "mejhoul" in get(client, "/fr/search?q=familiale")


def test_search_document_follows_variant_changes(dates):
    product = dates["product"]
    box = variant(product, 1)
    box.labels = {"fr": "Boîte royale", "ar": "علبة ملكية"}
    variant_rules.refresh_summary(product)
    db.session.commit()
    assert search_slugs("royale") == ["mejhoul"]
    assert search_slugs("ملكية") == ["mejhoul"]
    assert search_slugs("familiale") == []
    gift = variant(product, 3)
    gift.active = True
    variant_rules.refresh_summary(product)
    db.session.commit()
    assert search_slugs("coffret") == ["mejhoul"]
    product.variants.append(
        ProductVariant(
            cooperative_id=product.cooperative_id,
            sku="mejhoul-tray",
            price_cents=50000,
            stock=1,
            position=4,
            labels={"fr": "Plateau"},
        )
    )
    variant_rules.refresh_summary(product)
    db.session.commit()
    assert search_slugs("plateau") == ["mejhoul"]


# --- product page ---------------------------------------------------------------------------


def test_product_page_offers_each_variant_with_price_and_availability(client, dates):
    product = dates["product"]
    small, box, big, gift = (variant(product, n) for n in range(4))
    html = get(client, "/fr/products/mejhoul")
    choice = html.split('<fieldset class="variant-choice"', 1)[1].split("</fieldset>", 1)[0]
    # Inside the add-to-cart form, one radio per active variant, in the seller's order.
    form = html.split('action="/fr/cart/add"', 1)[1].split("</form>", 1)[0]
    assert 'name="variant_id"' in form
    assert list(radios(html)) == [small.id, box.id, big.id]
    assert gift.id not in radios(html) and "Coffret" not in html
    # The default variant (first in stock) is checked; the sold-out one visible, disabled.
    assert radios(html) == {small.id: {"checked"}, box.id: set(), big.id: {"disabled"}}
    big_option = choice.split(f'id="variant-{big.id}"', 1)[1].split("</li>", 1)[0]
    assert "Rupture de stock" in big_option or "Out of stock" in big_option
    assert f"800,00{NBSP}MAD" in big_option
    # Labels isolated; a variant without a label is named by its unit; prices per variant.
    assert '<bdi dir="auto">Petit sachet</bdi>' in choice
    assert '<bdi dir="auto">Boîte familiale</bdi>' in choice
    assert f"95,00{NBSP}MAD" in choice and f"180,00{NBSP}MAD" in choice
    assert re.search(r'<bdi dir="auto">5\s?kg</bdi>', choice.replace(NBSP, " "))
    # The box has 3 left.
    box_option = choice.split(f'id="variant-{box.id}"', 1)[1].split("</li>", 1)[0]
    assert "3" in box_option and "badge-warn" in box_option
    # The page's price is "from" the cheapest; the canonical URL is the product's.
    assert 'rel="canonical" href="http://localhost/fr/products/mejhoul"' in html


def test_arabic_page_labels_fall_back_with_a_marker(client, dates):
    box = variant(dates["product"], 1)
    html = get(client, "/ar/products/mejhoul")
    assert '<html lang="ar" dir="rtl"' in html
    assert '<bdi dir="auto">كيس صغير</bdi>' in html
    # The box has only a French label: shown in French, marked, with lang="fr".
    option = html.split(f'id="variant-{box.id}"', 1)[1].split("</li>", 1)[0]
    assert '<bdi dir="auto" lang="fr">Boîte familiale</bdi>' in option
    assert 'class="fallback-marker" lang="fr"' in option


def test_variant_link_preselects_it_and_shows_its_price(client, dates):
    product = dates["product"]
    box = variant(product, 1)
    html = get(client, f"/fr/products/mejhoul?variant={box.id}")
    assert radios(html)[box.id] == {"checked"}
    assert radios(html)[variant(product, 0).id] == set()
    price = html.split('class="product-price"', 1)[1].split("</p>", 1)[0]
    assert f"180,00{NBSP}MAD" in price and "kg" in price
    assert f'content="{"180.00"}"' in html  # product:price:amount
    assert f"Dattes Mejhoul · 180,00{NBSP}MAD" in html  # og:title
    assert 'rel="canonical" href="http://localhost/fr/products/mejhoul"' in html
    assert 'property="og:url" content="http://localhost/fr/products/mejhoul"' in html
    # Arabic-Indic digits are read as the same number.
    arabic = get(
        client,
        "/fr/products/mejhoul?variant="
        + str(box.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    )
    assert radios(arabic)[box.id] == {"checked"}


def test_without_a_link_the_page_shows_from_the_cheapest(client, dates):
    html = get(client, "/en/products/mejhoul")
    price = html.split('class="product-price"', 1)[1].split("</p>", 1)[0]
    assert f"from MAD{NBSP}95.00" in price
    assert '<meta property="product:price:amount" content="95.00">' in html


@pytest.mark.parametrize(
    "value", ["abc", "-1", "0", "99999999999999999999999", "1.5", "", "%20", "²"]
)
def test_invalid_variant_link_shows_the_default_variant(client, dates, value):
    small = variant(dates["product"], 0)
    html = get(client, f"/fr/products/mejhoul?variant={value}")
    assert radios(html)[small.id] == {"checked"}


def test_foreign_or_withdrawn_variant_link_shows_the_default_variant(client, dates):
    product, single = dates["product"], dates["single"]
    small, gift = variant(product, 0), variant(product, 3)
    for foreign in (single.variants[0].id, gift.id):
        html = get(client, f"/fr/products/mejhoul?variant={foreign}")
        assert radios(html)[small.id] == {"checked"}
        assert (
            f"à partir de 95,00{NBSP}MAD" in html
            or "95,00" in html.split('class="product-price"', 1)[1].split("</p>", 1)[0]
        )


def test_link_to_a_sold_out_variant_shows_it_out_of_stock_and_checks_nothing(client, dates):
    big = variant(dates["product"], 2)
    html = get(client, f"/en/products/mejhoul?variant={big.id}")
    assert radios(html)[big.id] == {"disabled"}
    assert not any("checked" in flags for flags in radios(html).values())
    price = html.split('class="product-price"', 1)[1].split("</p>", 1)[0]
    assert f"MAD{NBSP}800.00" in price
    stock = html.split('class="product-stock"', 1)[1].split("</p>", 1)[0]
    assert "Out of stock" in stock
    # The form remains, to choose an available one (required: a choice must be made).
    assert 'action="/en/cart/add"' in html and " required" in html


def test_every_variant_sold_out_leaves_the_choice_visible_without_a_form(client, dates):
    product = dates["product"]
    for item in product.variants:
        item.stock = 0
    variant_rules.refresh_summary(product)
    db.session.commit()
    html = get(client, "/en/products/mejhoul")
    assert (
        'action="/en/cart/add"' not in html.split('class="product-buy"', 1)[1].split("</div>", 1)[0]
    )
    assert '<fieldset class="variant-choice" disabled>' in html
    assert all("disabled" in flags for flags in radios(html).values())


def test_single_variant_page_shows_no_choice_and_looks_as_before(client, dates):
    single = dates["single"]
    html = get(client, "/fr/products/argan?variant=" + str(single.variants[0].id))
    assert "variant-choice" not in html and 'name="variant_id"' not in html
    price = html.split('class="product-price"', 1)[1].split("</p>", 1)[0]
    assert f"150,00{NBSP}MAD" in price and "partir" not in price and "from" not in price
    assert f'name="product_id" value="{single.id}"' in html
    assert 'max="4"' in html  # the add-to-cart form as always
    ld = json_ld(html)
    assert ld["offers"] == {
        "@type": "Offer",
        "price": "150.00",
        "priceCurrency": "MAD",
        "availability": "https://schema.org/InStock",
    }
    # A product whose other variants are withdrawn is a single-variant product too.
    product = dates["product"]
    for item in product.variants[1:]:
        item.active = False
    variant_rules.refresh_summary(product)
    db.session.commit()
    html = get(client, "/fr/products/mejhoul")
    assert "variant-choice" not in html and json_ld(html)["offers"]["@type"] == "Offer"


def test_json_ld_aggregate_offer_with_one_offer_per_active_variant(client, dates):
    product = dates["product"]
    small, box, big = (variant(product, n) for n in range(3))
    offers = json_ld(get(client, "/fr/products/mejhoul"))["offers"]
    assert offers["@type"] == "AggregateOffer"
    assert offers["lowPrice"] == "95.00" and offers["highPrice"] == "800.00"
    assert offers["offerCount"] == 3 and offers["priceCurrency"] == "MAD"
    base = "http://localhost/fr/products/mejhoul?variant="
    assert offers["offers"] == [
        {
            "@type": "Offer",
            "sku": "mejhoul-1",
            "name": "Petit sachet",
            "price": "95.00",
            "priceCurrency": "MAD",
            "availability": "https://schema.org/InStock",
            "url": f"{base}{small.id}",
        },
        {
            "@type": "Offer",
            "sku": "mejhoul-2",
            "name": "Boîte familiale",
            "price": "180.00",
            "priceCurrency": "MAD",
            "availability": "https://schema.org/InStock",
            "url": f"{base}{box.id}",
        },
        {
            "@type": "Offer",
            "sku": "mejhoul-3",
            "name": variant_rules.option_label(big, "fr").text,  # "5 kg" in French
            "price": "800.00",
            "priceCurrency": "MAD",
            "availability": "https://schema.org/OutOfStock",
            "url": f"{base}{big.id}",
        },
    ]
    arabic = json_ld(get(client, "/ar/products/mejhoul"))["offers"]["offers"]
    assert arabic[0]["name"] == "كيس صغير"


def test_the_chosen_variant_goes_to_the_cart(client, dates):
    """The page's form posts variant_id (the cart's side of the contract)."""
    box = variant(dates["product"], 1)
    response = post_form(
        client,
        "/fr/cart/add",
        {"product_id": dates["product"].id, "variant_id": box.id, "quantity": 2},
        form_url="/fr/products/mejhoul",
    )
    assert response.status_code == 303
    cart = get(client, "/fr/cart")
    assert "Boîte familiale" in cart


# --- query counts ---------------------------------------------------------------------------


def test_query_counts_do_not_grow_with_variants_or_products(app, client):
    """Catalogue, category, search and product pages: the same number of queries with two
    products of one variant each as with twenty products of four variants each."""
    from tests.test_query_counts import query_count

    category = CategoryFactory(slug="dates", names={"en": "Dates"})
    coop = CooperativeFactory()
    for n in range(2):
        ProductFactory(
            slug=f"one-{n}", category=category, cooperative=coop, names={"en": f"Dates {n}"}
        )
    release_test_transaction()
    pages = {
        "catalogue": "/en/products",
        "filtered": "/en/products?price_min=10&price_max=5000&sort=price_asc",
        "category": "/en/categories/dates",
        "search": "/en/search?q=dates",
        "product": "/en/products/one-0",
    }
    small = {label: query_count(app, client, url) for label, url in pages.items()}

    def four_variants(n: int) -> list[dict]:
        return [
            {
                "price_cents": 1000 * (n + 1) + k * 500,
                "stock": k,
                "active": k != 3,
                "labels": {"fr": f"Taille {k}", "ar": f"حجم {k}"},
            }
            for k in range(4)
        ]

    for n in range(18):
        ProductFactory(
            slug=f"four-{n}",
            category=category,
            cooperative=coop,
            names={"en": f"Dates {n} more"},
            variants=four_variants(n),
        )
    release_test_transaction()
    pages["product"] = "/en/products/four-0"
    large = {label: query_count(app, client, url) for label, url in pages.items()}
    html = get(client, "/en/products/four-0")
    assert len(radios(html)) == 3  # the grown page does show a choice
    assert len(grid_slugs(get(client, "/en/products"))) == 20
    assert large == small


def test_product_page_reads_variants_with_the_product_itself(app, client, dates):
    """No query of its own for the variants: they come joined to the product's row."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        get(client, "/fr/products/mejhoul")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    from_variants = [s for s in statements if re.search(r"FROM product_variants\b", s)]
    assert from_variants == []
    assert any("JOIN product_variants" in s for s in statements)
