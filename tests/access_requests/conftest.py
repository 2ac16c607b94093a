"""Helpers for subject-access tests: a request recorded by the office and taken through its
steps by the named people of tests/conftest.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from access_requests import services
from access_requests.models import Channel, RequesterKind, SubjectAccessRequest
from records.models import Category

from ..factories import make_entry


def record(people: Any, **extra: Any) -> SubjectAccessRequest:
    child = people.child
    fields: dict[str, Any] = dict(
        by=people.office.user,
        received_on=timezone.localdate(),
        channel=Channel.EMAIL,
        requester_kind=RequesterKind.CARER,
        requester_carer=child.carers.order_by("pk").filter(parental_responsibility=True).first(),
        asked_for="Everything you hold about my daughter and me.",
        child=child,
        contact_email="parent@example.test",
    )
    fields.update(extra)
    return services.record_request(**fields)


def confirmed(people: Any, **extra: Any) -> SubjectAccessRequest:
    sar = record(people, **extra)
    services.confirm_identity(
        sar=sar,
        by=people.deputy.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
        parental_responsibility=True,
    )
    return sar


def reviewed(people: Any, decision: str = "disclose") -> SubjectAccessRequest:
    """Compiled by the Deputy, every item decided by the Deputy."""
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    for item in sar.items.all():
        services.review_item(
            item=item, by=people.deputy.user, decision=decision, note="Reviewed: fine to disclose."
        )
    return sar


def checked(people: Any, sar: SubjectAccessRequest | None = None) -> SubjectAccessRequest:
    """Reviewed (by the Deputy, everything disclosed, unless ``sar`` is already reviewed), then
    checked by the Lead."""
    sar = sar or reviewed(people)
    services.submit_for_check(sar=sar, by=people.deputy.user)
    services.check_bundle(sar=sar, by=people.lead.user, accept=True)
    return sar


def approved(people: Any, sar: SubjectAccessRequest | None = None) -> SubjectAccessRequest:
    """Checked, rendered and approved by the Lead."""
    sar = checked(people, sar)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    services.approve_bundle(sar=sar, by=people.lead.user)
    sar.refresh_from_db()
    return sar


def released(people: Any, sar: SubjectAccessRequest) -> tuple[Any, str]:
    """A reviewed request taken through the check, the render and the approval to the released
    PDF: (the release, its password)."""
    return services.release_copy(sar=approved(people, sar), by=people.deputy.user)


@pytest.fixture
def entries(people: Any) -> list[Any]:
    child = people.child
    now = timezone.now()
    return [
        make_entry(
            child,
            people.keyperson1,
            text="Built a tall tower with the blocks.",
            occurred_at=now - timedelta(days=20),
        ),
        make_entry(
            child,
            people.lead,
            category=Category.CONCERN,
            text="Seemed tired and withdrawn all morning.",
            occurred_at=now - timedelta(days=10),
        ),
    ]


def _reset_task_backends() -> None:
    # django.tasks caches its backends, and no setting_changed receiver resets them.
    from asgiref.local import Local
    from django.tasks import task_backends

    handler: Any = task_backends
    handler._settings = handler.settings = handler.configure_settings(None)
    handler._connections = Local()


@pytest.fixture
def database_tasks(settings: Any) -> Any:
    """The production task backend (django-tasks-db) for one test, then the immediate one."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _reset_task_backends()
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    _reset_task_backends()
