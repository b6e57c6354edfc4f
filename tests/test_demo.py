"""`flask seed-demo`: a realistic, deterministic, idempotent demo marketplace."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from marketplace import demo
from marketplace.auth.models import Role, User
from marketplace.auth.passwords import verify_password
from marketplace.catalogue import units
from marketplace.catalogue.models import Category, Product
from marketplace.catalogue.search import search_products
from marketplace.cooperatives.models import Cooperative, Province
from marketplace.extensions import db
from marketplace.i18n import LOCALES
from marketplace.orders.models import OrderLine


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def seed(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def check_catalogue(app) -> None:
    cooperatives = db.session.scalars(
        select(Cooperative).where(Cooperative.slug.in_(demo.COOPERATIVES))
    ).all()
    assert len(cooperatives) == len(demo.COOPERATIVES) >= 12
    assert all(c.is_verified for c in cooperatives)
    assert set(Counter(c.province for c in cooperatives)) == {p.value for p in Province}
    products = db.session.scalars(select(Product)).all()
    assert len(products) >= 60
    assert len({p.category_id for p in products}) >= 8
    assert count(Category) >= 8
    # Everything is written in the three languages, except one cooperative that wrote only
    # Arabic and French (its English pages show the fallback marker).
    partly = "imilchil-grains"
    for cooperative in cooperatives:
        locales = {t.locale for t in cooperative.translations}
        assert locales == ({"ar", "fr"} if cooperative.slug == partly else set(LOCALES))
        assert all(t.name and t.story for t in cooperative.translations)
    for product in products:
        locales = {t.locale for t in product.translations}
        assert {"ar", "fr"} <= locales
        assert locales == set(LOCALES) or product.cooperative.slug == partly, product.slug
        assert all(t.name and t.description for t in product.translations)
    for product in products:
        assert product.images, product.slug
        image = product.images[0]
        assert (image.width, image.height) == (960, 720)
        assert (Path(app.config["MEDIA_DIR"]) / f"{image.stored_name}-card.webp").is_file()
        assert product.price_cents > 0 and product.search_document


def check_variants(client) -> None:
    """Every product has its variants (SKUs unique per cooperative), the summary agrees with
    them, and the demo sells dates, saffron, rose water and a carpet in several sizes."""
    products = db.session.scalars(select(Product)).all()
    skus = [(v.cooperative_id, v.sku) for p in products for v in p.variants]
    assert len(skus) == len(set(skus))
    for product in products:
        shown = [v for v in product.variants if v.active]
        assert shown, product.slug
        assert product.price_cents == min(v.price_cents for v in shown), product.slug
        assert product.price_max_cents == max(v.price_cents for v in shown), product.slug
        assert product.stock == sum(v.stock for v in shown), product.slug
        assert all(v.weight_grams and v.weight_grams > 0 for v in shown), product.slug
        assert all(v.cooperative_id == product.cooperative_id for v in shown)
    by_slug = {p.slug: p for p in products}
    assert [units.describe(v, "fr") for v in by_slug["mejhoul-dates-extra"].variants] == [
        "500\u202fg",
        "1\u202fkg",
        "5\u202fkg",
    ]
    assert [units.describe(v, "fr") for v in by_slug["saffron-1g"].variants] == [
        "1\u202fg",
        "2\u202fg",
        "5\u202fg",
    ]
    assert len(by_slug["rose-water"].variants) == 2
    small, large = by_slug["tazenakht-carpet"].variants
    assert small.labels["ar"] == "صغير 100 × 150 سم" and large.labels["en"].startswith("Large")
    assert small.price_cents < large.price_cents and small.weight_grams < large.weight_grams
    single = by_slug["green-tajine"]
    assert [v.sku for v in single.variants] == ["green-tajine"]
    # The demo's orders were placed in variants and keep them.
    lines = db.session.scalars(select(OrderLine)).all()
    assert lines and all(line.variant_id and line.sku for line in lines)
    page = client.get("/fr/products/tazenakht-carpet").get_data(as_text=True)
    assert "Petit 100 × 150 cm" in page


def check_accounts(output: str) -> None:
    for email, (_name, role, _locale, coop_slug) in demo.DEMO_USERS.items():
        assert email in output
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role
        assert verify_password(user.password_hash, demo.DEMO_PASSWORD)
        if coop_slug:
            assert user.cooperative.slug == coop_slug and user.is_cooperative_owner
    assert demo.DEMO_PASSWORD in output
    roles = {u.role for u in db.session.scalars(select(User))}
    assert {Role.ADMIN.value, Role.SHOPPER.value, Role.MEMBER.value} <= roles


def check_search() -> None:
    for query in ("تمر", "تَمْر", "dattes", "DATTES"):
        slugs = {p.slug for p in search_products(query, "fr", per_page=50).products}
        assert "mejhoul-dates-extra" in slugs, query
        assert "rose-water" not in slugs
    for query in ("أركان", "الأركان", "argan"):
        slugs = {p.slug for p in search_products(query, "ar").products}
        assert slugs == {"rose-argan-cream"}, query


def check_pages(client) -> None:
    for url in (
        "/ar/",
        "/fr/products",
        "/en/products?sort=price_desc&in_stock=y",
        "/ar/products/mejhoul-dates-extra",
        "/fr/categories/pottery",
        "/en/cooperatives",
        "/ar/cooperatives/warda-mgouna",
        "/fr/search?q=safran",
    ):
        assert client.get(url).status_code == 200, url


def test_seed_demo_loads_a_realistic_catalogue_once(app, client):
    # One seeding for every check: drawing and storing 60+ pictures takes a while.
    first = seed(app)
    check_catalogue(app)
    check_accounts(first.output)
    check_search()
    check_pages(client)
    check_variants(client)
    before = (count(Cooperative), count(Product), count(Category), count(User))
    images = sorted(p.name for p in Path(app.config["MEDIA_DIR"]).iterdir())
    again = seed(app)
    summary = next(line for line in again.output.splitlines() if "ready" in line)
    assert "products" not in summary and "cooperatives" not in summary, summary
    assert (count(Cooperative), count(Product), count(Category), count(User)) == before
    assert sorted(p.name for p in Path(app.config["MEDIA_DIR"]).iterdir()) == images
    skipped = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "already has products" in skipped.output


def test_demo_pictures_are_deterministic():
    colours, motif = ("#5a3214", "#c98a3d"), "dates"
    first = demo.draw_product_picture("mejhoul-dates-extra", colours, motif)
    assert first == demo.draw_product_picture("mejhoul-dates-extra", colours, motif)
    assert first != demo.draw_product_picture("boufeggous-dates", colours, motif)


def test_other_domains_extend_the_demo_with_steps(app, monkeypatch):
    calls = []

    def extra(ctx):
        calls.append(sorted(ctx.cooperatives)[:1])
        ctx.count("applications")

    monkeypatch.setattr(demo, "DEMO_STEPS", [extra])
    monkeypatch.setattr(demo, "PRODUCTS", demo.PRODUCTS[:2])  # keep this one quick
    ctx = demo.seed_demo(extra_steps=[lambda ctx: calls.append("inline")], echo=lambda _: None)
    db.session.commit()
    assert calls == [["dades-silver"], "inline"]
    assert ctx.created["applications"] == 1
    assert ctx.created["products"] == 2
