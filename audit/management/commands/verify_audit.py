"""Walk the audit log's hash chain and compare it with every anchor written outside the database
(audit.anchors): ``Audit log intact: N entries`` (exit 0), or the first broken link and what the
anchors show — a tail cut, rewound or forked — (exit 1)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit import anchors, readindex
from audit.chain import chain_name, verify_chain
from audit.checks import all_chains

TRIGGERS = {
    "sqlite": (
        "confide_logentry_no_update",
        "confide_auditseal_no_change",
        "confide_sealedentry_no_change",
        "confide_readitem_no_change",
    ),
    "postgresql": (
        "confide_logentry_no_update",
        "confide_logentry_no_delete",
        "confide_auditseal_no_change",
        "confide_sealedentry_no_change",
        "confide_readitem_no_change",
    ),
}


def missing_triggers() -> list[str]:
    expected = TRIGGERS.get(connection.vendor, ())
    if not expected:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgenabled <> 'D'")
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


class Command(BaseCommand):
    help = "Verify the audit log's HMAC hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in missing_triggers():
            self.stderr.write(
                f"Warning: the database trigger {name} that refuses changes to the audit log is "
                "missing or disabled: records/migrations/0003_audit_log_append_only.py and "
                "0004_audit_seal_per_insert.py create them."
            )
        anchored = list(anchors.read())
        every = all_chains(anchored)
        failures: list[str] = []
        total = 0
        for chain in every:
            report = verify_chain(chain=chain)
            problems = anchors.check(
                head_sequence=report.head_sequence, anchors=anchored, chain=chain
            )
            name = chain_name(chain)
            if not report.intact:
                failures.append(
                    f"Audit log broken in {name} after {report.entries} intact entries: "
                    f"{report.problem}." + "".join(f"\nAnchors: {p}." for p in problems)
                )
            elif problems:
                failures.append(
                    f"Audit log does not match its anchors in {name} ({len(problems)} "
                    f"problem(s)); the first: {problems[0]}."
                    + "".join(f"\n{p}." for p in problems[1:10])
                )
            else:
                total += report.entries
                self.stdout.write(
                    f"{name[0].upper()}{name[1:]}: {report.entries} entries intact to seal "
                    f"#{report.head_sequence}, digest {report.head_digest}"
                )
        index = readindex.problems()
        if index:
            failures.append(
                "The index of what read events covered disagrees with the sealed lists: "
                + "; ".join(index)
            )
        if failures:
            raise CommandError("\n".join(failures))
        chains_word = "chain" if len(every) == 1 else "chains"
        self.stdout.write(f"Audit log intact: {total} entries in {len(every)} {chains_word}")
        self.stdout.write(f"{len(anchored)} anchors in {anchors.directory()} agree.")
        if not anchored:
            self.stderr.write(
                "Warning: no anchors yet, so entries cut from the end could not be seen: run "
                "`manage.py run_schedules` every minute (README), which writes them."
            )
