"""``manage.py backup``: the whole database, encrypted whole, in one file (core.backup).

PostgreSQL is dumped with pg_dump (custom format), SQLite copied with its backup API; the file is
encrypted under a key derived from the newest master key, so it can be restored only with the keys
of this deployment — keep the two apart. Prints the file's path, size and SHA-256 (to check a copy
against), and writes ``backup_made`` to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.events import Event
from audit.log import log_event
from core import backup


class Command(BaseCommand):
    help = "Back up the whole database into one encrypted file (restore it with `restore`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="Where to write the backup (it must not exist yet). Default: "
            "backups/confide-<UTC timestamp>.backup in the project.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"]:
            output = Path(options["output"]).expanduser().absolute()
        else:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.BASE_DIR) / "backups" / f"confide-{stamp}.backup"
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            made = backup.make_backup(output)
        except OSError as error:
            raise CommandError(backup.describe_os_error(error, output.parent)) from error
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        log_event(
            actor=None,
            event=Event.BACKUP_MADE,
            detail={"size": made.size, "sha256": made.sha256},
        )
        self.stdout.write(f"Backup written: {made.path}")
        self.stdout.write(f"size: {made.size} bytes")
        self.stdout.write(f"sha256: {made.sha256}")
        self.stdout.write(
            f"Encrypted with key {made.key_id}: restoring it needs that key. Keep the backup and "
            "the keys in different places."
        )
