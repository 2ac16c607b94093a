"""A signed-in session's clock: when it started and when it was last used (set at sign-in by
accounts.receivers, checked on every request by accounts.middleware.SessionLimitsMiddleware)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

STARTED = "confide_started"
LAST_SEEN = "confide_last_seen"
# The last-seen time is written at most this often (seconds): writing it on every request
# rewrote the session row on every page (DESIGN.md, "Measured at scale"); the idle limit is then
# kept to within a minute.
LAST_SEEN_EVERY = 60


def needs_last_seen(session: Any, now: float) -> bool:
    return bool(now - session.get(LAST_SEEN, 0) >= LAST_SEEN_EVERY)


def session_end_reason(session: Any, now: float) -> str | None:
    """'idle' or 'limit' when the session must end now, else None."""
    started = session.get(STARTED, now)
    last_seen = session.get(LAST_SEEN, now)
    if now - started > settings.CONFIDE_SESSION_MAX_AGE.total_seconds():
        return "limit"
    if now - last_seen > settings.CONFIDE_IDLE_TIMEOUT.total_seconds():
        return "idle"
    return None
