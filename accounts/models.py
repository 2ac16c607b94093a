"""Accounts: the one-time enrolment codes for two-factor set-up, and whose sessions are whose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import UUIDModel


class EnrolmentCode(UUIDModel):
    """A one-time code the Lead issues so a new (or reset) account can set up two-factor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes"
    )
    code_hash = models.CharField(max_length=200)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Made by the records app before accounts had an app of their own: the table keeps its name.
        db_table = "records_enrolmentcode"
        ordering = ["-issued_at"]


class UserSession(models.Model):
    """Which sessions belong to whom, so a leaver's sessions can all be ended at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="confide_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "records_usersession"

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
