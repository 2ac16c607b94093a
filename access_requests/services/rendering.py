"""The background render: queued, signs of life, finished in one transaction, or failed (retry)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.utils import timezone

from audit.log import log_event

from ..events import Event
from ..models import (
    Rendering,
    RenderState,
    Status,
    SubjectAccessRequest,
)
from .common import (
    QUEUED_STALE_AFTER,
    RENDER_STALE_AFTER,
    _handler,
    logger,
)

# --- rendering ------------------------------------------------------------------------------------


def _stale_q(now: Any) -> Q:
    """Renders that stopped sending signs of life: killed with their worker."""
    return Q(
        render_state=RenderState.RENDERING, render_heartbeat_at__lt=now - RENDER_STALE_AFTER
    ) | Q(render_state=RenderState.QUEUED, render_heartbeat_at__lt=now - QUEUED_STALE_AFTER)


def render_is_stale(sar: SubjectAccessRequest, now: Any = None) -> bool:
    now = now or timezone.now()
    beat = sar.render_heartbeat_at or sar.render_started_at
    if beat is None:
        return False
    if sar.render_state == RenderState.RENDERING:
        return beat < now - RENDER_STALE_AFTER
    return sar.render_state == RenderState.QUEUED and beat < now - QUEUED_STALE_AFTER


def effective_render_state(sar: SubjectAccessRequest) -> str:
    return RenderState.FAILED if render_is_stale(sar) else sar.render_state


def mark_stale_renders_failed() -> int:
    """Renders with no sign of life were killed: mark them failed, and their task rows too, so
    nothing is left RUNNING."""
    stale = list(
        SubjectAccessRequest.objects.filter(_stale_q(timezone.now())).values_list(
            "pk", "render_token"
        )
    )
    for pk, token in stale:
        fail_render(
            sar_id=pk,
            token=token,
            error="The render stopped without finishing (the worker was interrupted).",
        )
        _fail_task_rows(token)
    return len(stale)


def _fail_task_rows(token: Any) -> None:
    """The worker's own record of the task (django-tasks-db), left RUNNING by a killed worker."""
    from django_tasks_db.models import DBTaskResult  # its app loads after ours

    DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.RUNNING, TaskResultStatus.READY],
        task_path__endswith=".render_bundle",
        args_kwargs__args__1=str(token),
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="access_requests.tasks.WorkerDied",
        traceback="The worker stopped sending signs of life (killed or restarted).",
    )


def start_render(*, sar: SubjectAccessRequest, by: User) -> uuid.UUID:
    """Queue the render of a checked bundle in the background (a new attempt replaces a failed
    or interrupted one). Returns the attempt's token."""
    _handler(by, sar)
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        updated = (
            SubjectAccessRequest.objects.filter(pk=sar.pk, status=Status.CHECKED)
            .filter(
                Q(render_state__in=[RenderState.NONE, RenderState.FAILED])
                | _stale_q(timezone.now())
            )
            .update(
                render_state=RenderState.QUEUED,
                render_token=token,
                render_progress=0,
                render_started_at=now,
                render_heartbeat_at=now,
                render_error="",
            )
        )
        if not updated:
            raise ValidationError(
                "The bundle can be rendered once it has been checked, and not while a render is "
                "already running."
            )
        log_event(actor=by, event=Event.SAR_RENDER_QUEUED, obj=sar)
    sar.refresh_from_db()
    # The task calls these services back: imported here, not at the top, to avoid a cycle.
    from ..tasks import render_bundle

    try:
        # The task's row names the setting it works for, as every row of a setting does.
        render_bundle.enqueue(str(sar.pk), str(token), setting_id=str(sar.setting_id))
    except Exception:
        logger.exception("Could not queue the render of %s", sar.reference)
        fail_render(sar_id=sar.pk, token=token, error="The render could not be queued.")
        raise
    return token


def render_progress(
    *, sar_id: UUID | str, token: Any, progress: int, state: str = RenderState.RENDERING
) -> bool:
    """A sign of life from the worker; False when this attempt is no longer the current one."""
    return bool(
        SubjectAccessRequest.objects.filter(
            pk=sar_id,
            render_token=token,
            render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
        ).update(render_state=state, render_progress=progress, render_heartbeat_at=timezone.now())
    )


def render_heartbeat(*, sar_id: UUID | str, token: Any) -> bool:
    """The worker is alive (sent every HEARTBEAT_EVERY while a page is laid out)."""
    return bool(
        SubjectAccessRequest.objects.filter(
            pk=sar_id, render_token=token, render_state=RenderState.RENDERING
        ).update(render_heartbeat_at=timezone.now())
    )


def fail_render(*, sar_id: UUID | str, token: Any, error: str) -> None:
    failed = SubjectAccessRequest.objects.filter(
        pk=sar_id,
        render_token=token,
        render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
    ).update(render_state=RenderState.FAILED, render_error=error[:300])
    if failed:
        log_event(
            actor=None,
            event=Event.SAR_RENDER_FAILED,
            obj=SubjectAccessRequest.objects.only("id", "reference").get(pk=sar_id),
            detail={"error": error[:300]},
        )


@transaction.atomic
def finish_render(*, sar_id: UUID | str, token: Any, pdf: bytes, pages: int) -> Rendering | None:
    """The finished file and the state change commit together, or neither does."""
    sar = SubjectAccessRequest.objects.get(pk=sar_id)
    rendering = Rendering(
        request=sar,
        token=token,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        pages=pages,
    )
    rendering.save()
    updated = SubjectAccessRequest.objects.filter(
        pk=sar_id, render_token=token, render_state=RenderState.RENDERING, status=Status.CHECKED
    ).update(
        render_state=RenderState.READY,
        render_progress=100,
        rendered_at=timezone.now(),
        render_heartbeat_at=timezone.now(),
    )
    if not updated:
        transaction.set_rollback(True)
        return None
    log_event(
        actor=None,
        event=Event.SAR_RENDERED,
        obj=sar,
        detail={"sha256": rendering.sha256, "pages": pages},
    )
    return rendering


def current_rendering(sar: SubjectAccessRequest) -> Rendering | None:
    if sar.render_token is None or sar.render_state != RenderState.READY:
        return None
    return Rendering.objects.filter(request=sar, token=sar.render_token).first()
