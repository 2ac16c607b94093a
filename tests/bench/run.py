"""``make bench``: one ``BENCH`` line per benchmark, and exit 1 when any ratio is above its target,
so a regression shows.

Each benchmark runs in a process of its own (``python -m tests.bench.<name>``) with its own temporary
SQLite database, so no benchmark sees another's rows, settings or memory, and db.sqlite3 is never
touched. ``setup_django`` is the shared start of every benchmark module.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

# Each is a module of tests/bench with a main() that prints its BENCH line and returns 1 above its
# target. A benchmark whose module is not there (yet) is skipped with a note.
BENCHMARKS = ("chronology", "sar_pdf", "growth")


def setup_django(database_path: str) -> None:
    # Before django.setup(): settings read DATABASE_URL once, at import.
    os.environ["DATABASE_URL"] = f"sqlite:///{database_path}"
    os.environ.setdefault("DJANGO_DEBUG", "1")  # development keys from .secrets/
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    # WhiteNoise warns that collectstatic has not run; the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    django.setup()
    # Measure as production runs: no query log, no template debug information. ALLOWED_HOSTS
    # (with "testserver") was settled at import.
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.bench.urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Paired:
    """The times of ``paired`` runs: ours, each baseline's, and the pairs' ratios by baseline."""

    ours: list[float]
    baselines: dict[str, list[float]]
    ratios: dict[str, list[float]]

    def ratio(self, name: str) -> float:
        return median(self.ratios[name])

    def seconds(self, name: str | None = None) -> float:
        return median(self.ours if name is None else self.baselines[name])


def paired(
    ours: Callable[[], float], baselines: dict[str, Callable[[], float]], repeats: int
) -> Paired:
    """Time ``ours`` ``repeats`` times, each run paired with a run of every baseline beside it
    (before it every other time), so a slow moment of the machine slows both sides of the ratio
    it is in. The ratio to report is the median of the pairs' ratios: a best-of-n on each side
    paired one side's lucky moment with the other's unlucky one (on these shared 2-core machines
    a run swings by half). Each function times itself and returns seconds."""
    out = Paired([], {name: [] for name in baselines}, {name: [] for name in baselines})
    for n in range(repeats):
        if n % 2:
            for name, baseline in baselines.items():
                out.baselines[name].append(baseline())
        out.ours.append(ours())
        if not n % 2:
            for name, baseline in baselines.items():
                out.baselines[name].append(baseline())
        for name in baselines:
            out.ratios[name].append(out.ours[-1] / out.baselines[name][-1])
    return out


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        module = f"tests.bench.{name}"
        if importlib.util.find_spec(module) is None:
            print(f"bench: no module {module}; {name} skipped", file=sys.stderr)
            continue
        # The output goes straight through; a crash counts as a failure like a missed target.
        done = subprocess.run([sys.executable, "-m", module], check=False)  # noqa: S603
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"bench: above target or failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
