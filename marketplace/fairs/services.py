"""Regional fairs: creating them, stand applications and decisions, the public lists, the
iCalendar file, and collecting orders at a fair (the ``pickup_options`` signal answered
for the orders domain, the fair-day hand-over)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.audit import record_audit
from marketplace.auth.models import User
from marketplace.auth.services import external_url
from marketplace.catalogue.models import Product, ProductStatus
from marketplace.catalogue.services import slugify
from marketplace.cooperatives.models import Cooperative, Province
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairTranslation, StandApplication, StandStatus
from marketplace.i18n import LOCALES, pick
from marketplace.mail import queue_mail
from marketplace.orders.checkout import Pickup
from marketplace.orders.models import CooperativeOrder, Order, PaymentMethod, SubOrderStatus
from marketplace.orders.status import transition
from marketplace.timeutil import utcnow

MOROCCO = ZoneInfo("Africa/Casablanca")
MAX_NOTE = 2000


def today() -> date:
    return datetime.now(MOROCCO).date()


# --- reading --------------------------------------------------------------------------------


def fair_name(fair: Fair, locale: str | None = None) -> str:
    return pick(fair.translations, locale).name if fair.translations else fair.slug


def fair_by_slug(slug: str) -> Fair:
    fair = db.session.scalar(select(Fair).where(Fair.slug == slug))
    if fair is None:
        raise NotFound()
    return fair


def fair_by_id(fair_id: int) -> Fair:
    fair = db.session.get(Fair, fair_id)
    if fair is None:
        raise NotFound()
    return fair


def collect_fair(order) -> Fair | None:
    """The fair where ``order`` is collected, if it is."""
    fair_id = getattr(order, "collect_fair_id", None)
    return db.session.get(Fair, fair_id) if fair_id else None


def upcoming(limit: int | None = None) -> list[Fair]:
    """Fairs not over yet (today included), soonest first."""
    query = select(Fair).where(Fair.ends_on >= today()).order_by(Fair.starts_on, Fair.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def past() -> list[Fair]:
    return list(
        db.session.scalars(
            select(Fair).where(Fair.ends_on < today()).order_by(Fair.starts_on.desc(), Fair.id)
        )
    )


def next_fair() -> Fair | None:
    found = upcoming(limit=1)
    return found[0] if found else None


def all_fairs() -> list[Fair]:
    return list(db.session.scalars(select(Fair).order_by(Fair.starts_on.desc(), Fair.id)))


def accepted_count(fair: Fair) -> int:
    return (
        db.session.scalar(
            select(func.count(StandApplication.id)).where(
                StandApplication.fair_id == fair.id,
                StandApplication.status == StandStatus.ACCEPTED.value,
            )
        )
        or 0
    )


def exhibitors(fair: Fair) -> list[StandApplication]:
    """The accepted stands, with their cooperative and the products they bring (visible
    ones only)."""
    applications = db.session.scalars(
        select(StandApplication)
        .where(
            StandApplication.fair_id == fair.id,
            StandApplication.status == StandStatus.ACCEPTED.value,
        )
        .options(
            selectinload(StandApplication.cooperative).selectinload(Cooperative.translations),
            selectinload(StandApplication.products).selectinload(Product.translations),
        )
        .order_by(StandApplication.id)
    ).all()
    return [a for a in applications if a.cooperative.is_verified]


def applications_of(fair: Fair) -> list[StandApplication]:
    return list(
        db.session.scalars(
            select(StandApplication)
            .where(StandApplication.fair_id == fair.id)
            .options(
                selectinload(StandApplication.cooperative).selectinload(Cooperative.translations),
                selectinload(StandApplication.products).selectinload(Product.translations),
            )
            .order_by(StandApplication.created_at, StandApplication.id)
        )
    )


def application_for(fair: Fair, cooperative_id: int) -> StandApplication | None:
    return db.session.scalar(
        select(StandApplication).where(
            StandApplication.fair_id == fair.id,
            StandApplication.cooperative_id == cooperative_id,
        )
    )


def applications_of_cooperative(cooperative_id: int) -> dict[int, StandApplication]:
    return {
        a.fair_id: a
        for a in db.session.scalars(
            select(StandApplication).where(StandApplication.cooperative_id == cooperative_id)
        )
    }


def open_for_applications(fair: Fair) -> bool:
    return today() <= fair.registration_deadline and today() <= fair.ends_on


def map_url(fair: Fair) -> str:
    """A link to the place on OpenStreetMap (no script, no tile, no key)."""
    if fair.latitude and fair.longitude:
        return (
            f"https://www.openstreetmap.org/?mlat={fair.latitude}&mlon={fair.longitude}"
            f"#map=16/{fair.latitude}/{fair.longitude}"
        )
    return ""


# --- admin: creating and editing ------------------------------------------------------------


@dataclass
class FairData:
    names: dict[str, str]
    descriptions: dict[str, str]
    province: str
    city: str
    venue: str
    address: str
    latitude: str
    longitude: str
    starts_on: date
    ends_on: date
    registration_deadline: date
    max_stands: int
    cover_path: str | None = None


def _check(data: FairData) -> None:
    if not any((data.names.get(code) or "").strip() for code in LOCALES):
        raise InvalidInput(_l("Give the fair's name in at least one language."))
    if data.province not in {p.value for p in Province}:
        raise InvalidInput(_l("Choose the province."))
    if data.ends_on < data.starts_on:
        raise InvalidInput(_l("The fair cannot end before it starts."))
    if data.registration_deadline > data.ends_on:
        raise InvalidInput(_l("The registration deadline must be before the end of the fair."))
    if not (1 <= data.max_stands <= 10000):
        raise InvalidInput(_l("The number of stands must be between 1 and 10000."))
    for value in (data.latitude, data.longitude):
        if value:
            try:
                float(value)
            except ValueError:
                raise InvalidInput(
                    _l("Coordinates are decimal degrees, for example 31.4313.")
                ) from None


def _apply(fair: Fair, data: FairData) -> None:
    fair.province, fair.city, fair.venue = data.province, data.city.strip(), data.venue.strip()
    fair.address = data.address.strip()
    fair.latitude, fair.longitude = data.latitude.strip(), data.longitude.strip()
    fair.starts_on, fair.ends_on = data.starts_on, data.ends_on
    fair.registration_deadline, fair.max_stands = data.registration_deadline, data.max_stands
    if data.cover_path:
        fair.cover_path = data.cover_path
    existing = {t.locale: t for t in fair.translations}
    for code in LOCALES:
        name = (data.names.get(code) or "").strip()
        description = (data.descriptions.get(code) or "").strip()
        if name:
            translation = existing.get(code)
            if translation is None:
                fair.translations.append(
                    FairTranslation(locale=code, name=name, description=description)
                )
            else:
                translation.name, translation.description = name, description
        elif code in existing:
            fair.translations.remove(existing[code])


def _unique_slug(data: FairData) -> str:
    base_name = next(data.names[c] for c in ("fr", "en", "ar") if (data.names.get(c) or "").strip())
    base = slugify(f"{base_name} {data.starts_on.year}") or f"fair-{data.starts_on.year}"
    slug, n = base, 2
    while db.session.scalar(select(Fair.id).where(Fair.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_fair(data: FairData, actor: User | None) -> Fair:
    _check(data)
    fair = Fair(slug=_unique_slug(data))
    _apply(fair, data)
    db.session.add(fair)
    db.session.flush()
    record_audit(
        actor, "fair_created", target_type="fair", target_id=fair.id, target_label=fair.slug
    )
    return fair


def update_fair(fair: Fair, data: FairData, actor: User | None) -> Fair:
    _check(data)
    _apply(fair, data)
    db.session.flush()
    record_audit(
        actor, "fair_updated", target_type="fair", target_id=fair.id, target_label=fair.slug
    )
    return fair


# --- stands ---------------------------------------------------------------------------------


def apply_for_stand(
    cooperative: Cooperative, fair: Fair, product_ids: list[int], note: str, actor: User
) -> StandApplication:
    if not cooperative.is_verified:
        raise Forbidden(_l("Only verified cooperatives can apply for a stand."))
    if not open_for_applications(fair):
        raise Conflict(_l("Applications for this fair are closed."))
    if application_for(fair, cooperative.id) is not None:
        raise Conflict(_l("Your cooperative has already applied for a stand at this fair."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_NOTE))
    products = list(
        db.session.scalars(
            select(Product).where(
                Product.id.in_(product_ids or [0]),
                Product.cooperative_id == cooperative.id,
                Product.status == ProductStatus.ACTIVE.value,
            )
        )
    )
    if not products or len(products) != len(set(product_ids)):
        raise InvalidInput(_l("Choose the products you will bring to the fair."))
    application = StandApplication(
        fair=fair, cooperative_id=cooperative.id, note=note, products=products
    )
    db.session.add(application)
    db.session.flush()
    return application


def decide(application: StandApplication, accept: bool, reason: str, actor: User) -> None:
    """Accept or decline a stand application (once); audited, and the cooperative's members
    are told by e-mail in their language."""
    if application.status != StandStatus.PENDING.value:
        raise Conflict(_l("This application was already decided."))
    reason = (reason or "").strip()
    if len(reason) > MAX_NOTE:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=MAX_NOTE))
    fair = application.fair
    if accept and accepted_count(fair) >= fair.max_stands:
        raise Conflict(_l("Every stand of this fair is already taken."))
    new = StandStatus.ACCEPTED if accept else StandStatus.DECLINED
    application.status = new.value
    application.decision_reason = reason
    application.decided_by_id = actor.id
    application.decided_at = utcnow()
    db.session.flush()
    record_audit(
        actor,
        f"stand_{new.value}",
        target_type="cooperative",
        target_id=application.cooperative_id,
        target_label=fair.slug,
        old_value=StandStatus.PENDING.value,
        new_value=new.value,
        reason=reason,
    )
    members = db.session.scalars(
        select(User).where(User.cooperative_id == application.cooperative_id, User.active)
    )
    for member in members:
        queue_mail(
            member.email,
            member.locale,
            "fair_stand_decision",
            _l("Your stand at %(fair)s", fair=fair_name(fair, member.locale)),
            fair=fair,
            fair_label=fair_name(fair, member.locale),
            accepted=accept,
            reason=reason,
            link=external_url("fairs.detail", slug=fair.slug, locale=member.locale),
        )


# --- calendar -------------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 lines of at most 75 octets, continued with a space."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > 75:
            out.append(current.decode("utf-8"))
            current = b" "
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def ics(fair: Fair, locale: str, url: str) -> str:
    """The fair as an all-day iCalendar event (its days in Morocco), in ``locale``."""
    chosen = pick(fair.translations, locale) if fair.translations else None
    place = ", ".join(p for p in (fair.venue, fair.address, fair.city) if p)
    stamp = utcnow().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Souk Draa-Tafilalet//Fairs//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:fair-{fair.id}@souk-draa-tafilalet",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{fair.starts_on:%Y%m%d}",
        f"DTEND;VALUE=DATE:{fair.ends_on + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_ics_text(chosen.name if chosen else fair.slug)}",
        f"DESCRIPTION:{_ics_text((chosen.description if chosen else '') or '')}",
        f"LOCATION:{_ics_text(place)}",
        f"URL:{url}",
    ]
    if fair.latitude and fair.longitude:
        lines.append(f"GEO:{fair.latitude};{fair.longitude}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def starts_at(fair: Fair) -> datetime:
    return datetime.combine(fair.starts_on, time(9), MOROCCO)


# --- collecting orders at the fair -------------------------------------------------------


def _pickup_options(_sender, cooperatives=(), **_kwargs) -> list[Pickup]:
    """Fairs not over yet where every cooperative of the cart has an accepted stand."""
    ids = {c.id for c in cooperatives}
    if not ids:
        return []
    rows = db.session.execute(
        select(Fair.id, func.count(StandApplication.id))
        .join(StandApplication, StandApplication.fair_id == Fair.id)
        .where(
            Fair.ends_on >= today(),
            StandApplication.status == StandStatus.ACCEPTED.value,
            StandApplication.cooperative_id.in_(ids),
        )
        .group_by(Fair.id)
    ).all()
    fair_ids = [fair_id for fair_id, count in rows if count == len(ids)]
    if not fair_ids:
        return []
    fairs = db.session.scalars(
        select(Fair).where(Fair.id.in_(fair_ids)).order_by(Fair.starts_on, Fair.id)
    )
    return [
        Pickup(
            fair_id=f.id,
            name=fair_name(f),
            city=f.city,
            venue=f.venue,
            starts_on=f.starts_on,
            ends_on=f.ends_on,
        )
        for f in fairs
    ]


def fair_orders(fair: Fair, cooperative_id: int) -> list[CooperativeOrder]:
    """The cooperative's sub-orders to hand over at ``fair`` (not cancelled or unpaid)."""
    return list(
        db.session.scalars(
            select(CooperativeOrder)
            .join(Order, Order.id == CooperativeOrder.order_id)
            .where(
                Order.collect_fair_id == fair.id,
                CooperativeOrder.cooperative_id == cooperative_id,
                CooperativeOrder.status.in_(
                    (
                        SubOrderStatus.CONFIRMED.value,
                        SubOrderStatus.SHIPPED.value,
                        SubOrderStatus.DELIVERED.value,
                    )
                ),
            )
            .options(selectinload(CooperativeOrder.lines), selectinload(CooperativeOrder.order))
            .order_by(CooperativeOrder.status, Order.id)
        )
    )


def mark_collected(sub_order: CooperativeOrder, fair: Fair, actor: User) -> None:
    """The shopper took their order at the stand: delivered (and, when paid on collection,
    the cash collected)."""
    if sub_order.order.collect_fair_id != fair.id:
        raise NotFound()
    if sub_order.status == SubOrderStatus.DELIVERED.value:
        raise Conflict(_l("This order was already handed over."))
    note = str(_l("Collected at the fair"))
    if sub_order.status == SubOrderStatus.CONFIRMED.value:
        transition(sub_order, SubOrderStatus.SHIPPED.value, actor, note=note)
    transition(sub_order, SubOrderStatus.DELIVERED.value, actor, note=note)
    if sub_order.order.payment_method == PaymentMethod.CASH_ON_DELIVERY.value:
        from marketplace.payments import services as payments

        payments.mark_cash_collected(sub_order, actor)
