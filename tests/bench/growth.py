"""``BENCH name=chronology_10y``, ``child_list_10y``, ``dashboard_10y``, ``audit_search_10y``: the
pages a Lead uses every day, in a setting with ten years behind it against the same setting with
one (issue 17: nothing a page does may grow with the setting's age).

Two settings in one database, made by make bench-data's generator (tests/bench/group.py), each
with the same intakes (three rooms, 45 children starting each September and staying three years),
the same staff and about 24 entries a year for each child on roll, the audit log's creation and
page-read rows with them. **Ten years** holds ten years of that: the intakes who have left, with
their entries over their stays and the reads of them. **One year** holds nothing older than a
year. Each page is fetched by each setting's Lead (signed in with two factors) through the real
views, in pairs (tests/bench/run.py ``paired``), and the ratio is the median of the pairs' ratios
of ten years over one: at most 1.2 each.

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
from pathlib import Path
from typing import Any

VERSION = 2
YEARS = 10
INTAKE = 45  # children starting each September
PRACTITIONERS = 6
ENTRIES_PER_CHILD_YEAR = 24
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


def build() -> None:
    """The two settings, by make bench-data's generator (tests/bench/group.py) with this
    benchmark's figures: the same intakes, staff and entries a year in each, ten years of them
    behind one setting and one year behind the other."""
    from .data import generate
    from .group import Figures, SettingPlan

    figures = Figures(
        settings=2,
        years=YEARS,
        intake=INTAKE,
        practitioners=PRACTITIONERS,
        entries_per_child_year=ENTRIES_PER_CHILD_YEAR,
    )
    plans = [
        SettingPlan("tenyears", "Bench Preschool Tenyears", years=YEARS, number=1),
        SettingPlan("oneyear", "Bench Preschool Oneyear", years=1, number=2),
    ]
    # A cache of the benchmark's own: small, and no anchors written under .secrets/ for it.
    generate(figures, plans=plans, say=lambda _: None, check_space=False, anchor=False)


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
