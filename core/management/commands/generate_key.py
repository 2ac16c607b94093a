"""Print a new encryption key in the form CONFIDE_ENCRYPTION_KEYS takes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.crypto import new_key_spec


class Command(BaseCommand):
    help = "Print a new encryption key (id:base64key) for CONFIDE_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_key_spec())
        # Advice on stderr, so `manage.py generate_key > file` captures the key alone.
        self.stderr.write(
            "Put this key first in CONFIDE_ENCRYPTION_KEYS (newest first, comma-separated), keep "
            "the older keys after it, restart, then run `manage.py rotate_keys`. Back it up "
            "somewhere apart from the database backups: without it the records cannot be "
            "decrypted, and with it a stolen backup can."
        )
