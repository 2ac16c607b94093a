"""``make bench-load``: simulated staff of several settings against Confide as a group runs it —
gunicorn, PostgreSQL and two ``db_worker``s, all on this machine's loopback — and one
``BENCH name=load`` line (issue 17; docs/performance.md).

    make bench-load                       # 50 staff for 5 minutes on a modest group
    make bench-load USERS=500 DURATION=2m # the group-sized test
    python -m tests.bench.load --users 50 --duration 90s [--settings 4 --years 2]

1. Bench data (tests/bench/data.py) is generated, once, into a database of its own on the
   PostgreSQL ``DATABASE_URL`` names (the local one by default), named by its figures
   (``confide_load_s4_y2_i46``): by default enough settings that every simulated person signs in
   as an account of their own, with two years behind each. It is kept, and a later run with the
   same figures reuses it.
2. Each run copies it (``CREATE DATABASE ... TEMPLATE``) into ``confide_load_run``, so every run
   starts from the same rows, and readies in it the subject-access bundles to render.
3. gunicorn (3 workers × 2 threads, as the demo was measured) on 127.0.0.1 and a free port, two
   ``db_worker``s, then locust, headless (tests/bench/locustfile.py): the staff (80 % reads, 15 %
   writes, 5 % searches, 1–3 s between clicks) and a render every two minutes.
4. Everything it started is stopped, whatever happened (each in a process group of its own, with
   bounded waits), the run's database dropped, and the line printed:
   ``BENCH name=load users=50 p50_ms=... p95_ms=... p99_ms=... error_rate=... rps=...``, the
   response times of every request but the sign-ins (whose own are printed beside), the error
   rate a fraction of every request. It exits 1 past p95 500 ms, p99 1.5 s or 0.1 % errors.

Logs (gunicorn, workers, locust) are kept in ``.bench-cache/load/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOGS = ROOT / ".bench-cache" / "load"
RUN_DATABASE = "confide_load_run"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "")
ACCOUNTS_PER_SETTING = 24  # the Lead, the Deputy and 22 practitioners (not the office)
RENDER_EVERY = 120
TARGETS = {"p95_ms": 500, "p99_ms": 1500, "error_rate": 0.001}
STOP_WAIT = 20


@dataclass(frozen=True)
class Options:
    users: int
    duration: int
    settings: int
    years: int
    intake: int
    spawn_rate: float
    think: tuple[float, float]
    workers: int
    threads: int
    keep: bool
    record: Path | None


def seconds(text: str) -> int:
    """``300``, ``300s``, ``5m`` or ``1h``, as locust's ``--run-time`` takes it."""
    found = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", text)
    if not found or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 300, 90s or 5m")
    value = int(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[found.group(2)]
    if value > 3 * 3600:
        raise argparse.ArgumentTypeError("a load run is at most three hours")
    return value


def think_time(text: str) -> tuple[float, float]:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", text)
    if not found or float(found.group(1)) > float(found.group(2)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a range of seconds like 1-3")
    return float(found.group(1)), float(found.group(2))


def parse(argv: list[str]) -> Options:
    from .data import positive

    parser = argparse.ArgumentParser(prog="make bench-load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=positive(5000), default=50, help="simulated staff (50)")
    parser.add_argument("--duration", type=seconds, default=300, help="how long: 300, 90s, 5m")
    parser.add_argument("--settings", type=positive(500), help="settings (enough for the users)")
    parser.add_argument("--years", type=positive(30), default=2, help="years behind each (2)")
    parser.add_argument("--intake", type=positive(500), default=46, help="children a year (46)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="people starting a second")
    parser.add_argument("--think", type=think_time, default=(1.0, 3.0), help="seconds: 1-3")
    parser.add_argument("--workers", type=positive(64), default=3, help="gunicorn workers (3)")
    parser.add_argument("--threads", type=positive(64), default=2, help="threads each (2)")
    parser.add_argument("--keep", action="store_true", help="keep the run's database")
    parser.add_argument("--record", type=Path, help="append the figures to this JSON file")
    args = parser.parse_args(argv)
    settings = args.settings or max(4, math.ceil((args.users + 1) / ACCOUNTS_PER_SETTING))
    if settings * ACCOUNTS_PER_SETTING - 1 < args.users:
        parser.error(
            f"{settings} settings have {settings * ACCOUNTS_PER_SETTING - 1} accounts for the "
            f"simulated staff, fewer than {args.users} users: ask for more settings"
        )
    if args.spawn_rate <= 0:
        parser.error("--spawn-rate must be above 0")
    return Options(
        users=args.users,
        duration=args.duration,
        settings=settings,
        years=args.years,
        intake=args.intake,
        spawn_rate=args.spawn_rate,
        think=args.think,
        workers=args.workers,
        threads=args.threads,
        keep=args.keep,
        record=args.record,
    )


def database_url(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# --- the processes -----------------------------------------------------------------------------


class Processes:
    """What the run started, each in a process group of its own, all stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        """SIGTERM to every group, a bounded wait, then SIGKILL to whatever is left."""
        for _name, process in reversed(self.started):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        for _name, process in self.started:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for _name, process in self.started:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group: any child it left too
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"bench-load: process {process.pid} did not stop", file=sys.stderr)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds} s")


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def own_cpu_seconds(sessions: set[int]) -> float:
    """CPU seconds used so far by the run's own processes: those of the sessions it started
    (gunicorn and its workers, the db_workers, locust) and the PostgreSQL backends serving its
    database (named in their process titles)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            title = (stat.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        fields = text.rsplit(")", 1)[1].split()
        session, utime, stime = int(fields[3]), int(fields[11]), int(fields[12])
        if session in sessions or RUN_DATABASE.encode() in title:
            ticks += utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({model}), {memory} GB"


# --- the data and the plan ---------------------------------------------------------------------


def make_template(url: str, options: Options) -> str:
    """The bench data for these figures, in a database of its own (made once, then kept)."""
    name = f"confide_load_s{options.settings}_y{options.years}_i{options.intake}"
    command = [sys.executable, "-m", "tests.bench.data"]
    command += ["--settings", str(options.settings), "--years", str(options.years)]
    command += ["--intake", str(options.intake)]
    env = {**os.environ, "DATABASE_URL": database_url(url, name), "DJANGO_DEBUG": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError("the bench data could not be made (above)")
    return name


def copy_database(url: str, template: str) -> None:
    from psycopg import sql

    from .data import maintenance

    with maintenance(url) as db:
        db.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RUN_DATABASE))
        )
        db.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(RUN_DATABASE), sql.Identifier(template)
            )
        )


def drop_database(url: str) -> None:
    from psycopg import sql

    from .data import maintenance

    with maintenance(url) as db:
        db.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RUN_DATABASE))
        )


def accounts(settings: int, users: int) -> tuple[list[str], str]:
    """The simulated staff's usernames, spread over the settings (Leads, Deputies, then
    practitioners), and the account that starts the renders (the first setting's Lead)."""
    handles = ["lead", "deputy"] + [f"practitioner{n}" for n in range(1, 23)]
    pool = [f"{handle}-s{s:02d}" for handle in handles for s in range(1, settings + 1)]
    renderer = "lead-s01"
    pool.remove(renderer)
    return pool[:users], renderer


def ready_bundles(count: int) -> list[str]:
    """Subject-access requests of the first setting, checked and ready to render, as a Lead
    would have them after the review: recorded, identity confirmed, compiled, every item decided,
    submitted by the Deputy and checked by the Lead."""
    from django.contrib.auth import get_user_model  # after django.setup(), as below
    from django.db.models import Count
    from django.utils import timezone

    from access_requests import services
    from access_requests.models import Channel, RequesterKind
    from core import keys, tenancy
    from demo.access_requests import _review_everything  # the demo's careful reviewer
    from records.models import Child, Role, Setting, Staff

    setting = Setting.objects.get(name="Bench Preschool 01")
    made = []
    with tenancy.working_in(setting.pk):
        User = get_user_model()
        lead = User.objects.get(username="lead-s01")
        deputy_staff = Staff.objects.get(role=Role.DEPUTY, active=True)
        office = User.objects.get(username="office-s01")
        children = (
            Child.objects.filter(left_on__isnull=True, carers__parental_responsibility=True)
            .annotate(n=Count("entries"))
            .order_by("-n", "pk")
            .distinct()[:count]
        )
        today = timezone.localdate()
        for child in children:
            carer = child.carers.filter(parental_responsibility=True).order_by("pk").first()
            sar = services.record_request(
                by=office,
                received_on=today,
                channel=Channel.EMAIL,
                requester_kind=RequesterKind.CARER,
                requester_carer=carer,
                asked_for="Everything you hold about my child, please.",
                child=child,
                contact_email=carer.email if carer else "",
            )
            services.confirm_identity(
                sar=sar,
                by=deputy_staff.user,
                method="known",
                confirmed_on=today,
                evidence_received_on=today,
                parental_responsibility=True,
            )
            services.compile_bundle(sar=sar, by=deputy_staff.user)
            _review_everything(sar, deputy_staff)
            services.submit_for_check(sar=sar, by=deputy_staff.user)
            services.check_bundle(sar=sar, by=lead, accept=True)
            made.append(str(sar.pk))
            keys.clear_cache()
    return made


def renders(ids: list[str]) -> list[dict[str, Any]]:
    """The renders the run started: their state, and how long each took."""
    from access_requests.models import RenderState, SubjectAccessRequest  # after django.setup()

    out = []
    started = SubjectAccessRequest.objects.filter(pk__in=ids).exclude(render_state=RenderState.NONE)
    for sar in started.order_by("render_started_at"):
        took = (
            (sar.rendered_at - sar.render_started_at).total_seconds()
            if sar.rendered_at and sar.render_started_at
            else None
        )
        out.append({"state": sar.render_state, "seconds": took, "error": sar.render_error})
    return out


@contextmanager
def stopped_on_sigterm() -> Iterator[None]:
    """SIGTERM (make stopped, say) ends the run through its clean-up, as Ctrl-C does."""

    def leave(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- the run -----------------------------------------------------------------------------------


def run(options: Options, url: str) -> dict[str, Any]:
    """The whole run; its database is dropped and everything it started stopped, whatever
    happens."""
    from django.db import connections  # after setup_django(), as below

    from .data import setup_django

    template = make_template(url, options)
    copy_database(url, template)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    logs = LOGS / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    processes = Processes(logs)
    try:
        setup_django(database_url(url, RUN_DATABASE))
        wanted = math.ceil(options.duration / RENDER_EVERY) + 1
        print(f"bench-load: readying {wanted} subject-access bundles to render", flush=True)
        bundles = ready_bundles(wanted)
        connections.close_all()
        figures = measure(options, url, processes, plan_file(options, bundles, work), work)
        figures["renders"] = finished_renders(bundles)
    finally:
        processes.stop_all()
        connections.close_all()
        shutil.rmtree(work, ignore_errors=True)
        if not options.keep:
            drop_database(url)
    figures.update(
        users=options.users,
        duration_s=options.duration,
        think_s=list(options.think),
        machine=machine(),
        data={"settings": options.settings, "years": options.years, "intake": options.intake},
        template=template,
        logs=str(logs),
        when=datetime.now(UTC).isoformat(timespec="minutes"),
    )
    return figures


def plan_file(options: Options, bundles: list[str], work: Path) -> Path:
    """What locust's simulated people need (tests/bench/locustfile.py reads it)."""
    from .group import PASSWORD, SURNAMES, TOTP_KEY

    users, renderer = accounts(options.settings, options.users)
    plan = work / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "accounts": users,
                "renderer": renderer,
                "password": PASSWORD,
                "totp_key": TOTP_KEY.hex(),
                "requests": bundles,
                "render_every": RENDER_EVERY,
                "surnames": SURNAMES,
                "think": list(options.think),
            }
        )
    )
    return plan


def finished_renders(bundles: list[str]) -> list[dict[str, Any]]:
    """The renders started, once those still going have finished (two minutes at most)."""
    from django.db import connections  # after setup_django()

    deadline = time.monotonic() + 120
    while True:
        done = renders(bundles)
        if time.monotonic() > deadline or not any(
            r["state"] in ("queued", "rendering") for r in done
        ):
            connections.close_all()
            return done
        time.sleep(2)


def measure(
    options: Options, url: str, processes: Processes, plan: Path, work: Path
) -> dict[str, Any]:
    """gunicorn and two db_workers on the run's database, then locust; its figures, with the CPU
    the machine and the run's own processes used meanwhile."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(url, RUN_DATABASE),
        "DJANGO_DEBUG": "1",  # the development keys, read by load_settings (which sets DEBUG off)
        "DJANGO_SETTINGS_MODULE": "tests.bench.load_settings",
        "CONFIDE_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = processes.start(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(options.workers),
            "--threads",
            str(options.threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
        ],
        env,
    )
    for n in (1, 2):
        processes.start(
            f"db_worker{n}",
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--worker-id", f"w{n}"],
            env,
        )
    wait_until_serving(f"{host}/account/sign-in/", gunicorn)
    print(
        f"bench-load: {options.users} staff for {options.duration} s against {host} "
        f"(gunicorn {options.workers}×{options.threads}, 2 db_workers); logs in {processes.logs}",
        flush=True,
    )
    result = work / "result.json"
    busy0, total0 = cpu_ticks()
    own0 = own_cpu_seconds({p.pid for _, p in processes.started})
    waited0 = os.times()
    started = time.monotonic()
    locust = processes.start(
        "locust",
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests" / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(options.users + 1),  # and the one who starts the renders
            "--spawn-rate",
            str(options.spawn_rate),
            "--run-time",
            f"{options.duration}s",
            "--host",
            host,
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        {**env, "BENCH_LOAD_PLAN": str(plan), "BENCH_LOAD_RESULT": str(result)},
    )
    try:
        locust.wait(timeout=options.duration + 180)
    except subprocess.TimeoutExpired:
        raise RuntimeError("locust did not finish in time (see its log)") from None
    busy1, total1 = cpu_ticks()
    wall = time.monotonic() - started
    waited1 = os.times()  # locust's own, now that it has been waited for
    own1 = own_cpu_seconds({p.pid for _, p in processes.started})
    own1 += (waited1.children_user + waited1.children_system) - (
        waited0.children_user + waited0.children_system
    )
    if not result.exists():
        raise RuntimeError(f"locust wrote no figures (see {processes.logs / 'locust.log'})")
    figures: dict[str, Any] = json.loads(result.read_text())
    figures["cpu_busy"] = (busy1 - busy0) / max(total1 - total0, 1)
    # The run's own processes' share of the machine; the rest of cpu_busy was others'.
    figures["cpu_own"] = (own1 - own0) / (wall * (os.cpu_count() or 1))
    return figures


def report(figures: dict[str, Any]) -> int:
    requests = figures["requests"]
    error_rate = figures["failures"] / requests if requests else 1.0
    figures["error_rate"] = error_rate
    print(
        f"BENCH name=load users={figures['users']} p50_ms={figures['p50_ms']:.0f} "
        f"p95_ms={figures['p95_ms']:.0f} p99_ms={figures['p99_ms']:.0f} "
        f"error_rate={error_rate:.4f} rps={figures['rps']:.1f}",
        flush=True,
    )
    sign_ins = figures["by_name"].get("two-factor", {})
    rendered = [r for r in figures["renders"] if r["state"] == "ready"]
    times = ", ".join(f"{r['seconds']:.0f} s" for r in rendered if r["seconds"] is not None)
    print(
        f"bench-load: {requests} requests in {figures['seconds']:.0f} s; machine CPU "
        f"{figures['cpu_busy']:.0%} busy, {figures['cpu_own']:.0%} of it this run's "
        f"({figures['machine']}); sign-ins p50 "
        f"{sign_ins.get('p50_ms', 0):.0f} ms p95 {sign_ins.get('p95_ms', 0):.0f} ms; renders: "
        f"{len(figures['renders'])} started, {len(rendered)} ready ({times or 'none'})",
        flush=True,
    )
    for name, entry in sorted(figures["by_name"].items()):
        print(
            f"  {name}: {entry['requests']} requests, {entry['failures']} failed, p50 "
            f"{entry['p50_ms']:.0f} ms, p95 {entry['p95_ms']:.0f} ms, max {entry['max_ms']:.0f} ms"
        )
    for error in figures["errors"]:
        print(f"  error: {error['name']}: {error['error']} ×{error['occurrences']}")
    missed = [
        f"{name} {figures[name]:.4g} (target {target})"
        for name, target in TARGETS.items()
        if figures[name] > target
    ]
    if missed:
        print(f"bench-load: above target: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    import dj_database_url  # before django.setup(): it reads DATABASE_URL

    from .data import DEFAULT_DATABASE_URL

    options = parse(sys.argv[1:] if argv is None else argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        print("bench-load: DATABASE_URL must name a PostgreSQL server", file=sys.stderr)
        return 2
    if (config.get("HOST") or "") not in LOOPBACK:
        print(
            "bench-load: load runs only against a PostgreSQL on this machine (127.0.0.1)",
            file=sys.stderr,
        )
        return 2
    try:
        with stopped_on_sigterm():
            figures = run(options, url)
    except (RuntimeError, KeyboardInterrupt) as error:
        print(f"bench-load: stopped: {str(error) or 'interrupted'}", file=sys.stderr)
        return 2
    status = report(figures)
    if options.record is not None:
        kept = json.loads(options.record.read_text()) if options.record.exists() else []
        kept.append({k: v for k, v in figures.items() if k not in ("by_name", "errors", "logs")})
        options.record.write_text(json.dumps(kept, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
