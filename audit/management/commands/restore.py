"""``manage.py restore PATH --database-url URL``: a backup made by ``backup``, restored into a
fresh, empty database (core.backup) — never into the one this Confide uses.

The backup is decrypted and checked whole before the target is written, so a wrong key, or a file
changed or cut short, is refused with the target untouched. The restored database holds its schema
and migration history: it needs no ``migrate``. Check it with ``verify_audit``, pointed at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backup


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Command(BaseCommand):
    help = "Restore a backup (from `backup`) into a new, empty database named by --database-url."
    # The system checks would open DATABASES['default'] (on SQLite, creating its file), which a
    # restore never touches: on the day of a real restore it may be gone.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--database-url",
            required=True,
            help="the new, empty database to restore into, e.g. "
            "postgres://confide@db.internal:5432/confide_restored or sqlite:////srv/restored.db",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["database_url"]
        try:
            target = dj_database_url.parse(url)
        except ValueError as error:
            raise CommandError(f"--database-url is not a database URL: {error}") from None
        source = Path(options["path"]).expanduser().absolute()
        try:
            header = backup.restore_backup(source, target)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        shown = without_password(url)
        self.stdout.write(f"Restored {source} ({header.kind}, key {header.key_id}) into {shown}.")
        self.stdout.write(
            "It needs no migrate: the backup holds the schema and its migrations. Check it with "
            "the keys and the audit anchors of the deployment it came from:"
        )
        self.stdout.write(
            f"  DATABASE_URL={shown} CONFIDE_AUDIT_ANCHOR_DIR=<its anchor directory> "
            "python manage.py verify_audit"
        )
        self.stdout.write(
            "then compare the row counts with the database it came from (README: the monthly "
            "drill)."
        )
