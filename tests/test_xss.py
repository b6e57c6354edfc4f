"""Hostile input: script tags, event handlers, ``javascript:`` links, bidi controls and very
long Arabic words, typed into every free-text field a shopper or a cooperative can fill,
through the real forms, come back escaped (or, for product descriptions, cleaned by the nh3
allow-list) on every page that shows them, in Arabic, French and English."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from tests.factories import UserFactory
from tests.form_filler import submit
from tests.helpers import login
from tests.world import PDF_BYTES, build_world

LOCALES = ("ar", "fr", "en")
ROOT = Path(__file__).resolve().parent.parent

# What must never reach a page raw: markup that runs script, and bidi overrides.
DANGEROUS = [
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img src=x", re.I),
    re.compile(r"<svg onload", re.I),
    re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I),
    re.compile("[\u202a-\u202e\u2066-\u2069]"),
]
VALID_RIB = "011780000012345678901296"  # bank 011, city 780, account, key 96
# A word of 5,000 Arabic letters without a space.
LONG_ARABIC = ("تمورالمجهولمنواحاتتافيلالت" * 200)[:5000]


def hostile(tag: str, limit: int = 200) -> str:
    """Payloads after a unique tag (to find where the text shows), at most ``limit`` chars."""
    parts = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "\u202e",
        "\"'><svg onload=alert(1)>",
        '<a href="javascript:alert(1)">j</a>',
        "\u2066",
    ]
    text = tag
    for part in parts:
        if len(text) + len(part) > limit:
            break
        text += part
    return text


def escaped(tag: str) -> str:
    """How a hostile text shows once escaped by Jinja."""
    return f"{tag}&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_safe(html: str, where: str) -> None:
    for pattern in DANGEROUS:
        match = pattern.search(html)
        if match:
            context = html[max(0, match.start() - 80) : match.end() + 40]
            raise AssertionError(f"{where}: {pattern.pattern!r} found in …{context!r}…")


def check_pages(client, urls: list[str], shown: dict[str, str]) -> dict[str, set[str]]:
    """Every page in every language is safe; returns, per tag, the pages showing it as
    expected (``shown[tag]`` is the escaped or cleaned form to look for)."""
    seen: dict[str, set[str]] = {tag: set() for tag in shown}
    for template in urls:
        for locale in LOCALES:
            url = template.format(locale=locale)
            response = client.get(url)
            assert response.status_code == 200, f"GET {url}: {response.status_code}"
            html = response.get_data(as_text=True)
            assert_safe(html, url)
            for tag, form in shown.items():
                if form in html:
                    seen[tag].add(url)
    return seen


def assert_shown(seen: dict[str, set[str]], tag: str, *url_parts: str) -> None:
    for part in url_parts:
        for locale in LOCALES:
            needle = part.format(locale=locale)
            assert any(needle in url for url in seen[tag]), (
                f"{tag} not shown (escaped) on {needle}; shown on {sorted(seen[tag])}"
            )


def problems(response) -> str:
    """The status and the form errors or flashed errors of a response (for assertions)."""
    html = response.get_data(as_text=True)
    found = re.findall(r'class="errors"[^>]*>(.*?)</ul>', html, re.S)
    found += re.findall(r'class="flash flash-error"[^>]*>(.*?)</p>', html, re.S)
    found += re.findall(r'class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    text = " | ".join(re.sub(r"<[^>]+>|\s+", " ", f).strip() for f in found)
    return f"{response.status_code}: {text or html[:300]}"


def pdf(name: str = "statuts.pdf"):
    return (io.BytesIO(PDF_BYTES), name)


def test_the_detector_finds_unescaped_payloads():
    """The checks above can fail: raw payloads are caught, escaped ones are not."""
    from markupsafe import escape

    from marketplace.web import BIDI_CONTROLS

    for raw in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<a href = 'JavaScript:alert(1)'>x</a>",
        "exe.\u202egpj",
    ):
        with pytest.raises(AssertionError):
            assert_safe(f"<p>{raw}</p>", "sample")
    assert_safe(str(escape(hostile("T"))).translate(BIDI_CONTROLS), "escaped sample")
    assert escaped("T") in str(escape(hostile("T")))


# --- shoppers: name, delivery address ------------------------------------------------------


def test_shopper_texts_are_escaped_on_every_page(app):
    w = build_world()
    shopper = UserFactory(email="hostile@example.ma")
    client = app.test_client()
    login(client, shopper)

    response = submit(client, "/fr/account", {"name": hostile("XSSname", 120)}, having="name")
    assert response.status_code in (200, 302, 303), response.status_code

    # Buy a product of cooperative A with a hostile delivery address.
    product_page = f"/fr/products/{w.product_a.slug}"
    response = submit(client, product_page, {"quantity": "1"}, having={"product_id"})
    assert response.status_code in (302, 303), response.status_code
    address = {
        "contact_name": hostile("XSScontact", 120),
        "address_line1": hostile("XSSaddr1", 200),
        "address_line2": hostile("XSSaddr2", 200),
        "city": hostile("XSScity", 100),
        "region": hostile("XSSregion", 100),
        "phone": "0612345678",
        "payment_method": "cod",
    }
    response = submit(client, "/fr/checkout", address, having=set(address))
    assert response.status_code in (302, 303), problems(response)
    review = response.headers["Location"]
    response = submit(client, review, {}, having={"token"})
    assert response.status_code in (302, 303), problems(response)

    from marketplace.orders.models import Order

    order = db.session.scalars(db.select(Order).where(Order.user_id == shopper.id)).one()
    sub_order = order.sub_orders[0]
    tags = ["XSScontact", "XSSaddr1", "XSSaddr2", "XSScity", "XSSregion"]
    shown = {tag: escaped(tag) for tag in [*tags, "XSSname"]}

    seen = check_pages(client, ["/{locale}/account", f"/{{locale}}/orders/{order.number}"], shown)
    assert_shown(seen, "XSSname", "/{locale}/account")
    for tag in tags:
        assert_shown(seen, tag, f"/{{locale}}/orders/{order.number}")

    seller = app.test_client()
    login(seller, w.member_a)
    seller_pages = [
        "/{locale}/dashboard/orders",
        f"/{{locale}}/dashboard/orders/{sub_order.id}",
        f"/{{locale}}/dashboard/orders/{sub_order.id}/packing-slip",
    ]
    seen = check_pages(seller, seller_pages, shown)
    for tag in ("XSScontact", "XSSaddr1", "XSScity"):
        assert_shown(seen, tag, f"/{{locale}}/dashboard/orders/{sub_order.id}/packing-slip")

    admin = app.test_client()
    login(admin, w.admin)
    seen = check_pages(
        admin,
        ["/{locale}/admin/orders", f"/{{locale}}/admin/payments/orders/{order.number}"],
        shown,
    )
    assert_shown(seen, "XSScontact", "/{locale}/admin/orders")


# --- cooperatives: the application ---------------------------------------------------------


def test_cooperative_application_texts_are_escaped_on_every_page(app):
    w = build_world()
    applicant = UserFactory(email="applicant@example.ma")
    client = app.test_client()
    login(client, applicant)
    identity = {
        "name_ar": hostile("XSSnamear", 120),
        "name_fr": hostile("XSSnamefr", 120),
        "commune": hostile("XSScommune", 100),
        "registration_number": "RC-777-XSS",
        "members_count": "25",
        "women_members_count": "18",
        "founded_year": "2004",
    }
    response = submit(client, "/fr/apply/step/1", identity, having=set(identity))
    assert response.status_code in (302, 303), problems(response)
    response = submit(
        client,
        "/fr/apply/step/2",
        {"phone": "0612345678", "email": "coop@example.ma", "rib": VALID_RIB},
    )
    assert response.status_code in (302, 303), problems(response)
    story = {
        "story_ar": LONG_ARABIC,
        "story_fr": hostile("XSSstoryfr", 2000),
        "story_en": hostile("XSSstoryen", 2000),
    }
    response = submit(client, "/fr/apply/step/3", story)
    assert response.status_code in (302, 303), problems(response)
    response = submit(
        client,
        "/fr/apply/step/4",
        {},
        having={"statutes", "registration_certificate"},
        files={
            "statutes": pdf("XSSfile<img src=x onerror=alert(1)>\u202efdp.exe"),
            "registration_certificate": pdf("certificat.pdf"),
        },
        button="submit",
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303), problems(response)
    response = submit(client, "/fr/apply/step/5", {"confirm": "y"}, having={"confirm"})
    assert response.status_code in (302, 303), problems(response)

    db.session.expire_all()
    applicant = db.session.get(type(applicant), applicant.id)
    cooperative = applicant.cooperative
    assert cooperative is not None
    tags = ["XSSnamear", "XSSnamefr", "XSScommune", "XSSstoryfr", "XSSstoryen", "XSSfile"]
    shown = {tag: escaped(tag) for tag in tags}
    shown["XSSfile"] = "XSSfile&lt;img src=x onerror=alert(1)&gt;fdp.exe"  # no bidi override

    seen = check_pages(client, ["/{locale}/apply/status"], shown)
    assert_shown(seen, "XSSnamefr", "/{locale}/apply/status")

    admin = app.test_client()
    login(admin, w.admin)
    application = f"/{{locale}}/admin/applications/{cooperative.id}"
    seen = check_pages(admin, ["/{locale}/admin/", application], shown)
    for tag in ("XSSnamefr", "XSSnamear", "XSSstoryfr", "XSSfile"):
        assert_shown(seen, tag, application)
    html = admin.get(application.format(locale="ar")).get_data(as_text=True)
    assert LONG_ARABIC in html

    from marketplace.cooperatives import services as cooperatives

    cooperatives.change_status(cooperative, "verified", w.admin)
    db.session.commit()
    public = app.test_client()
    detail = f"/{{locale}}/cooperatives/{cooperative.slug}"
    seen = check_pages(public, ["/{locale}/cooperatives", detail], shown)
    assert_shown(seen, "XSSnamear", "/ar/cooperatives")
    assert_shown(seen, "XSSstoryfr", "/fr/cooperatives/")
    assert LONG_ARABIC in public.get(detail.format(locale="ar")).get_data(as_text=True)


# --- cooperatives: the seller dashboard ----------------------------------------------------


def test_cooperative_profile_and_products_are_escaped_on_every_page(app):
    w = build_world()
    seller = app.test_client()
    login(seller, w.member_a)
    profile = {
        "name_ar": hostile("XSSpnamear", 120),
        "name_fr": hostile("XSSpnamefr", 120),
        "name_en": hostile("XSSpnameen", 120),
        "story_ar": LONG_ARABIC,
        "story_fr": hostile("XSSpstoryfr", 2000),
        "story_en": hostile("XSSpstoryen", 2000),
    }
    response = submit(seller, "/fr/dashboard/profile", profile, content_type="multipart/form-data")
    assert response.status_code in (302, 303), problems(response)

    product = {
        "name_ar": hostile("XSSprodar", 120),
        "name_fr": hostile("XSSprodfr", 120),
        "name_en": hostile("XSSproden", 120),
        "description_ar": LONG_ARABIC,
        "description_fr": "<p><strong>Riche</strong> <em>et doux</em></p>"
        + hostile("XSSdescfr", 2000),
        "description_en": hostile("XSSdescen", 2000),
        "size": hostile("XSSsize", 40),
        "price": "45.50",
        "stock": "12",
        "status": "active",
    }
    response = submit(
        seller, "/fr/dashboard/products/new", product, content_type="multipart/form-data"
    )
    assert response.status_code in (302, 303), problems(response)
    from marketplace.catalogue.models import Product

    created = db.session.scalars(
        db.select(Product).where(Product.cooperative_id == w.coop_a.id).order_by(Product.id.desc())
    ).first()
    assert created is not None and created.status == "active"

    name_tags = ["XSSpnamear", "XSSpnamefr", "XSSpnameen", "XSSprodar", "XSSprodfr", "XSSproden"]
    shown = {tag: escaped(tag) for tag in [*name_tags, "XSSpstoryfr", "XSSpstoryen", "XSSsize"]}
    # Descriptions keep allowed formatting: the script is removed, the text stays.
    shown |= {"XSSdescfr": "XSSdescfr", "XSSdescen": "XSSdescen"}

    product_page = f"/{{locale}}/products/{created.slug}"
    coop_page = f"/{{locale}}/cooperatives/{w.coop_a.slug}"
    pages = [
        product_page,
        coop_page,
        "/{locale}/cooperatives",
        "/{locale}/products",
        "/{locale}/",
        f"/{{locale}}/categories/{w.category.slug}",
        "/{locale}/search?q=XSSprodfr",
    ]
    visitor = app.test_client()
    seen = check_pages(visitor, pages, shown)
    assert_shown(seen, "XSSprodar", "/ar/products/")
    assert_shown(seen, "XSSprodfr", "/fr/products/")
    assert_shown(seen, "XSSproden", "/en/products/")
    assert_shown(seen, "XSSdescfr", "/fr/products/")
    assert_shown(seen, "XSSpstoryfr", "/fr/cooperatives/")
    assert_shown(seen, "XSSsize", product_page)

    html = visitor.get(product_page.format(locale="fr")).get_data(as_text=True)
    assert "<strong>Riche</strong>" in html  # formatting allowed by nh3 is kept
    assert "<em>et doux</em>" in html
    html = visitor.get(product_page.format(locale="ar")).get_data(as_text=True)
    assert LONG_ARABIC in html
    html = visitor.get(coop_page.format(locale="ar")).get_data(as_text=True)
    assert LONG_ARABIC in html

    # The seller's own pages, including the edit forms that put the texts in attributes.
    dashboard_pages = [
        "/{locale}/dashboard",
        "/{locale}/dashboard/products",
        f"/{{locale}}/dashboard/products/{created.id}/edit",
        "/{locale}/dashboard/profile",
    ]
    check_pages(seller, dashboard_pages, shown)

    # A shopper's cart and order show the product name.
    shopper = app.test_client()
    login(shopper, w.shopper_a)
    submit(shopper, f"/fr/products/{created.slug}", {"quantity": "1"}, having={"product_id"})
    seen = check_pages(shopper, ["/{locale}/cart"], shown)
    assert_shown(seen, "XSSprodfr", "/fr/cart")


@pytest.mark.parametrize("locale", LOCALES)
def test_descriptions_are_cleaned_when_shown_even_if_stored_raw(app, locale):
    """A description that did not go through the form (older data, a script, the shell) is
    still cleaned by the allow-list when the product page shows it."""
    w = build_world()
    for translation in w.product_a.translations:
        translation.description = (
            '<p onclick="alert(1)"><em>Doux</em></p><iframe src="https://evil.example"></iframe>'
            + hostile("XSSraw", 500)
            + '<style>body{display:none}</style><form action="https://evil.example"></form>'
        )
    db.session.commit()
    html = app.test_client().get(f"/{locale}/products/{w.product_a.slug}").get_data(as_text=True)
    assert_safe(html, f"/{locale}/products/{w.product_a.slug}")
    assert "XSSraw" in html
    assert "<em>Doux</em>" in html
    for forbidden in ("onclick", "<iframe", "evil.example", "<style>body", "<form action"):
        assert forbidden not in html, forbidden


# --- the shipping details a seller types -----------------------------------------------------


def test_seller_shipping_notes_are_escaped_for_the_shopper(app):
    w = build_world()
    sub_order = w.extra["sub_order_a"]
    order = w.extra["order_a"]
    seller = app.test_client()
    login(seller, w.member_a)
    page = f"/fr/dashboard/orders/{sub_order.id}"
    values = {"carrier": hostile("XSScarrier", 80), "tracking_number": hostile("XSStrack", 80)}
    response = submit(seller, page, values, having=set(values))
    assert response.status_code in (302, 303), problems(response)
    shown = {"XSScarrier": escaped("XSScarrier"), "XSStrack": escaped("XSStrack")}

    shopper = app.test_client()
    login(shopper, w.shopper_a)
    seen = check_pages(shopper, [f"/{{locale}}/orders/{order.number}"], shown)
    assert_shown(seen, "XSScarrier", f"/{{locale}}/orders/{order.number}")
    check_pages(seller, [f"/{{locale}}/dashboard/orders/{sub_order.id}"], shown)


def test_seller_cancel_reason_is_escaped_for_the_shopper(app):
    w = build_world()
    sub_order, order = w.extra["sub_order_b"], w.extra["order_b"]
    seller = app.test_client()
    login(seller, w.member_b)
    page = f"/fr/dashboard/orders/{sub_order.id}"
    response = submit(seller, page, {"reason": hostile("XSSreason", 500)}, having={"reason"})
    assert response.status_code in (302, 303), problems(response)
    shown = {"XSSreason": escaped("XSSreason")}
    shopper = app.test_client()
    login(shopper, w.shopper_b)
    seen = check_pages(shopper, [f"/{{locale}}/orders/{order.number}"], shown)
    assert_shown(seen, "XSSreason", f"/{{locale}}/orders/{order.number}")
    check_pages(seller, [page.replace("/fr/", "/{locale}/")], shown)


def test_member_names_are_escaped_on_the_members_page(app):
    w = build_world()
    member = app.test_client()
    login(member, w.member_a2)
    response = submit(member, "/fr/account", {"name": hostile("XSSmember", 120)}, having="name")
    assert response.status_code in (200, 302, 303), problems(response)
    owner = app.test_client()
    login(owner, w.member_a)
    seen = check_pages(owner, ["/{locale}/dashboard/members"], {"XSSmember": escaped("XSSmember")})
    assert_shown(seen, "XSSmember", "/{locale}/dashboard/members")


def test_registration_name_is_escaped(app, outbox):
    client = app.test_client()
    values = {
        "name": hostile("XSSregister", 120),
        "email": "newcomer@example.ma",
        "password": "a long enough passphrase 42",
        "password_confirm": "a long enough passphrase 42",
    }
    response = submit(client, "/fr/register", values, having={"name", "email"})
    assert response.status_code in (302, 303), problems(response)
    from marketplace.auth.models import User

    user = db.session.scalars(db.select(User).where(User.email == "newcomer@example.ma")).one()
    assert user.name.startswith("XSSregister<script>")  # stored as typed, escaped when shown
    if client.get("/fr/account").status_code != 200:  # not logged in by the registration
        login(client, user, "a long enough passphrase 42")
    seen = check_pages(client, ["/{locale}/account"], {"XSSregister": escaped("XSSregister")})
    assert_shown(seen, "XSSregister", "/{locale}/account")
    for message in outbox():  # the welcome/verification e-mail greets them by name
        for part in message.walk():
            if part.get_content_type() == "text/html":
                assert_safe(part.get_content(), "e-mail")


# --- long words and layout ---------------------------------------------------------------------


def security_css() -> str:
    css = (ROOT / "static/css/main.css").read_text(encoding="utf-8")
    assert "/* == security == */" in css, "main.css has no security section"
    return css.split("/* == security == */", 1)[1].split("/* == ", 1)[0]


def test_long_words_wrap_instead_of_breaking_the_layout():
    section = re.sub(r"/\*.*?\*/", "", security_css(), flags=re.S)
    rule = re.search(r"([^{}]+)\{[^}]*overflow-wrap:\s*anywhere[^}]*\}", section)
    assert rule, "no overflow-wrap: anywhere rule in the security section of main.css"
    selectors = {s.strip() for s in rule.group(1).split(",")}
    assert {"main", "td", "th"} <= selectors, selectors
    assert "left" not in section and "right" not in section  # logical properties only


@pytest.mark.parametrize("locale", LOCALES)
def test_the_long_arabic_word_is_shown_whole_on_the_cooperative_page(app, locale):
    w = build_world()
    for translation in w.coop_a.translations:
        translation.story = LONG_ARABIC
    db.session.commit()
    response = app.test_client().get(f"/{locale}/cooperatives/{w.coop_a.slug}")
    assert response.status_code == 200
    assert LONG_ARABIC in response.get_data(as_text=True)
    assert db.session.get(Cooperative, w.coop_a.id) is not None
