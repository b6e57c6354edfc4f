"""Helpers of the labels and reviews tests: labels, certificates (approved or not), a
delivered sub-order of a shopper, and the world's trust objects."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from werkzeug.datastructures import FileStorage

from marketplace.extensions import db
from marketplace.labels.models import Certificate, CertificateStatus, Label, LabelTranslation
from tests.world import PDF_BYTES, place_cod_order


def pdf_upload(name: str = "certificate.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(PDF_BYTES), filename=name)


def make_label(slug: str = "igp-dattes-majhoul", kind: str = "origin", **names) -> Label:
    names = names or {
        "fr": "IGP Dattes Majhoul de Tafilalet",
        "ar": "تمر المجهول تافيلالت (بيان جغرافي محمي)",
        "en": "PGI Majhoul dates of Tafilalet",
    }
    label = Label(slug=slug, kind=kind, issuing_body="Ministère de l'Agriculture")
    for locale, name in names.items():
        label.translations.append(
            LabelTranslation(locale=locale, name=name, description=f"{name}: description")
        )
    db.session.add(label)
    db.session.commit()
    return label


def make_certificate(
    cooperative,
    label,
    *,
    products=(),
    for_cooperative: bool = False,
    expires_on: date,
    issued_on: date | None = None,
    status: str = CertificateStatus.APPROVED.value,
    number: str = "IGP-2024-0042",
) -> Certificate:
    from marketplace import storage

    stored = storage.save_document(pdf_upload())
    certificate = Certificate(
        cooperative_id=cooperative.id,
        label_id=label.id,
        for_cooperative=for_cooperative,
        number=number,
        issuing_body="ONSSA",
        issued_on=issued_on or expires_on - timedelta(days=365),
        expires_on=expires_on,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        original_name=stored.original_name,
        status=status,
    )
    certificate.products = list(products)
    db.session.add(certificate)
    db.session.commit()
    return certificate


def delivered_sub_order(shopper, product, member, quantity: int = 1):
    """A cash-on-delivery order of ``shopper`` for ``product``, shipped and delivered by
    ``member`` (a member of the product's cooperative)."""
    from marketplace.orders.status import transition

    order = place_cod_order(shopper, product, quantity)
    sub = order.sub_orders[0]
    transition(sub, "shipped", member, carrier="Amana", tracking_number="AM9")
    transition(sub, "delivered", member)
    db.session.commit()
    return sub


def freeze(monkeypatch, moment: datetime) -> None:
    """Move the clock the labels and reviews read (``timeutil.utcnow``)."""
    from marketplace import timeutil

    monkeypatch.setattr(timeutil, "utcnow", lambda: moment)


def add_trust_objects(w) -> None:
    """A label with an approved certificate of cooperative A, and shopper A's review of
    product A (from the world's delivered cash order)."""
    from marketplace.reviews import services as reviews
    from marketplace.timeutil import today

    label = make_label()
    w.extra["label"] = label
    w.extra["certificate_a"] = make_certificate(
        w.coop_a, label, products=[w.product_a], expires_on=today() + timedelta(days=200)
    )
    sub = w.extra["order_a_cash"].sub_orders[0]
    w.extra["review_a"] = reviews.save_review(
        w.shopper_a, sub.id, w.product_a.id, reviews.ReviewData(rating=4, body="Très bonnes")
    )
    w.extra["review_sub_order_a"] = sub
    db.session.commit()
