"""Signal receivers: session bookkeeping for sign-in (rules stay in services)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .models import UserSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):  # type: ignore[no-untyped-def]
    # Lets deactivate_staff end every session of a leaver at once.
    if request is not None and hasattr(request, "session"):
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(
            session_key=request.session.session_key, defaults={"user": user}
        )
