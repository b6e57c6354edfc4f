"""A small shop for the browser journeys, built with the factories (fast, committed), and
browser steps shared by several journeys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.cooperatives.models import CooperativeStatus, Province
from tests.factories import (
    PASSWORD,
    AdminFactory,
    CategoryFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)


@dataclass(frozen=True)
class Item:
    """What the browser needs to know about a created row (plain values only: the test
    must not hold a database transaction open while the live server works, SQLite's
    BEGIN IMMEDIATE would lock it out)."""

    id: int
    slug: str = ""
    email: str = ""
    province: str = ""
    names: tuple[tuple[str, str], ...] = ()

    def name(self, locale: str) -> str:
        return dict(self.names)[locale]


def _item(obj, names: dict | None = None) -> Item:
    return Item(
        id=obj.id,
        slug=getattr(obj, "slug", ""),
        email=getattr(obj, "email", ""),
        province=getattr(obj, "province", ""),
        names=tuple((names or {}).items()),
    )


@dataclass(frozen=True)
class Shop:
    dates: Item  # categories
    roses: Item
    oasis: Item  # cooperative in Errachidia
    rosa: Item  # cooperative in Tinghir (Kelâat M'Gouna, the valley of roses)
    medjool: Item  # products
    boufeggous: Item
    rose_water: Item
    rose_soap: Item
    shopper: Item
    member: Item  # owner of the oasis cooperative
    rosa_member: Item  # owner of the rosa cooperative
    admin: Item
    applicant: Item  # a cooperative waiting for the administrators' review


def refresh_search(products) -> None:
    """Index the products for the search page (STOREFRONT's service, when present)."""
    try:
        from marketplace.catalogue.search import refresh_search_document
    except ImportError:  # search not built yet
        return
    from marketplace.extensions import db

    for product in products:
        refresh_search_document(product)
    db.session.commit()


NAMES = {
    "dates": {"ar": "تمور", "fr": "Dattes", "en": "Dates"},
    "roses": {"ar": "منتجات الورد", "fr": "Produits de la rose", "en": "Rose products"},
    "oasis": {"ar": "تعاونية واحة أرفود", "fr": "Coopérative Oasis Erfoud", "en": "Oasis Erfoud"},
    "rosa": {"ar": "تعاونية ورود مكونة", "fr": "Coopérative Rosa M'Gouna", "en": "Rosa M'Gouna"},
    "medjool": {"ar": "تمر المجهول", "fr": "Dattes Medjool", "en": "Medjool dates"},
    "boufeggous": {"ar": "تمر بوفقوس", "fr": "Dattes Boufeggous", "en": "Boufeggous dates"},
    "rose_water": {"ar": "ماء الورد", "fr": "Eau de rose", "en": "Rose water"},
    "rose_soap": {"ar": "صابون الورد", "fr": "Savon à la rose", "en": "Rose soap"},
}


def build_shop() -> Shop:
    dates = CategoryFactory(slug="dates", names=NAMES["dates"])
    roses = CategoryFactory(slug="roses", names=NAMES["roses"])
    oasis = CooperativeFactory(
        slug="cooperative-oasis-erfoud",
        province=Province.ERRACHIDIA.value,
        commune="Erfoud",
        names=NAMES["oasis"],
    )
    rosa = CooperativeFactory(
        slug="cooperative-rosa-mgouna",
        province=Province.TINGHIR.value,
        commune="Kelâat M'Gouna",
        names=NAMES["rosa"],
    )
    medjool = ProductFactory(
        slug="dattes-medjool",
        cooperative=oasis,
        category=dates,
        price_cents=9000,
        unit_quantity_milli=1000,
        unit_code="kg",
        names=NAMES["medjool"],
    )
    boufeggous = ProductFactory(
        slug="dattes-boufeggous",
        cooperative=oasis,
        category=dates,
        price_cents=6500,
        unit_quantity_milli=1000,
        unit_code="kg",
        names=NAMES["boufeggous"],
    )
    rose_water = ProductFactory(
        slug="eau-de-rose",
        cooperative=rosa,
        category=roses,
        price_cents=4500,
        unit_quantity_milli=250_000,
        unit_code="ml",
        names=NAMES["rose_water"],
    )
    rose_soap = ProductFactory(
        slug="savon-a-la-rose",
        cooperative=rosa,
        category=roses,
        price_cents=2500,
        unit_quantity_milli=100_000,
        unit_code="g",
        names=NAMES["rose_soap"],
    )
    refresh_search([medjool, boufeggous, rose_water, rose_soap])
    shopper = UserFactory(email="amina@example.ma", name="Amina Ait Lahcen", locale="ar")
    member = MemberFactory(email="owner@oasis.example.ma", name="Brahim", cooperative=oasis)
    rosa_member = MemberFactory(email="owner@rosa.example.ma", name="Itto", cooperative=rosa)
    admin = AdminFactory(email="admin@example.ma", name="Admin")
    applicant = CooperativeFactory(
        slug="cooperative-tamegroute",
        province=Province.ZAGORA.value,
        commune="Tamegroute",
        status=CooperativeStatus.PENDING.value,
        names={"ar": "تعاونية فخار تمكروت", "fr": "Coopérative Poterie de Tamegroute"},
    )
    shop = Shop(
        dates=_item(dates, NAMES["dates"]),
        roses=_item(roses, NAMES["roses"]),
        oasis=_item(oasis, NAMES["oasis"]),
        rosa=_item(rosa, NAMES["rosa"]),
        medjool=_item(medjool, NAMES["medjool"]),
        boufeggous=_item(boufeggous, NAMES["boufeggous"]),
        rose_water=_item(rose_water, NAMES["rose_water"]),
        rose_soap=_item(rose_soap, NAMES["rose_soap"]),
        shopper=_item(shopper),
        member=_item(member),
        rosa_member=_item(rosa_member),
        admin=_item(admin),
        applicant=_item(applicant),
    )
    release_database()
    return shop


def release_database() -> None:
    """End the test's own transaction: on SQLite every transaction takes the write lock
    (BEGIN IMMEDIATE), and the live server must be able to write while the browser works."""
    from marketplace.extensions import db

    db.session.rollback()


# --- browser steps --------------------------------------------------------------------


def log_in(page, locale: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form (fields named by the contract: email, password)."""
    page.goto(f"/{locale}/login")
    fill_login_form(page, email, password)
    page.wait_for_url(lambda url: "/login" not in url)


def fill_login_form(page, email: str, password: str = PASSWORD) -> None:
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").first.click()


def path_of(page) -> str:
    """The current path and query string (without scheme and host)."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def place_order(shop: Shop, items: dict[str, int]) -> str:
    """Place a cash-on-delivery order for the shopper through the orders service
    (``{"medjool": 2, ...}``); returns its number."""
    from marketplace.auth.models import User
    from marketplace.catalogue.models import Product
    from marketplace.extensions import db
    from tests.factories import place_test_order

    user = db.session.get(User, shop.shopper.id)
    order = place_test_order(
        {db.session.get(Product, getattr(shop, key).id): n for key, n in items.items()},
        user=user,
    )
    number = order.number
    db.session.commit()
    release_database()
    return number


# --- rows only the back office shows ---------------------------------------------------


@dataclass(frozen=True)
class BackOffice:
    """Ids of what the back-office pages that need more than the shop are about."""

    fair: int  # upcoming: the oasis has an accepted stand and an order to hand over there,
    #            the rosa cooperative's application waits for the administrators
    open_fair: int  # open for applications, the oasis has not applied
    label: int
    certificate: int  # the oasis's certificate, waiting for the administrators
    batch: int  # an open payout batch paying the oasis


def build_back_office(shop: Shop) -> BackOffice:
    """Fairs, a label and its certificate, and a payout batch, around the shop's rows."""
    from marketplace.auth.models import User
    from marketplace.catalogue.models import Product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.extensions import db
    from marketplace.fairs.models import StandApplication
    from marketplace.labels.models import CertificateStatus
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )
    from marketplace.payments.models import Payout, PayoutBatch
    from tests.fairs_support import accept_stand, make_fair
    from tests.trust_support import make_certificate, make_label

    oasis = db.session.get(Cooperative, shop.oasis.id)
    medjool = db.session.get(Product, shop.medjool.id)
    rose_water = db.session.get(Product, shop.rose_water.id)
    fair = make_fair(name="Salon international des dattes d'Erfoud")
    accept_stand(fair, oasis, [medjool])
    db.session.add(
        StandApplication(
            fair=fair,
            cooperative_id=shop.rosa.id,
            products=[rose_water],
            note="Eau de rose et savons de la vallée.",
        )
    )
    open_fair = make_fair(days_ahead=30, name="Festival des roses de Kelâat M'Gouna")
    # A shopper's order to collect at the oasis's stand (the fair-day page lists it).
    shopper = db.session.get(User, shop.shopper.id)
    place_order(
        lines=[WantedLine(medjool.id, 2, medjool.price_cents)],
        shipping=ShippingDetails(
            contact_name="Amina Ait Lahcen",
            phone="+212612345678",
            address_line1="12 rue Moulay Ali Cherif",
            city="Erfoud",
            email=shop.shopper.email,
        ),
        payment_method="cod",
        idempotency_token=make_idempotency_token(),
        locale="ar",
        user=shopper,
        collect_fair_id=fair.id,
    )
    label = make_label()
    certificate = make_certificate(
        oasis,
        label,
        products=[medjool],
        expires_on=date.today() + timedelta(days=300),
        status=CertificateStatus.PENDING.value,
    )
    batch = PayoutBatch(created_by_id=shop.admin.id)
    batch.payouts.append(Payout(cooperative_id=oasis.id, amount_cents=123_450, rib=oasis.rib))
    db.session.add(batch)
    db.session.commit()
    back_office = BackOffice(
        fair=fair.id,
        open_fair=open_fair.id,
        label=label.id,
        certificate=certificate.id,
        batch=batch.id,
    )
    release_database()
    return back_office
