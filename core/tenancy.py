"""Which setting a request works in, and the manager that keeps every query inside it.

A group of settings shares one deployment; each setting's rows say which setting they belong to
(a ``setting`` column). While a request (or a task) works in a setting, the default manager of
every such model (``ScopedManager``) filters to that setting: a view, a form's choices, a count,
the admin and the subject-access compiler all see one setting without anyone remembering to add
``setting=`` — the same question asked of another setting's id finds nothing, the same 404 as a
random id.

The working setting is chosen by the person after sign-in and kept in their session
(``accounts`` middleware sets it here for the request's life; ``working_in`` does it for a task or
a command). A request without a working setting sees no setting's rows at all (it fails closed),
except the IT administrator's, who looks after the whole deployment and holds no post. Outside a
request, nothing is scoped: the deployment's own jobs (the reaper, the chain checks) see every
setting. Counting across settings is for the group role alone, through
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
# In a request without a working setting (a visitor, a group role with no post), no setting's
# rows at all: the scope fails closed.
_closed: ContextVar[bool] = ContextVar("confide_scope_closed", default=False)


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


def scope_is_closed() -> bool:
    """Whether this request sees no setting's rows when none is worked in (``request_scope``)."""
    return _closed.get()


@contextmanager
def request_scope(setting_id: UUID | str | None, *, whole_deployment: bool) -> Iterator[None]:
    """A request's scope: its working setting. Without one, no setting's rows at all (a visitor,
    a group role with no post of their own), unless the person looks after the whole deployment
    (the IT administrator, who holds no post)."""
    working = _working.set(_as_uuid(setting_id))
    closed = _closed.set(setting_id is None and not whole_deployment)
    try:
        yield
    finally:
        _working.reset(working)
        _closed.reset(closed)


class ScopedManager(models.Manager[Any]):
    """Rows of the working setting only. With no setting worked in: none in a request that
    must have one (``request_scope``), every row for the deployment's own jobs."""

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        setting = working_setting()
        if setting is None:
            return qs.none() if _closed.get() else qs
        return qs.filter(setting_id=setting)

    def across_settings(self) -> models.QuerySet[Any]:
        """Every setting's rows, whatever the working setting: for the group's counts only."""
        return super().get_queryset()
