"""The cooperative application as an applicant lives it, and who may download documents."""

from __future__ import annotations

import gc
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
        assert response.data == pdf_bytes("statutes")

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
