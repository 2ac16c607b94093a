"""Which setting a request works in, and the manager that keeps every query inside it.

A group of settings shares one deployment; each setting's rows say which setting they belong to
(a ``setting`` column). While a request (or a task) works in a setting, the default manager of
every such model (``ScopedManager``) filters to that setting: a view, a form's choices, a count,
the admin and the subject-access compiler all see one setting without anyone remembering to add
``setting=`` — the same question asked of another setting's id finds nothing, the same 404 as a
random id.

The working setting is chosen by the person after sign-in and kept in their session
(``accounts`` middleware sets it here for the request's life; ``working_in`` does it for a task or
a command). Outside a request, nothing is scoped: the deployment's own jobs (the reaper, the
chain checks) see every setting. Counting across settings is for the group role alone, through
``across_settings()``, and a test checks where that is called.

Core names no model of ours: the column is ``setting_id`` by convention.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from django.db import models

_working: ContextVar[UUID | None] = ContextVar("confide_working_setting", default=None)


def working_setting() -> UUID | None:
    """The setting this request or task works in, or None (a deployment job, a test's setup)."""
    return _working.get()


def _as_uuid(setting_id: UUID | str | None) -> UUID | None:
    if setting_id is None or isinstance(setting_id, UUID):
        return setting_id
    return UUID(str(setting_id))


def set_working_setting(setting_id: UUID | str | None) -> None:
    _working.set(_as_uuid(setting_id))


@contextmanager
def working_in(setting_id: UUID | str | None) -> Iterator[None]:
    """Work in one setting for the block (a task, a command, a test)."""
    token = _working.set(_as_uuid(setting_id))
    try:
        yield
    finally:
        _working.reset(token)


class ScopedManager(models.Manager[Any]):
    """Rows of the working setting only (all rows when no setting is being worked in)."""

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        setting = working_setting()
        return qs if setting is None else qs.filter(setting_id=setting)

    def across_settings(self) -> models.QuerySet[Any]:
        """Every setting's rows, whatever the working setting: for the group's counts only."""
        return super().get_queryset()
