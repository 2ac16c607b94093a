"""``make bench-data``: a group of settings with years of records behind them, made in bulk, to
measure Confide at a group's scale (issue 17; docs/performance.md).

    make bench-data SETTINGS=20 YEARS=10    # ~12,000 children, ~1 M entries, ~5 M audit events
    python -m tests.bench.data --settings 2 --years 2 [--intake 46]

It writes to the database ``DATABASE_URL`` names (``make bench-data``: the local PostgreSQL's
``confide_bench``, made when missing), migrated first. SQLite works too, for small figures.

**What a setting holds** (tests/bench/group.py): 25 staff with known sign-ins (``lead-s01``,
``practitioner3-s01``... password ``PASSWORD``, authenticator secret ``TOTP_KEY``), an intake of
children every September with their families, a weekly entry or so each, consent, leavings, a
subject-access request a year, and the audit log of it all.

**The rows are the application's own** (tests/bench/bulk.py). Encrypted columns are sealed by
their fields (``core.fields.prepare_for_insert``: the child's data key, bound to the row's id and
the columns that decide who reads it), so the pages read them as any other row. The audit log holds
what the application writes: a creation row for each row made (auditlog's own diff, masked and
stamped with the setting as ``audit.log`` does) and, for each time a Lead, Deputy or key person
opened a child's page, one read event listing the sensitive entries it showed, with an index row
for each (``audit.log.log_page_read``'s rows), at the time it happened. Each is sealed into its
setting's hash chain (``audit.chain``: one seal per row, in time order, under the setting's key),
so ``manage.py verify_audit`` finds the chains and the read index intact. Rows go in with COPY on PostgreSQL (psycopg's
``cursor.copy``) and multi-row INSERTs on SQLite.

**Resumable.** The work is done setting by setting, one academic year at a time, each in one
transaction that also records it as done (table ``bench_data_progress``): run it again and it
carries on where it stopped, never twice. The figures and the moment the history ends are kept
there too; a run with other figures is refused. More settings than before may be added.

**Disk.** It first estimates what it will write and compares it with the free space of the disk
the database is on (the PostgreSQL server's data directory when it is on this machine), and
refuses, saying what it needs, when it does not fit.

Measured (docs/performance.md): twenty settings over ten years in 15 minutes on 2 cores, 4.6 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .bulk import Writer
from .group import Figures, People, SettingPlan, YearOfSetting, plans_for, setup_setting, steps_of
from .group import texts as entry_texts

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/confide_bench"
PROGRESS_TABLE = "bench_data_progress"
# What a row costs on disk, with its indexes, its audit and seal rows (measured: docs/performance.md):
# an entry with its creation row and seal; one read row with its seal link; a child with its family,
# carers, consent and their creation rows.
BYTES = {
    "postgresql": {"entry": 3_500, "read": 400, "child": 12_000},
    "sqlite": {"entry": 3_000, "read": 350, "child": 10_000},
}
HEADROOM = 1.3  # write-ahead log and the indexes' slack while loading


# --- progress ------------------------------------------------------------------------------------


def _progress_table() -> None:
    from django.db import connection  # after django.setup()

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (slug varchar(40) NOT NULL, "
            "step varchar(40) NOT NULL, detail text NOT NULL, PRIMARY KEY (slug, step))"
        )


def _done_steps() -> dict[tuple[str, str], str]:
    from django.db import connection  # after django.setup()

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT slug, step, detail FROM {PROGRESS_TABLE}")  # noqa: S608
        return {(slug, step): detail for slug, step, detail in cursor.fetchall()}


def _mark_done(slug: str, step: str, detail: dict[str, Any]) -> None:
    from django.db import connection  # after django.setup()

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PROGRESS_TABLE} (slug, step, detail) VALUES (%s, %s, %s)",  # noqa: S608
            [slug, step, json.dumps(detail)],
        )


class Refused(Exception):
    """bench-data will not run: the message says why and what to do."""


def _history_end(figures: Figures, done: dict[tuple[str, str], str]) -> datetime:
    """When the generated history ends: now on the first run, kept for the runs that resume it
    (``_keep_figures``). Other figures than the first run's are refused."""
    meta = done.get(("*", "figures"))
    if meta is None:
        return datetime.now(UTC).replace(microsecond=0)
    kept = json.loads(meta)
    if kept["shape"] != figures.shape():
        differences = ", ".join(
            f"{name} {kept['shape'].get(name)} (now {value})"
            for name, value in figures.shape().items()
            if kept["shape"].get(name) != value
        )
        raise Refused(
            f"This database was generated with other figures: {differences}. Run again with "
            "those, or generate into another database (a new DATABASE_URL)."
        )
    return datetime.fromisoformat(kept["end"])


def _keep_figures(figures: Figures, end: datetime, done: dict[tuple[str, str], str]) -> None:
    if ("*", "figures") not in done:
        _mark_done("*", "figures", {"shape": figures.shape(), "end": end.isoformat()})


# --- disk ----------------------------------------------------------------------------------------


def bytes_needed(figures: Figures, vendor: str, share_left: float = 1.0) -> int:
    cost = BYTES.get(vendor, BYTES["postgresql"])
    counts = figures.estimate()
    total = (
        counts["entries"] * cost["entry"]
        + counts["reads"] * cost["read"]
        + counts["children"] * cost["child"]
    )
    return int(total * share_left * HEADROOM)


def database_disk() -> tuple[Path | None, str]:
    """Where the database's files are, when that is on this machine (else None, and why not)."""
    from django.db import connection  # after django.setup()

    if connection.vendor == "sqlite":
        return Path(str(connection.settings_dict["NAME"])).resolve().parent, ""
    host = connection.settings_dict.get("HOST") or ""
    if host not in ("", "localhost", "127.0.0.1", "::1") and not host.startswith("/"):
        return None, f"the database server ({host}) is not this machine"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            directory = Path(cursor.fetchone()[0])
    except Exception:  # not allowed to ask (only superusers and pg_read_all_settings may)
        return None, "the database server would not say where its data directory is"
    if not directory.exists():
        return None, f"its data directory ({directory}) is not visible from here"
    return directory, ""


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_disk(figures: Figures, share_left: float, say: Callable[[str], None]) -> None:
    """Refuse (``Refused``) when the database's disk has not room for what is left to write."""
    from django.db import connection  # after django.setup()

    need = bytes_needed(figures, connection.vendor, share_left)
    counts = figures.estimate()
    what = (
        f"{figures.settings} settings over {figures.years} years (about {counts['children']:,} "
        f"children, {counts['entries']:,} entries, {counts['reads']:,} audited reads of them)"
    )
    where, why_not = database_disk()
    if where is None:
        say(
            f"bench-data: {what} needs about {gib(need)} on the database's disk; not checked: "
            f"{why_not}."
        )
        return
    free = shutil.disk_usage(where).free
    if free < need:
        raise Refused(
            f"Not enough disk space: {what} needs about {gib(need)} free on the disk of {where}, "
            f"and {gib(free)} is free. Free some space, or ask for less (make bench-data "
            "SETTINGS=... YEARS=...)."
        )
    say(f"bench-data: {what}: about {gib(need)} to write, {gib(free)} free on {where}.")


# --- the whole group -----------------------------------------------------------------------------


@dataclass
class Report:
    steps_done: int = 0
    steps_skipped: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(
    figures: Figures,
    *,
    plans: list[SettingPlan] | None = None,
    say: Callable[[str], None] = print,
    check_space: bool = True,
    anchor: bool = True,
) -> Report:
    """Make (or carry on making) the group. Each setting's academic year is one transaction."""
    from django.db import connection, transaction  # after django.setup(), as below

    from audit import anchors
    from core import keys, tenancy
    from records.models import Setting, SettingGroup

    started = time.perf_counter()
    plans = plans or plans_for(figures)
    _progress_table()
    done = _done_steps()
    fresh = not done
    if fresh and Setting.objects.exists():
        raise Refused(
            "This database already holds settings that bench-data did not make: generate into "
            "an empty database (a new DATABASE_URL), never into one with real or demo data."
        )
    end = _history_end(figures, done)
    all_steps = {plan.slug: steps_of(plan.years, end) for plan in plans}
    total = left = 0
    for plan in plans:
        names = ["setup", *(step.label for step in all_steps[plan.slug])]
        total += len(names)
        left += sum((plan.slug, name) not in done for name in names)
    if check_space:
        check_disk(figures, left / total if total else 0, say)
    _keep_figures(figures, end, done)
    if fresh and anchor:
        anchors.set_aside()  # a new audit log: an earlier database's anchors of this name go
    texts = entry_texts()
    writer = Writer()
    report = Report()
    group = None
    for plan in plans:
        steps = all_steps[plan.slug]
        if (plan.slug, "setup") not in done:
            with transaction.atomic():
                if group is None:
                    group, _ = SettingGroup.objects.get_or_create(name="Bench Group")
                setup_setting(plan, figures, end, group)
                _mark_done(plan.slug, "setup", {})
            report.steps_done += 1
        setting = Setting.objects.get(name=plan.name)
        people = None
        keys.clear_cache()  # no setting's keys kept for the next
        for step in steps:
            if (plan.slug, step.label) in done:
                report.steps_skipped += 1
                continue
            at = time.perf_counter()
            with transaction.atomic(), tenancy.working_in(setting.pk):
                people = people or People.load(setting)
                year = YearOfSetting(
                    plan=plan,
                    figures=figures,
                    people=people,
                    step=step,
                    steps=steps,
                    end=end,
                    texts=texts,
                )
                counts = year.run(writer)
                _mark_done(plan.slug, step.label, counts)
            for name, n in counts.items():
                report.counts[name] = report.counts.get(name, 0) + n
            report.steps_done += 1
            shown = ", ".join(f"{n:,} {name}" for name, n in counts.items())
            say(f"  {plan.name} {step.label}: {shown} ({time.perf_counter() - at:.1f} s)")
    keys.clear_cache()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        from core import statistics  # only SQLite needs it

        statistics.refresh()
    if anchor:
        anchors.write()  # the chains' heads, outside the database (audit.anchors)
    report.seconds = time.perf_counter() - started
    return report


def totals() -> dict[str, int]:
    """What the database holds now."""
    from auditlog.models import LogEntry  # after django.setup(), as below

    from access_requests.models import SubjectAccessRequest
    from audit.models import ReadItem
    from consent.models import ConsentRecord
    from records.models import Child, RecordEntry, Setting, Staff

    return {
        "settings": Setting.objects.count(),
        "staff": Staff.objects.count(),
        "children": Child.objects.count(),
        "entries": RecordEntry.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "subject-access requests": SubjectAccessRequest.objects.count(),
        "audit rows": LogEntry.objects.count(),
        "read index rows": ReadItem.objects.count(),
    }


# --- the command ---------------------------------------------------------------------------------


def maintenance(url: str) -> Any:
    """A connection (autocommit) to the server's ``postgres`` database, to make or drop others."""
    import dj_database_url  # before django.setup(), as below
    import psycopg
    from psycopg.conninfo import make_conninfo

    config = dj_database_url.parse(url)
    params = {
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
    }
    given = {name: str(value) for name, value in params.items() if value}
    return psycopg.connect(make_conninfo(dbname="postgres", **given), autocommit=True)


def ensure_database(url: str) -> None:
    """Make the PostgreSQL database the URL names when it does not exist yet."""
    import dj_database_url  # before django.setup(), as below
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    name = str(config["NAME"])
    with maintenance(url) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "1")  # development keys from .secrets/
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    import django
    from django.conf import settings

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    settings.DEBUG = False  # no query log kept in memory
    from django.core.management import call_command  # after django.setup()

    call_command("migrate", verbosity=0, interactive=False)


def positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"{value} is not between 1 and {limit}")
        return value

    return parse


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make bench-data",
        description="Generate a group of settings with years of records (bench data).",
    )
    parser.add_argument("--settings", type=positive(500), default=20, help="settings (20)")
    parser.add_argument("--years", type=positive(30), default=10, help="years of history (10)")
    parser.add_argument(
        "--intake", type=positive(500), default=46, help="children starting each September (46)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    figures = Figures(settings=args.settings, years=args.years, intake=args.intake)
    try:
        ensure_database(url)
    except Exception as error:
        print(f"bench-data: cannot reach or make the database ({error})", file=sys.stderr)
        return 2
    setup_django(url)
    from django.db import connection  # after setup_django()

    where = connection.settings_dict["NAME"]
    print(f"bench-data: {connection.vendor} database {where}", flush=True)
    try:
        report = generate(figures, say=lambda text: print(text, flush=True))
    except Refused as refused:
        print(f"bench-data: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "bench-data: interrupted; the year being made was rolled back. Run it again to carry "
            "on from there.",
            file=sys.stderr,
        )
        return 130
    held = ", ".join(f"{n:,} {name}" for name, n in totals().items())
    print(
        f"bench-data: {report.steps_done} steps done, {report.steps_skipped} already done, in "
        f"{report.seconds:.0f} s; the database holds {held}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
