"""Labels and certificates: the admin's list of labels, certificates sent by cooperatives and
verified by admins, what shows publicly on which day, and the reminders before expiry.

Plain functions: no request, no session; they flush and raise DomainErrors; the caller
commits. "Today" is the date in Africa/Casablanca: a certificate whose expiry date is today
no longer shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from marketplace import storage, timeutil
from marketplace.audit import record_audit
from marketplace.catalogue.models import Product
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.i18n import LOCALES, pick
from marketplace.labels.models import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    Label,
    LabelKind,
    LabelTranslation,
    certificate_products,
)
from marketplace.mail import queue_mail

REMINDER_DAYS = (30, 7)  # reminders before expiry, each sent once
EXPIRING_SOON_DAYS = 30  # the admin queue lists certificates expiring within this
MAX_REASON_LENGTH = 2000


# --- labels (admin) -----------------------------------------------------------------------


@dataclass
class LabelData:
    slug: str
    kind: str
    issuing_body: str
    names: dict[str, str]  # locale -> name
    descriptions: dict[str, str]
    position: int = 0


def save_label(label: Label | None, data: LabelData, actor, logo=None) -> Label:
    """Create (``label`` None) or change a label; ``logo`` an uploaded image or None."""
    if data.kind not in {k.value for k in LabelKind}:
        raise InvalidInput(_l("Choose the kind of label."))
    if not any(name.strip() for name in data.names.values()):
        raise InvalidInput(_l("Give the label a name in at least one language."))
    taken = db.session.scalar(
        select(Label.id).where(Label.slug == data.slug, Label.id != (label.id if label else 0))
    )
    if taken:
        raise Conflict(_l("Another label already uses this address."))
    created = label is None
    if label is None:
        label = Label()
        db.session.add(label)
    label.slug = data.slug
    label.kind = data.kind
    label.issuing_body = data.issuing_body.strip()
    label.position = data.position
    existing = {t.locale: t for t in label.translations}
    for code in LOCALES:
        name = (data.names.get(code) or "").strip()
        description = (data.descriptions.get(code) or "").strip()
        if name:
            translation = existing.get(code)
            if translation is None:
                translation = LabelTranslation(locale=code, name=name)
                label.translations.append(translation)
            translation.name, translation.description = name, description
        elif code in existing:
            label.translations.remove(existing[code])
    if logo is not None:
        stored = storage.save_image(logo, "logo")
        label.logo_name, label.logo_width, label.logo_height = (
            stored.name,
            stored.width,
            stored.height,
        )
    db.session.flush()
    record_audit(
        actor,
        "label.created" if created else "label.changed",
        target_type="label",
        target_id=label.id,
        target_label=label.slug,
    )
    return label


def delete_label(label: Label, actor) -> None:
    """Remove a label no certificate refers to (audited)."""
    used = db.session.scalar(select(Certificate.id).where(Certificate.label_id == label.id))
    if used is not None:
        raise Conflict(_l("Certificates refer to this label: it cannot be deleted."))
    record_audit(
        actor, "label.deleted", target_type="label", target_id=label.id, target_label=label.slug
    )
    db.session.delete(label)
    db.session.flush()


def all_labels() -> list[Label]:
    return list(db.session.scalars(select(Label).order_by(Label.position, Label.id)))


def label_by_slug(slug: str) -> Label | None:
    return db.session.scalar(select(Label).where(Label.slug == slug))


def label_choices(locale: str) -> list[tuple[str, str]]:
    """(id, name in ``locale``) of every label."""
    return [
        (str(label.id), pick(label.translations, locale).name or label.slug)
        for label in all_labels()
    ]


# --- certificates (cooperative) ------------------------------------------------------------


@dataclass
class CertificateData:
    label_id: int
    number: str
    issuing_body: str
    issued_on: date
    expires_on: date
    for_cooperative: bool
    product_ids: list[int]


def submit_certificate(cooperative, member, data: CertificateData, document) -> Certificate:
    """A certificate sent by a member of ``cooperative``; waits for an admin's decision."""
    if not cooperative.is_verified:
        raise Forbidden()
    label = db.session.get(Label, data.label_id)
    if label is None:
        raise InvalidInput(_l("Choose a label."))
    if data.expires_on <= data.issued_on:
        raise InvalidInput(_l("The expiry date must come after the date of issue."))
    if data.expires_on <= timeutil.today():
        raise InvalidInput(_l("This certificate has already expired."))
    products: list[Product] = []
    if data.product_ids:
        products = list(
            db.session.scalars(
                select(Product).where(
                    Product.id.in_(data.product_ids), Product.cooperative_id == cooperative.id
                )
            )
        )
        if len(products) != len(set(data.product_ids)):
            raise NotFound()  # another cooperative's product: it does not exist for them
    if not data.for_cooperative and not products:
        raise InvalidInput(_l("Choose the products this certificate covers, or the cooperative."))
    if document is None or not getattr(document, "filename", ""):
        raise InvalidInput(_l("Attach the certificate document."))
    stored = storage.save_document(document)
    certificate = Certificate(
        cooperative_id=cooperative.id,
        label_id=label.id,
        for_cooperative=data.for_cooperative,
        number=data.number.strip(),
        issuing_body=data.issuing_body.strip() or label.issuing_body,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        original_name=stored.original_name,
        status=CertificateStatus.PENDING.value,
    )
    certificate.products = products
    db.session.add(certificate)
    db.session.flush()
    return certificate


def certificate_for_cooperative(certificate_id: int, cooperative_id: int | None) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.cooperative_id != cooperative_id:
        raise NotFound()
    return certificate


def cooperative_certificates(cooperative_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.cooperative_id == cooperative_id)
            .order_by(Certificate.expires_on.desc(), Certificate.id.desc())
        )
    )


# --- verification (admin) ------------------------------------------------------------------

DECISIONS = {"approve": CertificateStatus.APPROVED, "reject": CertificateStatus.REJECTED}


def decide_certificate(certificate: Certificate, admin, action: str, reason: str = "") -> None:
    """Approve or reject (with a reason) a certificate; audited."""
    new = DECISIONS.get(action)
    if new is None:
        raise InvalidInput()
    reason = (reason or "").strip()
    if new is CertificateStatus.REJECTED and not reason:
        raise InvalidInput(_l("Say why the certificate is rejected."))
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(_l("The reason is too long."))
    old = certificate.status
    if old == new.value:
        raise Conflict(_l("This certificate already has this status."))
    certificate.status = new.value
    certificate.reason = reason if new is CertificateStatus.REJECTED else ""
    certificate.decided_at = timeutil.utcnow()
    certificate.decided_by_id = getattr(admin, "id", None)
    db.session.flush()
    record_audit(
        admin,
        f"certificate.{new.value}",
        target_type="certificate",
        target_id=certificate.id,
        target_label=certificate.number,
        old_value=old,
        new_value=new.value,
        reason=reason,
        cooperative_id=certificate.cooperative_id,
    )
    _tell_cooperative(certificate)


def _tell_cooperative(certificate: Certificate) -> None:
    from marketplace.orders.notifications import absolute_url, cooperative_recipients

    for email, locale in cooperative_recipients(certificate.cooperative_id):
        queue_mail(
            email,
            locale,
            "certificate_decided",
            _l("Your certificate %(number)s", number=certificate.number),
            certificate=certificate,
            label_name=pick(certificate.label.translations, locale).name,
            url=absolute_url("labels.seller_certificates", locale=locale),
        )


def admin_queue(day: date) -> tuple[list[Certificate], list[Certificate]]:
    """Certificates waiting for a decision, and approved ones expiring within 30 days."""
    pending = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.status == CertificateStatus.PENDING.value)
            .order_by(Certificate.created_at, Certificate.id)
        )
    )
    expiring = list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.status == CertificateStatus.APPROVED.value,
                Certificate.expires_on > day,
                Certificate.expires_on <= day + timedelta(days=EXPIRING_SOON_DAYS),
            )
            .order_by(Certificate.expires_on, Certificate.id)
        )
    )
    return pending, expiring


# --- what shows publicly -------------------------------------------------------------------


def valid_condition(day: date):
    """Certificates that show on ``day``: approved, issued, not yet expired."""
    return and_(
        Certificate.status == CertificateStatus.APPROVED.value,
        Certificate.issued_on <= day,
        Certificate.expires_on > day,
    )


@dataclass(frozen=True)
class Badge:
    label_id: int
    slug: str
    kind: str
    name: str
    locale: str | None  # set when the name is in another language than the page's
    expires_on: date


def _badge(label: Label, expires_on: date, locale: str) -> Badge:
    picked = pick(label.translations, locale)
    return Badge(
        label_id=label.id,
        slug=label.slug,
        kind=label.kind,
        name=picked.name or label.slug,
        locale=picked.locale if picked.fallback else None,
        expires_on=expires_on,
    )


def badges(
    product_ids: Sequence[int],
    cooperative_ids: Sequence[int],
    locale: str,
    day: date | None = None,
) -> tuple[dict[int, list[Badge]], dict[int, list[Badge]]]:
    """Badges of valid certificates: ({product id: [Badge]}, {cooperative id: [Badge]}), the
    products' from certificates covering them, the cooperatives' from those they hold
    themselves. One query (labels' texts come with it), whatever the number of ids."""
    if not product_ids and not cooperative_ids:
        return {}, {}
    day = day or timeutil.today()
    by_product = (
        select(
            literal("p").label("owner_kind"),
            certificate_products.c.product_id.label("owner_id"),
            Certificate.label_id,
            Certificate.expires_on,
        )
        .join(Certificate, Certificate.id == certificate_products.c.certificate_id)
        .where(certificate_products.c.product_id.in_(list(product_ids)), valid_condition(day))
    )
    by_cooperative = select(
        literal("c").label("owner_kind"),
        Certificate.cooperative_id.label("owner_id"),
        Certificate.label_id,
        Certificate.expires_on,
    ).where(
        Certificate.cooperative_id.in_(list(cooperative_ids)),
        Certificate.for_cooperative.is_(True),
        valid_condition(day),
    )
    rows = union_all(by_product, by_cooperative).subquery()
    found = db.session.execute(
        select(rows.c.owner_kind, rows.c.owner_id, Label, rows.c.expires_on)
        .join(Label, Label.id == rows.c.label_id)
        .order_by(Label.position, Label.id)
    ).all()
    result: dict[str, dict[int, dict[int, Badge]]] = {"p": {}, "c": {}}
    for kind, owner_id, label, expires_on in found:
        per = result[kind].setdefault(owner_id, {})
        if label.id not in per or per[label.id].expires_on < expires_on:
            per[label.id] = _badge(label, expires_on, locale)
    return (
        {owner: list(per.values()) for owner, per in result["p"].items()},
        {owner: list(per.values()) for owner, per in result["c"].items()},
    )


def product_badges(product_ids: Sequence[int], locale: str, day: date | None = None) -> dict:
    return badges(product_ids, (), locale, day)[0]


def cooperative_badges(cooperative_id: int, locale: str, day: date | None = None) -> list[Badge]:
    """Labels a cooperative holds itself (valid certificates for the cooperative)."""
    return badges((), (cooperative_id,), locale, day)[1].get(cooperative_id, [])


def label_holders(label: Label, day: date | None = None) -> tuple[list[int], list[int]]:
    """Ids of the products (covered by a valid certificate of ``label``) and of the
    cooperatives holding a valid certificate of it."""
    day = day or timeutil.today()
    product_ids = list(
        db.session.scalars(
            select(certificate_products.c.product_id)
            .join(Certificate, Certificate.id == certificate_products.c.certificate_id)
            .where(Certificate.label_id == label.id, valid_condition(day))
            .distinct()
        )
    )
    cooperative_ids = list(
        db.session.scalars(
            select(Certificate.cooperative_id)
            .where(Certificate.label_id == label.id, valid_condition(day))
            .distinct()
        )
    )
    return product_ids, cooperative_ids


def products_with_label_condition(label_id: int, day: date | None = None):
    """A condition on Product: covered by a valid certificate of the label."""
    day = day or timeutil.today()
    return Product.id.in_(
        select(certificate_products.c.product_id)
        .join(Certificate, Certificate.id == certificate_products.c.certificate_id)
        .where(Certificate.label_id == label_id, valid_condition(day))
    )


def _product_visibility(_sender, **_kwargs):
    """Receiver of ``signals.product_visibility``: the sanitary rule (None when off)."""
    return sanitary_visibility_condition()


def sanitary_visibility_condition():
    """With HIDE_FOOD_WITHOUT_SANITARY: a product that needed a sanitary authorisation (it
    had one, for itself or its cooperative) shows only while one is valid. None when off."""
    if not current_app.config.get("HIDE_FOOD_WITHOUT_SANITARY"):
        return None
    day = timeutil.today()
    sanitary = select(Label.id).where(Label.kind == LabelKind.SANITARY.value)
    covers = or_(
        exists()
        .where(
            certificate_products.c.certificate_id == Certificate.id,
            certificate_products.c.product_id == Product.id,
        )
        .correlate_except(certificate_products),
        and_(
            Certificate.for_cooperative.is_(True),
            Certificate.cooperative_id == Product.cooperative_id,
        ),
    )
    approved = and_(
        Certificate.label_id.in_(sanitary),
        Certificate.status == CertificateStatus.APPROVED.value,
        covers,
    )
    had_one = exists(select(Certificate.id).where(approved).correlate(Product))
    has_valid = exists(
        select(Certificate.id).where(approved, valid_condition(day)).correlate(Product)
    )
    return or_(~had_one, has_valid)


# --- reminders -----------------------------------------------------------------------------


def due_reminders(day: date) -> list[tuple[Certificate, int]]:
    """(certificate, days) for each approved certificate that is within a reminder's window
    (the 30-day one until 7 days are left, then the 7-day one) and was not yet reminded."""
    horizon = day + timedelta(days=max(REMINDER_DAYS))
    certificates = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.status == CertificateStatus.APPROVED.value,
            Certificate.expires_on > day,
            Certificate.expires_on <= horizon,
        )
        .order_by(Certificate.expires_on, Certificate.id)
    ).all()
    sent = {
        (row.certificate_id, row.expires_on, row.days_before)
        for row in db.session.scalars(
            select(CertificateReminder).where(
                CertificateReminder.certificate_id.in_([c.id for c in certificates])
            )
        )
    }
    due = []
    for certificate in certificates:
        left = (certificate.expires_on - day).days
        window = min(d for d in REMINDER_DAYS if d >= left)
        if (certificate.id, certificate.expires_on, window) not in sent:
            due.append((certificate, window))
    return due


def send_reminders(day: date | None = None) -> int:
    """Send each due reminder once; returns how many were sent. Safe to run repeatedly and
    concurrently: a reminder is recorded (unique per certificate, expiry date and window)
    in a savepoint before its e-mail is queued; whoever loses the race skips it."""
    from marketplace.notify import services as notify
    from marketplace.notify.models import NoticeKind
    from marketplace.orders.notifications import absolute_url, cooperative_recipients

    day = day or timeutil.today()
    count = 0
    for certificate, days in due_reminders(day):
        try:
            with db.session.begin_nested():
                db.session.add(
                    CertificateReminder(
                        certificate_id=certificate.id,
                        expires_on=certificate.expires_on,
                        days_before=days,
                    )
                )
        except IntegrityError:
            continue  # another run sent it
        notify.notify_cooperative(
            certificate.cooperative_id,
            NoticeKind.CERTIFICATE,
            "certificate_expiring",
            number=certificate.number,
            endpoint="labels.seller_certificates",
            values={},
        )
        for email, locale in cooperative_recipients(
            certificate.cooperative_id, NoticeKind.CERTIFICATE
        ):
            queue_mail(
                email,
                locale,
                "certificate_expiring",
                _l("Your certificate %(number)s expires soon", number=certificate.number),
                certificate=certificate,
                label_name=pick(certificate.label.translations, locale).name,
                days_left=(certificate.expires_on - day).days,
                url=absolute_url("labels.seller_certificates", locale=locale),
            )
        count += 1
    return count


def label_facets(locale: str) -> list[tuple[str, str, int]]:
    """(slug, name in ``locale``, id) of every label, for the catalogue's filter."""
    return [
        (label.slug, pick(label.translations, locale).name or label.slug, label.id)
        for label in all_labels()
    ]
