"""Signal receivers of sign-in: the audit of failed sign-ins and lockouts, and the session
bookkeeping (when it started, which sessions are whose). Connected when accounts.apps imports
this module; the rules stay in accounts.signin and accounts.lockout."""

from __future__ import annotations

from typing import Any

from axes.conf import settings as axes_settings
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from audit.log import log_event

from .events import Event
from .models import UserSession
from .sessions import LAST_SEEN, STARTED


def _known_user(username: Any) -> Any:
    if not isinstance(username, str) or not username:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


@receiver(user_login_failed, dispatch_uid="confide_audit_login_failed")
def audit_failed_sign_in(
    sender: Any,
    credentials: dict,
    request: HttpRequest | None = None,
    stage: str = "password",
    **kwargs: Any,
) -> None:
    # Django has already masked the password; the username is kept only as the account it names
    # (an unknown username may be a password typed in the wrong box, so it is not stored).
    detail: dict[str, Any] = {"stage": stage}
    if getattr(request, "confide_refused_while_locked", False):
        detail["refused"] = "locked out"
    log_event(
        actor=None,
        event=Event.LOGIN_FAILED,
        obj=_known_user(credentials.get(axes_settings.AXES_USERNAME_FORM_FIELD)),
        request=request,
        detail=detail,
    )


@receiver(user_locked_out, dispatch_uid="confide_audit_locked_out")
def audit_lockout(
    sender: Any,
    request: HttpRequest | None = None,
    username: Any = None,
    reason: str = "",
    **kwargs: Any,
) -> None:
    log_event(
        actor=None,
        event=Event.LOCKED_OUT,
        obj=_known_user(username),
        request=request,
        detail={"by": reason or "username"},
    )


@receiver(user_logged_in, dispatch_uid="confide_session_started")
def stamp_session_start(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    # SessionLimitsMiddleware ends the session 12 hours after this, or after 30 idle minutes.
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


@receiver(user_logged_out, dispatch_uid="confide_session_ended")
def forget_session(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


@receiver(user_logged_in, dispatch_uid="confide_remember_session")
def remember_session(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    # Lets a leaver's sessions all be ended at once (accounts.services.end_sessions).
    if request is not None and hasattr(request, "session"):
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(
            session_key=request.session.session_key, defaults={"user": user}
        )
