"""Session limits, two-factor enforcement and no-store caching for signed-in pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .sessions import LAST_SEEN, STARTED, needs_last_seen, session_end_reason
from .signin import is_verified

# Pages a signed-in user may reach before completing two-factor sign-in.
TWO_FACTOR_EXEMPT = (
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor_verify",
    "accounts:two_factor_setup",
    "accounts:two_factor_enrol",
)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class SessionLimitsMiddleware:
    """End a session after 30 idle minutes, and every session 12 hours after sign-in.

    Sign-in stamps the session (accounts.receivers.stamp_session_start); every request of a signed-in
    user is checked against the stamps, so an ended session ends at its next request, wherever
    its cookie went.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            session.setdefault(STARTED, now)
            reason = session_end_reason(session, now)
            if reason is not None:
                logout(request)
                # The sign-in page says why (messages are not set up this early in the chain).
                query = {"ended": reason}
                if request.method == "GET":
                    query["next"] = request.get_full_path()
                return _no_store(redirect(f"{reverse('accounts:login')}?{urlencode(query)}"))
            if needs_last_seen(session, now):
                session[LAST_SEEN] = now
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """No page beyond sign-in and two-factor set-up until the session is verified.

    This holds for every account, an IT superuser without a staff profile included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not is_verified(user):
            exempt_paths = {reverse(name) for name in TWO_FACTOR_EXEMPT}
            if request.path not in exempt_paths and not request.path.startswith(
                settings.STATIC_URL or "/static/"
            ):
                return _no_store(redirect("accounts:two_factor_verify"))
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing a signed-in user sees may be kept by a browser or proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            _no_store(response)
        return response
