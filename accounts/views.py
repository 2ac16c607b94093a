"""Sign-in, two-factor and sign-out pages: thin views over accounts.signin.

After a right password the session is signed in but not verified; RequireTwoFactorMiddleware keeps
it to these pages until a code from the authenticator app or a backup code is accepted. When a
wrong code locks the account out, the session is signed out and axes' middleware answers with the
lockout page.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from core.http import AuthenticatedHttpRequest, signed_in_user

from . import lockout, signin
from .forms import (
    CodeForm,
    ConfirmPasswordForm,
    EnrolmentCodeForm,
    SetupCodeForm,
    SignInForm,
)

# Why SessionLimitsMiddleware ended a session, shown on the sign-in page.
ENDED = {
    "idle": "You were signed out after 30 minutes without activity. Sign in again to carry on.",
    "limit": "You were signed out because 12 hours have passed since you signed in. "
    "Sign in again to carry on.",
}


def _signed_out_elsewhere() -> HttpResponse:
    # After a lockout the session is signed out; axes' middleware replaces this with its page.
    return redirect("accounts:login")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    user = request.user
    if signin.is_verified(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        step = signin.start_sign_in(request, form.get_user(), next_url=request.POST.get("next"))
        return redirect(step)
    next_url = signin.safe_next(request, request.POST.get("next") or request.GET.get("next")) or ""
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": next_url, "ended": ENDED.get(request.GET.get("ended", ""))},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:login")


@sensitive_post_parameters("code")
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if signin.is_verified(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if not signin.has_second_factor(user):
        return redirect("accounts:two_factor_enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if lockout.refuse_if_locked(request, user, stage="two_factor"):
            return _signed_out_elsewhere()
        if form.is_valid():
            result = signin.check_code(user, form.cleaned_data["code"])
            if result.device is not None:
                signin.complete_sign_in(request, result.device)
                _warn_if_few_backup_codes(request, result.device)
                return redirect(signin.next_url(request))
            form.add_error("code", result.error)
            if lockout.record_failure(request, user, stage="two_factor"):
                return _signed_out_elsewhere()
    return render(request, "registration/two_factor_verify.html", {"form": form})


def _warn_if_few_backup_codes(request: HttpRequest, device: Any) -> None:
    if not isinstance(device, StaticDevice):
        return
    left = signin.backup_codes_left(signed_in_user(request))
    codes = "backup code" if left == 1 else "backup codes"
    messages.warning(
        request,
        f"You signed in with a backup code, which now cannot be used again. You have {left} "
        f"{codes} left; you can make new ones from the Backup codes page.",
    )


@sensitive_post_parameters("code")
@never_cache
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if signin.has_second_factor(user):
        return redirect("accounts:two_factor_verify")
    form = EnrolmentCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if lockout.refuse_if_locked(request, user, stage="enrolment_code"):
            return _signed_out_elsewhere()
        if form.is_valid():
            enrolment = signin.find_enrolment_code(user, form.cleaned_data["code"])
            if enrolment is not None:
                signin.begin_enrolment(request, enrolment=enrolment)
                return redirect("accounts:two_factor_setup")
            form.add_error(
                "code",
                "That enrolment code is not right, or it has expired or been replaced. Check "
                "it, or ask the Lead Practitioner for a new one.",
            )
            if lockout.record_failure(request, user, stage="enrolment_code"):
                return _signed_out_elsewhere()
    return render(request, "registration/two_factor_enrol.html", {"form": form})


def _qr_code(config_url: str) -> str:
    return segno.make(config_url, error="m").svg_data_uri(scale=5, border=4, dark="#0b0c0c")


def _grouped_key(device: Any) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@sensitive_post_parameters("code")
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if signin.has_second_factor(user):
        return redirect("accounts:two_factor_verify")
    device = signin.pending_device(request)
    if device is None:
        messages.info(request, "Enter your enrolment code first.")
        return redirect("accounts:two_factor_enrol")
    form = SetupCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if lockout.refuse_if_locked(request, user, stage="two_factor_setup"):
            return _signed_out_elsewhere()
        if form.is_valid():
            result = signin.check_setup_code(device, form.cleaned_data["code"])
            if result.device is not None:
                try:
                    codes = signin.finish_enrolment(request, device=result.device)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                    return redirect("accounts:two_factor_enrol")
                return render(
                    request,
                    "registration/backup_codes_new.html",
                    {"codes": codes, "enrolled": True, "continue_url": signin.next_url(request)},
                )
            form.add_error("code", result.error)
            if lockout.record_failure(request, user, stage="two_factor_setup"):
                return _signed_out_elsewhere()
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": _qr_code(device.config_url),
            "secret_key": _grouped_key(device),
            "account_name": user.get_username(),
            "issuer": settings.OTP_TOTP_ISSUER,
        },
    )


@sensitive_post_parameters("password")
@login_required
@never_cache
def backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ConfirmPasswordForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            codes = signin.replace_backup_codes(user=user, request=request)
            return render(
                request,
                "registration/backup_codes_new.html",
                {
                    "codes": codes,
                    "enrolled": False,
                    "continue_url": reverse("accounts:backup_codes"),
                },
            )
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return _signed_out_elsewhere()
    return render(
        request,
        "registration/backup_codes.html",
        {"form": form, "left": signin.backup_codes_left(user)},
    )


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff change their own password (the Lead set the first one and knows it)."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        # Keep this session (it stays verified); every other session of this user ends.
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.")
        return redirect("home:dashboard")
    return render(request, "registration/password_change.html", {"form": form})
