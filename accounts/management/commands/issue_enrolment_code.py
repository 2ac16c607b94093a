"""A new two-factor enrolment code for an account, from the console (for the Lead who lost their
phone and backup codes, or the IT administrator)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services


class Command(BaseCommand):
    help = "Reset an account's two-factor devices and print a one-time enrolment code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no account called {options['username']!r}.")
        code = services.issue_enrolment_code_at_console(user=user)
        self.stdout.write(f"Old two-factor devices removed and sessions ended for {user.username}.")
        self.stdout.write(f"One-time enrolment code: {code} (expires in 7 days)")
