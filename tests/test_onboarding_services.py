"""Validators, the application service and THE cooperative status machine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace import signals
from marketplace.audit import AuditLogEntry
from marketplace.cooperatives import services
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.cooperatives.validators import (
    is_valid_rib,
    mask_rib,
    normalize_phone,
    rib_key,
)
from marketplace.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from marketplace.extensions import db
from marketplace.storage import StoredDocument
from marketplace.timeutil import utcnow
from tests.factories import AdminFactory, CooperativeFactory, MemberFactory, UserFactory
from tests.onboarding_helpers import VALID_RIB

S = CooperativeStatus


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0612345678", "+212612345678"),
        ("06 12 34 56 78", "+212612345678"),
        ("06.12.34.56.78", "+212612345678"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("+212 (0)6 12 34 56 78", "+212612345678"),
        ("00212 7 00 11 22 33", "+212700112233"),
        ("212535123456", "+212535123456"),
        ("٠٦١٢٣٤٥٦٧٨", "+212612345678"),  # Arabic-Indic digits
        ("0412345678", None),
        ("+33 6 12 34 56 78", None),
        ("061234567", None),
        ("phone", None),
        ("", None),
    ],
)
def test_phone_normalisation(typed, expected):
    assert normalize_phone(typed) == expected


def test_rib_key_is_the_mod_97_of_the_whole_number():
    # The IBAN registry's Moroccan example MA64 0115 1900 0001 2050 0053 4921.
    assert is_valid_rib(VALID_RIB)
    assert is_valid_rib("011 519 0000012050005349 21")
    assert rib_key(VALID_RIB[:22]) == 21
    assert int(VALID_RIB) % 97 == 0
    assert not is_valid_rib(VALID_RIB[:-2] + "12")
    for i in range(24):  # any single digit mistyped is caught
        wrong = VALID_RIB[:i] + str((int(VALID_RIB[i]) + 1) % 10) + VALID_RIB[i + 1 :]
        assert not is_valid_rib(wrong), i
    assert not is_valid_rib(VALID_RIB[:-1])
    assert not is_valid_rib("A" + VALID_RIB[1:])


def test_rib_is_masked():
    masked = mask_rib(VALID_RIB)
    assert masked.startswith("011") and masked.endswith("4921")
    assert "519000001205000534" not in masked.replace(" ", "")
    assert mask_rib("") == ""


def _document(name: str) -> StoredDocument:
    return StoredDocument(f"{name:0<32}.pdf", "application/pdf", 1234, f"{name}.pdf")


IDENTITY = {
    "name_ar": "تعاونية",
    "name_fr": "",
    "registration_number": " rc  77 ",
    "province": "tinghir",
    "commune": "Kelaat M'Gouna",
    "founded_year": 2010,
    "members_count": 10,
    "women_members_count": 10,
}
CONTACT = {"phone": "+212612345678", "email": "", "rib": VALID_RIB}


def test_create_application_with_only_an_arabic_name():
    user = UserFactory()
    cooperative = services.create_application(
        user,
        identity=IDENTITY,
        contact=CONTACT,
        story={"story_ar": "قصة", "story_fr": "", "story_en": "Our story"},
        documents=[("statutes", _document("a")), ("registration_certificate", _document("b"))],
    )
    db.session.commit()
    assert cooperative.status == S.PENDING
    assert cooperative.registration_number == "RC 77"
    assert cooperative.slug == "cooperative-rc-77"
    translations = {t.locale: (t.name, t.story) for t in cooperative.translations}
    assert translations == {"ar": ("تعاونية", "قصة"), "en": ("تعاونية", "Our story")}
    assert user.cooperative_id == cooperative.id and user.is_cooperative_owner

    with pytest.raises(Conflict):  # the same number, whatever its case and spaces
        services.create_application(
            UserFactory(),
            identity={**IDENTITY, "registration_number": "RC 77"},
            contact=CONTACT,
            story={"story_fr": "x"},
            documents=[],
        )


def test_incomplete_application_cannot_be_submitted():
    user = UserFactory()
    with pytest.raises(InvalidInput):
        services.create_application(
            user,
            identity=IDENTITY,
            contact=CONTACT,
            story={"story_fr": "x"},
            documents=[("statutes", _document("c"))],  # no registration certificate
        )


def test_admins_and_members_cannot_apply():
    with pytest.raises(Forbidden):
        services.ensure_can_apply(AdminFactory())
    with pytest.raises(Conflict):
        services.ensure_can_apply(MemberFactory())


# --- the status machine -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.PENDING, S.SUSPENDED),
        (S.PENDING, S.PENDING),
        (S.VERIFIED, S.REJECTED),
        (S.VERIFIED, S.PENDING),
        (S.VERIFIED, S.VERIFIED),
        (S.REJECTED, S.VERIFIED),
        (S.REJECTED, S.SUSPENDED),
        (S.SUSPENDED, S.REJECTED),
        (S.SUSPENDED, S.PENDING),
    ],
)
def test_illegal_transitions_raise(start, target):
    cooperative = CooperativeFactory(status=start.value)
    with pytest.raises(IllegalTransition):
        services.change_status(cooperative, target, AdminFactory(), reason="why")
    db.session.rollback()
    assert db.session.get(Cooperative, cooperative.id).status == start.value
    assert db.session.scalars(select(AuditLogEntry)).first() is None


def test_unknown_status_is_an_illegal_transition():
    with pytest.raises(IllegalTransition):
        services.change_status(CooperativeFactory(status="pending"), "deleted", None)


def test_rejection_and_suspension_need_a_reason():
    admin = AdminFactory()
    pending = CooperativeFactory(status="pending")
    with pytest.raises(InvalidInput):
        services.change_status(pending, S.REJECTED, admin, reason="   ")
    with pytest.raises(InvalidInput):
        services.change_status(pending, S.REJECTED, admin, reason_code="other")
    with pytest.raises(InvalidInput):
        services.change_status(pending, S.REJECTED, admin, reason_code="customer_complaints")
    verified = CooperativeFactory(status="verified")
    with pytest.raises(InvalidInput):
        services.change_status(verified, S.SUSPENDED, admin)


def test_only_admins_decide():
    with pytest.raises(Forbidden):
        services.change_status(CooperativeFactory(status="pending"), S.VERIFIED, MemberFactory())


def test_only_the_owner_sends_a_rejected_application_again(outbox):
    owner = MemberFactory(cooperative=CooperativeFactory(status="rejected"))
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    stranger = MemberFactory(cooperative=CooperativeFactory(status="rejected"))
    for actor in (AdminFactory(), colleague, stranger, UserFactory()):
        with pytest.raises(Forbidden):
            services.change_status(owner.cooperative, S.PENDING, actor, reason="fixed")
    with pytest.raises(Forbidden):
        services.resubmit_application(colleague, "fixed", [])
    # The owner cannot decide anything else (e.g. approve their own cooperative).
    with pytest.raises((Forbidden, IllegalTransition)):
        services.change_status(owner.cooperative, S.VERIFIED, owner)
    with pytest.raises(InvalidInput):
        services.resubmit_application(owner, "  ", [])
    owner.email_verified_at = None
    with pytest.raises(services.EmailNotVerified):
        services.resubmit_application(owner, "fixed", [])
    assert db.session.get(Cooperative, owner.cooperative_id).status == "rejected"
    owner.email_verified_at = utcnow()
    services.resubmit_application(owner, "Documents lisibles envoyés.", [])
    assert owner.cooperative.status == "pending"
    (entry,) = db.session.scalars(select(AuditLogEntry)).all()
    assert (entry.action, entry.actor_id, entry.reason) == (
        "cooperative.resubmitted",
        owner.id,
        "Documents lisibles envoyés.",
    )
    # A pending cooperative cannot be "resubmitted".
    with pytest.raises(IllegalTransition):
        services.resubmit_application(owner, "again", [])


def test_full_cycle_writes_audit_sends_signal_and_mails_each_member_in_their_language(outbox):
    admin = AdminFactory(email="boss@souk.ma")
    cooperative = CooperativeFactory(status="pending", names={"fr": "Coop Atlas", "ar": "أطلس"})
    MemberFactory(cooperative=cooperative, email="fr@coop.ma", locale="fr")
    MemberFactory(cooperative=cooperative, email="ar@coop.ma", locale="ar")
    MemberFactory(cooperative=cooperative, email="gone@coop.ma", active=False)
    received = []

    def listener(sender, **kwargs):
        received.append((sender.id, kwargs["old"], kwargs["new"], kwargs["reason"]))

    with signals.cooperative_status_changed.connected_to(listener):
        services.change_status(cooperative, S.VERIFIED, admin)
        db.session.commit()
        services.change_status(
            cooperative, S.SUSPENDED, admin, reason="Plaintes", reason_code="customer_complaints"
        )
        db.session.commit()
        assert cooperative.status_reason_code == "customer_complaints"
        services.change_status(cooperative, "verified", admin)
        db.session.commit()

    assert received == [
        (cooperative.id, "pending", "verified", ""),
        (cooperative.id, "verified", "suspended", "Plaintes"),
        (cooperative.id, "suspended", "verified", ""),
    ]
    assert cooperative.status_reason == "" and cooperative.status_reason_code == ""
    entries = db.session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)).all()
    assert [(e.action, e.old_value, e.new_value) for e in entries] == [
        ("cooperative.approved", "pending", "verified"),
        ("cooperative.suspended", "verified", "suspended"),
        ("cooperative.reinstated", "suspended", "verified"),
    ]
    assert entries[1].reason == "customer_complaints: Plaintes"
    assert {e.actor_email for e in entries} == {"boss@souk.ma"}

    mails = outbox()
    assert len(mails) == 6  # 3 decisions x 2 active members
    assert "gone@coop.ma" not in {m["To"] for m in mails}
    arabic = [m for m in mails if m["To"] == "ar@coop.ma"]
    assert "أطلس" in arabic[0].get_body().get_content()


def test_decision_rolled_back_sends_no_mail(outbox):
    cooperative = CooperativeFactory(status="pending")
    MemberFactory(cooperative=cooperative)
    services.change_status(cooperative, S.VERIFIED, AdminFactory())
    db.session.rollback()
    assert outbox() == []
    assert db.session.get(Cooperative, cooperative.id).status == "pending"
