"""Journey 3: a cooperative applies in French with its documents, an administrator
approves it, its member adds a product in Arabic only; the product is in the Arabic
catalogue and, in English, shows the marker of its original language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.shop import build_shop, log_in, path_of
from tests.onboarding_helpers import VALID_RIB, pdf_bytes, png_bytes

pytestmark = pytest.mark.e2e

COOP_NAME = "Coopérative Tighmert des tapis"
PRODUCT_AR = "زربية تيغمرت الصوفية"
PASSWORD = "Tapis de laine, 2026 !"


@pytest.fixture
def shop():
    return build_shop()


def submit(page, form) -> None:
    with page.expect_navigation():
        form.locator("[type=submit][name=submit], button[type=submit]").first.click()


def confirmation_link(messages, to: str) -> str:
    """Path of the e-mail-confirmation link sent to ``to`` (the host is the live server's)."""
    for message in reversed(messages):
        if to in str(message["To"]):
            body = message.get_body(preferencelist=("plain",)).get_content()
            found = re.search(r"https?://[^/\s]+(/\S*/verify/\S+)", body)
            if found:
                return found.group(1)
    raise AssertionError(f"no confirmation e-mail with a link was sent to {to}")


def test_cooperative_applies_is_approved_and_sells_in_arabic(browsing, shop, outbox):
    # A person creates an account, in French.
    applicant = browsing.new_page()
    applicant.goto("/fr/register")
    form = applicant.locator("main form:has(input[name=password_confirm])")
    form.locator("input[name=name]").fill("Fadma Oulhaj")
    form.locator("input[name=email]").fill("fadma@tighmert.example.ma")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password_confirm]").fill(PASSWORD)
    expect(form.locator("select[name=locale]")).to_have_value("fr")
    submit(applicant, form)
    assert "/register" not in path_of(applicant), applicant.locator("main").inner_text()

    # She confirms her address with the link of the e-mail she received.
    link = confirmation_link(outbox(), "fadma@tighmert.example.ma")
    applicant.goto(link)
    assert "/verify/" not in path_of(applicant), applicant.locator("main").inner_text()

    # The application, step by step.
    applicant.goto("/fr/apply")
    applicant.wait_for_url("**/fr/apply/step/1")
    form = applicant.locator("main form:has(input[name=registration_number])")
    form.locator("input[name=name_fr]").fill(COOP_NAME)
    form.locator("input[name=registration_number]").fill("RC-ZAG-2019-118")
    form.locator("select[name=province]").select_option("zagora")
    form.locator("input[name=commune]").fill("M'Hamid El Ghizlane")
    form.locator("input[name=founded_year]").fill("2019")
    form.locator("input[name=members_count]").fill("31")
    form.locator("input[name=women_members_count]").fill("28")
    submit(applicant, form)
    assert path_of(applicant) == "/fr/apply/step/2", applicant.locator("main").inner_text()

    form = applicant.locator("main form:has(input[name=rib])")
    form.locator("input[name=phone]").fill("06 61 23 45 67")
    form.locator("input[name=rib]").fill(VALID_RIB)
    submit(applicant, form)
    assert path_of(applicant) == "/fr/apply/step/3", applicant.locator("main").inner_text()

    form = applicant.locator("main form:has(textarea[name=story_fr])")
    form.locator("textarea[name=story_fr]").fill(
        "Trente femmes tissent des tapis de laine à M'Hamid, aux portes du désert."
    )
    submit(applicant, form)
    assert path_of(applicant) == "/fr/apply/step/4", applicant.locator("main").inner_text()

    # Documents: the statutes as a PDF, the certificate as a photo.
    form = applicant.locator("main form[enctype='multipart/form-data']")
    form.locator("input[name=statutes]").set_input_files(
        {"name": "statuts.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    form.locator("input[name=registration_certificate]").set_input_files(
        {"name": "certificat.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    with applicant.expect_navigation():
        form.locator("[type=submit][name=submit]").click()
    assert path_of(applicant) == "/fr/apply/step/5", applicant.locator("main").inner_text()
    expect(applicant.locator("main")).to_contain_text("statuts.pdf")
    expect(applicant.locator("main")).to_contain_text("certificat.png")

    form = applicant.locator("main form:has(input[name=confirm])")
    form.locator("input[name=confirm]").check()
    submit(applicant, form)
    assert path_of(applicant) == "/fr/apply/status", applicant.locator("main").inner_text()
    expect(applicant.locator("main")).to_contain_text(COOP_NAME)

    # An administrator approves it (after looking at the documents).
    admin = browsing.new_page()
    log_in(admin, "fr", shop.admin.email)
    admin.goto("/fr/admin/")
    with admin.expect_navigation():
        admin.locator("main").get_by_role("link", name=COOP_NAME).click()
    expect(admin.locator("main")).to_contain_text("statuts.pdf")
    with admin.expect_download() as download:
        admin.locator("main a", has_text="statuts.pdf").first.click()
    assert download.value.suggested_filename == "statuts.pdf"
    approve = admin.locator("main form.decision-form:has(input[name=action][value=approve])")
    with admin.expect_navigation():
        approve.get_by_role("button").click()
    expect(
        admin.locator("main form.decision-form:has(input[name=action][value=approve])")
    ).to_have_count(0)

    # Its member adds a product, in Arabic only.
    response = applicant.goto("/ar/dashboard/products/new")
    assert response.status == 200, f"the new-product page answers HTTP {response.status}"
    form = applicant.locator("main form.product-form")
    form.locator("input[name=name_ar]").fill(PRODUCT_AR)
    form.locator("textarea[name=description_ar]").fill("زربية منسوجة يدويا من صوف الأغنام.")
    form.locator("select[name=category]").select_option(index=1)
    form.locator("input[name=price]").fill("1200")
    form.locator("input[name=stock]").fill("3")
    form.locator("input[name=size]").fill("150 × 90 cm")
    status = form.locator("select[name=status]")
    status.select_option("active")
    with applicant.expect_navigation():
        form.locator("[type=submit]").first.click()
    assert "/products/new" not in path_of(applicant), applicant.locator("main").inner_text()

    # The Arabic catalogue shows it …
    shopper = browsing.new_page()
    shopper.goto("/ar/products?province=zagora")
    card = shopper.locator("main .product-card", has_text=PRODUCT_AR)
    expect(card).to_have_count(1)
    expect(card.locator(".fallback-marker")).to_have_count(0)

    # … and the English one too, marked as written in Arabic.
    shopper.goto("/en/products?province=zagora")
    card = shopper.locator("main .product-card", has_text=PRODUCT_AR)
    expect(card).to_have_count(1)
    marker = card.locator(".fallback-marker")
    expect(marker).to_have_attribute("lang", "ar")
    expect(marker).to_contain_text("original language")
    with shopper.expect_navigation():
        card.get_by_role("link", name=PRODUCT_AR).first.click()
    expect(shopper.locator("main h1")).to_have_attribute("lang", "ar")
    expect(shopper.locator("main .product-info .fallback-marker")).to_be_visible()
