"""Language-aware search: Arabic letter forms and diacritics, French accents and case, every
language, category and cooperative names, through each database's own full-text index."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from marketplace.catalogue.models import CategoryTranslation, ProductStatus
from marketplace.catalogue.search import query_tokens, search_products
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from marketplace.text import normalize
from tests.factories import CategoryFactory, CooperativeFactory, ProductFactory


@pytest.fixture
def catalogue(app):
    dates = CategoryFactory(slug="dates", names={"fr": "Dattes", "ar": "التمور", "en": "Dates"})
    oils = CategoryFactory(slug="oils", names={"fr": "Huiles", "ar": "الزيوت", "en": "Oils"})
    coop = CooperativeFactory(
        slug="tafilalet",
        names={"fr": "Coopérative Nakhil Tafilalet", "ar": "تعاونية نخيل تافيلالت"},
    )
    rose_coop = CooperativeFactory(slug="roses", names={"fr": "Coopérative Warda", "en": "Warda"})
    return {
        "mejhoul": ProductFactory(
            slug="mejhoul",
            cooperative=coop,
            category=dates,
            names={
                "ar": ("تمر المجهول", "<p>تمر فاخر من واحات تافيلالت</p>"),
                "fr": ("Dattes Mejhoul", "<p>Grosses dattes <strong>moelleuses</strong></p>"),
                "en": "Mejhoul dates",
            },
        ),
        "argan": ProductFactory(
            slug="argan",
            cooperative=coop,
            category=oils,
            names={"ar": "زيت الأركان", "fr": "Huile d'argan", "en": "Argan oil"},
        ),
        "rose": ProductFactory(
            slug="rose-water",
            cooperative=rose_coop,
            category=oils,
            names={"fr": ("Eau de rose", "Distillée à Kelaât M'Gouna")},
        ),
    }


def slugs(query: str, locale: str = "fr") -> list[str]:
    return sorted(p.slug for p in search_products(query, locale).products)


@pytest.mark.parametrize("query", ["تمر", "تَمْر", "تـــمر", "التمر", "dattes", "DATTES", "Dâttes"])
def test_dates_are_found_in_every_form(catalogue, query):
    assert slugs(query) == ["mejhoul"]


@pytest.mark.parametrize("query", ["أركان", "اركان", "الأركان", "إركان", "argan", "ARGAN"])
def test_article_and_hamza_forms_do_not_matter(catalogue, query):
    assert slugs(query) == ["argan"]


def test_search_goes_through_the_database_full_text_index(catalogue):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert slugs("dattes") == ["mejhoul"]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    sql = " ".join(statements)
    if db.engine.dialect.name == "postgresql":
        assert "products.search_vector @@ to_tsquery" in sql  # the GIN-indexed tsvector
        return
    assert "products_fts MATCH" in sql
    # The FTS5 index alone decides: a product missing from it is not found by a scan.
    db.session.execute(
        text("DELETE FROM products_fts WHERE rowid = :id"), {"id": catalogue["mejhoul"].id}
    )
    db.session.commit()
    assert slugs("dattes") == []
    assert db.session.get(type(catalogue["mejhoul"]), catalogue["mejhoul"].id) is not None


def test_taa_marbuta_and_alef_maqsura_are_unified(app):
    ProductFactory(slug="honey", names={"ar": "عسل الزعتر من منطقة درعة"})
    assert normalize("منطقة") == normalize("منطقه")
    assert slugs("منطقه") == ["honey"]
    ProductFactory(slug="henna", names={"ar": "حناء مصطفى"})
    assert slugs("مصطفي") == ["henna"]


def test_words_match_by_prefix_and_all_words_are_required(catalogue):
    assert slugs("mejh") == ["mejhoul"]
    assert slugs("dattes mejhoul") == ["mejhoul"]
    assert slugs("dattes argan") == []


def test_description_category_and_cooperative_names_are_searched(catalogue):
    assert slugs("moelleuses") == ["mejhoul"]  # inside HTML of the description
    assert slugs("Kelaat") == ["rose-water"]  # accent-insensitive
    assert slugs("الزيوت") == ["argan", "rose-water"]  # category, in Arabic
    assert slugs("oils") == ["argan", "rose-water"]  # category, in English
    assert slugs("نخيل") == ["argan", "mejhoul"]  # cooperative name in Arabic
    assert slugs("warda") == ["rose-water"]


def test_french_elision_and_any_language_whatever_the_page(catalogue):
    assert slugs("l'huile d'argan", "ar") == ["argan"]
    assert slugs("argan oil", "ar") == ["argan"]


def test_only_visible_products_are_found(catalogue):
    catalogue["argan"].status = ProductStatus.HIDDEN.value
    catalogue["rose"].cooperative.status = CooperativeStatus.SUSPENDED.value
    db.session.commit()
    assert slugs("coopérative") == ["mejhoul"]


def test_renaming_a_category_or_cooperative_updates_the_index(catalogue):
    category = catalogue["mejhoul"].category
    category.translations.append(CategoryTranslation(locale="es", name="Dátiles"))
    db.session.commit()
    assert slugs("datiles") == ["mejhoul"]
    rose_coop = catalogue["rose"].cooperative
    [french] = [t for t in rose_coop.translations if t.locale == "fr"]
    french.name = "Coopérative Al Ward Dadès"
    db.session.commit()
    assert slugs("dades") == ["rose-water"]
    assert slugs("warda") == ["rose-water"]  # still named so in English


def test_index_follows_product_changes_and_deletions(catalogue):
    product = catalogue["mejhoul"]
    [french] = [t for t in product.translations if t.locale == "fr"]
    french.name = "Dattes Boufeggous"
    db.session.commit()
    assert slugs("boufeggous") == ["mejhoul"]
    db.session.delete(catalogue["argan"])
    db.session.commit()
    assert slugs("argan") == []


def test_emptying_the_products_table_empties_the_index(catalogue):
    # The test fixtures empty tables with DELETE: the index must not keep ghosts.
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM product_translations"))
        conn.execute(text("DELETE FROM products"))
    ProductFactory(slug="other", names={"fr": "Safran de Taliouine"})
    assert slugs("dattes") == []
    assert slugs("safran") == ["other"]


def test_queries_are_capped_and_odd_input_is_harmless(catalogue):
    assert slugs("") == []
    assert slugs("   ***  ") == []
    assert slugs('"dattes" * NEAR(') == []  # every word is required, even "near"
    assert slugs('"dattes" * (') == ["mejhoul"]
    assert slugs("dattes:* & ! | <->") == ["mejhoul"]
    long = "dattes " * 400
    assert len(long) > 2000
    assert slugs(long) == ["mejhoul"]
    assert len(query_tokens("a b c d e f g h i j k l")) == 8


def test_results_are_paginated(app):
    coop = CooperativeFactory()
    for n in range(5):
        ProductFactory(slug=f"saffron-{n}", cooperative=coop, names={"fr": f"Safran {n}"})
    first = search_products("safran", "fr", page=1, per_page=2)
    assert first.total == 5 and first.pages == 3 and len(first.products) == 2
    third = search_products("safran", "fr", page=3, per_page=2)
    assert len(third.products) == 1
    seen = {p.slug for p in first.products} | {p.slug for p in third.products}
    assert len(seen) == 3


def test_french_ligatures_are_unfolded(app):
    ProductFactory(slug="coeur", names={"fr": "Cœur de palmier"})
    assert slugs("coeur") == ["coeur"]
    assert slugs("CŒUR") == ["coeur"]


def test_counting_stops_past_a_cap(app, client, monkeypatch):
    from marketplace.catalogue import search

    coop = CooperativeFactory()
    for n in range(5):
        ProductFactory(slug=f"honey-{n}", cooperative=coop, names={"fr": f"Miel {n}"})
    monkeypatch.setattr(search, "MAX_COUNTED", 3)
    results = search_products("miel", "fr", per_page=2)
    assert results.more_than_counted and results.pages == 2
    html = client.get("/en/search?q=miel").get_data(as_text=True)
    assert "More than 3 products found" in html
