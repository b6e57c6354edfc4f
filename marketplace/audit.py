"""The append-only audit log: who decided what, on what, why (admins, cooperatives, the
system). Every domain records its decisions here; the admin pages read it. It sits below
every domain, as the e-mail queue does.

Rows are only ever inserted: the ORM refuses to update or delete them (flush of a changed or
deleted entry, and ORM-enabled ``update()``/``delete()`` statements), and no view edits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, event, func, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow

if TYPE_CHECKING:
    from marketplace.auth.models import User


class AuditLogImmutable(RuntimeError):
    """Raised on any attempt to change or delete an audit log entry."""


class AuditLogEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    # Who: the account (kept as a snapshot too, so the entry survives the account).
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    # What: e.g. "cooperative.verified", on which object.
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_label: Mapped[str] = mapped_column(String(255), default="")
    old_value: Mapped[str] = mapped_column(String(60), default="")
    new_value: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


@event.listens_for(AuditLogEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise AuditLogImmutable("audit log entries cannot be changed")


@event.listens_for(AuditLogEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise AuditLogImmutable("audit log entries cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is AuditLogEntry:
        raise AuditLogImmutable("audit log entries cannot be changed or deleted")


def record_audit(
    actor,
    action: str,
    *,
    target_type: str,
    target_id: int | None,
    target_label: str = "",
    old_value: str = "",
    new_value: str = "",
    reason: str = "",
    **details: Any,
) -> AuditLogEntry:
    """Append one entry: who (``actor``, a User or None for the system), what, on what, why."""
    entry = AuditLogEntry(
        actor_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", "") or "",
        actor_name=getattr(actor, "name", "") or "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:255],
        old_value=old_value or "",
        new_value=new_value or "",
        reason=reason or "",
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def recorded_actions() -> list[str]:
    """The actions the log holds, sorted (the audit page's filter): read by skipping along
    the index on ``action``, one lookup per distinct action, instead of a DISTINCT that
    reads every row of a log of millions."""
    action = AuditLogEntry.action
    seen = select(func.min(action).label("action")).cte("seen_actions", recursive=True)
    after = select(func.min(action)).where(action > seen.c.action).scalar_subquery()
    seen = seen.union_all(select(after).where(seen.c.action.is_not(None)))
    return list(
        db.session.scalars(
            select(seen.c.action).where(seen.c.action.is_not(None)).order_by(seen.c.action)
        )
    )


# Rows are counted up to this many pages past the one shown: an exact count of a log of a
# million rows reads all of it (60 ms) for a page number no one pages to.
PAGES_COUNTED_AHEAD = 20


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first."""

    entries: list[AuditLogEntry]
    pages: int  # pages known to exist (at least 1)
    more: bool  # more pages exist past ``pages`` (not counted)


def audit_page(action: str, page: int, per_page: int) -> AuditPage:
    """Page ``page`` of the log (``action``: only its entries, when not empty)."""
    query = select(AuditLogEntry)
    if action:
        query = query.where(AuditLogEntry.action == action)
    counted_up_to = (page + PAGES_COUNTED_AHEAD) * per_page
    ids = query.with_only_columns(AuditLogEntry.id).limit(counted_up_to + 1).subquery()
    counted = db.session.scalar(select(func.count()).select_from(ids)) or 0
    entries = db.session.scalars(
        query.order_by(AuditLogEntry.created_at.desc(), AuditLogEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    pages = max(1, -(-min(counted, counted_up_to) // per_page))
    return AuditPage(list(entries), pages, more=counted > counted_up_to)
