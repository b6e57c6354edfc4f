"""What the benchmark work changed in the catalogue: the product page and its related products
in a constant number of queries, the filter form's option lists rendered once, and the
PostgreSQL search (whole words first, prefixes when they find few)."""

from __future__ import annotations

import re

import pytest

from marketplace.catalogue.search import search_products
from marketplace.extensions import db
from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory


def query_count(app, client, url) -> int:
    app.config["QUERY_COUNT_HEADER"] = True
    try:
        response = client.get(url)
    finally:
        app.config["QUERY_COUNT_HEADER"] = False
    assert response.status_code == 200
    return int(response.headers["X-Query-Count"])


def test_product_page_queries_do_not_grow_with_related_products(app, client):
    dates = CategoryFactory(slug="dates")
    product = ProductFactory(slug="mejhoul", category=dates, names={"en": "Mejhoul"})
    alone = query_count(app, client, "/en/products/mejhoul")
    for n in range(6):
        ProductFactory(slug=f"other-{n}", category=dates, names={"en": f"Other dates {n}"})
    html = client.get(f"/en/products/{product.slug}").get_data(as_text=True)
    assert len(set(re.findall(r'href="/en/products/(other-\d)"', html))) == 4
    assert query_count(app, client, "/en/products/mejhoul") == alone <= 7


def test_related_products_prefer_featured_then_newest(client):
    dates = CategoryFactory(slug="dates")
    ProductFactory(slug="main", category=dates)
    plain = ProductFactory(slug="plain", category=dates)
    star = ProductFactory(slug="star", category=dates, featured=True)
    html = client.get("/en/products/main").get_data(as_text=True)
    related = html.split('id="related-title"', 1)[-1]
    assert related.index(f"/en/products/{star.slug}") < related.index(f"/en/products/{plain.slug}")


def test_filter_lists_keep_the_visitors_choice(client):
    CooperativeFactory(slug="nakhil", names={"en": "Nakhil <dates>"})
    CooperativeFactory(slug="warda", names={"en": "Warda"})
    ProductFactory()
    html = client.get("/en/products?cooperative=warda").get_data(as_text=True)
    assert '<option value="warda" selected>' in html
    assert '<option value="nakhil">Nakhil &lt;dates&gt;</option>' in html
    other = client.get("/en/products?cooperative=nakhil").get_data(as_text=True)
    assert '<option value="nakhil" selected>' in other
    assert '<option value="warda">' in other


@pytest.mark.postgres
def test_postgres_search_whole_words_first_then_prefixes(app, monkeypatch):
    from marketplace.catalogue import search

    coop = CooperativeFactory()
    for n in range(4):
        ProductFactory(slug=f"dattes-{n}", cooperative=coop, names={"fr": f"Dattes {n}"})
    ProductFactory(slug="dattier", cooperative=coop, names={"fr": "Palmier dattier"})
    db.session.commit()
    # Few whole-word matches: the prefix query finds everything.
    assert search_products("datt", "fr").total == 5
    assert search_products("dattes", "fr").total == 4
    monkeypatch.setattr(search, "MAX_COUNTED", 3)
    # More whole-word matches than counted: those are the results ("more than 3").
    many = search_products("dattes", "fr", per_page=10)
    assert many.more_than_counted
    assert {p.slug for p in many.products} <= {f"dattes-{n}" for n in range(4)}
    assert search_products("dattes argan", "fr").total == 0


def test_badges_and_ratings_keep_catalogue_and_product_page_queries_constant(app, client):
    """Cards show labels and ratings, product pages reviews and their distribution: in a
    fixed number of queries, whatever the number of labelled and reviewed products."""
    from datetime import timedelta

    from marketplace.reviews import services as reviews
    from marketplace.timeutil import today
    from tests.factories import MemberFactory, UserFactory
    from tests.trust_support import delivered_sub_order, make_certificate, make_label

    label = make_label()
    onssa = make_label(slug="onssa", kind="sanitary", en="ONSSA")
    coop = CooperativeFactory()
    member = MemberFactory(cooperative=coop)
    expiry = today() + timedelta(days=100)

    def labelled_reviewed(slug: str, n_reviews: int):
        product = ProductFactory(slug=slug, cooperative=coop, stock=50)
        make_certificate(coop, label, products=[product], expires_on=expiry, number=f"N-{slug}")
        make_certificate(coop, onssa, products=[product], expires_on=expiry, number=f"S-{slug}")
        for n in range(n_reviews):
            shopper = UserFactory()
            sub = delivered_sub_order(shopper, product, member)
            reviews.save_review(
                shopper, sub.id, product.id, reviews.ReviewData(1 + n % 5, f"avis {n}", "fr")
            )
        db.session.commit()
        return product

    labelled_reviewed("first", 1)
    make_certificate(coop, onssa, for_cooperative=True, expires_on=expiry, number="COOP")
    listing = query_count(app, client, "/en/products")
    page = query_count(app, client, "/en/products/first")
    for n in range(5):
        labelled_reviewed(f"more-{n}", 3)
    html = client.get("/en/products").get_data(as_text=True)
    assert html.count('class="label-badge label-origin"') == 6
    assert html.count("out of 5") == 6
    assert query_count(app, client, "/en/products") == listing
    assert query_count(app, client, "/en/products/more-0") == page
    assert query_count(app, client, "/en/products/first") == page
