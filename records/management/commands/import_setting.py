"""On the deployment a setting moves to: import it, verified whole or not at all (README, "Moving
a setting to another deployment")."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import anchors
from records import moving


class Command(BaseCommand):
    help = "Import a setting exported by another Confide deployment, verifying every value."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The exported setting")
        parser.add_argument("--key", required=True, help="The private transfer key file")
        parser.add_argument(
            "--sha256",
            required=True,
            help="The file's SHA-256 as the group's IT read it to you (by phone, not by email)",
        )
        parser.add_argument("--group", help="A group of this deployment to join (optional)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            private = moving.load_private_key(Path(options["key"]).read_bytes())
            data = Path(options["file"]).read_bytes()
            done = moving.import_setting(
                data, private, sha256=options["sha256"], group=options["group"]
            )
        except OSError as error:
            raise CommandError(f"{error.filename}: {error.strerror}") from None
        except moving.MoveRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Imported {done.setting.name}: {done.rows} rows, {done.people} people, {done.keys} "
            f"keys; {done.values} values decrypt, {done.sealed_rows} sealed rows verify"
            + (f", {done.shredded} values of destroyed keys" if done.shredded else "")
            + "."
        )
        self.stdout.write(
            f"Its audit chain: {done.entries} entries intact to seal #{done.head}, agreeing "
            f"with its {done.anchors} anchors."
        )
        if done.anchor_error:
            self.stderr.write(
                f"Its anchors could not be written to {anchors.directory()} "
                f"({done.anchor_error}): file these lines there by hand, then run verify_audit:"
            )
            for record in done.anchor_records:
                self.stderr.write(json.dumps(record, sort_keys=True))
        if done.renumbered_people:
            self.stdout.write(
                "Accounts numbered anew here (their ids were taken): "
                + ", ".join(done.renumbered_people)
            )
        self.stdout.write(
            "Its people sign in with their passwords and authenticator apps as before. Delete the "
            "transfer key file now."
        )
