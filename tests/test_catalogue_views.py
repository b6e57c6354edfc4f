"""Public catalogue pages: home, grid with filters and sorts, keyset pagination, product,
category and cooperative pages, sitemap, Open Graph, and every kind of bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.catalogue.models import ProductImage, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus, Province
from marketplace.extensions import db
from marketplace.timeutil import utcnow
from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory

SLUG_RE = re.compile(r'href="/(?:ar|fr|en)/products/([a-z0-9-]+)"')


def product_slugs(html: str) -> list[str]:
    """Product slugs of the grid, in order, once each."""
    seen: list[str] = []
    grid = html.split('class="product-grid"', 1)[-1]
    for slug in SLUG_RE.findall(grid):
        if slug not in seen:
            seen.append(slug)
    return seen


@pytest.fixture
def shop(app):
    dates = CategoryFactory(slug="dates", names={"fr": "Dattes", "ar": "التمور", "en": "Dates"})
    crafts = CategoryFactory(slug="crafts", names={"fr": "Artisanat", "en": "Crafts"})
    erfoud = CooperativeFactory(
        slug="nakhil", province=Province.ERRACHIDIA.value, names={"fr": "Nakhil", "ar": "نخيل"}
    )
    zagora = CooperativeFactory(
        slug="tamegroute", province=Province.ZAGORA.value, names={"fr": "Tamegroute Poterie"}
    )
    pending = CooperativeFactory(slug="pending", status=CooperativeStatus.PENDING.value)
    now = utcnow()
    products = {
        "mejhoul": ProductFactory(
            slug="mejhoul",
            cooperative=erfoud,
            category=dates,
            price_cents=12000,
            stock=10,
            created_at=now - timedelta(days=3),
            names={
                "fr": ("Dattes Mejhoul", "<p>Très <strong>bonnes</strong></p><script>x()</script>"),
                "ar": "تمر المجهول",
            },
        ),
        "boufeggous": ProductFactory(
            slug="boufeggous",
            cooperative=erfoud,
            category=dates,
            price_cents=6000,
            stock=0,
            created_at=now - timedelta(days=2),
            names={"fr": "Dattes Boufeggous"},
        ),
        "plate": ProductFactory(
            slug="plate",
            cooperative=zagora,
            category=crafts,
            price_cents=25000,
            stock=3,
            created_at=now - timedelta(days=1),
            names={"fr": "Assiette verte", "en": "Green plate", "ar": "صحن أخضر"},
        ),
        "hidden": ProductFactory(
            slug="hidden", cooperative=erfoud, category=dates, status=ProductStatus.HIDDEN.value
        ),
        "draft": ProductFactory(
            slug="draft", cooperative=erfoud, category=dates, status=ProductStatus.DRAFT.value
        ),
        "unverified": ProductFactory(slug="unverified", cooperative=pending, category=dates),
    }
    return products


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_home_shows_featured_products_provinces_and_categories(client, shop):
    html = get(client, "/fr/")
    assert "Dattes Mejhoul" in html
    assert "/fr/categories/dates" in html and "Artisanat" in html
    for province in ("Errachidia", "Ouarzazate", "Midelt", "Tinghir", "Zagora"):
        assert province in html
    assert "/fr/products?province=zagora" in html


@pytest.mark.parametrize(
    "url",
    [
        "/fr/",
        "/fr/products",
        "/fr/search?q=dattes",
        "/fr/categories/dates",
        "/fr/cooperatives/nakhil",
    ],
)
def test_only_active_products_of_verified_cooperatives_are_public(client, shop, url):
    html = get(client, url)
    for slug in ("hidden", "draft", "unverified"):
        assert f'/products/{slug}"' not in html
    for slug in ("hidden", "draft", "unverified"):
        get(client, f"/fr/products/{slug}", 404)
    get(client, "/fr/cooperatives/pending", 404)


def test_catalogue_lists_newest_first_and_sorts(client, shop):
    assert product_slugs(get(client, "/fr/products")) == ["plate", "boufeggous", "mejhoul"]
    assert product_slugs(get(client, "/fr/products?sort=price_asc")) == [
        "boufeggous",
        "mejhoul",
        "plate",
    ]
    assert product_slugs(get(client, "/fr/products?sort=price_desc")) == [
        "plate",
        "mejhoul",
        "boufeggous",
    ]
    # Names in the page's language (Arabic falls back to French for Boufeggous).
    assert product_slugs(get(client, "/en/products?sort=name")) == [
        "boufeggous",
        "mejhoul",
        "plate",
    ]


def test_unknown_sort_key_uses_the_default_order(client, shop):
    html = get(client, "/fr/products?sort=drop%20table")
    assert product_slugs(html) == ["plate", "boufeggous", "mejhoul"]


def test_filters(client, shop):
    assert product_slugs(get(client, "/fr/products?category=dates")) == ["boufeggous", "mejhoul"]
    assert product_slugs(get(client, "/fr/products?province=zagora")) == ["plate"]
    assert product_slugs(get(client, "/fr/products?cooperative=nakhil")) == [
        "boufeggous",
        "mejhoul",
    ]
    assert product_slugs(get(client, "/fr/products?in_stock=y")) == ["plate", "mejhoul"]
    assert product_slugs(get(client, "/fr/products?price_min=100&price_max=200")) == ["mejhoul"]
    assert product_slugs(get(client, "/fr/products?price_min=100,50")) == ["plate", "mejhoul"]


def test_price_min_above_price_max_is_explained_and_not_applied(client, shop):
    html = get(client, "/fr/products?price_min=300&price_max=100")
    assert "ne doit pas être inférieur au prix minimum" in html
    assert len(product_slugs(html)) == 3
    assert 'value="300"' in html  # what the shopper typed is kept


@pytest.mark.parametrize(
    "query",
    [
        "price_min=abc",
        "price_max=-5",
        "price_min=1e9",
        "category=nope",
        "province=paris",
        "cooperative=pending",
    ],
)
def test_bad_filter_values_are_explained_not_500(client, shop, query):
    html = get(client, f"/fr/products?{query}")
    assert "form-errors" in html
    assert len(product_slugs(html)) == 3


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "9" * 30])
def test_bad_page_numbers_are_a_400(client, shop, page):
    html = get(client, f"/fr/products?page={page}", 400)
    assert "numéro de page" in html


@pytest.mark.parametrize(
    "url",
    [
        "/fr/search?q=dattes&page=abc",
        "/fr/search?q=dattes&page=-1",
        "/fr/categories/dates?page=abc",
        "/fr/cooperatives/nakhil?page=-1",
    ],
)
def test_bad_page_numbers_on_other_listings_are_a_400(client, shop, url):
    html = get(client, url, 400)
    assert "numéro de page" in html


@pytest.mark.parametrize(
    "url",
    [
        "/fr/products?page=99999",
        "/fr/products?page=2",
        "/fr/search?q=dattes&page=99999",
        "/fr/categories/dates?page=99999",
        "/fr/cooperatives/nakhil?page=99999",
    ],
)
def test_pages_beyond_the_end_are_a_404(client, shop, url):
    get(client, url, 404)


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4IiwxXQ", "x" * 700])
def test_tampered_cursors_are_a_400(client, shop, cursor):
    get(client, f"/fr/products?after={cursor}", 400)
    get(client, f"/fr/products?sort=price_asc&before={cursor}", 400)


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "name"])
def test_keyset_pagination_walks_every_product_once(client, app, sort, monkeypatch):
    coop = CooperativeFactory()
    category = CategoryFactory()
    now = utcnow()
    for n in range(7):
        ProductFactory(
            slug=f"p{n}",
            cooperative=coop,
            category=category,
            price_cents=1000 * (n % 3),  # ties on the price: the id breaks them
            created_at=now - timedelta(hours=n % 2),
            names={"fr": f"Produit {n % 4}"},
        )
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    url = f"/fr/products?sort={sort}"
    seen, pages = [], []
    while url:
        html = get(client, url)
        pages.append(product_slugs(html))
        seen += pages[-1]
        match = re.search(r'rel="next" href="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert sorted(seen) == [f"p{n}" for n in range(7)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert "page=3" in html and "after=" not in html.split('rel="prev"')[0][-10:]
    # Going back from the last page gives the previous page again.
    previous = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert product_slugs(get(client, previous)) == pages[1]
    # page=N without a cursor is accepted too (links shared by people).
    assert product_slugs(get(client, f"/fr/products?sort={sort}&page=2")) == pages[1]


def test_catalogue_query_count_does_not_grow_with_the_page_size(client, app, monkeypatch):
    coop_a, coop_b = CooperativeFactory(), CooperativeFactory()
    category = CategoryFactory()
    for n in range(48):
        product = ProductFactory(
            slug=f"p{n}", cooperative=coop_a if n % 2 else coop_b, category=category
        )
        product.images.append(ProductImage(stored_name=f"{n:032x}", width=800, height=600))
    db.session.commit()
    monkeypatch.setitem(app.config, "QUERY_COUNT_HEADER", True)
    counts = {}
    for size in (24, 48):
        monkeypatch.setitem(app.config, "PAGE_SIZE", size)
        response = client.get("/fr/products")
        assert response.status_code == 200
        assert len(product_slugs(response.get_data(as_text=True))) == size
        counts[size] = int(response.headers["X-Query-Count"])
    assert counts[24] == counts[48]


def test_product_page(client, shop):
    product = shop["mejhoul"]
    product.images.append(ProductImage(stored_name="a" * 32, width=1600, height=1200))
    db.session.commit()
    html = get(client, "/fr/products/mejhoul")
    assert "<h1>Dattes Mejhoul</h1>" in html
    assert "120,00" in html and "MAD" in html and "500\u202fg" in html  # the unit per CLDR (fr)
    assert '<p class="product-stock"><span class="badge badge-ok">En stock</span>' in html
    assert "Rupture de stock" in get(client, "/fr/products/boufeggous")  # stock 0
    assert "Plus que 3" in get(client, "/fr/products/plate")  # stock 3
    assert "<strong>bonnes</strong>" in html and "<script>x()" not in html
    assert "Nakhil" in html and "Errachidia" in html and "Story fr" in html
    assert 'width="1400" height="1050"' in html
    assert "/products/boufeggous" in html  # related product of the same category
    og_title = re.search(r'property="og:title" content="([^"]*)"', html).group(1)
    assert "Dattes Mejhoul" in og_title and "120,00" in og_title  # name and price when shared
    assert 'property="og:image"' in html and 'property="og:url"' in html
    assert f'content="http://localhost/media/{"a" * 32}-large.jpg"' in html
    assert 'property="product:price:amount" content="120.00"' in html
    for code in ("ar", "fr", "en"):
        assert f'hreflang="{code}" href="http://localhost/{code}/products/mejhoul"' in html


def test_grid_images_have_dimensions_and_load_lazily(client, app, monkeypatch):
    coop = CooperativeFactory()
    for n in range(6):
        product = ProductFactory(slug=f"p{n}", cooperative=coop)
        product.images.append(ProductImage(stored_name=f"{n:032x}", width=800, height=600))
    db.session.commit()
    html = get(client, "/fr/products")
    images = re.findall(r"<img [^>]*>", html.split('class="product-grid"', 1)[1])
    assert len(images) == 6
    assert all('width="600" height="450"' in tag for tag in images)
    assert sum('loading="lazy"' in tag for tag in images) == 2  # the first row loads at once


def test_fallback_marker_when_a_text_is_missing_in_the_language(client, shop):
    html = get(client, "/ar/products/boufeggous")
    assert 'class="fallback-marker" lang="fr"' in html
    assert "Dattes Boufeggous" in html
    html = get(client, "/fr/products/boufeggous")
    assert "fallback-marker" not in html.split("<main", 1)[1].split("coop-story")[0]


def test_category_page(client, shop):
    html = get(client, "/ar/categories/dates")
    assert "التمور" in html
    assert product_slugs(html) == ["boufeggous", "mejhoul"]
    assert product_slugs(get(client, "/ar/categories/dates?in_stock=y")) == ["mejhoul"]


def test_cooperative_pages(client, shop):
    html = get(client, "/fr/cooperatives")
    assert "Nakhil" in html and "Tamegroute Poterie" in html and "/cooperatives/pending" not in html
    html = get(client, "/fr/cooperatives?province=zagora")
    assert "Tamegroute Poterie" in html and "Nakhil" not in html
    get(client, "/fr/cooperatives?province=casablanca", 404)
    html = get(client, "/fr/cooperatives/nakhil")
    assert "Story fr" in html and "Errachidia" in html.split("<main", 1)[1].split("product-grid")[0]
    assert product_slugs(html) == ["boufeggous", "mejhoul"]


@pytest.mark.parametrize(
    "url",
    ["/fr/products/nope", "/fr/categories/nope", "/fr/cooperatives/nope", "/ar/products/nope"],
)
def test_unknown_slugs_are_translated_404_pages(client, shop, url):
    html = get(client, url, 404)
    assert 'class="error-page"' in html


def test_unknown_slug_404_is_translated(client, shop):
    html = get(client, "/fr/products/nope", 404)
    assert 'lang="fr"' in html and "Ce produit n'existe pas ou n'est plus en vente." in html
    html = get(client, "/ar/categories/nope", 404)
    assert '<html lang="ar" dir="rtl">' in html and "هذه الفئة غير موجودة." in html


def test_unsupported_language_is_a_404(client, shop):
    get(client, "/de/products", 404)
    get(client, "/xx/products/mejhoul", 404)


def test_search_page(client, shop):
    html = get(client, "/fr/search?q=DATTES")
    assert product_slugs(html) == ["mejhoul", "boufeggous"] or sorted(product_slugs(html)) == [
        "boufeggous",
        "mejhoul",
    ]
    html = get(client, "/ar/search?q=تَمْر")
    assert product_slugs(html) == ["mejhoul"]
    html = get(client, "/fr/search?q=")
    assert "Tapez ce que vous cherchez" in html
    html = get(client, "/fr/search?q=xyzzy")
    assert "Aucun produit ne correspond à votre recherche" in html


def test_two_thousand_character_query_gets_a_clear_answer(client, shop):
    html = get(client, "/fr/search?q=" + "dattes " * 300)
    assert "trop longue" in html
    assert "mejhoul" in product_slugs(html)


def test_sitemap_lists_public_pages_in_every_language(client, shop):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    for code in ("ar", "fr", "en"):
        assert f"<loc>http://localhost/{code}/products/mejhoul</loc>" in xml
        assert f"<loc>http://localhost/{code}/cooperatives/nakhil</loc>" in xml
        assert f"<loc>http://localhost/{code}/categories/dates</loc>" in xml
        for page in ("", "products", "cooperatives"):
            assert f"<loc>http://localhost/{code}/{page}</loc>" in xml
    assert 'hreflang="ar" href="http://localhost/ar/products/plate"' in xml
    for slug in ("hidden", "draft", "unverified"):
        assert f"/products/{slug}<" not in xml
    assert "/cooperatives/pending<" not in xml


def test_cached_filter_lists_follow_catalogue_changes(client, app, shop, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOGUE_FACET_CACHE_SECONDS", 600)
    monkeypatch.setitem(app.config, "QUERY_COUNT_HEADER", True)
    first = client.get("/fr/products")
    again = client.get("/fr/products")
    assert int(again.headers["X-Query-Count"]) < int(first.headers["X-Query-Count"])
    assert "Miel" not in again.get_data(as_text=True)
    CategoryFactory(slug="honey", names={"fr": "Miel"})
    html = get(client, "/fr/products")
    assert '<option value="honey">Miel</option>' in html
    shop["plate"].cooperative.status = CooperativeStatus.SUSPENDED.value
    db.session.commit()
    html = get(client, "/fr/products")
    assert 'value="tamegroute"' not in html and "/products/plate" not in html
    get(client, "/fr/products?cooperative=tamegroute")  # a clear form error, not a 500
