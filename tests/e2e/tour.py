"""A tour of the main pages, as a shopper, a cooperative member and an administrator,
running checks on each page and collecting every problem (so one run reports all broken
pages at once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.e2e.shop import Shop, log_in


@dataclass(frozen=True)
class Stop:
    name: str
    path: str  # without the /<locale> prefix
    axe: bool = True  # one of the pages the accessibility acceptance names (or worth it)


def public_stops(shop: Shop) -> list[Stop]:
    return [
        Stop("home", "/"),
        Stop("catalogue", "/products"),
        Stop("catalogue-filtered", f"/products?province={shop.rosa.province}", axe=False),
        Stop("search", "/search?q=rose"),
        Stop("product", f"/products/{shop.medjool.slug}"),
        Stop("cooperatives", "/cooperatives", axe=False),
        Stop("cooperative", f"/cooperatives/{shop.oasis.slug}"),
        Stop("login", "/login"),
        Stop("register", "/register"),
    ]


def shopper_stops(shop: Shop, order_number: str | None) -> list[Stop]:
    order = [Stop("order", f"/orders/{order_number}")] if order_number else []
    return [
        Stop("cart", "/cart"),
        Stop("checkout", "/checkout"),
        Stop("orders", "/orders", axe=False),
        *order,
        Stop("application", "/apply"),
        Stop("account", "/account", axe=False),
    ]


def member_stops(shop: Shop) -> list[Stop]:
    return [
        Stop("dashboard", "/dashboard"),
        Stop("dashboard-products", "/dashboard/products", axe=False),
        Stop("dashboard-product-new", "/dashboard/products/new"),
        Stop("dashboard-orders", "/dashboard/orders"),
    ]


def admin_stops(shop: Shop) -> list[Stop]:
    return [
        Stop("admin-queue", "/admin/"),
        Stop("admin-application", f"/admin/applications/{shop.applicant.id}"),
    ]


def add_to_cart(page, locale: str, slug: str, quantity: int = 1) -> None:
    """Add a product from its page with the add-to-cart form (orders' include)."""
    page.goto(f"/{locale}/products/{slug}")
    form = page.locator("main form[action*='/cart/add']").first
    if quantity != 1:
        form.locator("[name=quantity]").fill(str(quantity))
    with page.expect_response(lambda r: "/cart/add" in r.url and r.request.method == "POST"):
        form.locator("[type=submit]").first.click()
    page.wait_for_load_state()


Check = Callable[[object, str, Stop], list[str]]


def visit(page, locale: str, stop: Stop, check: Check) -> list[str]:
    try:
        response = page.goto(f"/{locale}{stop.path}")
    except Exception as exc:  # noqa: BLE001  (report and go on with the tour)
        return [f"{locale}{stop.path}: {exc}"]
    status = response.status if response else 0
    if status != 200:
        return [f"{locale}{stop.path} ({stop.name}): HTTP {status}"]
    problems = []
    if page.locator("html").get_attribute("lang") != locale:
        problems.append(f"{locale}{stop.path}: <html lang> is not {locale}")
    expected_dir = "rtl" if locale == "ar" else "ltr"
    if page.locator("html").get_attribute("dir") != expected_dir:
        problems.append(f"{locale}{stop.path}: <html dir> is not {expected_dir}")
    try:
        problems += check(page, locale, stop)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{locale}{stop.path} ({stop.name}): {exc}")
    return problems


def tour(
    browsing, shop: Shop, locale: str, check: Check, viewport: dict, order_number: str | None = None
) -> list[str]:
    """Visit every main page in ``locale``; returns the problems ``check`` and the tour met."""
    problems: list[str] = []
    shopper = browsing.new_page(viewport=viewport)
    for stop in public_stops(shop):
        problems += visit(shopper, locale, stop, check)
    try:
        log_in(shopper, locale, shop.shopper.email)
        add_to_cart(shopper, locale, shop.medjool.slug)
        add_to_cart(shopper, locale, shop.rose_water.slug)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{locale}: could not log in and fill the cart: {exc}")
    for stop in shopper_stops(shop, order_number):
        problems += visit(shopper, locale, stop, check)

    member = browsing.new_page(viewport=viewport)
    try:
        log_in(member, locale, shop.member.email)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{locale}: the cooperative member could not log in: {exc}")
    for stop in member_stops(shop):
        problems += visit(member, locale, stop, check)

    admin = browsing.new_page(viewport=viewport)
    try:
        log_in(admin, locale, shop.admin.email)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{locale}: the administrator could not log in: {exc}")
    for stop in admin_stops(shop):
        problems += visit(admin, locale, stop, check)
    return problems
