"""On the deployment a setting moves to: make the key pair the setting is exported for (README,
"Moving a setting to another deployment")."""

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import moving


class Command(BaseCommand):
    help = "Make a transfer key: keep the private file; send the printed public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Where to write the private key")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["out"])
        if path.exists():
            raise CommandError(f"{path} exists already: choose another name (nothing written).")
        private, public = moving.new_transfer_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(private)
        self.stdout.write(f"Private key written to {path} (readable by you alone): keep it until")
        self.stdout.write("the import, then delete it. Send this public key to the group's IT:")
        self.stdout.write(public)
