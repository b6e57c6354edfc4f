"""Hostile text in a real browser: no script runs (no dialog, no CSP violation), and very
long words without spaces (a 5,000-letter Arabic word) wrap instead of making a phone page
scroll sideways, in Arabic, French and English."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.e2e.conftest import PHONE, sideways_scroll
from tests.e2e.shop import log_in
from tests.test_xss import LONG_ARABIC, hostile
from tests.world import build_world

pytestmark = pytest.mark.e2e

LOCALES = ("ar", "fr", "en")
LONG_NAME = LONG_ARABIC[:190]  # names are limited to 200 characters


@pytest.fixture
def hostile_world():
    w = build_world()
    for t in w.product_a.translations:
        t.name = LONG_NAME
        t.description = (
            "<p><strong>" + LONG_ARABIC + "</strong></p>" + hostile(f"XSSdesc{t.locale}", 500)
        )
    for t in w.coop_a.translations:
        t.name = hostile(f"XSScoop{t.locale}", 120)
        t.story = LONG_ARABIC + "\n" + hostile(f"XSSstory{t.locale}", 500)
    order = w.extra["order_a"]
    order.contact_name = hostile("XSScontact", 120)
    order.address_line1 = LONG_ARABIC[:200]
    order.city = hostile("XSScity", 100)
    db.session.commit()
    return w


@pytest.mark.parametrize("locale", LOCALES)
def test_hostile_and_long_texts_neither_run_nor_overflow(browsing, hostile_world, locale):
    w = hostile_world
    paths = [
        f"/{locale}/products/{w.product_a.slug}",
        f"/{locale}/cooperatives/{w.coop_a.slug}",
        f"/{locale}/cooperatives",
        f"/{locale}/products",
        f"/{locale}/search?q=dates",
    ]
    email, number = w.shopper_a.email, w.extra["order_a"].number
    # (new_page ends the test's transaction: the live server must be able to write.)
    page = browsing.new_page(
        viewport=PHONE, locale={"ar": "ar-MA", "fr": "fr-MA"}.get(locale, "en")
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    problems: list[str] = []
    for path in paths:
        page.goto(path)
        if problem := sideways_scroll(page):
            problems.append(problem)
    log_in(page, locale, email)
    for path in (f"/{locale}/orders/{number}", f"/{locale}/orders"):
        page.goto(path)
        if problem := sideways_scroll(page):
            problems.append(problem)
    assert not dialogs, f"script ran: {dialogs}"
    assert not problems, "\n".join(problems)
