"""Every record with a retention date: one JSON object per line (README, "How long records are
kept")."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from records import retention


class Command(BaseCommand):
    help = "List every record with its retention rule and the date it is kept until."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="One JSON object per line (the only format yet)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in retention.schedule():
            if line.keep_until is None:
                continue  # not yet known: the day it counts from has not come
            self.stdout.write(
                json.dumps(
                    {
                        "model": line.model,
                        "id": line.id,
                        "rule": line.rule,
                        "keep_until": line.keep_until.isoformat(),
                        "hold": line.hold,
                    }
                )
            )
