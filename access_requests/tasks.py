"""The background render of a bundle (Django's tasks framework).

Development and tests use the immediate backend (the render runs at once, in the same process);
production uses django-tasks-db's database backend and its ``db_worker`` command.

The finished PDF and the request's "ready" state are written in one transaction
(``services.finish_render``); until then nothing of the file exists, so a failed render, or a
worker killed mid-render, never leaves a partial PDF. A failure is recorded as "failed, retry"; a
killed worker stops sending signs of life, and ``services.mark_stale_renders_failed`` (run at the
start of every render and by ``manage.py sar_reap_renders``) marks it failed.
"""

from __future__ import annotations

import errno
import logging
import threading

from django.db import connection
from django.tasks import task

from core import keys, tenancy

from . import services
from .models import RenderState, SubjectAccessRequest
from .pdf import RenderError, render_bundle_pdf

logger = logging.getLogger(__name__)


def _failure_message(exc: BaseException) -> str:
    """What the person waiting for the PDF is told: a full disk (the server's, or the database's)
    by name, since only IT can fix it; anything else by its kind."""
    disk_full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or getattr(
        getattr(exc, "__cause__", None), "sqlstate", None
    ) == "53100"
    if disk_full:
        return (
            "The server's disk is full, so the PDF could not be made; nothing was kept. Tell the "
            "IT administrator, then try again."
        )
    return (
        f"The render failed ({type(exc).__name__}). Try again; if it fails again, tell the IT "
        "administrator."
    )


class Heartbeat:
    """Signs of life while the render runs — a page can take WeasyPrint longer than the stale
    limit — from a thread of its own, every HEARTBEAT_EVERY; it stops with the render, or with the
    process when the worker is killed (so the render shows as failed within a minute)."""

    def __init__(self, request_id: str, token: str) -> None:
        self.request_id, self.token = request_id, token
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name="render-heartbeat")

    def _beat(self) -> None:
        try:
            while not self.stop.wait(services.HEARTBEAT_EVERY.total_seconds()):
                services.render_heartbeat(sar_id=self.request_id, token=self.token)
        except Exception:  # a missed beat is not a failed render
            logger.exception("Render heartbeat of %s failed", self.request_id)
        finally:
            connection.close()  # this thread's own database connection

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


@task()
def render_bundle(request_id: str, token: str, setting_id: str | None = None) -> str:
    keys.clear_cache()  # no key from another task of this worker
    services.mark_stale_renders_failed()
    # The render works in the request's own setting, as the people who asked for it did: the
    # compiler's policy questions and every query are that setting's (core.tenancy). The task's
    # row names it too (``setting_id``; None in a row queued before it did): a row naming
    # another setting than the request's renders nothing.
    setting = (
        SubjectAccessRequest.objects.across_settings()
        .filter(pk=request_id)
        .values_list("setting_id", flat=True)
        .first()
    )
    if setting is None or (setting_id is not None and str(setting) != setting_id):
        return "superseded"
    with tenancy.working_in(setting):
        return _render(request_id, token)


def _render(request_id: str, token: str) -> str:
    if not services.render_progress(sar_id=request_id, token=token, progress=5):
        return "superseded"

    def progress(percent: int) -> None:
        if not services.render_progress(sar_id=request_id, token=token, progress=percent):
            raise RenderError("This render was replaced by a newer one.")

    try:
        sar = SubjectAccessRequest.objects.get(pk=request_id)
        with Heartbeat(request_id, token):
            pdf, pages = render_bundle_pdf(sar, progress=progress)
        progress(90)
        if services.finish_render(sar_id=request_id, token=token, pdf=pdf, pages=pages) is None:
            return "superseded"
    except RenderError as exc:
        services.fail_render(sar_id=request_id, token=token, error=str(exc))
        logger.warning("Render of subject-access request %s failed: %s", request_id, exc)
        return RenderState.FAILED
    except Exception as exc:
        services.fail_render(sar_id=request_id, token=token, error=_failure_message(exc))
        logger.exception("Render of subject-access request %s failed", request_id)
        raise
    return RenderState.READY
