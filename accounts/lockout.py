"""Lockout: per username at most AXES_FAILURE_LIMIT failures within CONFIDE_FAILURE_WINDOW, then
locked for AXES_COOLOFF_TIME; per address the same at a higher threshold (settings.py says why).
Wrong two-factor and enrolment codes count as failures too (``record_failure``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

log = logging.getLogger(__name__)

# Failure rows older than this no longer count for anything; the audit log keeps the record.
FAILURE_LOG_KEPT = timedelta(days=1)


def stored_username(request: Any, credentials: dict | None = None) -> str | None:
    """The username the lockout counts and keeps (AXES_USERNAME_CALLABLE). A name that is not an
    account's may be a password typed in the wrong box: it is kept only as a keyed hash, which
    still counts repeated attempts with it but shows nobody — the IT admin included — what was
    typed."""
    field = axes_settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", getattr(request, "POST", {})).get(field)
    if not isinstance(raw, str) or not raw:
        return raw
    user_model = get_user_model()
    if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: raw}).exists():
        return raw
    digest = salted_hmac("confide.lockout.unknown-username", raw, algorithm="sha256").hexdigest()
    return f"unknown:{digest[:32]}"


def lockout_ends_at(
    times: Sequence[datetime], *, limit: int, window: timedelta, lockout: timedelta
) -> datetime | None:
    """When the lockout made by these failure times (oldest first) ends, or None if they made none.

    A lockout begins at the failure that makes ``limit`` failures within ``window``, and lasts
    ``lockout`` from then.
    """
    ends = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] < window:
            ends = times[i] + lockout
    return ends


def _locked(failures: QuerySet, limit: int, now: datetime) -> bool:
    window, lockout = settings.CONFIDE_FAILURE_WINDOW, settings.AXES_COOLOFF_TIME
    times = list(
        failures.filter(attempt_time__gt=now - window - lockout)
        .order_by("attempt_time")
        .values_list("attempt_time", flat=True)
    )
    if len(times) < limit:
        return False
    ends = lockout_ends_at(times, limit=limit, window=window, lockout=lockout)
    return ends is not None and ends > now


class ConfideAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, counting every failure at its own time.

    Each failure is one AccessFailureLog row. A username is locked for AXES_COOLOFF_TIME after
    AXES_FAILURE_LIMIT failures within CONFIDE_FAILURE_WINDOW; an address likewise after
    CONFIDE_ADDRESS_FAILURE_LIMIT. Attempts refused during a lockout are not counted, so the
    lockout ends on time however often someone keeps trying.
    """

    def lockout_reason(self, request: Any, credentials: dict | None = None) -> str | None:
        now = request.axes_attempt_time or timezone.now()
        username = get_client_username(request, credentials)
        if username is not None and _locked(
            AccessFailureLog.objects.filter(username=username),
            get_failure_limit(request, credentials),
            now,
        ):
            return "username"
        address = request.axes_ip_address
        if address and _locked(
            AccessFailureLog.objects.filter(ip_address=address),
            settings.CONFIDE_ADDRESS_FAILURE_LIMIT,
            now,
        ):
            return "address"
        return None

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        if not axes_settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        return self.lockout_reason(request, credentials) is not None

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        """Failures of this username within the window (for axes' tools; locking is above)."""
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        since = (request.axes_attempt_time or timezone.now()) - settings.CONFIDE_FAILURE_WINDOW
        return AccessFailureLog.objects.filter(username=username, attempt_time__gt=since).count()

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        if request is None:
            log.error("A failed sign-in without its request cannot be counted towards a lockout.")
            return
        if self.is_whitelisted(request, credentials):
            return
        request.axes_credentials = credentials
        if self.is_locked(request, credentials):
            request.axes_locked_out = True
            request.confide_refused_while_locked = True
            return
        self.clean_expired_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        failure = AccessFailureLog.objects.create(
            username=username,
            ip_address=request.axes_ip_address,
            user_agent=request.axes_user_agent[:255],
            http_accept=request.axes_http_accept[:1025],
            path_info=request.axes_path_info[:255],
        )
        reason = self.lockout_reason(request, credentials)
        if reason is not None:
            failure.locked_out = True
            failure.save(update_fields=["locked_out"])
            request.axes_locked_out = True
            user_locked_out.send(
                "axes",
                request=request,
                username=username,
                ip_address=request.axes_ip_address,
                reason=reason,
            )

    def clean_expired_user_attempts(
        self, request: Any = None, credentials: dict | None = None
    ) -> int:
        count = super().clean_expired_user_attempts(request, credentials)
        deleted, _ = AccessFailureLog.objects.filter(
            attempt_time__lte=timezone.now() - FAILURE_LOG_KEPT
        ).delete()
        return count + deleted

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """Also what ``manage.py axes_reset_username`` calls to lift a lockout."""
        count = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        failures = AccessFailureLog.objects.all()
        if ip_or_username:
            failures = failures.filter(ip_address=ip_address) | failures.filter(username=username)
        else:
            if ip_address:
                failures = failures.filter(ip_address=ip_address)
            if username:
                failures = failures.filter(username=username)
        deleted, _ = failures.delete()
        return count + deleted

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        return self.reset_attempts(username=username)


def _credentials(user: User) -> dict[str, str]:
    return {axes_settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def is_locked_out(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, _credentials(user)))


def record_failure(request: HttpRequest, user: User, *, stage: str) -> bool:
    """A wrong code counts towards the lockout as a wrong password does.

    Returns True when the account is (now) locked out: the session is then signed out, and axes'
    middleware answers with the lockout page.
    """
    user_login_failed.send(
        sender=__name__, credentials=_credentials(user), request=request, stage=stage
    )
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return True
    return False


def refuse_if_locked(request: HttpRequest, user: User, *, stage: str) -> bool:
    """Before checking a code: a locked-out account is refused (and audited) without a check."""
    if not is_locked_out(request, user):
        return False
    return record_failure(request, user, stage=stage)
