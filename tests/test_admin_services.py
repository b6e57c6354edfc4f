"""The audit log is append-only: the ORM refuses to change or delete its rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from marketplace.audit import AuditLogEntry, AuditLogImmutable, record_audit
from marketplace.extensions import db
from tests.factories import AdminFactory, CooperativeFactory


@pytest.fixture
def entry():
    admin = AdminFactory(email="a@souk.ma", name="A")
    cooperative = CooperativeFactory()
    entry = record_audit(
        admin,
        "cooperative.rejected",
        target_type="cooperative",
        target_id=cooperative.id,
        old_value="pending",
        new_value="rejected",
        reason="documents_missing",
    )
    db.session.commit()
    return entry


def test_entry_records_who_when_what_and_why(entry):
    assert entry.actor_email == "a@souk.ma" and entry.actor_name == "A"
    assert entry.created_at is not None
    assert entry.action == "cooperative.rejected"
    assert entry.reason == "documents_missing"


def test_changing_an_entry_through_the_orm_raises(entry):
    entry.reason = "nothing happened"
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditLogEntry, entry.id).reason == "documents_missing"


def test_deleting_an_entry_through_the_orm_raises(entry):
    db.session.delete(entry)
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditLogEntry, entry.id) is not None


def test_bulk_update_and_delete_statements_raise(entry):
    with pytest.raises(AuditLogImmutable):
        db.session.execute(update(AuditLogEntry).values(reason="x"))
    db.session.rollback()
    with pytest.raises(AuditLogImmutable):
        db.session.execute(delete(AuditLogEntry).where(AuditLogEntry.id == entry.id))
    db.session.rollback()
    with pytest.raises(AuditLogImmutable):
        db.session.query(AuditLogEntry).filter_by(id=entry.id).update({"reason": "y"})
    db.session.rollback()
    assert db.session.scalars(select(AuditLogEntry.reason)).all() == ["documents_missing"]


def test_system_actions_have_no_actor():
    entry = record_audit(None, "cooperative.approved", target_type="cooperative", target_id=1)
    assert entry.actor_id is None and entry.actor_email == ""
