"""Print how to sign in to the demo: ``manage.py demo_signins`` (development only).

Nothing extra is stored for this: the usernames and roles come from the accounts, the secret and
the current code from each account's TOTP device. Passwords are only hashed, so the hint says where
the password came from.
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo import data as demo
from records.models import GroupRole, NeedToKnowGrant, Role, Setting, Staff

ROLE_ORDER = [
    Role.LEAD,
    Role.DEPUTY,
    Role.PRACTITIONER,
    Role.OFFICE,
    Role.CHAIR,
    Role.SAFEGUARDING_TRUSTEE,
    Role.TRUSTEE,
]


def base32_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def describe(staff: Staff) -> str:
    """What this person sees, in a few words, so a visitor knows which account to try."""
    if staff.role == Role.LEAD:
        return "Lead and safeguarding lead: sees everything; approves sharing and disclosures"
    if staff.role == Role.DEPUTY:
        return "Deputy Lead: sees every child's records; approves only when acting Lead"
    if staff.role == Role.OFFICE:
        return "Office: register and contact details, no record content"
    if staff.role == Role.CHAIR:
        return "Chair of trustees: governance (breaches, policies), no children's records"
    if staff.role == Role.SAFEGUARDING_TRUSTEE:
        return "Safeguarding trustee: handles an allegation against the Lead; no children's records"
    if staff.role == Role.TRUSTEE:
        return "Trustee: governance, no children's records"
    rooms = ", ".join(r.name for r in staff.rooms.all()) or "no room"
    key_children = staff.key_children.count()
    text = (
        f"Practitioner ({rooms}): key person to {key_children} children"
        if key_children
        else f"Practitioner ({rooms}): key person to nobody; general entries of the room only"
    )
    if NeedToKnowGrant.objects.live().filter(grantee=staff).exists():
        text += "; holds a live need-to-know grant"
    return text


class Command(BaseCommand):
    help = "Print the demo sign-ins: usernames, roles, the two-factor secret and current codes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Where the demo is served (make run and make codes pass the PORT they use).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_signins prints sign-in secrets and runs only on a development machine: set "
                "DJANGO_DEBUG=1."
            )
        try:
            has_demo = Setting.objects.filter(ico_registration_number=demo.DEMO_ICO_NUMBER).exists()
        except DatabaseError:
            raise CommandError(
                "This database is not set up yet: run `make run` first (it migrates the database "
                "and loads the demo)."
            ) from None
        if not has_demo:
            raise CommandError(
                "This database holds no demo data: run `make run` (or `python manage.py "
                "seed_demo`) first."
            )
        User = get_user_model()
        rows: list[tuple[str, str, TOTPDevice | None]] = []
        several = Setting.objects.count() > 1
        staff_list = sorted(
            Staff.objects.filter(active=True).select_related("user", "setting"),
            key=lambda s: (ROLE_ORDER.index(Role(s.role)), s.user.username),
        )
        for staff in staff_list:
            where = f" at {staff.setting.name}" if several else ""
            rows.append((staff.user.username, describe(staff) + where, self.device_of(staff.user)))
        for role in GroupRole.objects.filter(active=True).select_related("user", "group"):
            what = f"{role.get_role_display()} of {role.group.name}: counts only, no record content"
            rows.append((role.user.get_username(), what, self.device_of(role.user)))
        for user in User.objects.filter(is_superuser=True, is_active=True, posts__isnull=True):
            rows.append(
                (
                    user.get_username(),
                    "IT administrator (superuser, /admin/): accounts only, no record content",
                    self.device_of(user),
                )
            )

        secrets = {base32_secret(d) for _, _, d in rows if d is not None}
        shared = secrets.pop() if len(secrets) == 1 else None
        write = self.stdout.write
        names = " and ".join(Setting.objects.order_by("name").values_list("name", flat=True))
        write(f"Demo sign-ins for the fictional {names} ({options['url']})")
        write(
            "Password, every account: as given to seed_demo with --password, or printed by it "
            "when none was given (make run uses confide-demo-password)."
        )
        if shared:
            write(
                "Two-factor secret, every account (add it to an authenticator app as a time-based "
                f"key, 6 digits, 30 seconds):\n    {shared}"
            )
        write("")
        width = max(len(username) for username, _, _ in rows)
        write(f"{'username':<{width}}  code now  {'secret  ' if not shared else ''}who")
        for username, what, device in rows:
            code = current_code(device) if device else "------"
            secret = "" if shared or device is None else base32_secret(device) + "  "
            if device is None:
                what += " (no two-factor device: sign in to set one up)"
            write(f"{username:<{width}}  {code:<8}  {secret}{what}")
        left = 30 - int(time.time()) % 30
        write("")
        write(
            f"Codes change every 30 seconds (these for {left} more) and each is accepted once; "
            "run `make codes` again for fresh ones."
        )

    @staticmethod
    def device_of(user: Any) -> TOTPDevice | None:
        return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
