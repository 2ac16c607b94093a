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

import logging

from django.tasks import task

from core import keys

from . import services
from .models import RenderState, SubjectAccessRequest
from .pdf import RenderError, render_bundle_pdf

logger = logging.getLogger(__name__)


@task()
def render_bundle(request_id: str, token: str) -> str:
    keys.clear_cache()  # no key from another task of this worker
    services.mark_stale_renders_failed()
    if not services.render_progress(sar_id=request_id, token=token, progress=5):
        return "superseded"

    def progress(percent: int) -> None:
        if not services.render_progress(sar_id=request_id, token=token, progress=percent):
            raise RenderError("This render was replaced by a newer one.")

    try:
        sar = SubjectAccessRequest.objects.get(pk=request_id)
        pdf, pages = render_bundle_pdf(sar, progress=progress)
        progress(90)
        if services.finish_render(sar_id=request_id, token=token, pdf=pdf, pages=pages) is None:
            return "superseded"
    except RenderError as exc:
        services.fail_render(sar_id=request_id, token=token, error=str(exc))
        logger.warning("Render of subject-access request %s failed: %s", request_id, exc)
        return RenderState.FAILED
    except Exception as exc:
        services.fail_render(
            sar_id=request_id,
            token=token,
            error=f"The render failed ({type(exc).__name__}). Try again; if it fails again, "
            "tell the IT administrator.",
        )
        logger.exception("Render of subject-access request %s failed", request_id)
        raise
    return RenderState.READY
