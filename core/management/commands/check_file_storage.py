"""``manage.py check_file_storage``: where the attachments and PDFs are (core.filestore), and
whether every object a row refers to is in the store.

Run it after a restore (pointed at the restored database, with the store it should read): a row
whose object is missing — a bucket not restored with its database, an object deleted behind the
application's back — is named, and the command exits non-zero. It changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import filestore


class Command(BaseCommand):
    help = "Count the files in their columns and in object storage; name any object missing."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = filestore.check()
        except filestore.FileStorageError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"new files go to: {'object storage' if filestore.enabled() else 'the database'}"
        )
        self.stdout.write(f"values in their database columns: {report.in_columns}")
        self.stdout.write(f"values in object storage: {report.in_store}")
        self.stdout.write(
            f"objects no row refers to: {report.unreferenced} (the daily file_storage_sweep "
            "deletes those still unreferenced a day after it first saw them)"
        )
        if report.missing:
            for row in report.missing:
                self.stderr.write(f"missing from the store: {row}")
            raise CommandError(
                f"{len(report.missing)} row(s) refer to an object the store does not have: "
                "restore the bucket from the same time as the database."
            )
        self.stdout.write("every object a row refers to is in the store")
