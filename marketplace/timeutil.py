"""Timezone-aware UTC timestamps, and the date in Morocco."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Africa/Casablanca")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The date in Morocco now (``utcnow`` is the one clock tests move)."""
    return utcnow().astimezone(LOCAL_TZ).date()
