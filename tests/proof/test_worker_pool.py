"""Two render workers share one queue without double work (issue 17: more machines): two
django-tasks-db workers, started together in processes of their own against the same PostgreSQL,
and one subject-access request to render: one render, one PDF. PostgreSQL only (its workers claim
a task with SELECT … FOR UPDATE SKIP LOCKED; SQLite has no SKIP LOCKED), as the issue asks: on
SQLite this test is not defined at all. Everything stays on the loopback."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from access_requests import services as access_services
from access_requests.models import Rendering, RenderState

from ..access_requests.conftest import checked, database_tasks  # noqa: F401
from ..factories import make_entry
from .test_faults import BASE_DIR, committed, worker_environment

pytestmark = [pytest.mark.heavy, pytest.mark.django_db(transaction=True)]

# A db_worker whose render says it started (a file of its own in the directory named by its
# argument) and takes a second or two, so that both workers are at the queue together.
COUNTING_WORKER = """
import os, sys, time
from pathlib import Path

import django

django.setup()
from django.core.management import call_command

from access_requests import tasks

real = tasks.render_bundle_pdf

def counted(sar, *, progress=None):
    Path(sys.argv[1], f"render-{os.getpid()}").write_text(str(sar.pk))
    time.sleep(1.5)
    return real(sar, progress=progress)

tasks.render_bundle_pdf = counted
call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
"""

if connection.vendor == "postgresql":

    @pytest.mark.usefixtures("database_tasks")
    def test_two_workers_one_request_one_render(people, settings, tmp_path):
        make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
        sar = checked(people)
        access_services.start_render(sar=sar, by=people.deputy.user)
        assert DBTaskResult.objects.count() == 1
        renders = tmp_path / "renders"
        renders.mkdir()
        workers = [
            subprocess.Popen(  # noqa: S603 - this interpreter, our own script
                [sys.executable, "-c", COUNTING_WORKER, str(renders)],
                cwd=BASE_DIR,
                env=worker_environment(settings, tmp_path),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 120
        try:
            for worker in workers:
                worker.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait(timeout=10)
                assert worker.stderr is not None
                worker.stderr.close()
        assert [w.returncode for w in workers] == [0, 0]
        assert len(list(renders.iterdir())) == 1, "both workers rendered the one request"
        assert committed(Rendering) == 1
        sar.refresh_from_db()
        assert sar.render_state == RenderState.READY, sar.render_error
        assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
