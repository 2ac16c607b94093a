"""Sign-in rules: lockout counting, two-factor enrolment and verification, backup codes, and the
audit of failed sign-ins.

The steps of a sign-in:

1. The password, through ``django.contrib.auth.authenticate`` so django-axes can refuse a locked
   username or address. A right password signs the session in, unverified (``start_sign_in``).
2. An account with a confirmed device enters a code from its authenticator app or a backup code
   (``check_code``, then ``complete_sign_in``). An account without one enters the one-time
   enrolment code the Lead issued (``find_enrolment_code``, ``begin_enrolment``), scans a QR code
   and confirms it with a current code (``finish_enrolment``), and is shown its backup codes once.

Until step 2 is done, RequireTwoFactorMiddleware lets the session reach only these pages. A wrong
code at step 2 counts towards the lockout exactly like a wrong password (``record_failure``).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
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
from django.contrib.auth.hashers import check_password
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import log_event
from .models import EnrolmentCode, UserSession

log = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
TOTP_CODE = re.compile(r"\d{6}")

# Session keys.
STARTED = "confide_started"
LAST_SEEN = "confide_last_seen"
NEXT = "confide_next"
ENROLMENT = "confide_enrolment_code"

# Failure rows older than this no longer count for anything; the audit log keeps the record.
FAILURE_LOG_KEPT = timedelta(days=1)


# --- lockout ----------------------------------------------------------------------------------


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


def _credentials(user: Any) -> dict[str, str]:
    return {axes_settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def is_locked_out(request: HttpRequest, user: Any) -> bool:
    return bool(AxesProxyHandler.is_locked(request, _credentials(user)))


def record_failure(request: HttpRequest, user: Any, *, stage: str) -> bool:
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


def refuse_if_locked(request: HttpRequest, user: Any, *, stage: str) -> bool:
    """Before checking a code: a locked-out account is refused (and audited) without a check."""
    if not is_locked_out(request, user):
        return False
    return record_failure(request, user, stage=stage)


# --- audit of sign-in ---------------------------------------------------------------------------


def _known_user(username: Any) -> Any:
    if not isinstance(username, str) or not username:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


@receiver(user_login_failed, dispatch_uid="confide_audit_login_failed")
def audit_failed_sign_in(
    sender: Any, credentials: dict, request: Any = None, stage: str = "password", **kwargs: Any
) -> None:
    # Django has already masked the password; the username is kept only as the account it names
    # (an unknown username may be a password typed in the wrong box, so it is not stored).
    detail: dict[str, Any] = {"stage": stage}
    if getattr(request, "confide_refused_while_locked", False):
        detail["refused"] = "locked out"
    log_event(
        actor=None,
        event="login_failed",
        obj=_known_user(credentials.get(axes_settings.AXES_USERNAME_FORM_FIELD)),
        request=request,
        detail=detail,
    )


@receiver(user_locked_out, dispatch_uid="confide_audit_locked_out")
def audit_lockout(
    sender: Any, request: Any = None, username: Any = None, reason: str = "", **kwargs: Any
) -> None:
    log_event(
        actor=None,
        event="locked_out",
        obj=_known_user(username),
        request=request,
        detail={"by": reason or "username"},
    )


@receiver(user_logged_in, dispatch_uid="confide_session_started")
def stamp_session_start(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # SessionLimitsMiddleware ends the session 12 hours after this, or after 30 idle minutes.
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


@receiver(user_logged_out, dispatch_uid="confide_session_ended")
def forget_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


# --- sign-in steps ------------------------------------------------------------------------------


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def has_second_factor(user: Any) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def start_sign_in(request: HttpRequest, user: Any, *, next_url: str | None = None) -> str:
    """After the right password: the session is signed in (with a new key) but not yet verified.

    Returns the name of the page for the second step.
    """
    from django.contrib.auth import login

    login(request, user)
    # Every sign-in asks for the second factor again, even for the same person's session.
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(ENROLMENT, None)
    target = safe_next(request, next_url)
    if target:
        request.session[NEXT] = target
    return "two_factor_verify" if has_second_factor(user) else "two_factor_enrol"


def _cycle_session_key(request: HttpRequest, user: Any) -> None:
    """A new key once the session is verified; the leaver bookkeeping follows the new key."""
    old = request.session.session_key
    request.session.cycle_key()
    new = request.session.session_key
    if old:
        UserSession.objects.filter(session_key=old).delete()
    if new:
        UserSession.objects.get_or_create(session_key=new, defaults={"user": user})


def next_url(request: HttpRequest) -> str:
    return request.session.pop(NEXT, None) or resolve_url(settings.LOGIN_REDIRECT_URL)


@transaction.atomic
def complete_sign_in(request: HttpRequest, device: Any) -> None:
    """The second factor is right: the session is verified and the failure count cleared."""
    user: Any = request.user
    otp_login(request, device)
    _cycle_session_key(request, user)
    AxesProxyHandler.reset_attempts(username=user.get_username())
    method = "backup_code" if isinstance(device, StaticDevice) else "authenticator_app"
    log_event(
        actor=user, event="signed_in", obj=user, request=request, detail={"second_factor": method}
    )


@dataclass(frozen=True)
class CodeCheck:
    device: Any = None
    error: str = ""


def normalise_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value).lower()


def _already_used(device: TOTPDevice, token: str) -> bool:
    """Whether a refused code is one that was accepted before (a replay), not a wrong one."""
    if device.last_t < 0 or not TOTP_CODE.fullmatch(token):
        return False
    first = max(0, device.last_t - device.tolerance)
    return any(
        hotp(device.bin_key, t, digits=device.digits) == int(token)
        for t in range(first, device.last_t + 1)
    )


def _throttled(device: Any) -> str:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return ""
    wait = 1
    if info and info.get("locked_until"):
        wait = max(1, int((info["locked_until"] - timezone.now()).total_seconds() + 0.999))
    unit = "second" if wait == 1 else "seconds"
    return f"Too many wrong codes in a row. Wait {wait} {unit}, then enter a new code."


def _verify_device(device: Any, token: str) -> CodeCheck:
    # The device row is locked while it is checked, so one code cannot be accepted twice by two
    # requests at once (PostgreSQL; SQLite serialises writes). A wrong code's throttling commits.
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        error = _throttled(device)
        if error:
            return CodeCheck(error=error)
        if device.verify_token(token):
            return CodeCheck(device=device)
    if isinstance(device, TOTPDevice) and _already_used(device, token):
        return CodeCheck(
            error="That code has already been used. Wait for your app to show a new code, "
            "then enter it."
        )
    return CodeCheck()


def check_code(user: Any, code: str) -> CodeCheck:
    """A 6-digit code from the authenticator app, or otherwise a backup code."""
    token = normalise_code(code)
    if TOTP_CODE.fullmatch(token):
        devices: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        wrong = (
            "That code is not right. Enter the code your authenticator app shows now, "
            "or use one of your backup codes."
        )
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
        wrong = (
            "That backup code is not right, or it has already been used. Each backup code "
            "works once."
        )
    errors = []
    for device in devices:
        result = _verify_device(device, token)
        if result.device is not None:
            return result
        if result.error:
            errors.append(result.error)
    return CodeCheck(error=errors[0] if errors else wrong)


def backup_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_backup_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [
        f"{secrets.randbelow(10**BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}"
        for _ in range(BACKUP_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def replace_backup_codes(*, user: Any, request: HttpRequest | None = None) -> list[str]:
    """New backup codes; the old ones stop working. The codes are shown once and not logged."""
    codes = _new_backup_codes(user)
    log_event(actor=user, event="backup_codes_issued", obj=user, request=request)
    return codes


# --- enrolment ----------------------------------------------------------------------------------


def normalise_enrolment_code(value: str) -> str:
    """``a1b2 c3d4 e5f6`` is read as ``A1B2-C3D4-E5F6``, the form the Lead was given."""
    compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def find_enrolment_code(user: Any, code: str) -> EnrolmentCode | None:
    """The user's unused, unexpired enrolment code that matches, if any."""
    candidate = normalise_enrolment_code(code)
    for enrolment in EnrolmentCode.objects.filter(
        user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    ):
        if check_password(candidate, enrolment.code_hash):
            return enrolment
    return None


@transaction.atomic
def begin_enrolment(request: HttpRequest, *, enrolment: EnrolmentCode) -> TOTPDevice:
    """The enrolment code is right: a new, unconfirmed authenticator device for this session.

    The code itself is used up only when the device is confirmed, so someone who stops half-way
    can start again with the same code.
    """
    user: Any = request.user
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    request.session[ENROLMENT] = str(enrolment.pk)
    return device


def pending_device(request: HttpRequest) -> TOTPDevice | None:
    """The device being set up, if this session entered a valid enrolment code."""
    user: Any = request.user
    code_id = request.session.get(ENROLMENT)
    if not code_id:
        return None
    live = EnrolmentCode.objects.filter(
        pk=code_id, user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
    if not live:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def check_setup_code(device: TOTPDevice, code: str) -> CodeCheck:
    token = normalise_code(code)
    result = _verify_device(device, token)
    if result.device is None and not result.error:
        return CodeCheck(
            error="That code is not right. Check that you scanned the QR code on this page, "
            "then enter the code your app shows now."
        )
    return result


def finish_enrolment(request: HttpRequest, *, device: TOTPDevice) -> list[str]:
    """The new device gave a right code: it replaces any earlier one, the enrolment code is used
    up, the session is verified, and ten backup codes are made (returned to be shown once)."""
    user: Any = request.user
    code_id = request.session.get(ENROLMENT)
    with transaction.atomic():
        used = code_id and EnrolmentCode.objects.filter(
            pk=code_id,
            user=user,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(used_at=timezone.now())
        if not used:
            raise ValidationError(
                "This enrolment code has just been used or has expired. Ask the Lead "
                "Practitioner for a new one."
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_backup_codes(user)
        log_event(actor=user, event="two_factor_enrolled", obj=user, request=request)
        request.session.pop(ENROLMENT, None)
        complete_sign_in(request, device)
    return codes
