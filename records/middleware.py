"""The setting a signed-in person works in, for the whole request (core.tenancy).

A person with one post works in its setting. A person with posts in several settings (bank
staff, a group's safeguarding lead) chooses one after sign-in; the choice is kept in the session,
and until it is made, every page but the chooser and sign-out leads to the chooser. Every form
carries the setting it was drawn in (``setting_field``): a form drawn in one setting and sent
after switching to another in a second tab is refused, and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core import tenancy

from . import policy

SESSION_KEY = "confide_setting"
FORM_FIELD = "confide_setting"
# Pages a person with several posts may reach before choosing where to work.
CHOOSER_EXEMPT = (
    "records:choose_setting",
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor_verify",
    "accounts:two_factor_setup",
    "accounts:two_factor_enrol",
    "accounts:password_change",
    "accounts:backup_codes",
)


def working_setting_for(request: HttpRequest) -> tuple[str | None, bool]:
    """(the setting this request works in, whether the person must still choose one)."""
    user = request.user
    if not user.is_authenticated:
        return None, False
    held = [str(pk) for pk in policy.posts_of(user).values_list("setting_id", flat=True)]
    # Asked once a request: the header offers "Switch setting" from it.
    request.confide_posts = held  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_KEY)
    if chosen in held:
        return chosen, False
    if len(held) == 1:
        request.session[SESSION_KEY] = held[0]
        return held[0], False
    if chosen is not None:
        # The post it named has ended: choose again.
        del request.session[SESSION_KEY]
    return None, len(held) > 1


class WorkingSettingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        setting, must_choose = working_setting_for(request)
        if must_choose and not self._exempt(request):
            return redirect("records:choose_setting")
        if request.method == "POST" and setting is not None:
            sent = request.POST.get(FORM_FIELD)
            if sent is not None and sent != setting:
                return render(request, "records/setting_mismatch.html", status=409)
        # The IT administrator (a superuser with no post) looks after the whole deployment;
        # anyone else without a working setting sees no setting's rows.
        whole = bool(getattr(request.user, "is_superuser", False)) and not getattr(
            request, "confide_posts", None
        )
        with tenancy.request_scope(setting, whole_deployment=whole):
            return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        if request.path.startswith(settings.STATIC_URL or "/static/"):
            return True
        return request.path in {reverse(name) for name in CHOOSER_EXEMPT}
