"""The back office on a 375 px phone (issue #14): every page of the seller's dashboard and of
the administration, in Arabic and French, fits the phone (neither the page nor any element's
box reaches past the screen's edges: tables become stacked cards), has no serious or critical
axe-core violation, and every control is reachable with the keyboard. Screenshots of the main
pages land in tests/artifacts/ (phone-back-office-<locale>-<page>.jpg; of every page with
SCREENSHOT_EVERY_STOP=1). A test compares the tour with app.url_map, so that a new page of
the back office cannot be left out."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import PHONE, axe_violations, keyboard_problems, screenshot
from tests.e2e.shop import build_back_office, build_shop, log_in, place_order, release_database
from tests.e2e.tour import Stop, visit

pytestmark = pytest.mark.e2e

LOCALES = ("ar", "fr")

# Pages kept as screenshots (the README shows two of them, copied to docs/).
SCREENSHOTS = {"dashboard-orders", "dashboard-products", "dashboard-balance", "admin-queue"}


# GET pages of the back office that are files, not pages: a cooperative's document
# (/dashboard/documents/<id>), the variants' spreadsheet (.csv), the payout batch's bank file
# (.csv) and the impact export.
def seller_stops(shop, back_office, sub_order_id: int, variant_id: int) -> list[Stop]:
    return [
        Stop("dashboard", "/dashboard"),
        Stop("dashboard-products", "/dashboard/products"),
        Stop("dashboard-product-new", "/dashboard/products/new"),
        Stop("dashboard-product-edit", f"/dashboard/products/{shop.medjool.id}/edit"),
        Stop("dashboard-variant-new", f"/dashboard/products/{shop.medjool.id}/variants/new"),
        Stop("dashboard-variant-edit", f"/dashboard/variants/{variant_id}/edit"),
        Stop("dashboard-variants-import", "/dashboard/variants/import"),
        Stop("dashboard-orders", "/dashboard/orders"),
        Stop("dashboard-order", f"/dashboard/orders/{sub_order_id}"),
        Stop("dashboard-packing-slip", f"/dashboard/orders/{sub_order_id}/packing-slip"),
        Stop("dashboard-balance", "/dashboard/balance"),
        Stop("dashboard-profile", "/dashboard/profile"),
        Stop("dashboard-shipping", "/dashboard/shipping"),
        Stop("dashboard-members", "/dashboard/members"),
        Stop("dashboard-certificates", "/dashboard/certificates"),
        Stop("dashboard-certificate-new", "/dashboard/certificates/new"),
        Stop("dashboard-reviews", "/dashboard/reviews"),
        Stop("dashboard-fairs", "/dashboard/fairs"),
        Stop("dashboard-fair-apply", f"/dashboard/fairs/{back_office.open_fair}/apply"),
        Stop("dashboard-fair-day", f"/dashboard/fairs/{back_office.fair}/day"),
        Stop("dashboard-api-tokens", "/dashboard/api-tokens"),
    ]


def admin_stops(shop, back_office, order_number: str) -> list[Stop]:
    return [
        Stop("admin-queue", "/admin/"),
        Stop("admin-application", f"/admin/applications/{shop.applicant.id}"),
        Stop("admin-audit", "/admin/audit"),
        Stop("admin-mail", "/admin/mail"),
        Stop("admin-messages", "/admin/messages"),
        Stop("admin-orders", "/admin/orders"),
        Stop("admin-payments", "/admin/payments"),
        Stop("admin-payment-order", f"/admin/payments/orders/{order_number}"),
        Stop("admin-payouts", "/admin/payments/payouts"),
        Stop("admin-payout-batch", f"/admin/payments/payouts/{back_office.batch}"),
        Stop("admin-certificates", "/admin/certificates"),
        Stop("admin-certificate", f"/admin/certificates/{back_office.certificate}"),
        Stop("admin-labels", "/admin/labels"),
        Stop("admin-label-new", "/admin/labels/new"),
        Stop("admin-label-edit", f"/admin/labels/{back_office.label}/edit"),
        Stop("admin-reviews", "/admin/reviews"),
        Stop("admin-fairs", "/admin/fairs"),
        Stop("admin-fair", f"/admin/fairs/{back_office.fair}"),
        Stop("admin-fair-new", "/admin/fairs/new"),
        Stop("admin-observers", "/admin/observers"),
        Stop("admin-jobs", "/admin/jobs"),
        Stop("impact-dashboard-admin", "/impact/dashboard"),
    ]


_BOXES_PAST_THE_EDGE = """() => {
    const w = document.documentElement.clientWidth;
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (!r.width || !e.checkVisibility()) continue;
        if (e.closest('.visually-hidden, .skip-link')) continue;
        const wide = r.right > w + 0.5 || r.left < -0.5;
        const scrolls = e.scrollWidth > e.clientWidth + 1
            && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
        if (wide || scrolls) out.push(e);
    }
    return out.filter(e => !out.some(o => o !== e && e.contains(o))).slice(0, 6).map(e =>
        e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className.trim()
            ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
        + ' ' + Math.round(e.getBoundingClientRect().width) + 'px'
        + (e.scrollWidth > e.clientWidth + 1 ? ' (scrolls ' + e.scrollWidth + 'px)' : ''));
}"""


def phone_problems(page, locale: str, stop: Stop, artifacts) -> list[str]:
    label = f"{locale}{stop.path} ({stop.name})"
    if stop.name in SCREENSHOTS or os.environ.get("SCREENSHOT_EVERY_STOP"):
        screenshot(page, artifacts, f"phone-back-office-{locale}-{stop.name}")
    problems = []
    if urlsplit(page.url).path != f"/{locale}{stop.path.split('?')[0]}":
        problems.append(f"{label}: sent to {page.url} instead")
    overflow = page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"{label}: the page scrolls {overflow}px sideways")
    culprits = page.evaluate(_BOXES_PAST_THE_EDGE)
    if culprits:
        problems.append(f"{label}: boxes past the screen or scrolling sideways: {culprits}")
    problems += [
        f"{label}: axe {v['impact']} {v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in axe_violations(page)
    ]
    problems += keyboard_problems(page, label)
    return problems


@pytest.fixture
def shop():
    return build_shop()


@pytest.fixture
def back_office(shop):
    return build_back_office(shop)


def _variant_id(product_id: int) -> int:
    from marketplace.catalogue.models import ProductVariant
    from marketplace.extensions import db

    variant_id = db.session.scalar(
        db.select(ProductVariant.id).where(ProductVariant.product_id == product_id).limit(1)
    )
    release_database()
    return variant_id


def _sub_order_id(number: str) -> int:
    from marketplace.extensions import db
    from marketplace.orders.models import CooperativeOrder, Order

    sub_id = db.session.scalar(
        db.select(CooperativeOrder.id).join(Order).where(Order.number == number).limit(1)
    )
    release_database()  # end the read transaction before the live server writes
    return sub_id


@pytest.mark.parametrize("locale", LOCALES)
def test_back_office_fits_a_phone(browsing, shop, back_office, artifacts, locale):
    number = place_order(shop, {"medjool": 1, "boufeggous": 2})
    sub_order_id = _sub_order_id(number)
    problems: list[str] = []

    def check(page, locale, stop):
        return phone_problems(page, locale, stop, artifacts)

    member = browsing.new_page(viewport=PHONE)
    log_in(member, locale, shop.member.email)
    variant_id = _variant_id(shop.medjool.id)
    for stop in seller_stops(shop, back_office, sub_order_id, variant_id):
        problems += visit(member, locale, stop, check)

    admin = browsing.new_page(viewport=PHONE)
    log_in(admin, locale, shop.admin.email)
    for stop in admin_stops(shop, back_office, number):
        problems += visit(admin, locale, stop, check)
    assert not problems, "\n".join(problems)


def test_every_back_office_page_is_on_the_tour(app):
    """Each GET page of the seller's dashboard and of the administration (app.url_map) is
    a stop of the tour, except the files listed above seller_stops."""
    from types import SimpleNamespace

    files = {
        "cooperatives.document",
        "catalogue.variants_export",
        "payments.admin_payout_csv",
        "impact.export",
    }
    ids = SimpleNamespace(medjool=SimpleNamespace(id=1), applicant=SimpleNamespace(id=1))
    back_office = SimpleNamespace(fair=1, open_fair=1, label=1, certificate=1, batch=1)
    visited = {
        stop.path.split("?")[0]
        for stop in [*seller_stops(ids, back_office, 1, 1), *admin_stops(ids, back_office, "N")]
    }
    adapter = app.url_map.bind("localhost")
    missing = []
    for rule in app.url_map.iter_rules():
        back = "/dashboard" in rule.rule or "/admin" in rule.rule or "/impact/" in rule.rule
        if not back or "GET" not in rule.methods or rule.endpoint in files:
            continue
        if rule.rule.startswith("/api"):
            continue
        if not any(_matches(adapter, rule.endpoint, path) for path in visited):
            missing.append(rule.rule)
    assert not missing, missing


def _matches(adapter, endpoint: str, path: str) -> bool:
    try:
        found, _args = adapter.match(f"/fr{path}", method="GET")
    except Exception:  # noqa: BLE001 - a 404, a redirect: not this page
        return False
    return found == endpoint
