"""The JSON API (/api/v1/): language rules, cursors, ETags, CORS, errors as problem+json,
personal access tokens (scopes, revocation, hashing, expiry), sub-orders through the
status machine, bulk stock and price updates (all or nothing, no oversell under
concurrency), query counts and rate limits."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from sqlalchemy import func, select

from marketplace.api import tokens
from marketplace.api.models import ApiToken
from marketplace.audit import AuditLogEntry
from marketplace.catalogue.models import Product
from marketplace.catalogue.variants import refresh_summary
from marketplace.extensions import db, limiter
from marketplace.orders.models import CooperativeOrder, OrderEvent
from marketplace.timeutil import utcnow
from tests.factories import (
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    place_test_order,
)
from tests.helpers import login, post_form, release_test_transaction
from tests.other_apps import make_app_fixture  # noqa: F401
from tests.world import build_world, place_cod_order

ALL_SCOPES = ["orders:read", "orders:status", "products:write"]


def make_token(member, scopes=ALL_SCOPES, days=None, name="Stock sheet") -> str:
    made = tokens.create_token(member.cooperative_id, member, name, scopes, days)
    db.session.commit()
    return made.secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def change_variant(product, **fields) -> None:
    """Change a product's single variant as the seller's services do (its summary too)."""
    (variant,) = product.variants
    for name, value in fields.items():
        setattr(variant, name, value)
    refresh_summary(product)
    db.session.flush()


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- the description and its page -----------------------------------------------------------


def test_openapi_document_is_3_1_and_describes_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {
        "/api/v1/categories",
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/cooperatives",
        "/api/v1/cooperatives/{cooperative_id}",
        "/api/v1/search",
        "/api/v1/cooperative/orders",
        "/api/v1/cooperative/orders/{sub_order_id}",
        "/api/v1/cooperative/orders/{sub_order_id}/status",
        "/api/v1/cooperative/products",
        "/api/v1/cooperative/products/bulk-update",
    }
    bulk = spec["paths"]["/api/v1/cooperative/products/bulk-update"]["post"]
    assert bulk["security"] == [{"bearerAuth": []}]
    assert "application/problem+json" in bulk["responses"]["409"]["content"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    # 3.1: null is a type, not "nullable".
    assert "nullable" not in response.get_data(as_text=True)


def test_documentation_page_uses_vendored_files_under_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all('src="/static/' in tag for tag in scripts)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert not re.search(r"\sstyle\s*=|\son[a-z]+\s*=", html)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    asset = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


# --- public reading: language, cursors, caching -----------------------------------------------


def test_language_from_query_then_accept_language_with_fallbacks(client):
    category = CategoryFactory(names={"fr": "Dattes", "ar": "تمور"})
    product = ProductFactory(category=category, names={"fr": "Dattes Mejhoul"})
    url = f"/api/v1/products/{product.id}"
    arabic = client.get(url, headers={"Accept-Language": "ar,fr;q=0.5"}).get_json()
    assert arabic["category"]["name"] == {"value": "تمور", "lang": "ar", "fallback": False}
    assert arabic["name"] == {"value": "Dattes Mejhoul", "lang": "fr", "fallback": True}
    english = client.get(f"{url}?lang=en", headers={"Accept-Language": "ar"})
    assert english.headers["Content-Language"] == "en"
    body = english.get_json()
    assert body["category"]["name"] == {"value": "Dattes", "lang": "fr", "fallback": True}
    assert body["url"] == f"/en/products/{product.slug}"
    assert "Accept-Language" in english.headers["Vary"]
    # No language cookie: the language belongs to each request.
    assert "Set-Cookie" not in english.headers
    assert client.get(url).headers["Content-Language"] == "fr"  # the default
    problem_of(client.get(f"{url}?lang=de"), 422)


def test_products_cursor_walks_every_page_once(client):
    made = {ProductFactory(price_cents=1000 + i).id for i in range(7)}
    ProductFactory(status="draft")  # never listed
    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=3&sort=price_asc" + (f"&after={cursor}" if cursor else "")
        body = client.get(f"/api/v1/products?{query}").get_json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == made
    prices = [p.price_cents for p in db.session.scalars(select(Product).order_by(Product.id))]
    assert sorted(prices[:7]) == [1000 + i for i in range(7)]
    body = problem_of(client.get("/api/v1/products?after=not-a-cursor"), 400)
    assert body["instance"] == "/api/v1/products"


def test_filters_and_unknown_category(client):
    dates = CategoryFactory(slug="dates")
    inside = ProductFactory(category=dates, stock=0)
    ProductFactory()
    body = client.get("/api/v1/products?category=dates").get_json()
    assert [p["id"] for p in body["items"]] == [inside.id]
    assert client.get("/api/v1/products?category=dates&in_stock=true").get_json()["items"] == []
    assert client.get("/api/v1/products?category=nothing").get_json()["items"] == []


def test_etag_answers_304_and_cache_headers(client):
    product = ProductFactory()
    url = f"/api/v1/products/{product.id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    change_variant(product, price_cents=product.price_cents + 100)
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # Another language is another representation.
    assert client.get(f"{url}?lang=ar", headers={"If-None-Match": etag}).status_code == 200


def test_cors_is_open_for_public_reads_only(client):
    product = ProductFactory()
    response = client.get(f"/api/v1/products/{product.id}", headers={"Origin": "https://x.ma"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/products",
        headers={"Origin": "https://x.ma", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    private = client.get("/api/v1/cooperative/orders", headers={"Origin": "https://x.ma"})
    assert "Access-Control-Allow-Origin" not in private.headers


def test_search_folds_arabic_and_french_like_the_site(client):
    henna = ProductFactory(names={"fr": "Crème au henné", "ar": "كريم الحنّاء"})
    ProductFactory(names={"fr": "Amlou"})
    for query in ("henne", "HENNÉ", "حناء", "الحناء"):
        body = client.get("/api/v1/search", query_string={"q": query}).get_json()
        assert [p["id"] for p in body["items"]] == [henna.id], query
    problem_of(client.get("/api/v1/search"), 422)


def test_categories_and_cooperatives(client):
    world = build_world()
    release_test_transaction()
    categories = client.get("/api/v1/categories?lang=ar").get_json()
    dates = next(c for c in categories["items"] if c["slug"] == "dates")
    assert dates["product_count"] == 2  # A's and B's active products, not the draft
    listed = client.get("/api/v1/cooperatives?limit=1").get_json()
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    second = client.get(f"/api/v1/cooperatives?limit=1&after={listed['next_cursor']}").get_json()
    slugs = {listed["items"][0]["slug"], second["items"][0]["slug"]}
    assert slugs == {"coop-a", "coop-b"}
    body = client.get(f"/api/v1/cooperatives/{world.coop_a.id}").get_json()
    assert body["product_count"] == 1 and "rib" not in body and "email" not in body
    problem_of(client.get(f"/api/v1/cooperatives/{world.coop_pending.id}"), 404)


def test_errors_are_translated_problems(client):
    draft = ProductFactory(status="draft")
    response = client.get(f"/api/v1/products/{draft.id}", headers={"Accept-Language": "fr"})
    body = problem_of(response, 404)
    english = "This product does not exist or is no longer for sale."
    with force_locale("fr"):
        french = babel_gettext(english)
    assert french != english and body["detail"] == french
    assert response.headers["Cache-Control"] == "no-store"
    body = problem_of(client.get("/api/v1/products?limit=0&min_price_cents=²"), 422)
    assert {e["field"] for e in body["errors"]} == {"query.limit", "query.min_price_cents"}
    # Arabic-Indic digits are whole numbers, as on the site's forms.
    assert client.get("/api/v1/products?limit=٣").status_code == 200
    problem_of(client.get("/api/v1/products/99999999999"), 404)
    problem_of(client.get("/api/v1/nothing-here"), 404)
    wrong = problem_of(client.delete("/api/v1/products"), 405)
    assert wrong["instance"] == "/api/v1/products"


# --- personal access tokens ----------------------------------------------------------------


def test_token_made_in_the_dashboard_is_shown_once_and_stored_hashed(app):
    world = build_world()
    client = app.test_client()
    login(client, world.member_a)
    response = post_form(
        client,
        "/en/dashboard/api-tokens",
        {"name": "Shop till", "scopes": ["orders:read", "products:write"], "expires": "30"},
    )
    assert response.status_code == 200
    secret = re.search(r"souk_[\w-]{20,}", response.get_data(as_text=True)).group(0)
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "Shop till"))
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr([getattr(stored, c.key) for c in ApiToken.__table__.columns])
    assert stored.scope_list == ["orders:read", "products:write"]
    assert stored.expires_at is not None
    assert secret not in client.get("/en/dashboard/api-tokens").get_data(as_text=True)
    audit = db.session.scalar(
        select(AuditLogEntry).where(
            AuditLogEntry.action == "api_token.created", AuditLogEntry.target_id == stored.id
        )
    )
    assert audit.details["token_name"] == "Shop till"
    assert client.get("/api/v1/cooperative/orders", headers=bearer(secret)).status_code == 200
    # Revoked from the dashboard: refused from then on.
    response = post_form(
        client,
        f"/en/dashboard/api-tokens/{stored.id}/revoke",
        {},
        form_url="/en/dashboard/api-tokens",
    )
    assert response.status_code == 303
    problem_of(client.get("/api/v1/cooperative/orders", headers=bearer(secret)), 401)
    # No permission chosen: refused with the form.
    response = post_form(client, "/en/dashboard/api-tokens", {"name": "Nothing"})
    assert response.status_code == 400


def test_another_cooperatives_member_cannot_revoke(app):
    world = build_world()
    token = world.extra["api_token_a"]
    client = app.test_client()
    login(client, world.member_b)
    response = post_form(
        client,
        f"/en/dashboard/api-tokens/{token.id}/revoke",
        {},
        form_url="/en/dashboard/api-tokens",
    )
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_scopes_revocation_expiry_and_bad_tokens(client):
    world = build_world()
    reader = make_token(world.member_a, ["orders:read"])
    assert client.get("/api/v1/cooperative/orders", headers=bearer(reader)).status_code == 200
    body = problem_of(
        client.post(
            "/api/v1/cooperative/products/bulk-update",
            json={"items": [{"product_id": world.product_a.id, "stock": 1}]},
            headers=bearer(reader),
        ),
        403,
    )
    assert body["detail"]
    problem_of(client.get("/api/v1/cooperative/products", headers=bearer(reader)), 403)
    for header in ({}, bearer("souk_unknown"), {"Authorization": f"Basic {reader}"}):
        response = client.get("/api/v1/cooperative/orders", headers=header)
        problem_of(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    expiring = make_token(world.member_a, ["orders:read"], days=30, name="Soon")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Soon"))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    problem_of(client.get("/api/v1/cooperative/orders", headers=bearer(expiring)), 401)
    # The member who made it left the cooperative: the token stops working.
    world.member_a.cooperative_id = None
    db.session.commit()
    problem_of(client.get("/api/v1/cooperative/orders", headers=bearer(reader)), 401)


def test_a_logged_in_session_is_not_an_api_credential(app):
    world = build_world()
    client = app.test_client()
    login(client, world.member_a)
    problem_of(client.get("/api/v1/cooperative/orders"), 401)
    problem_of(client.post("/api/v1/cooperative/products/bulk-update", json={"items": []}), 401)


# --- orders through the token --------------------------------------------------------------


def test_orders_list_detail_and_status_machine(client):
    world = build_world()
    order_a = place_cod_order(world.shopper_a, world.product_a, 2)
    order_b = place_cod_order(world.shopper_b, world.product_b, 1)
    secret = make_token(world.member_a)
    listed = client.get("/api/v1/cooperative/orders", headers=bearer(secret)).get_json()
    numbers = [o["order_number"] for o in listed["items"]]
    assert numbers[0] == order_a.number  # newest first
    assert order_b.number not in numbers and world.extra["order_b"].number not in numbers
    item = listed["items"][0]
    assert item["allowed_next"] == ["shipped", "cancelled"]
    assert item["lines"][0]["quantity"] == 2
    sub_a, sub_b = order_a.sub_orders[0].id, order_b.sub_orders[0].id
    # Cooperative B's sub-order does not exist for A's token.
    problem_of(client.get(f"/api/v1/cooperative/orders/{sub_b}", headers=bearer(secret)), 404)
    problem_of(
        client.post(
            f"/api/v1/cooperative/orders/{sub_b}/status",
            json={"status": "shipped"},
            headers=bearer(secret),
        ),
        404,
    )
    url = f"/api/v1/cooperative/orders/{sub_a}/status"
    problem_of(client.post(url, json={"status": "cancelled"}, headers=bearer(secret)), 400)
    problem_of(client.post(url, json={"status": "delivered"}, headers=bearer(secret)), 409)
    shipped = client.post(
        url,
        json={"status": "shipped", "carrier": "Amana", "tracking_number": "AM123"},
        headers=bearer(secret),
    )
    assert shipped.status_code == 200, shipped.get_data(as_text=True)
    assert shipped.get_json()["status"] == "shipped"
    assert shipped.get_json()["tracking_number"] == "AM123"
    event = db.session.scalar(select(OrderEvent).order_by(OrderEvent.id.desc()))
    assert (event.to_status, event.actor_role, event.actor_id) == (
        "shipped",
        "cooperative",
        world.member_a.id,
    )
    audit = db.session.scalar(
        select(AuditLogEntry).where(AuditLogEntry.action == "api.sub_order_status")
    )
    assert audit.details["token_name"] == "Stock sheet"
    assert (audit.old_value, audit.new_value, audit.target_id) == ("confirmed", "shipped", sub_a)
    status_only = make_token(world.member_a, ["orders:status"], name="Till")
    problem_of(client.get("/api/v1/cooperative/orders", headers=bearer(status_only)), 403)


def test_sub_order_cursor_across_pages(client):
    world = build_world()
    change_variant(world.product_a, stock=100)
    db.session.commit()
    numbers = {place_cod_order(world.shopper_a, world.product_a, 1).number for _ in range(5)}
    secret = make_token(world.member_a)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"after": cursor} if cursor else {})}
        body = client.get(
            "/api/v1/cooperative/orders", query_string=query, headers=bearer(secret)
        ).get_json()
        seen += [o["order_number"] for o in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and numbers <= set(seen)
    assert len(seen) == db.session.scalar(
        select(func.count(CooperativeOrder.id)).where(
            CooperativeOrder.cooperative_id == world.coop_a.id
        )
    )


# --- bulk stock and price updates ----------------------------------------------------------


def test_bulk_update_applies_every_line_and_audits_each(client):
    world = build_world()
    other = ProductFactory(cooperative=world.coop_a, stock=3, price_cents=5000)
    secret = make_token(world.member_a, ["products:write"], name="Inventaire")
    response = client.post(
        "/api/v1/cooperative/products/bulk-update",
        json={
            "items": [
                {"product_id": world.product_a.id, "stock": 42},
                {"product_id": other.id, "price_cents": 5500, "stock": 0, "expected_stock": 3},
            ]
        },
        headers=bearer(secret),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    db.session.expire_all()
    assert (world.product_a.stock, other.stock, other.price_cents) == (42, 0, 5500)
    entries = db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "api.product_updated")
    ).all()
    assert {e.target_id for e in entries} == {world.product_a.id, other.id}
    assert all(e.details["token_name"] == "Inventaire" for e in entries)
    assert all(e.actor_id == world.member_a.id for e in entries)
    own = client.get("/api/v1/cooperative/products", headers=bearer(secret)).get_json()
    assert {p["id"] for p in own["items"]} == {
        world.product_a.id,
        world.product_a_draft.id,
        other.id,
    }


def test_bulk_update_is_all_or_nothing(client):
    world = build_world()
    secret = make_token(world.member_a, ["products:write"])
    url = "/api/v1/cooperative/products/bulk-update"
    a, b = world.product_a, world.product_b
    before = (a.stock, a.price_cents, b.stock, world.product_a_draft.stock)
    # Cooperative B's product among A's: 404 for that line, nothing changed.
    body = problem_of(
        client.post(
            url,
            json={"items": [{"product_id": a.id, "stock": 1}, {"product_id": b.id, "stock": 1}]},
            headers=bearer(secret),
        ),
        404,
    )
    assert body["errors"] == [
        {"line": 1, "product_id": b.id, "message": body["errors"][0]["message"]}
    ]
    # A stale expected stock: 409 with the line's error, nothing changed.
    body = problem_of(
        client.post(
            url,
            json={
                "items": [
                    {"product_id": a.id, "price_cents": 1},
                    {"product_id": world.product_a_draft.id, "stock": 1, "expected_stock": 99},
                ]
            },
            headers=bearer(secret),
        ),
        409,
    )
    assert [e["line"] for e in body["errors"]] == [1]
    # The same product twice, or a line with nothing to change: refused.
    problem_of(
        client.post(
            url,
            json={"items": [{"product_id": a.id, "stock": 1}, {"product_id": a.id, "stock": 2}]},
            headers=bearer(secret),
        ),
        400,
    )
    body = problem_of(
        client.post(
            url, json={"items": [{"product_id": a.id, "stock": -1}]}, headers=bearer(secret)
        ),
        422,
    )
    assert body["errors"][0]["field"] == "json.items.0.stock"
    problem_of(
        client.post(
            url, json={"items": [{"product_id": a.id, "stock": True}]}, headers=bearer(secret)
        ),
        422,
    )
    problem_of(client.post(url, data="not json", headers=bearer(secret)), 422)
    db.session.expire_all()
    assert (a.stock, a.price_cents, b.stock, world.product_a_draft.stock) == before
    assert not db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "api.product_updated")
    ).all()


def dates_in_three_packs(cooperative):
    return ProductFactory(
        cooperative=cooperative,
        slug=f"mejhoul-{cooperative.slug}",
        names={"fr": "Dattes Mejhoul"},
        variants=[
            {
                "sku": "MJ-500",
                "price_cents": 9500,
                "stock": 4,
                "unit_quantity_milli": 500_000,
                "unit_code": "g",
                "weight_grams": 550,
            },
            {
                "sku": "MJ-1K",
                "price_cents": 17000,
                "stock": 0,
                "labels": {"fr": "1 kilo", "ar": "كيلو واحد"},
                "unit_quantity_milli": 1000,
                "unit_code": "kg",
            },
            {"sku": "MJ-5K", "price_cents": 80000, "stock": 2, "active": False},
        ],
    )


def test_products_show_their_active_variants_and_price_range(client):
    product = dates_in_three_packs(CooperativeFactory())
    small, kilo, _hidden = product.variants
    body = client.get(f"/api/v1/products/{product.id}?lang=en").get_json()
    assert (body["price_cents"], body["price_min_cents"], body["price_max_cents"]) == (
        9500,
        9500,
        17000,
    )
    assert body["stock"] == 4 and body["weight_grams"] == 550  # the default: 500 g, in stock
    assert [v["sku"] for v in body["variants"]] == ["MJ-500", "MJ-1K"]  # not the inactive one
    first, second = body["variants"]
    assert first == {
        "id": small.id,
        "sku": "MJ-500",
        "label": {"value": "500\u00a0g", "lang": "en", "fallback": False},  # by its unit
        "price_cents": 9500,
        "stock": 4,
        "in_stock": True,
        "unit": {"quantity": "500", "code": "g", "label": "500\u00a0g", "size": ""},
        "weight_grams": 550,
    }
    assert second["id"] == kilo.id and not second["in_stock"]
    assert second["label"] == {"value": "1 kilo", "lang": "fr", "fallback": True}
    arabic = client.get(f"/api/v1/products/{product.id}?lang=ar").get_json()
    assert arabic["variants"][1]["label"] == {"value": "كيلو واحد", "lang": "ar", "fallback": False}
    listed = client.get("/api/v1/products").get_json()["items"]
    assert [v["id"] for v in listed[0]["variants"]] == [small.id, kilo.id]
    assert listed[0]["price_max_cents"] == 17000
    # A price filter matches a product by one of its variants, as on the site.
    found = client.get("/api/v1/products?min_price_cents=15000").get_json()["items"]
    assert [p["id"] for p in found] == [product.id]


def test_bulk_update_per_variant_by_id_or_sku(client):
    world = build_world()
    product = dates_in_three_packs(world.coop_a)
    small, kilo, hidden = product.variants
    (single,) = world.product_a.variants
    single_stock = single.stock  # what the world's orders left
    secret = make_token(world.member_a, ["products:write"], name="Inventaire")
    own = client.get("/api/v1/cooperative/products", headers=bearer(secret)).get_json()
    listed = next(p for p in own["items"] if p["id"] == product.id)
    assert [(v["sku"], v["active"]) for v in listed["variants"]] == [
        ("MJ-500", True),
        ("MJ-1K", True),
        ("MJ-5K", False),
    ]
    response = client.post(
        "/api/v1/cooperative/products/bulk-update",
        json={
            "items": [
                {"variant_id": kilo.id, "stock": 12, "price_cents": 16500},
                {"sku": "MJ-500", "stock": 1, "expected_stock": 4},
                {"product_id": world.product_a.id, "stock": 9},  # a single variant
            ]
        },
        headers=bearer(secret),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    updated = response.get_json()["updated"]
    assert [(c["variant_id"], c["sku"], c["old_stock"], c["stock"]) for c in updated] == [
        (kilo.id, "MJ-1K", 0, 12),
        (small.id, "MJ-500", 4, 1),
        (single.id, single.sku, single_stock, 9),
    ]
    db.session.expire_all()
    assert [(v.stock, v.price_cents) for v in product.variants] == [
        (1, 9500),
        (12, 16500),
        (2, 80000),
    ]
    # The summary: active variants only.
    assert (product.stock, product.price_cents, product.price_max_cents) == (13, 9500, 16500)
    assert world.product_a.stock == 9
    entries = db.session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.action == "api.product_updated")
        .order_by(AuditLogEntry.id)
    ).all()
    assert [(e.target_id, e.details["sku"], e.details["variant_id"]) for e in entries] == [
        (product.id, "MJ-1K", kilo.id),
        (product.id, "MJ-500", small.id),
        (world.product_a.id, single.sku, single.id),
    ]
    assert hidden.stock == 2


def test_bulk_update_per_variant_refuses_foreign_ambiguous_and_stale_lines(client):
    world = build_world()
    product = dates_in_three_packs(world.coop_a)
    small, kilo, _hidden = product.variants
    foreign = dates_in_three_packs(world.coop_b)  # the same SKUs, in cooperative B
    secret = make_token(world.member_a, ["products:write"])
    url = "/api/v1/cooperative/products/bulk-update"

    def post(*items):
        return client.post(url, json={"items": list(items)}, headers=bearer(secret))

    # Another cooperative's variant (a real id): 404 for that line, nothing changed.
    body = problem_of(
        post({"variant_id": small.id, "stock": 0}, {"variant_id": foreign.variants[0].id}), 404
    )
    assert [(e["line"], e["variant_id"]) for e in body["errors"]] == [(1, foreign.variants[0].id)]
    assert "B" not in body["detail"]
    problem_of(post({"product_id": world.product_b.id, "stock": 0}), 404)
    problem_of(post({"sku": "nothing-like-it", "stock": 0}), 404)
    # A product with several variants cannot be named by its id; nor a variant twice; a
    # line names exactly one.
    body = problem_of(post({"product_id": product.id, "stock": 3}), 400)
    assert body["errors"][0]["product_id"] == product.id
    problem_of(post({"variant_id": kilo.id, "stock": 3}, {"sku": "MJ-1K", "stock": 4}), 400)
    problem_of(post({"variant_id": kilo.id, "sku": "MJ-1K", "stock": 3}), 400)
    problem_of(post({"stock": 3}), 400)
    # A stale expected stock: 409.
    body = problem_of(
        post({"sku": "MJ-1K", "stock": 5}, {"sku": "MJ-500", "stock": 1, "expected_stock": 9}),
        409,
    )
    assert [(e["line"], e["sku"]) for e in body["errors"]] == [(1, "MJ-500")]
    db.session.expire_all()
    assert [v.stock for v in product.variants] == [4, 0, 2]
    assert [v.stock for v in foreign.variants] == [4, 0, 2]
    assert product.stock == 4
    assert not db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "api.product_updated")
    ).all()


def test_order_lines_name_the_variant_ordered(client):
    world = build_world()
    product = dates_in_three_packs(world.coop_a)
    _small, kilo, _hidden = product.variants
    kilo.stock = 5
    refresh_summary(product)
    order = place_test_order({kilo: 2}, user=world.shopper_a)
    db.session.commit()
    sub = order.sub_orders[0]
    # The seller renames the option afterwards: the order keeps it as ordered.
    kilo.labels = {"fr": "Un kilo"}
    db.session.commit()
    secret = make_token(world.member_a, ["orders:read"])
    body = client.get(
        f"/api/v1/cooperative/orders/{sub.id}?lang=ar", headers=bearer(secret)
    ).get_json()
    (line,) = body["lines"]
    assert (line["product_id"], line["variant_id"], line["sku"]) == (product.id, kilo.id, "MJ-1K")
    assert line["variant_label"] == {"value": "كيلو واحد", "lang": "ar", "fallback": False}
    assert (line["quantity"], line["unit_price_cents"]) == (2, 17000)
    english = client.get(
        f"/api/v1/cooperative/orders/{sub.id}?lang=en", headers=bearer(secret)
    ).get_json()
    assert english["lines"][0]["variant_label"] == {
        "value": "1 kilo",
        "lang": "fr",
        "fallback": True,
    }


@pytest.mark.postgres
def test_lowering_stock_while_orders_arrive_never_oversells(app):
    """Shoppers buy one unit at a time in threads while the cooperative's tool lowers the
    stock from 40 to 6 with a bulk update: the update reads the stock under a row lock, so
    units sold before it + units sold after it = all units sold, and the stock ends >= 0."""
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )
    from marketplace.orders.stock import NotEnoughStock

    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    world = build_world()
    product = world.product_a
    change_variant(product, stock=40)
    db.session.commit()
    secret = make_token(world.member_a, ["products:write"])
    product_id, shopper_id = product.id, world.shopper_a.id
    sold, failures, start = [], [], threading.Barrier(7)

    def shopper(count: int) -> None:
        with app.app_context():
            start.wait()
            for _ in range(count):
                try:
                    p = db.session.get(Product, product_id)
                    place_order(
                        lines=[WantedLine(product_id, 1, p.price_cents)],
                        shipping=ShippingDetails(
                            contact_name="A",
                            phone="+212612345678",
                            address_line1="1 rue",
                            city="Rissani",
                            email="a@example.ma",
                        ),
                        payment_method="cod",
                        idempotency_token=make_idempotency_token(),
                        locale="fr",
                        user=None,
                    )
                    db.session.commit()
                    sold.append(1)
                except NotEnoughStock:
                    db.session.rollback()
                except Exception as exc:  # noqa: BLE001 - reported below
                    db.session.rollback()
                    failures.append(repr(exc))
            db.session.remove()

    result = {}

    def tool() -> None:
        client = app.test_client()
        start.wait()
        result["response"] = client.post(
            "/api/v1/cooperative/products/bulk-update",
            json={"items": [{"product_id": product_id, "stock": 6}]},
            headers=bearer(secret),
        )

    release_test_transaction()
    threads = [threading.Thread(target=shopper, args=(6,)) for _ in range(6)]
    threads.append(threading.Thread(target=tool))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    response = result["response"]
    assert response.status_code == 200, response.get_data(as_text=True)
    change = response.get_json()["updated"][0]
    db.session.expire_all()
    final = db.session.get(Product, product_id).stock
    sold_before = 40 - change["old_stock"]
    sold_after = 6 - final
    assert final >= 0
    assert sold_before + sold_after == len(sold), (change, final, len(sold))
    assert shopper_id  # the world's shopper exists; orders here are guests'


@pytest.mark.postgres
def test_lowering_one_variants_stock_while_orders_arrive_never_oversells(app):
    """Shoppers buy the 500 g and the 1 kg packs one at a time in threads while the
    cooperative's tool lowers the 500 g's stock from 40 to 6 (by SKU) and the 1 kg's price:
    each variant keeps units sold before + after the update = all sold, and the product's
    stock is the sum of its variants' at the end."""
    from marketplace.catalogue.models import ProductVariant
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )
    from marketplace.orders.stock import NotEnoughStock

    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    world = build_world()
    product = dates_in_three_packs(world.coop_a)
    small, kilo, _hidden = product.variants
    small.stock, kilo.stock = 40, 30
    refresh_summary(product)
    db.session.commit()
    secret = make_token(world.member_a, ["products:write"])
    wanted = {small.id: (product.id, small.price_cents), kilo.id: (product.id, kilo.price_cents)}
    sold = {small.id: [], kilo.id: []}
    failures, start = [], threading.Barrier(9)

    def shopper(variant_id: int, count: int) -> None:
        with app.app_context():
            start.wait()
            for _ in range(count):
                product_id, price = wanted[variant_id]
                try:
                    place_order(
                        lines=[WantedLine(product_id, 1, price, variant_id)],
                        shipping=ShippingDetails(
                            contact_name="A",
                            phone="+212612345678",
                            address_line1="1 rue",
                            city="Rissani",
                            email="a@example.ma",
                        ),
                        payment_method="cod",
                        idempotency_token=make_idempotency_token(),
                        locale="fr",
                        user=None,
                    )
                    db.session.commit()
                    sold[variant_id].append(1)
                except NotEnoughStock:
                    db.session.rollback()
                except Exception as exc:  # noqa: BLE001 - reported below
                    db.session.rollback()
                    failures.append(repr(exc))
            db.session.remove()

    result = {}

    def tool() -> None:
        client = app.test_client()
        start.wait()
        result["response"] = client.post(
            "/api/v1/cooperative/products/bulk-update",
            json={"items": [{"sku": "MJ-500", "stock": 6}, {"sku": "MJ-1K", "stock": 30}]},
            headers=bearer(secret),
        )

    release_test_transaction()
    threads = [
        threading.Thread(target=shopper, args=(variant_id, 6))
        for variant_id in (small.id, kilo.id) * 4
    ]
    threads.append(threading.Thread(target=tool))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    response = result["response"]
    assert response.status_code == 200, response.get_data(as_text=True)
    changes = {c["variant_id"]: c for c in response.get_json()["updated"]}
    db.session.expire_all()
    final = {
        v.id: v.stock
        for v in db.session.scalars(
            select(ProductVariant).where(ProductVariant.product_id == product.id)
        )
    }
    for variant_id, set_to in ((small.id, 6), (kilo.id, 30)):
        start_stock = 40 if variant_id == small.id else 30
        sold_before = start_stock - changes[variant_id]["old_stock"]
        sold_after = set_to - final[variant_id]
        assert final[variant_id] >= 0
        assert sold_before + sold_after == len(sold[variant_id]), (variant_id, changes, final)
    assert db.session.get(Product, product.id).stock == final[small.id] + final[kilo.id]


# --- performance and limits ----------------------------------------------------------------


def _query_count(client, url: str, **kwargs) -> int:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return int(response.headers["X-Query-Count"])


@pytest.fixture
def counted(app):
    app.config["QUERY_COUNT_HEADER"] = True
    yield app.test_client()
    app.config["QUERY_COUNT_HEADER"] = False


def test_query_counts_do_not_grow_with_the_data(counted):
    client = counted
    cooperative = CooperativeFactory()
    first = ProductFactory(cooperative=cooperative)
    release_test_transaction()
    few = _query_count(client, "/api/v1/products")
    detail_few = _query_count(client, f"/api/v1/products/{first.id}")
    search_few = _query_count(client, "/api/v1/search?q=produit")
    for _ in range(8):
        ProductFactory()
    release_test_transaction()
    assert _query_count(client, "/api/v1/products") == few
    assert _query_count(client, f"/api/v1/products/{first.id}") == detail_few
    assert _query_count(client, "/api/v1/search?q=produit") == search_few
    assert few <= 8 and detail_few <= 8, (few, detail_few)


def test_orders_query_count_does_not_grow(counted):
    client = counted
    world = build_world()
    secret = make_token(world.member_a)
    change_variant(world.product_a, stock=100)
    db.session.commit()
    place_cod_order(world.shopper_a, world.product_a, 1)
    release_test_transaction()
    one = _query_count(client, "/api/v1/cooperative/orders", headers=bearer(secret))
    for _ in range(4):
        place_cod_order(world.shopper_a, world.product_a, 1)
    release_test_transaction()
    assert _query_count(client, "/api/v1/cooperative/orders", headers=bearer(secret)) == one


def test_rate_limit_per_client_address(make_app):
    limited = make_app(
        "testing",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        API_RATE_LIMIT="3 per minute",
    )
    client = limited.test_client()
    limiter.reset()
    try:
        here = {"REMOTE_ADDR": "10.0.0.1"}
        codes = [client.get("/api/v1/categories", environ_base=here).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = client.get("/api/v1/categories", environ_base=here)
        body = problem_of(response, 429)
        assert body["type"] == "about:blank" and response.headers["Retry-After"]
        other = client.get("/api/v1/categories", environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert other.status_code == 200
    finally:
        limiter.reset()
        limiter.enabled = False


def test_only_verified_members_reach_the_token_page(app):
    world = build_world()
    client = app.test_client()
    login(client, world.pending_member)
    assert client.get("/en/dashboard/api-tokens").status_code == 403
    other = MemberFactory()
    assert other.cooperative_id != world.coop_a.id


def test_cooperative_list_query_count_does_not_grow(counted):
    client = counted
    ProductFactory()  # a cooperative, a category, their texts
    release_test_transaction()
    one = _query_count(client, "/api/v1/cooperatives")
    categories = _query_count(client, "/api/v1/categories")
    for _ in range(4):
        ProductFactory(cooperative=CooperativeFactory())
    release_test_transaction()
    assert _query_count(client, "/api/v1/cooperatives") == one
    assert _query_count(client, "/api/v1/categories") == categories


def test_public_answers_carry_no_cookie_even_for_a_logged_in_browser(app):
    """A shared cache may keep a public answer: it must never hold someone's cookie."""
    world = build_world()
    client = app.test_client()
    login(client, world.member_a)
    response = client.get(f"/api/v1/products/{world.product_a.id}?lang=ar")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in response.headers
