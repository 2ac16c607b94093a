"""A read replica for a group's reports (issue 17: more machines, on existing engines).

When ``DATABASE_REPLICA_URL`` names one (config.settings adds it as the ``replica`` database, sets
``CONFIDE_READ_REPLICA`` and this router), the reports and the evidence pack count from it: reads inside
``reports_from_replica()`` go there; every write, and every read anywhere else, goes to the
primary (``default``). Without a replica nothing changes. The replica may lag the primary by a
moment: a report counts what had arrived there; what a person does is always read from the
primary, which they have just written to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reading_replica: ContextVar[bool] = ContextVar("confide_reading_replica", default=False)


@contextmanager
def reports_from_replica() -> Iterator[None]:
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


@contextmanager
def from_primary() -> Iterator[None]:
    """Within a report, what must be read where it is written (the audit chain's check)."""
    token = _reading_replica.set(False)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reading_replica() -> bool:
    return _reading_replica.get() and bool(getattr(settings, "CONFIDE_READ_REPLICA", False))


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if reading_replica() else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None  # the primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data, wherever it was read

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication
