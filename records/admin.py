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

from typing import Any

from auditlog.models import LogEntry
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import tenancy

from .models import GroupRole, Room, Setting, SettingGroup

for model in (LogEntry, TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class AccountAdmin(UserAdmin):
    # Plain multiple selects for groups and permissions: the two-pane widget's search icon puts
    # an aria-label on a span, which screen readers ignore (axe: aria-prohibited-attr).
    filter_horizontal = ()

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # A username is how the audit chain names who acted (audit.chain's version 3 seals): it
        # is given once, never changed.
        found = tuple(super().get_readonly_fields(request, obj))
        return (*found, "username") if obj is not None else found


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)


class RoomForm(forms.ModelForm):
    """A room belongs to a setting: chosen when it is made (a deployment may host several)."""

    in_setting = forms.ModelChoiceField(
        label="Setting", queryset=Setting.objects.none(), required=False
    )

    class Meta:
        model = Room
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["in_setting"]
        working = tenancy.working_setting()
        # The IT administrator chooses among the deployment's settings; anyone working in a
        # setting sees only their own.
        settings_ = Setting.objects.filter(pk=working) if working else Setting.objects.all()
        field.queryset = settings_.order_by("name")  # type: ignore[attr-defined]
        if self.instance.setting_id is not None:
            field.initial = self.instance.setting_id
            field.disabled = True  # a room does not move between settings
        elif field.queryset.count() > 1:  # type: ignore[attr-defined]
            field.required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        setting = data.get("in_setting") or (
            Setting.current() if Setting.current_id() is not None else None
        )
        if setting is None and self.instance.setting_id is None:
            self.add_error("in_setting", "Choose the setting this room belongs to.")
        elif setting is not None and self.instance.setting_id is None:
            self.instance.setting = setting
        name = data.get("name")
        if setting is not None and name:
            same = Room.objects.across_settings().filter(setting=setting, name__iexact=name)
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("name", "That setting already has a room of this name.")
        return data


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    form = RoomForm
    list_display = ["name", "description", "setting"]
    search_fields = ["name"]


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "ico_registration_number", "data_protection_contact"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # The first setting is recorded here; a group adds more with `create_lead --setting`,
        # which gives the new setting its Lead at once.
        return not Setting.objects.exists() and super().has_add_permission(request)


@admin.register(SettingGroup)
class SettingGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]


@admin.register(GroupRole)
class GroupRoleAdmin(admin.ModelAdmin):
    """Who holds a role over a whole group: counts across its settings, no record content."""

    list_display = ["user", "group", "role", "active"]
    list_filter = ["group", "role", "active"]
