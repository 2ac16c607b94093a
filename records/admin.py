"""The Django admin is for the IT administrator's account management, and shows no record content.

Being a superuser is not a way to read records (see DESIGN.md), so only what account management
needs is here: users and groups (django.contrib.auth), lockouts (django-axes), the rooms and the
setting. Nothing that holds record content is registered — entries, amendments, attachments,
children, families, grants, staff records — and neither are guardian's object permissions.

Two registrations made by libraries are removed:
- django-auditlog's LogEntry admin: its change diffs name children, and the audit log is read on
  the Lead's and Deputy's own audit pages, never edited.
- django-otp's device admins: they show (or let a superuser set) a user's TOTP key and backup
  codes, so a superuser who also resets a password could sign in as the Lead. Two-factor
  enrolment and resets go through the Lead's one-time enrolment codes instead.
"""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Room, Setting

for model in (LogEntry, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class AccountAdmin(UserAdmin):
    # Plain multiple selects for groups and permissions: the two-pane widget's search icon puts
    # an aria-label on a span, which screen readers ignore (axe: aria-prohibited-attr).
    filter_horizontal = ()


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ["name", "ico_registration_number", "data_protection_contact"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # The setting is one row (Setting.current()).
        return not Setting.objects.exists() and super().has_add_permission(request)
