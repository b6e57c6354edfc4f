"""The admin verification area: queue, decisions, audit log, and who may open it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.audit import AuditLogEntry
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.extensions import db
from marketplace.timeutil import utcnow
from tests.factories import (
    AdminFactory,
    CooperativeFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import login, post_form
from tests.onboarding_helpers import apply_fully, release

PENDING = CooperativeStatus.PENDING.value


@pytest.fixture
def admin_client(app):
    admin = AdminFactory(name="Amina Admin", email="amina@souk.ma")
    client = app.test_client()
    login(client, admin)
    client.admin = admin
    return client


def application_url(cooperative) -> str:
    return f"/en/admin/applications/{cooperative.id}"


def test_new_user_applies_and_admin_approves_from_the_queue(client, admin_client, outbox):
    applicant = UserFactory(name="Fatima Zahra", locale="fr", email="fatima@example.ma")
    login(client, applicant)
    apply_fully(client)
    cooperative = db.session.scalars(select(Cooperative)).one()
    coop_id = cooperative.id
    release()

    queue = admin_client.get("/en/admin/")
    assert queue.status_code == 200
    html = queue.get_data(as_text=True)
    assert "Coopérative Oasis Tafilalet des dattes" in html
    assert f"/en/admin/applications/{coop_id}" in html

    page = admin_client.get(f"/en/admin/applications/{coop_id}").get_data(as_text=True)
    for expected in ("RC-2012-4471", "Rissani", "+212 6 12 34 56 78", "statuts.pdf", "Approve"):
        assert expected in page
    assert "011519000001205000534921" not in page  # the RIB is masked for admins too

    before = len(outbox())
    response = post_form(admin_client, f"/en/admin/applications/{coop_id}", {"action": "approve"})
    assert response.status_code == 302

    cooperative = db.session.get(Cooperative, coop_id)
    assert cooperative.status == CooperativeStatus.VERIFIED.value
    (entry,) = db.session.scalars(select(AuditLogEntry)).all()
    assert entry.action == "cooperative.approved"
    assert entry.actor_email == "amina@souk.ma"
    assert (entry.old_value, entry.new_value) == ("pending", "verified")
    assert entry.target_id == coop_id and entry.created_at is not None

    mails = outbox()[before:]
    assert [m["To"] for m in mails] == ["fatima@example.ma"]
    body = mails[0].get_body().get_content()
    assert "vérifiée" in mails[0]["Subject"] or "vérifiée" in body  # in French
    release()

    audit = admin_client.get("/en/admin/audit").get_data(as_text=True)
    assert "cooperative.approved" in audit and "amina@souk.ma" in audit
    assert "Verified" in client.get("/en/apply/status").get_data(as_text=True)


def test_queue_is_oldest_first_and_filters_by_province_and_status(admin_client):
    now = utcnow()
    newer = CooperativeFactory(
        status=PENDING, province="zagora", created_at=now, names={"fr": "Zagora Newer"}
    )
    older = CooperativeFactory(
        status=PENDING,
        province="midelt",
        created_at=now - timedelta(days=3),
        names={"fr": "Midelt Older"},
    )
    CooperativeFactory(status="verified", province="zagora", names={"fr": "Verified One"})
    release()

    html = admin_client.get("/en/admin/").get_data(as_text=True)
    assert html.index("Midelt Older") < html.index("Zagora Newer")
    assert "Verified One" not in html

    html = admin_client.get("/en/admin/?province=zagora").get_data(as_text=True)
    assert "Zagora Newer" in html and "Midelt Older" not in html

    html = admin_client.get("/en/admin/?status=verified").get_data(as_text=True)
    assert "Verified One" in html and "Zagora Newer" not in html

    html = admin_client.get("/en/admin/?status=all&page=abc&province=nowhere").get_data(
        as_text=True
    )
    assert all(name in html for name in ("Verified One", "Zagora Newer", "Midelt Older"))
    assert newer.id != older.id


def test_reject_needs_a_reason_and_keeps_the_typed_note(admin_client, outbox):
    member = MemberFactory(
        cooperative=CooperativeFactory(status=PENDING), locale="ar", email="m@coop.ma"
    )
    url = application_url(member.cooperative)
    coop_id = member.cooperative.id
    release()

    response = post_form(admin_client, url, {"action": "reject", "reason_code": "", "reason": ""})
    assert response.status_code == 400
    assert "give the reason" in response.get_data(as_text=True)
    assert db.session.get(Cooperative, coop_id).status == PENDING
    release()

    response = post_form(
        admin_client,
        url,
        {"action": "reject", "reason_code": "nonsense", "reason": "Le RC est illisible"},
    )
    assert response.status_code == 400
    assert "Le RC est illisible" in response.get_data(as_text=True)

    response = post_form(
        admin_client,
        url,
        {"action": "reject", "reason_code": "documents_missing", "reason": "Le RC est illisible"},
    )
    assert response.status_code == 302
    cooperative = db.session.get(Cooperative, coop_id)
    assert cooperative.status == CooperativeStatus.REJECTED.value
    assert cooperative.status_reason == "Le RC est illisible"
    (mail,) = outbox()
    assert mail["To"] == "m@coop.ma"
    body = mail.get_body().get_content()
    assert "Le RC est illisible" in body  # the note as written
    release()

    member_client = admin_client.application.test_client()
    login(member_client, "m@coop.ma")
    html = member_client.get("/en/apply/status").get_data(as_text=True)
    assert "Rejected" in html and "Documents are missing" in html  # reason translated
    assert "Le RC est illisible" in html  # note as written


def test_csrf_less_decision_is_refused(admin_client):
    cooperative = CooperativeFactory(status=PENDING)
    coop_id = cooperative.id
    release()
    response = admin_client.post(application_url(cooperative), data={"action": "approve"})
    assert response.status_code == 400
    assert db.session.get(Cooperative, coop_id).status == PENDING
    assert db.session.scalars(select(AuditLogEntry)).first() is None


def test_illegal_transitions_are_refused_through_the_page(admin_client):
    cooperative = CooperativeFactory(status=CooperativeStatus.REJECTED.value)
    coop_id = cooperative.id
    release()
    html = admin_client.get(application_url(cooperative)).get_data(as_text=True)
    assert "No decision can be taken" in html
    for action in ("approve", "suspend", "reinstate"):
        response = post_form(
            admin_client,
            application_url(cooperative),
            {"action": action, "reason": "because"},
        )
        assert response.status_code == 409, action
        assert db.session.get(Cooperative, coop_id).status == "rejected"
        release()
    response = post_form(admin_client, application_url(cooperative), {"action": "delete"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["shopper", "pending_member", "verified_member", "anonymous"])
def test_non_admins_cannot_open_admin_pages(app, who):
    cooperative = CooperativeFactory(status=PENDING)
    client = app.test_client()
    if who == "shopper":
        login(client, UserFactory())
    elif who == "pending_member":
        login(client, MemberFactory(cooperative=cooperative))
    elif who == "verified_member":
        login(client, MemberFactory())
    release()
    for url in ("/en/admin/", application_url(cooperative), "/en/admin/audit"):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, url
    response = client.post(application_url(cooperative), data={"action": "approve"})
    assert response.status_code in (302, 400, 403)
    assert db.session.get(Cooperative, cooperative.id).status == PENDING


def test_unknown_application_is_404(admin_client):
    assert admin_client.get("/en/admin/applications/424242").status_code == 404


def test_suspension_hides_products_at_once_and_reinstating_shows_them(admin_client):
    cooperative = CooperativeFactory(names={"fr": "Coopérative Tinghir Roses"})
    ProductFactory(
        cooperative=cooperative, names={"fr": "Eau de rose Kelaat", "en": "Kelaat rose water"}
    )
    url = application_url(cooperative)
    coop_id = cooperative.id
    release()
    shop = admin_client.application.test_client()

    assert "Kelaat rose water" in shop.get("/en/products").get_data(as_text=True)
    assert "Kelaat rose water" in shop.get("/en/search?q=rose").get_data(as_text=True)

    response = post_form(
        admin_client,
        url,
        {"action": "suspend", "reason_code": "customer_complaints", "reason": ""},
    )
    assert response.status_code == 302
    assert db.session.get(Cooperative, coop_id).status == "suspended"
    release()
    assert "Kelaat rose water" not in shop.get("/en/products").get_data(as_text=True)
    assert "Kelaat rose water" not in shop.get("/en/search?q=rose").get_data(as_text=True)

    response = post_form(admin_client, url, {"action": "reinstate"})
    assert response.status_code == 302
    release()
    assert "Kelaat rose water" in shop.get("/en/products").get_data(as_text=True)
    actions = [e.action for e in db.session.scalars(select(AuditLogEntry).order_by("id"))]
    assert actions == ["cooperative.suspended", "cooperative.reinstated"]


def test_audit_log_page_has_no_edit_controls(admin_client):
    cooperative = CooperativeFactory(status=PENDING)
    release()
    post_form(admin_client, application_url(cooperative), {"action": "approve"})
    html = admin_client.get("/en/admin/audit").get_data(as_text=True)
    assert "cooperative.approved" in html
    assert '<form method="post"' not in html
    assert admin_client.post("/en/admin/audit").status_code == 405


def test_demo_data_fills_the_queue_with_a_pending_and_a_rejected_application(admin_client):
    from marketplace import demo
    from marketplace.cooperatives.demo_applications import demo_step, seed_demo_applications

    assert demo_step in demo.DEMO_STEPS  # `flask seed-demo` (hence `make run`) runs it
    created = seed_demo_applications("demo-password-2026")
    assert sorted(c.status for c in created) == ["pending", "rejected"]
    assert all(len(c.documents) >= 2 for c in created)
    rejected = next(c for c in created if c.status == "rejected")
    assert rejected.status_reason_code or rejected.status_reason
    release()
    assert seed_demo_applications("demo-password-2026") == []  # idempotent

    html = admin_client.get("/en/admin/").get_data(as_text=True)
    pending = next(c for c in created if c.status == "pending")
    assert f"/en/admin/applications/{pending.id}" in html
    html = admin_client.get("/en/admin/?status=rejected").get_data(as_text=True)
    assert f"/en/admin/applications/{rejected.id}" in html


def test_queue_pages_keep_their_filters(admin_client, app):
    from marketplace.admin.views import PAGE_SIZE

    for n in range(PAGE_SIZE + 1):
        CooperativeFactory(status=PENDING, province="zagora", names={"fr": f"Coop {n}"})
    release()
    first = admin_client.get("/en/admin/?status=pending&province=zagora").get_data(as_text=True)
    assert "Page 1 of 2" in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    assert all(part in next_link for part in ("page=2", "status=pending", "province=zagora"))
    second = admin_client.get("/en/admin/?status=pending&province=zagora&page=2")
    assert second.status_code == 200
    assert "Page 2 of 2" in second.get_data(as_text=True)
