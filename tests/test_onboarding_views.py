"""The cooperative application as an applicant lives it, and who may download documents."""

from __future__ import annotations

import gc
import io
import re
import warnings

from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.cooperatives.models import (
    ApplicationDraft,
    Cooperative,
    CooperativeDocument,
    CooperativeStatus,
)
from marketplace.extensions import db
from tests.factories import AdminFactory, CooperativeFactory, MemberFactory, UserFactory
from tests.helpers import login, post_form
from tests.onboarding_helpers import (
    CONTACT,
    IDENTITY,
    VALID_RIB,
    VALID_RIB_SPACED,
    apply_fully,
    fill_steps_1_to_3,
    pdf_bytes,
    png_bomb,
    png_bytes,
    release,
    upload_documents,
)


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/en/apply")
    assert response.status_code == 302
    assert "/en/login" in response.headers["Location"]


def test_application_end_to_end_creates_a_pending_cooperative(client, outbox):
    user = UserFactory(name="Fatima Zahra", locale="ar")
    AdminFactory(email="admin@souk.ma", locale="fr")
    login(client, user)

    assert client.get("/en/apply").headers["Location"].endswith("/en/apply/step/1")
    page = client.get("/en/apply/step/1").get_data(as_text=True)
    assert "Ouarzazate" in page and 'name="registration_number"' in page
    # Steps cannot be skipped.
    assert client.get("/en/apply/step/4").headers["Location"].endswith("/en/apply/step/1")

    apply_fully(client)

    cooperative = db.session.scalars(select(Cooperative)).one()
    assert cooperative.status == CooperativeStatus.PENDING.value
    assert cooperative.registration_number == "RC-2012-4471"
    assert cooperative.phone == "+212612345678"
    assert cooperative.rib == VALID_RIB
    assert cooperative.email == "contact@oasis-tafilalet.ma"
    assert (cooperative.members_count, cooperative.women_members_count) == (24, 17)
    names = {t.locale: t.name for t in cooperative.translations}
    assert names == {"ar": IDENTITY["name_ar"], "fr": IDENTITY["name_fr"]}
    assert sorted(d.kind for d in cooperative.documents) == [
        "registration_certificate",
        "statutes",
    ]
    applicant = db.session.get(User, user.id)
    assert applicant.cooperative_id == cooperative.id
    assert applicant.role == Role.MEMBER.value
    assert applicant.is_cooperative_owner is True
    assert db.session.scalars(select(ApplicationDraft)).first() is None
    release()

    status_page = client.get("/en/apply/status").get_data(as_text=True)
    assert "Pending review" in status_page
    assert "4921" in status_page and VALID_RIB not in status_page  # RIB masked
    assert "statuts.pdf" in status_page

    recipients = sorted(message["To"] for message in outbox())
    assert recipients == ["admin@souk.ma", user.email]
    to_applicant = next(m for m in outbox() if m["To"] == user.email)
    assert "تعاونية" in to_applicant.get_body().get_content()  # in the applicant's language

    # Applying again is not possible: the user already belongs to a cooperative.
    assert client.get("/en/apply/step/1").headers["Location"].endswith("/en/apply/status")


def test_errors_keep_what_the_user_typed(client):
    login(client, UserFactory())
    data = {**IDENTITY, "members_count": "5", "women_members_count": "9", "name_ar": ""}
    response = post_form(client, "/en/apply/step/1", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "more women members than members" in html
    assert 'value="Coopérative Oasis Tafilalet des dattes"' in html
    assert 'value="Rissani"' in html

    response = post_form(client, "/en/apply/step/1", {**IDENTITY, "name_ar": "", "name_fr": ""})
    assert response.status_code == 400
    assert "in Arabic, in French, or both" in response.get_data(as_text=True)

    response = post_form(client, "/en/apply/step/1", {**IDENTITY, "members_count": "abc"})
    assert response.status_code == 400
    assert "whole number" in response.get_data(as_text=True)

    response = post_form(client, "/en/apply/step/1", {**IDENTITY, "province": "casablanca"})
    assert response.status_code == 400


def test_duplicate_registration_number_is_refused(client):
    CooperativeFactory(registration_number="RC-2012-4471")
    login(client, UserFactory())
    response = post_form(client, "/en/apply/step/1", IDENTITY)  # typed in lower case
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "already registered" in html
    assert 'value="Rissani"' in html


def test_invalid_rib_key_is_refused_and_phone_checked(client):
    login(client, UserFactory())
    post_form(client, "/en/apply/step/1", IDENTITY)
    wrong_key = VALID_RIB[:-2] + "22"
    response = post_form(client, "/en/apply/step/2", {**CONTACT, "rib": wrong_key})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "check key is not correct" in html
    assert 'value="06 12 34 56 78"' in html  # the phone as typed is kept

    response = post_form(client, "/en/apply/step/2", {**CONTACT, "rib": "1234"})
    assert "24 digits" in response.get_data(as_text=True)

    response = post_form(client, "/en/apply/step/2", {**CONTACT, "phone": "+33 6 12 34 56 78"})
    assert response.status_code == 400
    assert "Moroccan phone number" in response.get_data(as_text=True)


def test_saved_rib_is_not_sent_back_and_is_kept(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    html = client.get("/en/apply/step/2").get_data(as_text=True)
    assert VALID_RIB not in html and "4921" in html
    response = post_form(client, "/en/apply/step/2", {**CONTACT, "rib": ""})
    assert response.status_code == 302
    draft = db.session.scalars(select(ApplicationDraft)).one()
    assert draft.data["contact"]["rib"] == VALID_RIB


def test_six_megabyte_file_is_refused(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    big = pdf_bytes() + b"0" * (6 * 1024 * 1024)
    with warnings.catch_warnings():
        # Werkzeug's test client spools a body this large to a temporary file it never
        # closes; that is the test client's, not the app's.
        warnings.simplefilter("ignore", ResourceWarning)
        response = upload_documents(client, {"statutes": (big, "statuts.pdf")})
        status, html = response.status_code, response.get_data(as_text=True)
        del response
        gc.collect()
    assert status == 400
    assert "too large" in html
    assert db.session.scalars(select(ApplicationDraft)).one().documents == []


def test_exe_renamed_pdf_is_refused(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 2000
    response = upload_documents(client, {"statutes": (exe, "statuts.pdf")})
    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG" in response.get_data(as_text=True)
    assert db.session.scalars(select(ApplicationDraft)).one().documents == []


def test_png_decompression_bomb_is_refused(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    response = upload_documents(client, {"registration_certificate": (png_bomb(), "scan.png")})
    assert response.status_code == 400
    assert "too many pixels" in response.get_data(as_text=True)
    assert db.session.scalars(select(ApplicationDraft)).one().documents == []


def test_documents_step_needs_the_required_documents(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    response = upload_documents(client, {"statutes": (pdf_bytes(), "statuts.pdf")})
    assert response.status_code == 302
    response = post_form(client, "/en/apply/step/4", {"submit": "1"})
    assert response.headers["Location"].endswith("/en/apply/step/4")
    assert client.get("/en/apply/step/5").headers["Location"].endswith("/en/apply/step/4")
    html = client.get("/en/apply/step/4").get_data(as_text=True)
    assert "Registration certificate" in html and "statuts.pdf" in html


def test_csrf_less_post_is_refused(client):
    login(client, UserFactory())
    response = client.post("/en/apply/step/1", data=IDENTITY)
    assert response.status_code == 400
    assert db.session.scalars(select(ApplicationDraft)).first() is None


def test_review_requires_confirmation(client):
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    upload_documents(
        client,
        {
            "statutes": (pdf_bytes(), "statuts.pdf"),
            "registration_certificate": (png_bytes(), "cert.png"),
        },
    )
    response = post_form(client, "/en/apply/step/5", {})
    assert response.status_code == 400
    assert db.session.scalars(select(Cooperative)).first() is None


def test_document_download_only_for_members_and_admins(client, app):
    applicant = UserFactory()
    login(client, applicant)
    apply_fully(client)
    document = db.session.scalars(
        select(CooperativeDocument).where(CooperativeDocument.kind == "statutes")
    ).one()
    url = f"/en/dashboard/documents/{document.id}"
    release()

    with client.get(url) as response:  # closing it closes the served file
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "statuts.pdf" in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.data.startswith(b"%PDF-")  # re-written on upload
        assert len(response.data) == document.size_bytes

    other_client = app.test_client()
    login(other_client, MemberFactory())  # a member of cooperative B
    response = other_client.get(url)
    assert response.status_code == 404
    assert b"%PDF" not in response.data
    assert other_client.get("/en/dashboard/documents/999999").status_code == 404

    shopper_client = app.test_client()
    login(shopper_client, UserFactory())
    assert shopper_client.get(url).status_code == 404

    admin_client = app.test_client()
    login(admin_client, AdminFactory())
    with admin_client.get(url) as response:
        assert response.status_code == 200


def test_arabic_pages_render(client):
    login(client, UserFactory(locale="ar"))
    html = client.get("/ar/apply/step/1").get_data(as_text=True)
    assert 'dir="rtl"' in html
    post_form(client, "/ar/apply/step/1", IDENTITY)
    assert client.get("/ar/apply/step/2").status_code == 200


def test_uploaded_file_field_survives_other_errors(client):
    """A failed upload next to a good one keeps the good one."""
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    response = upload_documents(
        client,
        {
            "statutes": (pdf_bytes(), "statuts.pdf"),
            "registration_certificate": (b"not a document", "cert.pdf"),
        },
    )
    assert response.status_code == 400
    draft = db.session.scalars(select(ApplicationDraft)).one()
    assert [d["kind"] for d in draft.documents] == ["statutes"]


def test_replacing_and_removing_documents_deletes_the_old_files(client, app):
    from pathlib import Path

    login(client, UserFactory())
    fill_steps_1_to_3(client)
    upload_documents(client, {"statutes": (pdf_bytes("first"), "old.pdf")})
    upload_documents(client, {"statutes": (pdf_bytes("second"), "new.pdf")})
    draft = db.session.scalars(select(ApplicationDraft)).one()
    assert [d["original_name"] for d in draft.documents] == ["new.pdf"]
    stored_name = draft.documents[0]["stored_name"]
    folder = Path(app.config["UPLOAD_DIR"])
    assert [p.name for p in folder.iterdir()] == [stored_name]
    release()

    response = post_form(client, "/en/apply/step/4", {"remove": stored_name})
    assert response.status_code == 302
    assert list(folder.iterdir()) == []
    assert db.session.scalars(select(ApplicationDraft)).one().documents == []


# --- a confirmed e-mail address before sending ------------------------------------------


def test_an_unconfirmed_address_fills_the_steps_but_cannot_send_until_confirmed(client, outbox):
    """Decision: anyone may prepare an application, but it is sent only from a confirmed
    e-mail address, since every decision about the cooperative is e-mailed there."""
    user = UserFactory(email_verified_at=None)
    login(client, user)
    fill_steps_1_to_3(client)
    upload_documents(
        client,
        {
            "statutes": (pdf_bytes(), "statuts.pdf"),
            "registration_certificate": (png_bytes(), "certificat.png"),
        },
    )
    page = client.get("/en/apply/step/5").get_data(as_text=True)
    assert "Please confirm your e-mail address first" in page
    assert "/en/verify/resend" in page

    response = post_form(client, "/en/apply/step/5", {"confirm": "y"})
    assert response.status_code == 403
    assert "Please confirm your e-mail address first" in response.get_data(as_text=True)
    assert db.session.scalars(select(Cooperative)).all() == []
    assert db.session.scalars(select(ApplicationDraft)).one().user_id == user.id

    # The person asks for the link again and opens it.
    assert post_form(client, "/en/verify/resend", {}, form_url="/en/account").status_code == 302
    body = outbox()[-1].get_body().get_content()
    link = re.search(r"https?://[^/\s]+(/\S+/verify/\S+)", body).group(1)
    assert client.get(link).status_code == 302
    response = post_form(client, "/en/apply/step/5", {"confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalars(select(Cooperative)).one().status == "pending"


# --- a rejected cooperative sends its application again ---------------------------------


def rejected_owner(client, admin=None, **user_fields):
    from marketplace.cooperatives import services

    owner = MemberFactory(
        cooperative=CooperativeFactory(status="pending", names={"fr": "Coop Refusée"}),
        locale="fr",
        **user_fields,
    )
    services.change_status(
        owner.cooperative, "rejected", admin or AdminFactory(), reason_code="documents_missing"
    )
    release()
    login(client, owner)
    return owner


def test_rejected_owner_corrects_and_resubmits_with_a_new_document(client, app, outbox):
    from marketplace.audit import AuditLogEntry

    admin = AdminFactory(email="reviewer@souk.ma", locale="en")
    owner = rejected_owner(client, admin, email="owner@refusee.ma")
    coop_id = owner.cooperative_id
    before = len(outbox())

    page = client.get("/en/apply/status").get_data(as_text=True)
    assert "Documents are missing or cannot be read." in page
    assert "Correct and send your application again" in page
    dashboard = client.get("/en/dashboard").get_data(as_text=True)
    assert "Correct and send your application again" in dashboard

    # No note: refused, keeps nothing changed.
    response = post_form(client, "/en/apply/resubmit", {"note": "  "}, form_url="/en/apply/status")
    assert response.status_code == 400
    assert "Please tell us what you corrected" in response.get_data(as_text=True)
    assert db.session.get(Cooperative, coop_id).status == "rejected"

    # A .exe renamed .pdf: refused, the note typed is kept, still rejected.
    response = post_form(
        client,
        "/en/apply/resubmit",
        {
            "note": "Voici les statuts lisibles.",
            "statutes": (io.BytesIO(b"MZ\x90\x00" * 64), "s.pdf"),
        },
        form_url="/en/apply/status",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Voici les statuts lisibles." in response.get_data(as_text=True)
    assert db.session.get(Cooperative, coop_id).status == "rejected"
    assert db.session.scalars(select(CooperativeDocument)).all() == []

    response = post_form(
        client,
        "/en/apply/resubmit",
        {
            "note": "Voici les statuts lisibles.",
            "statutes": (io.BytesIO(pdf_bytes()), "statuts-2.pdf"),
        },
        form_url="/en/apply/status",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    cooperative = db.session.get(Cooperative, coop_id)
    db.session.refresh(cooperative)
    assert cooperative.status == "pending"
    assert cooperative.status_reason == "" and cooperative.status_reason_code == ""
    assert [d.original_name for d in cooperative.documents] == ["statuts-2.pdf"]
    entry = db.session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == "cooperative.resubmitted")
    ).one()
    assert entry.actor_email == "owner@refusee.ma"
    assert (entry.old_value, entry.new_value) == ("rejected", "pending")
    assert entry.reason == "Voici les statuts lisibles."
    mails = outbox()[before:]
    assert sorted(m["To"] for m in mails) == ["owner@refusee.ma", "reviewer@souk.ma"]
    release()

    # Back in the admins' queue, with the note in its history; it can be decided again.
    reviewer = app.test_client()
    login(reviewer, admin)
    assert "Coop Refusée" in reviewer.get("/en/admin/").get_data(as_text=True)
    page = reviewer.get(f"/en/admin/applications/{coop_id}").get_data(as_text=True)
    assert "Voici les statuts lisibles." in page and "statuts-2.pdf" in page
    response = post_form(reviewer, f"/en/admin/applications/{coop_id}", {"action": "approve"})
    assert response.status_code == 302
    assert db.session.get(Cooperative, coop_id).status == "verified"
    # The form is gone once the application is no longer rejected.
    assert "Correct and send" not in client.get("/en/apply/status").get_data(as_text=True)


def test_only_a_rejected_cooperatives_owner_can_resubmit(client, app):
    owner = rejected_owner(client)
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    pending_owner = MemberFactory(cooperative=CooperativeFactory(status="pending"))
    release()
    other = app.test_client()
    login(other, colleague)
    assert "Correct and send" not in other.get("/en/apply/status").get_data(as_text=True)
    response = post_form(other, "/en/apply/resubmit", {"note": "x"}, form_url="/en/apply/status")
    assert response.status_code == 403
    assert db.session.get(Cooperative, owner.cooperative_id).status == "rejected"

    third = app.test_client()
    login(third, pending_owner)
    response = post_form(third, "/en/apply/resubmit", {"note": "x"}, form_url="/en/apply/status")
    assert response.status_code == 302
    assert db.session.get(Cooperative, pending_owner.cooperative_id).status == "pending"

    # Without the CSRF token nothing happens.
    assert client.post("/en/apply/resubmit", data={"note": "x"}).status_code == 400
    assert db.session.get(Cooperative, owner.cooperative_id).status == "rejected"


def test_the_rib_is_masked_everywhere_after_it_is_entered(client, app, outbox):
    from marketplace.cooperatives import services

    admin = AdminFactory()
    login(client, UserFactory())
    fill_steps_1_to_3(client)
    upload_documents(
        client,
        {
            "statutes": (pdf_bytes(), "statuts.pdf"),
            "registration_certificate": (png_bytes(), "certificat.png"),
        },
    )
    pages = {url: client.get(url) for url in ("/en/apply/step/2", "/ar/apply/step/5")}
    post_form(client, "/en/apply/step/5", {"confirm": "y"})
    cooperative = db.session.scalars(select(Cooperative)).one()
    services.change_status(cooperative, "verified", admin)
    db.session.commit()
    coop_id, slug = cooperative.id, cooperative.slug
    reviewer = app.test_client()
    login(reviewer, admin)
    for url in (
        "/en/apply/status",
        "/en/dashboard",
        "/en/dashboard/profile",
        "/fr/dashboard/shipping",
        f"/en/cooperatives/{slug}",
    ):
        pages[url] = client.get(url)
    for url in ("/en/admin/", f"/en/admin/applications/{coop_id}", "/en/admin/audit"):
        pages["admin " + url] = reviewer.get(url)
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert VALID_RIB not in html and VALID_RIB_SPACED not in html, name
        assert VALID_RIB[:12] not in html, name
    assert "4921" in pages[f"admin /en/admin/applications/{coop_id}"].get_data(as_text=True)
    for message in outbox():
        assert VALID_RIB not in message.get_body().get_content()
