"""Accounts: new sign-ins, their one-time enrolment codes, resets of two-factor, and ending every
session of a person at once. The staff profile that goes with an account is the records app's."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.log import log_event

from .events import Event
from .models import EnrolmentCode, UserSession

ENROLMENT_CODE_DAYS = 7


def new_account(*, username: str, email: str, password: str, is_staff: bool = False) -> User:
    """A new account with its initial password, checked by the password rules."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is already taken."})
    user = user_model(username=username, email=email, is_staff=is_staff)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    return user


def new_enrolment_code(user: User, issued_by: User | None) -> str:
    """A one-time code to set up two-factor (earlier unused ones stop working); only its hash is
    kept."""
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    EnrolmentCode.objects.create(
        user=user,
        code_hash=make_password(code),
        issued_by=issued_by,
        expires_at=timezone.now() + timedelta(days=ENROLMENT_CODE_DAYS),
    )
    return code


def end_sessions(user: User) -> int:
    """Sign the person out everywhere at once; returns how many sessions were ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def reset_two_factor(user: User, *, issued_by: User | None, obj: models.Model | None) -> str:
    """Old devices removed, every session ended, a new one-time enrolment code (audited on
    ``obj``: the staff profile when the Lead resets it, else the account)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    end_sessions(user)
    code = new_enrolment_code(user, issued_by)
    log_event(actor=issued_by, event=Event.ENROLMENT_CODE_ISSUED, obj=obj)
    return code


@transaction.atomic
def issue_enrolment_code_at_console(*, user: User) -> str:
    """For whoever runs the server: the first Lead, or the IT administrator (no Lead above them)."""
    return reset_two_factor(user, issued_by=None, obj=user)
