"""``BENCH name=chronology_10y``, ``child_list_10y``, ``dashboard_10y``, ``audit_search_10y``: the
pages a Lead uses every day, in a setting with ten years behind it against the same setting with
one (issue 17: nothing a page does may grow with the setting's age).

Two settings in one database, each with the same children on roll today (three rooms, about 45
starting each September and staying three years), the same staff, and one year of entries for
each child on roll. **Ten years** also holds everything before that: ten intakes of children who
have left, with their entries over their whole stays, and the audit log's read rows for all of it.
**One year** holds nothing older than a year. Each page is fetched by each setting's Lead (signed
in with two factors) through the real views, in pairs (tests/bench/run.py ``paired``), and the
ratio is the median of the pairs' ratios of ten years over one: at most 1.2 each.

The data set takes a minute or two to build on SQLite, so it is kept between runs in
``.bench-cache/`` (git ignores it), named by its version and the migrations it was built with; a
cache this checkout's keys cannot read is built again. Run by ``make bench`` or on its own:
``python -m tests.bench.growth`` (exit 1 above a target).
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

VERSION = 1
YEARS = 10
INTAKE = 45  # children starting each September
STAY_YEARS = 3
ENTRIES_PER_CHILD_YEAR = 24
READS_PER_ENTRY = 2
WARM_UP = 2
REPEATS = 9
TARGET = 1.2
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench-cache"


@dataclass
class Result:
    name: str
    ratio: float
    ten_s: float
    one_s: float

    def line(self) -> str:
        return (
            f"BENCH name={self.name} ratio={self.ratio:.2f} ten_years_s={self.ten_s:.4f} "
            f"one_year_s={self.one_s:.4f}"
        )


def _cache_path() -> Path:
    migrations = sorted(
        str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py") if ".venv" not in str(p)
    )
    digest = hashlib.sha256("\n".join([str(VERSION), *migrations]).encode()).hexdigest()[:12]
    return CACHE / f"growth-{digest}.sqlite3"


def _september(year: int) -> date:
    return date(year, 9, 1)


def _build_setting(name: str, *, history_years: int) -> None:
    """One setting: its staff and rooms, the children on roll (three intakes) with a year of
    entries each, and, for ``history_years`` > 1, the intakes before them who have left, with
    their entries over their whole stays; the audit log's read rows for every entry."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from audit.log import log_access
    from core import tenancy
    from demo import data as demo_data
    from records.models import (
        DEFAULT_LEVEL,
        Category,
        Child,
        Family,
        ParentInformed,
        RecordEntry,
        Role,
        Room,
        Setting,
        Staff,
    )

    User = get_user_model()
    setting = Setting.objects.create(
        name=name,
        address="1 Example Lane",
        ico_registration_number="ZZ000000",
        data_protection_contact="The Lead",
    )
    slug = name.split()[-1].lower()
    with tenancy.working_in(setting.pk):
        rooms = [Room.objects.create(name=n) for n in ("Ladybirds", "Dragonflies", "Owls")]
        lead = Staff.objects.create(
            user=User.objects.create_user(f"lead-{slug}", password="bench-password-not-used"),
            full_name=f"Lead {slug.title()}",
            role=Role.LEAD,
        )
        practitioners = []
        for n in range(6):
            staff = Staff.objects.create(
                user=User.objects.create_user(
                    f"practitioner{n}-{slug}", password="bench-password-not-used"
                ),
                full_name=f"Practitioner {n} {slug.title()}",
                role=Role.PRACTITIONER,
            )
            staff.rooms.set([rooms[n % 3]])
            practitioners.append(staff)
        today = timezone.localdate()
        this_year = today.year if today >= _september(today.year) else today.year - 1
        first_intake = this_year - (history_years - 1) - (STAY_YEARS - 1)
        texts = cycle(
            t.format(name="Kit", **demo_data.PRONOUNS["she"])
            for t in demo_data.GENERAL_COMMON + demo_data.ACCIDENTS
        )
        categories = cycle(Category.values)
        now = timezone.now()
        one_year_ago = now - timedelta(days=365)
        n = 0
        for intake in range(first_intake, this_year + 1):
            started = _september(intake)
            left = _september(intake + STAY_YEARS) - timedelta(days=1)
            on_roll = left >= today
            if not on_roll and history_years == 1:
                continue
            for i in range(INTAKE):
                n += 1
                key = practitioners[i % 6]
                family = Family.objects.create(name=f"Family {n}")
                child = Child.objects.create(
                    first_name=f"Kit{n}",
                    last_name=f"Benchchild{n}",
                    date_of_birth=started - timedelta(days=365 * 3),
                    started_on=started,
                    left_on=None if on_roll else left,
                    room=key.rooms.first(),
                    key_person=key,
                    family=family,
                )
                stay_start = timezone.make_aware(datetime.combine(started, datetime.min.time()))
                stay_end = min(
                    now, timezone.make_aware(datetime.combine(left, datetime.min.time()))
                )
                if history_years == 1:
                    stay_start = max(stay_start, one_year_ago)
                span = (stay_end - stay_start).total_seconds()
                count = max(1, int(ENTRIES_PER_CHILD_YEAR * span / (365 * 86400)))
                entries = []
                for k in range(count):
                    category = next(categories)
                    entries.append(
                        RecordEntry(
                            child=child,
                            setting_id=setting.pk,
                            author=key if k % 2 else lead,
                            category=category,
                            level=DEFAULT_LEVEL[category],
                            occurred_at=stay_start + timedelta(seconds=span * (k + 0.5) / count),
                            recorded_at=stay_start + timedelta(seconds=span * (k + 0.5) / count),
                            text=next(texts),
                            parent_informed=ParentInformed.INFORMED
                            if category != Category.GENERAL
                            else ParentInformed.NOT_REQUIRED,
                        )
                    )
                RecordEntry.objects.bulk_create(entries)  # encrypts each text, as save() does
                for _ in range(READS_PER_ENTRY):
                    log_access(actor=lead.user, objects=entries)


def build() -> None:
    from core import statistics

    _build_setting("Bench Preschool Tenyears", history_years=YEARS)
    _build_setting("Bench Preschool Oneyear", history_years=1)
    # As the daily ``database_statistics`` job would have done by now (core.statistics).
    statistics.refresh()


def _readable() -> bool:
    """The cache opens with this checkout's keys (a fresh .secrets makes a new one)."""
    from core import tenancy
    from records.models import RecordEntry, Setting

    try:
        setting = Setting.objects.get(name="Bench Preschool Oneyear")
        with tenancy.working_in(setting.pk):
            return bool(RecordEntry.objects.first().text)  # type: ignore[union-attr]
    except Exception:  # any failure to read it: build it again
        return False


def signed_in(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from .chronology import signed_in_client

    return signed_in_client(get_user_model().objects.get(username=username))


def timed(fetch: Callable[[], Any]) -> Callable[[], float]:
    def once() -> float:
        gc.collect()
        started = time.perf_counter()
        response = fetch()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"benchmark page answered {response.status_code}")
        return elapsed

    return once


def pages() -> dict[str, Callable[[Any, str], Callable[[], Any]]]:
    from django.urls import reverse

    from core import tenancy
    from records.models import Child, Setting

    def chronology(client: Any, name: str) -> Callable[[], Any]:
        setting = Setting.objects.get(name=name)
        with tenancy.working_in(setting.pk):
            # A child on roll since the oldest intake still here: three years of entries in
            # ten years' setting (shown a year at a time), one in the other's.
            child = Child.objects.filter(left_on__isnull=True).order_by("started_on", "pk").first()
        assert child is not None
        url = reverse("records:child_detail", args=[child.pk])
        return lambda: client.get(url)

    def fixed(url_name: str) -> Callable[[Any, str], Callable[[], Any]]:
        def make(client: Any, name: str) -> Callable[[], Any]:
            url = reverse(url_name)
            return lambda: client.get(url)

        return make

    return {
        "chronology_10y": chronology,
        "child_list_10y": fixed("records:child_list"),
        "dashboard_10y": fixed("home:dashboard"),
        "audit_search_10y": fixed("records:audit_log"),
    }


def run() -> list[Result]:
    from .run import paired

    ten = signed_in("lead-tenyears")
    one = signed_in("lead-oneyear")
    results = []
    for name, make in pages().items():
        ours = timed(make(ten, "Bench Preschool Tenyears"))
        base = timed(make(one, "Bench Preschool Oneyear"))
        for _ in range(WARM_UP):
            ours()
            base()
        runs = paired(ours, {"one": base}, REPEATS)
        results.append(Result(name, runs.ratio("one"), runs.seconds(), runs.seconds("one")))
    return results


def main() -> int:
    from .run import setup_django

    path = _cache_path()
    done = path.with_suffix(".complete")
    CACHE.mkdir(exist_ok=True)
    if not done.exists():
        for old in CACHE.glob("growth-*"):
            old.unlink()
    setup_django(str(path))  # migrates a new file; nothing to do for a kept one
    if done.exists() and not _readable():
        from django.db import connections

        connections.close_all()
        path.unlink()
        done.unlink()
        print("bench: the kept data set cannot be read with these keys; building it again")
        os.execv(sys.executable, [sys.executable, "-m", "tests.bench.growth"])  # noqa: S606
    if not done.exists():
        print("bench: building the ten-year data set (once; kept in .bench-cache/)", flush=True)
        started = time.perf_counter()
        build()
        done.write_text(f"built in {time.perf_counter() - started:.0f} s\n")
    results = run()
    failed = False
    for result in results:
        print(result.line(), flush=True)
        if result.ratio > TARGET:
            print(
                f"{result.name}: ratio {result.ratio:.2f} is above its target of {TARGET}",
                file=sys.stderr,
            )
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
