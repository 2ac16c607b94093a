"""Give someone who already works in one setting a post in another (bank staff, a group's
safeguarding lead who also works in a setting): the IT administrator's, from the console."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import services


class Command(BaseCommand):
    help = "Give an existing account a post (a role) in a further setting of the deployment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--setting", required=True, help="The setting's name")
        parser.add_argument("--role", required=True, help="practitioner, deputy or office")
        parser.add_argument("--room", action="append", default=[], help="A room (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            staff = services.add_post(
                username=options["username"],
                setting_name=options["setting"],
                role=options["role"],
                room_names=options["room"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"{options['username']} now also works at {staff.setting.name} as "
            f"{staff.get_role_display()}; they choose where to work after signing in."
        )
