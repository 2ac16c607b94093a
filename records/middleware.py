"""Session limits, two-factor enforcement and no-store caching for signed-in pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

# Pages a signed-in user may reach before completing two-factor sign-in.
TWO_FACTOR_EXEMPT = ("login", "logout", "two_factor_verify", "two_factor_setup", "two_factor_enrol")


class SessionLimitsMiddleware:
    """End a session after 30 idle minutes, and every session 12 hours after sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            started = session.setdefault("confide_started", now)
            last_seen = session.get("confide_last_seen", now)
            idle = now - last_seen > settings.CONFIDE_IDLE_TIMEOUT.total_seconds()
            too_old = now - started > settings.CONFIDE_SESSION_MAX_AGE.total_seconds()
            if idle or too_old:
                logout(request)
                messages.info(
                    request,
                    "You were signed out after 30 minutes without activity. Please sign in again."
                    if idle
                    else "Your session reached its 12-hour limit. Please sign in again.",
                )
                return redirect(f"{reverse('login')}?next={request.path}")
            session["confide_last_seen"] = now
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """No page beyond sign-in and two-factor set-up until the session is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated and not user.is_verified():
            exempt_paths = {reverse(name) for name in TWO_FACTOR_EXEMPT}
            if request.path not in exempt_paths and not request.path.startswith("/static/"):
                return redirect("two_factor_verify")
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing a signed-in user sees may be kept by a browser or proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response
