"""On the group's deployment: export one setting whole, for the deployment it moves to (README,
"Moving a setting to another deployment")."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import moving
from records.models import Setting


class Command(BaseCommand):
    help = "Export a setting (its records, people, keys and audit chain) for a transfer key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("setting", help="The setting's name")
        parser.add_argument("--to", required=True, help="The receiver's public transfer key")
        parser.add_argument("--out", required=True, help="The file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        setting = Setting.objects.filter(name=options["setting"]).first()
        if setting is None:
            names = ", ".join(Setting.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"No setting is called {options['setting']!r}. There are: {names}.")
        path = Path(options["out"])
        if path.exists():
            raise CommandError(f"{path} exists already: choose another name (nothing written).")
        try:
            exported = moving.export(setting, options["to"])
        except moving.MoveRefused as refused:
            raise CommandError(str(refused)) from None
        moving.write_file(path, exported.data)
        self.stdout.write(
            f"Exported {setting.name} to {path} ({len(exported.data)} bytes): {exported.rows} rows, "
            f"{exported.people} people, {exported.keys} keys, {exported.entries} audit entries."
        )
        self.stdout.write(f"SHA-256: {moving.fingerprint(exported.data)}")
        self.stdout.write(
            "Only the holder of the transfer key's private half can open it. Read them the SHA-256 "
            "by phone (not in the email that carries the file): the import asks for it. From "
            "now on the receiver holds this setting's keys: stop using the setting here, which "
            "stays until it is destroyed on its own schedule."
        )
