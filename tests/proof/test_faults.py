"""Faults on PostgreSQL: the database connection killed in the middle of each kind of write, the
disk full while a PDF is written, the render worker killed mid-render, the mail server down. Each
leaves no partial row and no partial PDF, says clearly what happened, and the next attempt works.

The tests commit for real (``transaction=True``): a killed connection takes its transaction with
it, and a worker in another process sees only what was committed. What the database holds
afterwards is read through a connection of its own. Everything stays on the loopback.

PostgreSQL only, as its issue asks: on SQLite these tests are not defined at all (neither run nor
skipped, whatever CONFIDE_DEEP says). SQLite's fault tests are in tests/access_requests
(test_render.py, test_delivery.py) and tests/audit/test_anchors.py.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydyf
import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from access_requests import services as access_services
from access_requests.models import (
    DownloadLink,
    Rendering,
    RenderState,
    Status,
    SubjectAccessRequest,
)
from consent import services as consent_services
from core.models import ScheduledJob
from records import services as records_services
from records.models import BreakGlass, Category, RecordEntry

from ..access_requests.conftest import approved, checked, database_tasks, record  # noqa: F401
from ..audit.test_anchors import anchor_lines, verify
from ..conftest import sign_in
from ..consent.factories import disclosure, propose
from ..factories import make_entry

pytestmark = [pytest.mark.heavy, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
# The application's own bookkeeping of a signed-in session, written by every request.
SESSION_TABLES = {"django_session", "accounts_usersession"}
# The audit log, which records a page's reads before anything is written.
AUDIT_TABLES = {
    "auditlog_logentry",
    "records_auditseal",
    "records_sealedentry",
    "audit_readitem",
}


# --- what the database holds, read from outside ---------------------------------------------------


@contextmanager
def own_connection() -> Iterator[Any]:
    """A cursor on a connection of its own (autocommit): it sees only what was committed."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            yield cursor
    finally:
        other.close()


TABLE_DIGEST = (
    "SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
    'FROM "{}" t'
)


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows, as committed."""
    with own_connection() as cursor:
        tables = cursor.db.introspection.table_names(cursor)
        found = {}
        for table in tables:
            # The name comes from the database's own catalogue.
            cursor.execute(TABLE_DIGEST.format(table))
            found[table] = cursor.fetchone()
    return found


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> set[str]:
    return {table for table in after if before.get(table) != after[table]}


def last_log_entry() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_since(pk: int) -> list[str]:
    return [
        str((data or {}).get("event", action))
        for data, action in LogEntry.objects.filter(pk__gt=pk)
        .order_by("pk")
        .values_list("additional_data", "action")
    ]


def committed(model: Any, **filters: Any) -> int:
    with own_connection() as cursor:
        table = model._meta.db_table
        where = " AND ".join(f"{column} = %s" for column in filters) or "TRUE"
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', list(filters.values()))  # noqa: S608
        return int(cursor.fetchone()[0])


# --- the connection killed mid-transaction --------------------------------------------------------

AFTER_ITS_WRITE, AT_COMMIT = "right after its first write", "as it commits"


@contextmanager
def connection_killed(table: str, when: str) -> Iterator[list[str]]:
    """In the next transaction that writes to ``table``: this process's database connection is
    terminated from another one (``pg_terminate_backend``), right after that write or as the
    transaction commits, as when the database server restarts or a network link drops. Yields
    the list of the kills done (one, if the moment came)."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    assert db.connection is not None
    pid = db.connection.info.backend_pid
    killed: list[str] = []
    armed = False

    def kill(moment: str) -> None:
        with own_connection() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0], "the backend did not end within 5 seconds"
        killed.append(moment)

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal armed
        result = execute(sql, params, many, context)
        statement = sql.lstrip()[:6].upper()
        if (
            not killed
            and context["connection"].in_atomic_block
            and statement in {"INSERT", "UPDATE", "DELETE"}
            and f'"{table}"' in sql
        ):
            if when == AFTER_ITS_WRITE:
                kill(when)
            armed = True
        return result

    # The backend's own COMMIT, which Django's atomic() calls when the outermost block ends.
    real_commit = getattr(db, "_commit")  # noqa: B009 - private to Django's backends

    def commit() -> Any:
        if armed and not killed:
            kill(AT_COMMIT)
        return real_commit()

    setattr(db, "_commit", commit)  # noqa: B010
    try:
        with db.execute_wrapper(watch):
            yield killed
    finally:
        delattr(db, "_commit")  # the class's own again


def an_entry(people: SimpleNamespace) -> Callable[[], Any]:
    return lambda: records_services.record_entry(
        child=people.child,
        author=people.keyperson1.user,
        category=Category.CONCERN,
        occurred_at=timezone.now() - timedelta(hours=1),
        text="Seemed withdrawn at drop-off and did not join circle time.",
    )


def a_disclosure(people: SimpleNamespace) -> Callable[[], Any]:
    return lambda: disclosure(people.child, people.keyperson1)


def a_sharing_proposal(people: SimpleNamespace) -> Callable[[], Any]:
    return lambda: propose(people.child, people.keyperson1)


def a_sharing_approval(people: SimpleNamespace) -> Callable[[], Any]:
    decision = propose(people.child, people.keyperson1)
    return lambda: consent_services.approve_sharing_decision(
        decision=decision,
        approver=people.lead.user,
        rationale="Proportionate: only this term's speech observations are shared.",
    )


def a_subject_access_request(people: SimpleNamespace) -> Callable[[], Any]:
    return lambda: record(people)


def an_approved_request(people: SimpleNamespace) -> SubjectAccessRequest:
    make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
    return approved(people)


def a_release(people: SimpleNamespace) -> Callable[[], Any]:
    sar = an_approved_request(people)
    return lambda: access_services.release_copy(sar=sar, by=people.lead.user)


def a_link_emailed(people: SimpleNamespace) -> Callable[[], Any]:
    sar = an_approved_request(people)
    access_services.release_copy(sar=sar, by=people.lead.user)
    return lambda: access_services.send_link(
        sar=sar,
        by=people.lead.user,
        link_url=lambda token: f"https://confide.example.test/{token}/",
    )


# Each kind of write: the table of the row its service writes (the kill comes right after that
# write, or as its transaction commits), and the set-up that returns the write.
WRITES: dict[str, tuple[str, Callable[[SimpleNamespace], Callable[[], Any]]]] = {
    "an entry": ("records_recordentry", an_entry),
    "a disclosure": ("consent_disclosure", a_disclosure),
    "a sharing decision proposed": ("consent_sharingdecision", a_sharing_proposal),
    "a sharing decision approved": ("consent_sharingdecision", a_sharing_approval),
    "a subject-access request": ("access_requests_subjectaccessrequest", a_subject_access_request),
    "a release": ("access_requests_release", a_release),
    "a link emailed": ("access_requests_downloadlink", a_link_emailed),
}


# --- the disk full while the PDF is written -------------------------------------------------------


class FullDisk:
    """A file on a disk with ``room`` bytes left: a write that does not fit writes what fits,
    then fails with ENOSPC, as write(2) does."""

    def __init__(self, output: Any, room: int) -> None:
        self.output, self.room = output, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.output.write(data[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.output.write(data)


@contextmanager
def weasyprint_writes_to_a_full_disk() -> Iterator[None]:
    real_write = pydyf.PDF.write

    def write(self: Any, output: Any, *args: Any, **kwargs: Any) -> Any:
        return real_write(self, FullDisk(output, room=4096), *args, **kwargs)

    pydyf.PDF.write = write  # type: ignore[method-assign]
    try:
        yield
    finally:
        pydyf.PDF.write = real_write  # type: ignore[method-assign]


@contextmanager
def database_disk_full() -> Iterator[None]:
    """PostgreSQL's own answer when it cannot extend a table's file (SQLSTATE 53100), for the
    rendered PDF's row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION confide_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER confide_test_disk_full BEFORE INSERT ON access_requests_rendering "
            "FOR EACH ROW EXECUTE FUNCTION confide_test_disk_full()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS confide_test_disk_full ON access_requests_rendering"
            )
            cursor.execute("DROP FUNCTION IF EXISTS confide_test_disk_full()")


DISK_FULL: dict[str, tuple[Callable[[], Any], str]] = {
    # where the disk fills up: the fault, and the error the request then shows
    "while WeasyPrint writes the PDF": (weasyprint_writes_to_a_full_disk, "OSError"),
    "while the database stores the PDF": (database_disk_full, "OperationalError"),
}


# --- the render worker killed ---------------------------------------------------------------------

# django-tasks-db's worker, in a process of its own, whose render never finishes: it says where it
# is (the file named by its argument), then waits to be killed.
STUCK_WORKER = """
import sys, time
from pathlib import Path

import django

django.setup()
from django.core.management import call_command

from access_requests import tasks

def render_that_never_ends(sar, *, progress=None):
    Path(sys.argv[1]).write_text(str(sar.pk))
    time.sleep(120)

tasks.render_bundle_pdf = render_that_never_ends
call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
"""


def worker_environment(settings: Any, tmp_path: Path) -> dict[str, str]:
    database = connection.settings_dict
    user = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"postgres://{user}@{database['HOST']}:{database['PORT'] or 5432}/"
        f"{database['NAME']}",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "CONFIDE_ENCRYPTION_KEYS": settings.CONFIDE_ENCRYPTION_KEYS,
        "CONFIDE_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "CONFIDE_AUDIT_ANCHOR_DIR": str(tmp_path / "worker-anchors"),
    }


def wait_for(condition: Callable[[], bool], what: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if worker.poll() is not None:
            raise AssertionError(f"the worker stopped before {what}: {worker.stderr.read()!r}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"the worker did not get to {what} in 60 seconds"
        time.sleep(0.1)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Moves the application's time on (timezone.now) without waiting."""
    real_now = timezone.now
    offset = timedelta()

    def now() -> Any:
        return real_now() + offset

    def advance(by: timedelta) -> None:
        nonlocal offset
        offset += by

    monkeypatch.setattr(timezone, "now", now)
    return advance


# --- the mail server down -------------------------------------------------------------------------


@pytest.fixture
def mail_server(settings: Any) -> SimpleNamespace:
    """SMTP on a loopback port where nothing listens (connection refused at once), until
    ``back()``: then the test's outbox."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2, "use_tls": False},
        }
    }

    def back() -> None:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    return SimpleNamespace(back=back)


def events(name: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(additional_data__event=name))


def staff_client(user: Any) -> Client:
    """Signed in; a request that fails shows its 500 page rather than raising in the test."""
    return sign_in(Client(raise_request_exception=False), user)


FRIENDLY_500 = ("Sorry, something went wrong", "may not have been saved")


if connection.vendor == "postgresql":

    @pytest.mark.parametrize("when", [AFTER_ITS_WRITE, AT_COMMIT])
    @pytest.mark.parametrize("kind", list(WRITES))
    def test_a_connection_killed_mid_write_leaves_no_partial_row(kind, when, people):
        table, arrange = WRITES[kind]
        write = arrange(people)
        before = snapshot()

        with connection_killed(table, when) as killed, pytest.raises(OperationalError):
            write()

        assert killed == [when]
        assert changed(before, snapshot()) == set()
        assert "Audit log intact" in verify()
        # Django connects again: the same write, done again, is done once.
        write()
        assert table in changed(before, snapshot())
        assert "Audit log intact" in verify()

    @pytest.mark.parametrize("when", [AFTER_ITS_WRITE, AT_COMMIT])
    def test_a_connection_killed_while_an_entry_is_saved_shows_the_500_page_then_works(
        when, people
    ):
        client = staff_client(people.keyperson1.user)
        url = reverse("records:entry_create", args=[people.child.pk])
        form = {
            "category": Category.CONCERN,
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "text": "Seemed withdrawn at drop-off and did not join circle time.",
        }
        before = snapshot()

        with connection_killed("records_recordentry", when) as killed:
            response = client.post(url, form)

        assert killed == [when]
        assert response.status_code == 500
        page = response.content.decode()
        assert all(words in page for words in FRIENDLY_500)
        assert "withdrawn" not in page and "Traceback" not in page
        assert changed(before, snapshot()) <= SESSION_TABLES
        again = client.post(url, form)
        assert again.status_code == 302
        assert committed(RecordEntry, child_id=people.child.pk) == 1

    @pytest.mark.parametrize("when", [AFTER_ITS_WRITE, AT_COMMIT])
    def test_a_connection_killed_while_a_copy_is_released_shows_no_password_then_works(
        when, people
    ):
        sar = an_approved_request(people)
        client = staff_client(people.lead.user)
        url = reverse("access_requests:release", args=[sar.pk])
        before, last = snapshot(), last_log_entry()

        with connection_killed("access_requests_release", when) as killed:
            response = client.post(url)

        assert killed == [when]
        assert response.status_code == 500
        page = response.content.decode()
        assert all(words in page for words in FRIENDLY_500)
        assert "password" not in page.lower()
        # Only the request's page being opened is on the record (it was, before the release).
        assert changed(before, snapshot()) <= SESSION_TABLES | AUDIT_TABLES
        assert events_since(last) == ["sar_read"]
        assert "Audit log intact" in verify()
        assert client.get(reverse("access_requests:download", args=[sar.pk])).status_code == 404
        again = client.post(url)
        assert again.status_code == 200 and 'aria-label="The password"' in again.content.decode()
        assert client.get(reverse("access_requests:download", args=[sar.pk])).status_code == 200

    @pytest.mark.parametrize("where", list(DISK_FULL))
    def test_a_full_disk_while_the_pdf_is_written_fails_the_render_and_the_next_works(
        where, people
    ):
        disk_full, _kind = DISK_FULL[where]
        make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
        sar = checked(people)
        deputy, lead = staff_client(people.deputy.user), staff_client(people.lead.user)
        render = reverse("access_requests:render", args=[sar.pk])
        draft = reverse("access_requests:draft", args=[sar.pk])
        detail = reverse("access_requests:detail", args=[sar.pk])

        with disk_full():
            assert deputy.post(render).status_code == 302

        sar.refresh_from_db()
        assert sar.render_state == RenderState.FAILED
        # Said by name (whichever disk it was), since only IT can free the space.
        assert "The server's disk is full, so the PDF could not be made" in sar.render_error
        assert committed(Rendering) == 0
        assert lead.get(draft).status_code == 404
        page = lead.get(detail).content.decode()
        assert "The PDF could not be made." in page and "Retry: make the PDF" in page
        lead.post(reverse("access_requests:approve", args=[sar.pk]))
        assert committed(SubjectAccessRequest, status=Status.APPROVED) == 0

        assert deputy.post(render).status_code == 302
        sar.refresh_from_db()
        assert sar.render_state == RenderState.READY
        assert committed(Rendering) == 1
        pdf = lead.get(draft)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    @pytest.mark.usefixtures("database_tasks")
    def test_a_worker_killed_mid_render_shows_failed_is_reaped_and_a_retry_renders(
        people, settings, tmp_path, clock
    ):
        make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
        sar = checked(people)
        access_services.start_render(sar=sar, by=people.deputy.user)
        rendering = tmp_path / "rendering"
        worker = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
            [sys.executable, "-c", STUCK_WORKER, str(rendering)],
            cwd=BASE_DIR,
            env=worker_environment(settings, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for(rendering.exists, "the render", worker)
            sar.refresh_from_db()
            assert sar.render_state == RenderState.RENDERING
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
            assert worker.stderr is not None
            worker.stderr.close()
        task = DBTaskResult.objects.get()
        assert task.status == TaskResultStatus.RUNNING  # as the killed worker left it
        lead = staff_client(people.lead.user)
        progress = reverse("access_requests:progress", args=[sar.pk])
        detail = reverse("access_requests:detail", args=[sar.pk])
        assert lead.get(progress).json()["state"] == "rendering"

        # No sign of life for longer than the stale limit: the page says so, before any job runs.
        clock(access_services.RENDER_STALE_AFTER + timedelta(seconds=1))
        assert lead.get(progress).json()["state"] == "failed"
        assert "Retry: make the PDF" in lead.get(detail).content.decode()

        out = StringIO()
        call_command("run_schedules", "--job", "sar_reap_renders", stdout=out)
        assert "sar_reap_renders: ok: 1 " in out.getvalue()
        sar.refresh_from_db()
        assert sar.render_state == RenderState.FAILED and "interrupted" in sar.render_error
        task.refresh_from_db()
        assert task.status == TaskResultStatus.FAILED
        assert committed(Rendering) == 0
        assert lead.get(reverse("access_requests:draft", args=[sar.pk])).status_code == 404

        # Retried, and run by a worker that lives.
        deputy = staff_client(people.deputy.user)
        assert deputy.post(reverse("access_requests:render", args=[sar.pk])).status_code == 302
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        sar.refresh_from_db()
        assert sar.render_state == RenderState.READY, sar.render_error
        assert committed(Rendering) == 1
        pdf = lead.get(reverse("access_requests:draft", args=[sar.pk]))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    def test_with_the_mail_server_down_the_link_is_not_recorded_as_sent(people, mail_server):
        sar = an_approved_request(people)
        access_services.release_copy(sar=sar, by=people.lead.user)
        client = staff_client(people.deputy.user)
        url = reverse("access_requests:send_link", args=[sar.pk])
        before, last = snapshot(), last_log_entry()

        response = client.post(url)

        assert "The email could not be sent: the mail server did not accept it." in (
            client.get(response["Location"]).content.decode()
        )
        # On the record: the request's page being opened, and the link made for the email and
        # deleted when the mail server refused it ("0" created, "2" deleted); nothing sent.
        assert changed(before, snapshot()) <= SESSION_TABLES | AUDIT_TABLES
        assert set(events_since(last)) == {"sar_read", "0", "2"}
        sar.refresh_from_db()
        assert sar.status == Status.APPROVED and sar.sent_at is None
        assert not DownloadLink.objects.exists() and not events("sar_link_sent")

        mail_server.back()
        response = client.post(url, follow=True)

        assert "A one-time link was emailed to the requester" in response.content.decode()
        sar.refresh_from_db()
        assert sar.status == Status.SENT
        [sent] = mail.outbox
        assert sent.to == ["parent@example.test"]
        assert DownloadLink.objects.get().sent_at is not None

    def test_with_the_mail_server_down_break_glass_still_opens_and_is_on_the_dashboard(
        people, mail_server, caplog
    ):
        url = reverse("records:break_glass_open", args=[people.child.pk])
        reason = "Child says a stranger is waiting at the gate; Lead and Deputy not answering."

        response = staff_client(people.practitioner.user).post(url, {"reason": reason})

        # The emergency access does not wait for the mail server: it opens, and is audited.
        assert response.status_code == 302
        access = BreakGlass.objects.get()
        assert events("break_glass_opened")
        assert "Could not email the Lead and Deputy about break-glass" in caplog.text
        dashboard = staff_client(people.lead.user).get(reverse("home:dashboard"))
        assert "Emergency access to review" in dashboard.content.decode()
        assert reverse("records:break_glass_review", args=[access.pk]) in (
            dashboard.content.decode()
        )

        mail_server.back()
        other = reverse("records:break_glass_open", args=[people.other_child.pk])
        assert (
            staff_client(people.keyperson2.user).post(other, {"reason": reason}).status_code == 302
        )

        [notice] = mail.outbox
        assert {"lead@example.test", "deputy@example.test"} <= set(notice.to)

    def test_with_the_mail_server_down_the_anchor_is_kept_and_the_job_fails_clearly(
        people, mail_server, settings, anchors_of_this_test
    ):
        settings.CONFIDE_AUDIT_ANCHOR_EMAIL = ["trustee@example.test"]
        make_entry(people.child, people.keyperson1)

        with pytest.raises(CommandError, match="1 job\\(s\\) failed: audit_anchor"):
            call_command("run_schedules", "--job", "audit_anchor", stdout=StringIO())

        job = ScheduledJob.objects.get(name="audit_anchor")
        assert job.last_ok is False and "Connection refused" in job.last_message
        # The anchor itself is on the disk: only its copy by email is missing.
        assert len(anchor_lines(anchors_of_this_test)) == 1

        mail_server.back()
        make_entry(people.child, people.keyperson1)
        out = StringIO()
        call_command("run_schedules", "--job", "audit_anchor", "--force", stdout=out)

        assert "audit_anchor: ok: anchored head #" in out.getvalue()
        [copy] = mail.outbox
        assert copy.to == ["trustee@example.test"]
