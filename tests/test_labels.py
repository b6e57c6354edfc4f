"""Labels and certificates (issue #17): admins list labels; a cooperative sends certificates
that admins verify (approve, or reject with a reason, audited); the badge shows on cards and
product pages only while a verified certificate is valid (the day it expires, it is gone:
time frozen); reminders 30 and 7 days before, each sent once; the label page and the
catalogue filter; food whose sanitary authorisation expired hidden when configured."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import timeutil
from marketplace.audit import AuditLogEntry
from marketplace.extensions import db
from marketplace.labels import services
from marketplace.labels.models import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    Label,
)
from tests.factories import AdminFactory, CooperativeFactory, MemberFactory, ProductFactory
from tests.helpers import login, post_form
from tests.trust_support import freeze, make_certificate, make_label, pdf_upload

EXPIRY = date(2026, 6, 15)
# Casablanca is UTC+1 (outside Ramadan): 23:30 UTC on the 14th is already the 15th there.
DAY_BEFORE = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)
EXPIRY_DAY_IN_MOROCCO = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
BADGE = '<a class="label-badge label-origin" href="/en/labels/igp-dattes-majhoul">'


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (20, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def labelled_product(**certificate):
    product = ProductFactory(slug="majhoul", names={"en": "Majhoul dates", "fr": "Dattes Majhoul"})
    label = make_label()
    cert = make_certificate(product.cooperative, label, products=[product], **certificate)
    return product, label, cert


# --- labels (admin) --------------------------------------------------------------------------


def test_an_admin_lists_a_label_with_its_logo_and_its_page_explains_it(client):
    admin = AdminFactory()
    login(client, admin)
    response = post_form(
        client,
        "/en/admin/labels/new",
        {
            "slug": "igp-rose-kelaat-mgouna",
            "kind": "origin",
            "issuing_body": "Ministère de l'Agriculture",
            "position": "1",
            "name_fr": "IGP Rose de Kelaat M'Gouna-Dadès",
            "name_ar": "وردة قلعة مكونة-دادس",
            "name_en": "PGI Rose of Kelaat M'Gouna-Dadès",
            "description_en": "Damask roses grown in the Dadès valley.",
            "logo": (io.BytesIO(jpeg_bytes()), "logo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303)
    label = db.session.scalar(select(Label).where(Label.slug == "igp-rose-kelaat-mgouna"))
    assert label.logo_name and {t.locale for t in label.translations} == {"ar", "fr", "en"}
    entry = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "label.created"))
    assert entry.actor_id == admin.id
    page = html_of(client, "/en/labels/igp-rose-kelaat-mgouna")
    assert "PGI Rose of Kelaat M&#39;Gouna-Dadès" in page
    assert "Damask roses grown in the Dadès valley." in page
    assert "وردة قلعة مكونة-دادس" in html_of(client, "/ar/labels/igp-rose-kelaat-mgouna")
    html_of(client, "/en/labels/no-such-label", 404)


def test_a_label_address_is_unique_and_well_formed(client):
    make_label(slug="bio")
    login(client, AdminFactory())
    taken = post_form(
        client, "/en/admin/labels/new", {"slug": "bio", "kind": "organic", "name_fr": "Bio"}
    )
    assert "Another label already uses this address." in taken.get_data(as_text=True)
    bad = post_form(
        client, "/en/admin/labels/new", {"slug": "Bio Maroc!", "kind": "organic", "name_fr": "Bio"}
    )
    assert "Use lower-case letters, digits and dashes only." in bad.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Label.id))) == 1


# --- certificates: sending and verifying ------------------------------------------------------


def send_certificate(client, product, label, **overrides):
    data = {
        "label": str(label.id),
        "number": "IGP-DM-2026-017",
        "issuing_body": "",
        "issued_on": "2026-01-10",
        "expires_on": "2027-01-10",
        "products": [str(product.id)],
        "document": (pdf_upload(), "certificat.pdf"),
    }
    data.update(overrides)
    data["document"] = (io.BytesIO(data["document"][0].read()), data["document"][1])
    return post_form(
        client,
        "/en/dashboard/certificates/new",
        data,
        content_type="multipart/form-data",
    )


def test_a_certificate_shows_only_once_an_admin_approved_it(app, client, monkeypatch, outbox):
    freeze(monkeypatch, DAY_BEFORE)
    product = ProductFactory(slug="majhoul", names={"en": "Majhoul dates"})
    member = MemberFactory(cooperative=product.cooperative, locale="ar")
    label = make_label()
    login(client, member)
    response = send_certificate(client, product, label)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    certificate = db.session.scalar(select(Certificate))
    assert certificate.status == CertificateStatus.PENDING.value
    assert certificate.issuing_body == label.issuing_body  # the label's by default
    assert [p.id for p in certificate.products] == [product.id]
    visitor = app.test_client()
    assert "PGI Majhoul dates of Tafilalet" not in html_of(visitor, "/en/products/majhoul")

    admin = AdminFactory()
    admin_client = app.test_client()
    login(admin_client, admin)
    queue = html_of(admin_client, "/en/admin/certificates")
    assert "IGP-DM-2026-017" in queue
    decided = post_form(
        admin_client,
        f"/en/admin/certificates/{certificate.id}/decide",
        {"action": "approve"},
        form_url=f"/en/admin/certificates/{certificate.id}",
    )
    assert decided.status_code in (302, 303)
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.APPROVED.value
    entry = db.session.scalar(
        select(AuditLogEntry).where(AuditLogEntry.action == "certificate.approved")
    )
    assert (entry.actor_id, entry.target_id, entry.old_value) == (
        admin.id,
        certificate.id,
        "pending",
    )
    # The badge, with its text, on the product page and on the product's card.
    page = html_of(visitor, "/en/products/majhoul")
    assert 'class="label-badge label-origin"' in page and "PGI Majhoul dates of Tafilalet" in page
    card = html_of(visitor, "/en/products")
    assert BADGE in card and "PGI Majhoul dates of Tafilalet</a>" in card
    assert "تمر المجهول تافيلالت" in html_of(visitor, "/ar/products")
    assert "IGP Dattes Majhoul de Tafilalet" in html_of(visitor, "/fr/products")
    # The cooperative was told, in its member's language.
    told = [m for m in outbox() if m["To"] == member.email]
    assert told and "IGP-DM-2026-017" in told[-1]["Subject"]


def test_a_rejection_says_why_and_is_audited(app, client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    _, _, certificate = labelled_product(
        expires_on=EXPIRY + timedelta(days=300), status=CertificateStatus.PENDING.value
    )
    admin = AdminFactory()
    login(client, admin)
    url = f"/en/admin/certificates/{certificate.id}"
    refused = post_form(client, f"{url}/decide", {"action": "reject"}, form_url=url)
    assert refused.status_code in (302, 303)
    db.session.refresh(certificate)
    assert certificate.status == CertificateStatus.PENDING.value  # no reason: nothing changed
    post_form(client, f"{url}/decide", {"action": "reject", "reason": "Illisible"}, form_url=url)
    db.session.refresh(certificate)
    assert (certificate.status, certificate.reason) == ("rejected", "Illisible")
    entry = db.session.scalar(
        select(AuditLogEntry).where(AuditLogEntry.action == "certificate.rejected")
    )
    assert entry.reason == "Illisible" and entry.actor_id == admin.id
    assert "PGI Majhoul" not in html_of(app.test_client(), "/en/products/majhoul")


def test_the_document_is_checked_like_verification_documents(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    product = ProductFactory()
    login(client, MemberFactory(cooperative=product.cooperative))
    label = make_label()
    fake = send_certificate(
        client, product, label, document=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")
    )
    assert "Only PDF, JPEG and PNG documents are accepted." in fake.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Certificate.id))) == 0


def test_a_cooperative_cannot_certify_another_cooperatives_product(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    theirs = ProductFactory()
    mine = ProductFactory()
    login(client, MemberFactory(cooperative=mine.cooperative))
    response = send_certificate(client, theirs, make_label())
    assert "Choose among your products." in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Certificate.id))) == 0


def test_dates_are_checked(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    product = ProductFactory()
    login(client, MemberFactory(cooperative=product.cooperative))
    label = make_label()
    backwards = send_certificate(client, product, label, expires_on="2025-01-01")
    assert "The expiry date must come after the date of issue." in backwards.get_data(as_text=True)
    expired = send_certificate(
        client, product, label, issued_on="2025-01-01", expires_on="2026-06-01"
    )
    assert "This certificate has already expired." in expired.get_data(as_text=True)


def test_the_documents_are_for_the_cooperative_and_admins_only(app, client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    product, _, certificate = labelled_product(expires_on=EXPIRY)
    url = f"/en/certificates/{certificate.id}/document"
    login(client, MemberFactory(cooperative=product.cooperative))
    assert client.get(url).status_code == 200
    other = app.test_client()
    login(other, MemberFactory(cooperative=CooperativeFactory()))
    assert other.get(url).status_code == 404


# --- expiry (time frozen) ------------------------------------------------------------------


def test_the_badge_disappears_on_the_expiry_day_in_morocco(app, client, monkeypatch):
    labelled_product(expires_on=EXPIRY)
    freeze(monkeypatch, DAY_BEFORE)
    assert BADGE in html_of(client, "/en/products/majhoul")
    assert BADGE in html_of(client, "/en/products")
    freeze(monkeypatch, EXPIRY_DAY_IN_MOROCCO)  # still the 14th in UTC
    assert BADGE not in html_of(client, "/en/products/majhoul")
    assert BADGE not in html_of(client, "/en/products")
    assert "Majhoul dates" in html_of(client, "/en/products")  # the product itself stays


def test_a_certificate_not_yet_issued_shows_no_badge(client, monkeypatch):
    labelled_product(expires_on=EXPIRY + timedelta(days=400), issued_on=EXPIRY)
    freeze(monkeypatch, DAY_BEFORE)
    assert "PGI Majhoul dates of Tafilalet" not in html_of(client, "/en/products/majhoul")


def test_cached_cards_follow_the_day(app, cached, client, monkeypatch):
    labelled_product(expires_on=EXPIRY)
    login(client, MemberFactory())  # served the cached cards, not a cached page
    freeze(monkeypatch, DAY_BEFORE)
    assert BADGE in html_of(client, "/en/products?sort=price_asc")
    freeze(monkeypatch, EXPIRY_DAY_IN_MOROCCO)
    assert BADGE not in html_of(client, "/en/products?sort=price_asc")


# --- reminders --------------------------------------------------------------------------------


def reminders_to(outbox, email):
    return [m for m in outbox() if m["To"] == email]


def test_reminders_30_and_7_days_before_are_sent_once_each(app, monkeypatch, outbox):
    product, _, certificate = labelled_product(expires_on=EXPIRY)
    member = MemberFactory(cooperative=product.cooperative, locale="fr")
    runner = app.test_cli_runner()

    def remind_on(day: date) -> str:
        freeze(monkeypatch, datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))
        result = runner.invoke(args=["labels", "remind"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "reminders sent: 0" in remind_on(EXPIRY - timedelta(days=31))
    assert "reminders sent: 1" in remind_on(EXPIRY - timedelta(days=30))
    assert "reminders sent: 0" in remind_on(EXPIRY - timedelta(days=30))  # again: nothing
    assert "reminders sent: 0" in remind_on(EXPIRY - timedelta(days=12))
    assert "reminders sent: 1" in remind_on(EXPIRY - timedelta(days=6))  # a missed day: caught up
    assert "reminders sent: 0" in remind_on(EXPIRY - timedelta(days=5))
    assert "reminders sent: 0" in remind_on(EXPIRY)  # expired: no more
    mails = reminders_to(outbox, member.email)
    assert len(mails) == 2
    assert "IGP-2024-0042" in mails[0]["Subject"]
    body = mails[0].get_payload(decode=True).decode() if not mails[0].is_multipart() else ""
    assert "30" in body or mails[0].is_multipart()
    rows = db.session.scalars(select(CertificateReminder)).all()
    assert sorted(r.days_before for r in rows) == [7, 30]
    assert all(r.certificate_id == certificate.id for r in rows)


def test_a_reminder_is_in_the_members_language(app, monkeypatch, outbox):
    product, _, _ = labelled_product(expires_on=EXPIRY)
    member = MemberFactory(cooperative=product.cooperative, locale="en")
    freeze(monkeypatch, datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    assert services.send_reminders() == 1
    db.session.commit()
    (mail,) = reminders_to(outbox, member.email)
    assert mail["Subject"] == "Your certificate IGP-2024-0042 expires soon"


def test_a_reminder_sent_meanwhile_by_another_run_is_not_sent_again(app, monkeypatch, outbox):
    """Two runs at once: both found the reminder due; the second to record it skips it."""
    product, _, certificate = labelled_product(expires_on=EXPIRY)
    MemberFactory(cooperative=product.cooperative)
    freeze(monkeypatch, datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    stale = services.due_reminders(timeutil.today())
    db.session.add(
        CertificateReminder(certificate_id=certificate.id, expires_on=EXPIRY, days_before=30)
    )
    db.session.commit()
    monkeypatch.setattr(services, "due_reminders", lambda day: stale)
    assert services.send_reminders() == 0
    db.session.commit()
    assert outbox() == []
    with pytest.raises(IntegrityError):
        db.session.add(
            CertificateReminder(certificate_id=certificate.id, expires_on=EXPIRY, days_before=30)
        )
        db.session.flush()
    db.session.rollback()


def test_a_renewed_certificate_is_reminded_again_before_its_new_expiry(app, monkeypatch):
    product, _, certificate = labelled_product(expires_on=EXPIRY)
    MemberFactory(cooperative=product.cooperative)
    freeze(monkeypatch, datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    assert services.send_reminders() == 1
    certificate.expires_on = EXPIRY + timedelta(days=365)
    db.session.commit()
    freeze(monkeypatch, datetime(2027, 5, 20, 9, 0, tzinfo=UTC))
    assert services.send_reminders() == 1


def test_the_admin_queue_lists_certificates_expiring_soon(client, monkeypatch):
    product, _, soon = labelled_product(expires_on=EXPIRY, number="SOON-1")
    make_certificate(
        product.cooperative,
        soon.label,
        products=[product],
        expires_on=EXPIRY + timedelta(days=90),
        number="LATER-1",
    )
    freeze(monkeypatch, datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    login(client, AdminFactory())
    page = html_of(client, "/en/admin/certificates")
    expiring = page.split("Expiring within 30 days", 1)[1]
    assert "SOON-1" in expiring and "14 days left" in expiring
    assert "LATER-1" not in page


# --- label page and catalogue filter ---------------------------------------------------------


def test_the_label_page_lists_the_products_and_cooperatives_holding_it(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    product, label, _ = labelled_product(expires_on=EXPIRY)
    expired = ProductFactory(slug="old", names={"en": "Old dates"})
    make_certificate(expired.cooperative, label, products=[expired], expires_on=DAY_BEFORE.date())
    CooperativeFactory(slug="bystander", names={"en": "Bystander"})
    page = html_of(client, f"/en/labels/{label.slug}")
    assert "Majhoul dates" in page and "Old dates" not in page
    assert f'href="/en/cooperatives/{product.cooperative.slug}"' in page
    assert f'href="/en/cooperatives/{expired.cooperative.slug}"' not in page
    assert "PGI Majhoul dates of Tafilalet" in html_of(client, "/en/labels")


def test_the_catalogue_filters_by_label(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    _, label, _ = labelled_product(expires_on=EXPIRY)
    ProductFactory(slug="plain", names={"en": "Plain dates"})
    expired = ProductFactory(slug="old", names={"en": "Old dates"})
    make_certificate(expired.cooperative, label, products=[expired], expires_on=DAY_BEFORE.date())
    everything = html_of(client, "/en/products")
    assert f'<option value="{label.slug}">' in everything
    filtered = html_of(client, f"/en/products?label={label.slug}")
    assert "Majhoul dates" in filtered
    assert "Plain dates" not in filtered and "Old dates" not in filtered
    unknown = html_of(client, "/en/products?label=nonexistent")
    assert "Some filters were not applied" in unknown and "Plain dates" in unknown


def test_the_product_page_carries_the_label_in_json_ld(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    labelled_product(expires_on=EXPIRY)
    page = html_of(client, "/en/products/majhoul")
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["@type"] == "Product"
    (certification,) = data["hasCertification"]
    assert certification["name"] == "PGI Majhoul dates of Tafilalet"
    assert certification["expires"] == "2026-06-15"


def test_the_cooperatives_own_certificates_show_on_its_product_pages(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    product = ProductFactory(slug="majhoul")
    onssa = make_label(slug="onssa", kind="sanitary", en="ONSSA sanitary authorisation")
    make_certificate(product.cooperative, onssa, for_cooperative=True, expires_on=EXPIRY)
    page = html_of(client, "/en/products/majhoul")
    assert "The cooperative holds" in page and "ONSSA sanitary authorisation" in page


# --- food without a valid sanitary authorisation -------------------------------------------------


def test_food_whose_sanitary_authorisation_expired_can_be_hidden(app, client, monkeypatch):
    product = ProductFactory(slug="amlou", names={"en": "Amlou"})
    ProductFactory(slug="carpet", names={"en": "Carpet"})  # never needed one
    onssa = make_label(slug="onssa", kind="sanitary", en="ONSSA sanitary authorisation")
    certificate = make_certificate(
        product.cooperative, onssa, products=[product], expires_on=EXPIRY
    )
    freeze(monkeypatch, datetime(2026, 6, 20, 9, 0, tzinfo=UTC))  # expired
    assert "Amlou" in html_of(client, "/en/products")  # the setting is off by default
    monkeypatch.setitem(app.config, "HIDE_FOOD_WITHOUT_SANITARY", True)
    listing = html_of(client, "/en/products")
    assert "Amlou" not in listing and "Carpet" in listing
    html_of(client, "/en/products/amlou", 404)
    # Renewed and verified: back on sale.
    make_certificate(
        product.cooperative, onssa, products=[product], expires_on=date(2027, 6, 15), number="R2"
    )
    assert "Amlou" in html_of(client, "/en/products")
    assert certificate.id


# --- demo data --------------------------------------------------------------------------------


def test_the_demo_has_the_regions_labels_verified_certificates_and_reviews(app, client):
    from marketplace.reviews.models import Review

    for _ in range(2):  # idempotent
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    slugs = set(db.session.scalars(select(Label.slug)))
    assert {
        "igp-dattes-majhoul-tafilalet",
        "igp-rose-kelaat-mgouna-dades",
        "igp-pomme-midelt",
    } <= slugs
    assert {"onssa-autorisation-sanitaire", "bio-maroc"} <= slugs
    certificates = db.session.scalars(select(Certificate)).all()
    assert len(certificates) == 6
    assert all(c.status == CertificateStatus.APPROVED.value for c in certificates)
    day = timeutil.today()
    assert sum(day < c.expires_on <= day + timedelta(days=30) for c in certificates) == 1
    reviews = db.session.scalars(select(Review)).all()
    assert {r.locale for r in reviews} == {"ar", "fr", "en"} and len(reviews) == 7
    page = html_of(client, "/fr/products/mejhoul-dates-extra")
    assert "IGP Dattes Majhoul de Tafilalet" in page and "(3 avis)" in page  # French page


@pytest.mark.postgres
def test_postgres_reminder_runs_at_the_same_moment_send_each_reminder_once(
    app, monkeypatch, outbox
):
    """Four `flask labels remind` at once (threads, each its own connection): one e-mail."""
    import threading

    product, _, _ = labelled_product(expires_on=EXPIRY)
    member = MemberFactory(cooperative=product.cooperative)
    freeze(monkeypatch, datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    db.session.commit()
    barrier = threading.Barrier(4)
    results: list = [None] * 4

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = services.send_reminders()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                db.session.rollback()
                results[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 1], results
    assert len(reminders_to(outbox, member.email)) == 1
    assert db.session.scalar(select(db.func.count(CertificateReminder.id))) == 1


def test_an_approval_shows_at_once_on_cached_cards(app, cached, client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    _, _, certificate = labelled_product(expires_on=EXPIRY, status=CertificateStatus.PENDING.value)
    login(client, MemberFactory())  # served the cached cards, not a cached page
    assert BADGE not in html_of(client, "/en/products")
    services.decide_certificate(certificate, AdminFactory(), "approve")
    db.session.commit()
    assert BADGE in html_of(client, "/en/products")


def test_an_admin_deletes_a_label_only_while_no_certificate_refers_to_it(client, monkeypatch):
    freeze(monkeypatch, DAY_BEFORE)
    _, used, _ = labelled_product(expires_on=EXPIRY)
    unused = make_label(slug="unused", en="Unused")
    login(client, AdminFactory())
    refused = post_form(
        client,
        f"/en/admin/labels/{used.id}/delete",
        {},
        form_url=f"/en/admin/labels/{used.id}/edit",
        follow_redirects=True,
    )
    assert "Certificates refer to this label: it cannot be deleted." in refused.get_data(
        as_text=True
    )
    done = post_form(
        client,
        f"/en/admin/labels/{unused.id}/delete",
        {},
        form_url=f"/en/admin/labels/{unused.id}/edit",
    )
    assert done.status_code in (302, 303)
    assert set(db.session.scalars(select(Label.slug))) == {used.slug}
    assert db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "label.deleted"))
