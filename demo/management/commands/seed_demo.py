"""Load a fictional preschool so a person can try Confide: ``manage.py seed_demo``.

Development only: it refuses to run when DEBUG is off, and refuses a database that already holds
people or children (``--if-empty`` turns that refusal into a quiet "nothing to do", for ``make
run``). Rows are made through the services where a service exists, so the rules, the encryption and
the audit trail apply to the demo data as they would to real records; timestamps are then moved
back so the chronology spans the past year. The random choices are seeded, so every run on the same
day loads the same records.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit import anchors
from audit import checks as audit_checks
from demo import data as demo
from demo.records import (
    check_demo_password,
    database_has_data,
    seed_group,
    totp_key_from_base32,
)


class Command(BaseCommand):
    help = (
        "Load a fictional preschool (staff, families, children and a year of records) for trying "
        "Confide on a development machine. Refuses to run with DEBUG off or on a database that "
        "already holds data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="The password of every demo account (at least 12 characters, not a common one). "
            "Without it a password is generated and printed once.",
        )
        parser.add_argument(
            "--totp-secret",
            help="A base32 secret for every demo account's authenticator (TOTP) device. "
            "Without it one shared secret is generated; demo_signins shows it.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="When the database already holds data, say so and stop without error.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo loads fictional demo data and runs only on a development machine: set "
                "DJANGO_DEBUG=1. It never runs with DEBUG off."
            )
        if database_has_data():
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded; nothing to do.")
                return
            raise CommandError(
                "This database already holds data (a setting, staff, children or a demo account), "
                "so seed_demo will not add to it. Use an empty database (for example a new "
                "DATABASE_URL=sqlite:////tmp/demo.sqlite3 and migrate), or pass --if-empty to "
                "stop quietly."
            )
        password = options["password"]
        generated = password is None
        if generated:
            password = f"demo-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        check_demo_password(password)
        secret = options["totp_secret"]
        totp_key = totp_key_from_base32(secret) if secret else secrets.token_bytes(20)

        set_aside = anchors.set_aside()
        if set_aside:
            self.stdout.write(
                f"The anchors of an earlier demo database were moved to {set_aside}: this is a new "
                "audit log."
            )
        with transaction.atomic():
            first, second = seed_group(password=password, totp_key=totp_key)
        made = first
        # The demo's audit log is checked and anchored at once, as the scheduler would within
        # five minutes: its audit page shows the chain verified.
        anchors.write()
        audit_checks.run(full=True)

        by_level = Counter[str]()
        for key, n in made["by_category"].items():
            by_level[key.split("/")[1].replace("_", " ").lower()] += n
        levels = ", ".join(f"{n} {level}" for level, n in sorted(by_level.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the fictional setting {demo.SETTING['name']!r}: {len(demo.ROOMS)} rooms, "
                f"{made['staff']} staff and an IT superuser ({demo.IT_ADMIN_USERNAME}), "
                f"{made['children']} children in {made['families']} families, "
                f"{made['entries']} record entries ({levels}), {made['amendments']} amendments, "
                "3 need-to-know grants (live, expired, revoked), a past acting-Lead period, "
                f"a break-glass access awaiting review and {made['staff_records']} confidential "
                "staff records."
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"And a second setting of the group {demo.GROUP_NAME!r}, "
                f"{demo.SETTING_B['name']!r}: {second['staff']} staff (usernames ending "
                f"{demo.SECOND_SUFFIX}), {second['children']} children, {second['entries']} "
                f"record entries; {demo.BANK_USERNAME!r} works in both settings (a practitioner "
                f"in the first, the office in the second) and {demo.GROUP_USERNAME!r} is the "
                "group's safeguarding lead (counts across both settings, no record content)."
            )
        )
        if generated:
            self.stdout.write(
                "No --password was given, so every demo account has this generated password "
                f"(only its hash is stored; note it now):\n    {password}"
            )
        else:
            self.stdout.write("Every demo account has the password given with --password.")
        self.stdout.write(
            "Every demo account has a confirmed two-factor (TOTP) device with one shared secret. "
            "Run `python manage.py demo_signins` for the usernames, the secret and the current codes."
        )
