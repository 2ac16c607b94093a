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
from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.log import log_event
from core.http import AnyUser, signed_in_user

from .events import Event
from .models import EnrolmentCode, UserSession

log = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
TOTP_CODE = re.compile(r"\d{6}")

# Session keys.
NEXT = "confide_next"
ENROLMENT = "confide_enrolment_code"


# --- sign-in steps ------------------------------------------------------------------------------


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def is_verified(user: AnyUser) -> bool:
    """Signed in with both factors in this session (django-otp's middleware adds is_verified to
    the request's user)."""
    return bool(user.is_authenticated and getattr(user, "is_verified", bool)())


def has_second_factor(user: User) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def start_sign_in(request: HttpRequest, user: User, *, next_url: str | None = None) -> str:
    """After the right password: the session is signed in (with a new key) but not yet verified.

    Returns the name of the page for the second step.
    """
    login(request, user)
    # Every sign-in asks for the second factor again, even for the same person's session.
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(ENROLMENT, None)
    target = safe_next(request, next_url)
    if target:
        request.session[NEXT] = target
    return "accounts:two_factor_verify" if has_second_factor(user) else "accounts:two_factor_enrol"


def _cycle_session_key(request: HttpRequest, user: User) -> None:
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
    user = signed_in_user(request)
    otp_login(request, device)
    _cycle_session_key(request, user)
    AxesProxyHandler.reset_attempts(username=user.get_username())
    method = "backup_code" if isinstance(device, StaticDevice) else "authenticator_app"
    log_event(
        actor=user,
        event=Event.SIGNED_IN,
        obj=user,
        request=request,
        detail={"second_factor": method},
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


def check_code(user: User, code: str) -> CodeCheck:
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


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [
        f"{secrets.randbelow(10**BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}"
        for _ in range(BACKUP_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def replace_backup_codes(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """New backup codes; the old ones stop working. The codes are shown once and not logged."""
    codes = _new_backup_codes(user)
    log_event(actor=user, event=Event.BACKUP_CODES_ISSUED, obj=user, request=request)
    return codes


# --- enrolment ----------------------------------------------------------------------------------


def normalise_enrolment_code(value: str) -> str:
    """``a1b2 c3d4 e5f6`` is read as ``A1B2-C3D4-E5F6``, the form the Lead was given."""
    compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def find_enrolment_code(user: User, code: str) -> EnrolmentCode | None:
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
    user = signed_in_user(request)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    request.session[ENROLMENT] = str(enrolment.pk)
    return device


def pending_device(request: HttpRequest) -> TOTPDevice | None:
    """The device being set up, if this session entered a valid enrolment code."""
    user = signed_in_user(request)
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
    user = signed_in_user(request)
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
        log_event(actor=user, event=Event.TWO_FACTOR_ENROLLED, obj=user, request=request)
        request.session.pop(ENROLMENT, None)
        complete_sign_in(request, device)
    return codes
