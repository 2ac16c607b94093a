"""Add a trustee (the chair, the safeguarding trustee, or another trustee): the IT administrator's
job, never the Lead's, since the safeguarding trustee handles an allegation against the Lead."""

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import services


class Command(BaseCommand):
    help = "Create a trustee's account and print a one-time two-factor enrolment code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--role", required=True, choices=["chair", "safeguarding_trustee", "trustee"]
        )
        parser.add_argument("--setting", default="", help="Needed once a deployment has several")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("CONFIDE_TRUSTEE_PASSWORD") or getpass.getpass(
            "Password for the trustee (at least 12 characters): "
        )
        try:
            staff, code = services.create_trustee(
                username=options["username"],
                full_name=options["full_name"],
                email=options["email"],
                password=password,
                role=options["role"],
                setting_name=options["setting"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created {staff.full_name} ({options['username']}), {options['role']}.")
        self.stdout.write(f"One-time enrolment code for two-factor sign-in: {code}")
        self.stdout.write("It expires in 7 days. Sign in, enter it, and scan the QR code.")
