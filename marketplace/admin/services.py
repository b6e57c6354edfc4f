"""Writing the audit log (the only way entries are created; they are never changed)."""

from __future__ import annotations

from typing import Any

from marketplace.admin.models import AuditLogEntry
from marketplace.extensions import db


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
