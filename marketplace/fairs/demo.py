"""Demo fairs (``flask seed-demo``): the last Erfoud dates fair and the last Kelaat M'Gouna
rose festival (past, with their exhibitors and the orders collected there) and the next rose
festival (upcoming, open for applications, with orders waiting to be collected). Dates follow
today's so the demo keeps this shape. Idempotent: a fair already there is left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.catalogue.services import slugify
from marketplace.catalogue.variants import active_variants
from marketplace.extensions import db
from marketplace.fairs import services as fairs
from marketplace.fairs.models import Fair, StandApplication, StandStatus
from marketplace.orders.checkout import (
    ShippingDetails,
    WantedLine,
    make_idempotency_token,
    place_order,
)

ERFOUD = {
    "names": {
        "fr": "Salon international des dattes d'Erfoud",
        "ar": "المعرض الدولي للتمور بأرفود",
        "en": "Erfoud International Date Fair",
    },
    "descriptions": {
        "fr": "Le rendez-vous des palmeraies du Tafilalet : Mejhoul, Boufeggous et Jihel, "
        "pâtes de dattes, et les fossiles d'Erfoud. Conférences, concours de la meilleure "
        "datte et stands des coopératives de la région.",
        "ar": "موعد واحات تافيلالت: المجهول وبوفقوس والجيهل، عجينة التمر، وأحافير أرفود. "
        "ندوات ومسابقة أجود تمر وأروقة تعاونيات الجهة.",
        "en": "The meeting place of the Tafilalet palm groves: Mejhoul, Boufeggous and Jihel "
        "dates, date paste, and Erfoud's fossils. Talks, a best-date contest and the stands "
        "of the region's cooperatives.",
    },
    "province": "errachidia",
    "city": "Erfoud",
    "venue": "Espace des expositions d'Erfoud",
    "address": "Avenue Moulay Ismail",
    "latitude": "31.4348",
    "longitude": "-4.2320",
    "max_stands": 60,
    "exhibitors": {
        "nakhil-tafilalet": ["mejhoul-dates-extra", "boufeggous-dates", "stuffed-dates-almonds"],
        "nakhil-zagora": ["jihel-dates", "date-paste", "date-seed-oil"],
        "fossiles-erfoud": ["ammonite-pair", "trilobite", "fossil-coasters"],
        "tizi-rissani": ["silver-fibula", "enamel-bracelet"],
    },
}
ROSES = {
    "names": {
        "fr": "Festival des roses de Kelaat M'Gouna",
        "ar": "مهرجان الورود بقلعة مكونة",
        "en": "Kelaat M'Gouna Rose Festival",
    },
    "descriptions": {
        "fr": "Au temps de la cueillette de la rose de Damas, la vallée du Dadès fête ses "
        "roses : eau de rose, huile essentielle, boutons séchés, savons et crèmes des "
        "coopératives, et l'artisanat de la province de Tinghir.",
        "ar": "في موسم قطف الوردة الدمشقية، يحتفل وادي دادس بوروده: ماء الورد والزيت العطري "
        "والبراعم المجففة والصابون والكريمات من إنتاج التعاونيات، وصناعة إقليم تنغير التقليدية.",
        "en": "When the Damask roses are picked, the Dadès valley celebrates them: rose water, "
        "essential oil, dried buds, soaps and creams from the cooperatives, and the crafts of "
        "Tinghir province.",
    },
    "province": "tinghir",
    "city": "Kelaat M'Gouna",
    "venue": "Place du festival",
    "address": "Route nationale 10",
    "latitude": "31.2446",
    "longitude": "-6.1296",
    "max_stands": 40,
    "exhibitors": {
        "warda-mgouna": ["rose-water", "rose-essential-oil", "dried-rose-buds", "rose-soap"],
        "todgha-women": ["henna-hair-mask", "black-soap", "prickly-pear-oil"],
        "dades-silver": ["hand-of-fatima", "amazigh-ring"],
        "safran-siroua": ["saffron-1g", "saffron-tea"],
    },
}


def _last(month: int, day: int, today: date) -> date:
    """The last ``month``/``day`` at least three weeks ago."""
    candidate = date(today.year, month, day)
    return (
        candidate
        if candidate <= today - timedelta(days=21)
        else candidate.replace(year=today.year - 1)
    )


def _next(month: int, day: int, today: date) -> date:
    """The next ``month``/``day`` at least three weeks ahead."""
    candidate = date(today.year, month, day)
    return (
        candidate
        if candidate >= today + timedelta(days=21)
        else candidate.replace(year=today.year + 1)
    )


def _data(spec: dict, starts_on: date, length: int) -> fairs.FairData:
    return fairs.FairData(
        names=dict(spec["names"]),
        descriptions=dict(spec["descriptions"]),
        province=spec["province"],
        city=spec["city"],
        venue=spec["venue"],
        address=spec["address"],
        latitude=spec["latitude"],
        longitude=spec["longitude"],
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=length - 1),
        registration_deadline=starts_on - timedelta(days=14),
        max_stands=spec["max_stands"],
    )


def _exhibitors(ctx, fair: Fair, spec: dict, admin: User) -> list[int]:
    accepted = []
    for coop_slug, product_slugs in spec["exhibitors"].items():
        coop = ctx.cooperatives.get(coop_slug)
        products = [ctx.products[s] for s in product_slugs if s in ctx.products]
        if coop is None or not products:
            continue
        db.session.add(
            StandApplication(
                fair=fair,
                cooperative_id=coop.id,
                status=StandStatus.ACCEPTED.value,
                products=products,
                decided_by_id=admin.id,
                decided_at=datetime.combine(fair.registration_deadline, time(10), UTC),
            )
        )
        accepted.append(coop.id)
    db.session.flush()
    return accepted


def _shoppers(ctx) -> list[User]:
    found = [u for u in ctx.users.values() if u.role == Role.SHOPPER.value]
    return sorted(found, key=lambda u: u.email)


def _collect_orders(ctx, fair: Fair, spec: dict, shoppers: list[User], count: int) -> list:
    """Orders placed to collect at ``fair`` (which must not be over yet), cash on collection."""
    placed = []
    slugs = [s for products in spec["exhibitors"].values() for s in products]
    for index in range(count):
        shopper = shoppers[index % len(shoppers)]
        product = ctx.products.get(slugs[(index * 3) % len(slugs)])
        # A size or pack in stock, a different one from order to order.
        shown = [v for v in active_variants(product) if v.stock >= 2] if product else []
        if not shown:
            continue
        variant = shown[index % len(shown)]
        order = place_order(
            lines=[WantedLine(product.id, 1 + index % 2, variant.price_cents, variant.id)],
            shipping=ShippingDetails(
                contact_name=shopper.name,
                phone="+212612345678",
                address_line1=fair.venue,
                city=fair.city,
                email=shopper.email,
            ),
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale=shopper.locale,
            user=shopper,
            collect_fair_id=fair.id,
        )
        placed.append(order)
    return placed


def _past_fair(ctx, spec: dict, starts_on: date, admin: User, shoppers: list[User]) -> None:
    """A fair that took place: held "today" to take its orders through the real services,
    then moved back to its dates with its orders."""
    data = _data(spec, starts_on, 4)
    held = fairs.today()
    real_start, real_end = data.starts_on, data.ends_on
    data.starts_on, data.ends_on, data.registration_deadline = held, held, held
    fair = fairs.create_fair(data, admin)
    _exhibitors(ctx, fair, spec, admin)
    placed = _collect_orders(ctx, fair, spec, shoppers, 8)
    for order in placed:
        for sub in order.sub_orders:
            fairs.mark_collected(sub, fair, admin)
    fair.starts_on, fair.ends_on = real_start, real_end
    fair.slug = slugify(f"{spec['names']['fr']} {real_start.year}")
    fair.registration_deadline = real_start - timedelta(days=14)
    for index, order in enumerate(placed):
        moment = datetime.combine(real_start - timedelta(days=6 - index % 5), time(11), UTC)
        order.created_at = moment
        for sub in order.sub_orders:
            sub.created_at = sub.confirmed_at = moment
            sub.shipped_at = sub.delivered_at = datetime.combine(real_start, time(15), UTC)
    db.session.flush()
    ctx.count("fairs")


def demo_step(ctx) -> None:
    if db.session.scalar(select(Fair.id).limit(1)) is not None:
        return
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN.value))
    shoppers = _shoppers(ctx)
    if admin is None or not shoppers:
        return
    today = fairs.today()
    _past_fair(ctx, ERFOUD, _last(10, 23, today), admin, shoppers)
    _past_fair(ctx, ROSES, _last(5, 8, today), admin, shoppers)
    upcoming = fairs.create_fair(_data(ROSES, _next(5, 7, today), 3), admin)
    coop_ids = _exhibitors(ctx, upcoming, ROSES, admin)
    # one cooperative still waiting for a decision
    waiting = ctx.cooperatives.get("tamegroute-pottery")
    if waiting is not None and waiting.id not in coop_ids:
        products = [ctx.products[s] for s in ("green-bowl", "green-tajine") if s in ctx.products]
        db.session.add(
            StandApplication(fair=upcoming, cooperative_id=waiting.id, products=products)
        )
    _collect_orders(ctx, upcoming, ROSES, shoppers, 4)
    db.session.flush()
    ctx.count("fairs")
