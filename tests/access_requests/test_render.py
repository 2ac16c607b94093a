"""Background renders: progress on the page; a failed, crashed or killed render leaves the request
"failed, retry" and never a partial PDF."""

from __future__ import annotations

import errno
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import Rendering, RenderState, SubjectAccessRequest

from .conftest import checked


def test_a_render_runs_in_the_task_and_the_page_shows_it(people, entries, client_for):
    sar = checked(people)
    response = client_for("deputy").post(reverse("access_requests:render", args=[sar.pk]))
    assert response.status_code == 302
    sar.refresh_from_db()
    assert sar.render_state == RenderState.READY and sar.render_progress == 100
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    assert "Read the PDF before approving it" in page
    assert "Approve this bundle" in page


def test_while_rendering_the_page_shows_progress_and_refreshes(people, entries, client_for):
    sar = checked(people)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.RENDERING,
        render_progress=40,
        render_heartbeat_at=timezone.now(),
        render_token=uuid.uuid4(),
    )
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    assert '<progress max="100" value="40"' in page
    assert reverse("access_requests:progress", args=[sar.pk]) in page
    progress = client_for("lead").get(reverse("access_requests:progress", args=[sar.pk])).json()
    assert progress == {"state": "rendering", "progress": 40}
    with pytest.raises(ValidationError):
        services.start_render(sar=sar, by=people.lead.user)


def test_a_disk_full_during_the_render_leaves_failed_retry_and_no_file(people, entries, client_for):
    sar = checked(people)
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("access_requests.pdf.render_html", side_effect=full):
        services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED
    assert "disk is full" in sar.render_error
    assert not Rendering.objects.exists()
    assert services.current_rendering(sar) is None
    assert (
        client_for("lead").get(reverse("access_requests:draft", args=[sar.pk])).status_code == 404
    )
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    assert "Retry: make the PDF" in page
    with pytest.raises(ValidationError):
        services.approve_bundle(sar=sar, by=people.lead.user)
    # Retry works.
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.READY


def test_a_crash_while_saving_the_file_keeps_no_partial_pdf(people, entries):
    sar = checked(people)
    real_save = Rendering.save

    def crash(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    with mock.patch.object(Rendering, "save", crash):
        services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED
    assert not Rendering.objects.exists()


def test_a_render_killed_mid_way_is_found_and_marked_failed(people, entries):
    sar = checked(people)
    token = uuid.uuid4()
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.RENDERING,
        render_token=token,
        render_progress=30,
        render_heartbeat_at=timezone.now() - timedelta(minutes=20),
    )
    sar.refresh_from_db()
    assert services.effective_render_state(sar) == RenderState.FAILED
    assert services.mark_stale_renders_failed() == 1
    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED
    assert "interrupted" in sar.render_error
    # The killed worker, if it ever woke, could not write its file over the new state.
    assert services.finish_render(sar_id=sar.pk, token=token, pdf=b"%PDF-partial", pages=1) is None
    assert not Rendering.objects.exists()


def test_a_superseded_render_cannot_overwrite_the_current_one(people, entries):
    sar = checked(people)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert (
        services.finish_render(sar_id=sar.pk, token=uuid.uuid4(), pdf=b"%PDF-other", pages=1)
        is None
    )
    assert Rendering.objects.count() == 1


def test_the_reaper_command_marks_killed_renders_failed(people, entries):
    from io import StringIO

    from django.core.management import call_command

    sar = checked(people)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.QUEUED,
        render_token=uuid.uuid4(),
        render_heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    out = StringIO()
    call_command("sar_reap_renders", stdout=out)
    assert "1 interrupted render marked failed" in out.getvalue()
    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED


def test_production_path_the_database_backend_and_its_worker(people, entries, database_tasks):
    """django-tasks-db, as in production: the request's page shows the queued render until
    `db_worker` runs it."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    sar = checked(people)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.QUEUED
    assert DBTaskResult.objects.count() == 1
    # The task's row names the setting it works for, as every row of a setting does.
    assert DBTaskResult.objects.get().args_kwargs["kwargs"] == {"setting_id": str(sar.setting_id)}
    # The worker closes connections that are not in autocommit, as the test's transaction is not.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.READY, sar.render_error
    assert services.current_rendering(sar) is not None


def test_a_render_silent_for_a_minute_shows_failed_a_queued_one_waits(people, entries):
    sar = checked(people)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.RENDERING,
        render_token=uuid.uuid4(),
        render_progress=30,
        render_heartbeat_at=timezone.now() - timedelta(seconds=61),
    )
    sar.refresh_from_db()
    assert services.effective_render_state(sar) == RenderState.FAILED
    # Waiting for a free worker is not dying: a queued render is given longer.
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(render_state=RenderState.QUEUED)
    sar.refresh_from_db()
    assert services.effective_render_state(sar) == RenderState.QUEUED
    assert services.mark_stale_renders_failed() == 0


def test_the_scheduler_fails_a_killed_render_and_its_task_row(people, entries, database_tasks):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from core import schedules

    sar = checked(people)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    task_row = DBTaskResult.objects.get()
    # The worker took it, then was killed: its row says RUNNING, the request's heartbeat stops.
    DBTaskResult.objects.filter(pk=task_row.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.RENDERING,
        render_heartbeat_at=timezone.now() - timedelta(seconds=90),
    )

    [outcome] = schedules.run_due(force=True, only="sar_reap_renders")

    assert outcome.ok and outcome.message.startswith("1 ")
    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED
    task_row.refresh_from_db()
    assert task_row.status == TaskResultStatus.FAILED
    assert "signs of life" in task_row.traceback


def test_the_worker_beats_while_a_long_page_is_laid_out(monkeypatch):
    import time

    from access_requests import tasks

    beats: list[dict[str, str]] = []

    def beat(**kwargs: str) -> bool:
        beats.append(kwargs)
        return True

    monkeypatch.setattr(services, "HEARTBEAT_EVERY", timedelta(milliseconds=20))
    monkeypatch.setattr(services, "render_heartbeat", beat)

    with tasks.Heartbeat("request-id", "token"):
        time.sleep(0.2)
    count = len(beats)
    assert count >= 3
    assert beats[0] == {"sar_id": "request-id", "token": "token"}
    time.sleep(0.1)
    assert len(beats) == count  # it stops with the render


def test_a_task_row_naming_another_setting_renders_nothing(people, entries):
    from access_requests.tasks import render_bundle

    sar = checked(people)
    token = uuid.uuid4()
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        render_state=RenderState.QUEUED, render_token=token
    )
    outcome = render_bundle.call(str(sar.pk), str(token), setting_id=str(uuid.uuid4()))
    assert outcome == "superseded"
    sar.refresh_from_db()
    assert sar.render_state == RenderState.QUEUED and sar.render_progress == 0
    assert services.current_rendering(sar) is None
