"""Set up a setting's Lead Practitioner, who then adds everyone else: a new installation's first,
or a new setting's of a group."""

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import services


class Command(BaseCommand):
    help = "Create the Lead's account and print a one-time two-factor enrolment code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--setting",
            default="",
            help="The setting this Lead leads (made if new); needed once a deployment has several",
        )
        parser.add_argument("--group", default="", help="The group a new setting belongs to")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("CONFIDE_LEAD_PASSWORD") or getpass.getpass(
            "Password for the Lead (at least 12 characters): "
        )
        try:
            staff, code = services.create_first_lead(
                username=options["username"],
                full_name=options["full_name"],
                email=options["email"],
                password=password,
                setting_name=options["setting"],
                group_name=options["group"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created the Lead, {staff.full_name} ({options['username']}).")
        self.stdout.write(f"One-time enrolment code for two-factor sign-in: {code}")
        self.stdout.write("It expires in 7 days. Sign in, enter it, and scan the QR code.")
