"""The issue's "Done when", tried as a new user would, in ONE journey through the app:
a person registers and confirms their e-mail, applies with documents, an admin approves the
application from the queue, a member creates a product in Arabic only, which appears in the
Arabic catalogue (with the fallback marker in French and English) and in search; suspending
the cooperative hides it everywhere (catalogue, search, cooperative page, sitemap, product
page)."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.audit import AuditLogEntry
from marketplace.catalogue.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from tests.factories import AdminFactory, CategoryFactory
from tests.helpers import login, post_form
from tests.onboarding_helpers import apply_fully, release

PASSWORD = "Tafilalet-dates-2026!"
NAME_AR = "زعفران تالوين الحر"
MARKER_AR = 'class="fallback-marker" lang="ar"'


def _link(message, marker: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S*" + re.escape(marker) + r"\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def _public_places(shop, slug: str, coop_slug: str) -> dict[str, tuple[int, str]]:
    """Status and text of every public place where a product can show up."""
    places = {}
    for locale in ("ar", "fr", "en"):
        for name, url in (
            ("catalogue", f"/{locale}/products"),
            ("home", f"/{locale}/"),
            ("search", f"/{locale}/search?q=زعفران"),
            ("cooperative", f"/{locale}/cooperatives/{coop_slug}"),
            ("product", f"/{locale}/products/{slug}"),
        ):
            response = shop.get(url)
            places[f"{locale}:{name}"] = (response.status_code, response.get_data(as_text=True))
    response = shop.get("/sitemap.xml")
    places["sitemap"] = (response.status_code, response.get_data(as_text=True))
    return places


def test_done_when_register_apply_approve_sell_in_arabic_then_suspend(app, outbox):
    admin = AdminFactory(email="admin@souk.ma", locale="fr")
    category = CategoryFactory(names={"ar": "توابل", "fr": "Épices", "en": "Spices"})
    category_id = category.id
    release()
    person, reviewer, shop = app.test_client(), app.test_client(), app.test_client()

    # 1. A person registers (in Arabic) and confirms the address from the e-mail.
    response = post_form(
        person,
        "/ar/register",
        {
            "name": "فاطمة الزهراء",
            "email": "fatima@tinghir.example.ma",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "locale": "ar",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (verification,) = [m for m in outbox() if m["To"] == "fatima@tinghir.example.ma"]
    assert person.get(_link(verification, "/verify/")).status_code == 302

    # 2. They apply for the cooperative, with its documents.
    apply_fully(person)
    cooperative = db.session.scalars(select(Cooperative)).one()
    coop_id, coop_slug = cooperative.id, cooperative.slug
    assert cooperative.status == "pending"
    release()

    # 3. An admin finds it in the queue and approves it.
    login(reviewer, admin)
    queue = reviewer.get("/fr/admin/").get_data(as_text=True)
    assert f"/fr/admin/applications/{coop_id}" in queue
    response = post_form(reviewer, f"/fr/admin/applications/{coop_id}", {"action": "approve"})
    assert response.status_code == 302
    assert db.session.get(Cooperative, coop_id).status == "verified"
    release()

    # 4. The member creates a product with an Arabic name and description only.
    new = "/ar/dashboard/products/new"
    response = post_form(
        person,
        new,
        {
            "name_ar": NAME_AR,
            "description_ar": "زعفران من تالوين يقطف باليد.",
            "name_fr": "",
            "description_fr": "",
            "name_en": "",
            "description_en": "",
            "category": str(category_id),
            "price": "95",
            "stock": "12",
            "unit": "1 g",
            "weight_grams": "50",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    product = db.session.scalars(select(Product)).one()
    slug = product.slug
    assert [t.locale for t in product.translations] == ["ar"]
    release()

    # 5. It is public: Arabic catalogue, search, cooperative page, product page, sitemap;
    #    in French and English too, marked as written in Arabic.
    visible = _public_places(shop, slug, coop_slug)
    for place in ("ar:catalogue", "ar:search", "ar:cooperative", "ar:product"):
        status, html = visible[place]
        assert status == 200 and NAME_AR in html, place
        assert MARKER_AR not in html, place
    for locale in ("fr", "en"):
        for place in ("catalogue", "search", "product"):
            status, html = visible[f"{locale}:{place}"]
            assert status == 200 and NAME_AR in html and MARKER_AR in html, f"{locale}:{place}"
    status, sitemap = visible["sitemap"]
    assert status == 200 and f"/ar/products/{slug}" in sitemap
    assert f"/ar/cooperatives/{coop_slug}" in sitemap

    # 6. The admin suspends the cooperative: the product disappears everywhere at once.
    response = post_form(
        reviewer,
        f"/fr/admin/applications/{coop_id}",
        {"action": "suspend", "reason_code": "policy_violation", "reason": ""},
    )
    assert response.status_code == 302
    release()
    hidden = _public_places(shop, slug, coop_slug)
    for place, (status, html) in hidden.items():
        assert NAME_AR not in html, place
        if place.endswith((":product", ":cooperative")):
            assert status == 404, place
        else:
            assert status == 200, place
    assert f"/products/{slug}" not in hidden["sitemap"][1]
    assert f"/cooperatives/{coop_slug}" not in hidden["sitemap"][1]
    # The member sees why on the dashboard, and every decision is in the audit log.
    assert "suspend" in person.get("/en/apply/status").get_data(as_text=True).lower()
    actions = [e.action for e in db.session.scalars(select(AuditLogEntry).order_by("id"))]
    assert actions == ["cooperative.approved", "cooperative.suspended"]
