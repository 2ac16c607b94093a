"""Rows written in bulk as Confide itself writes them (tests/bench/group.py makes them): COPY on
PostgreSQL, multi-row INSERTs elsewhere, and the audit log's rows sealed into their setting's hash
chain exactly as ``audit.chain.seal_entries`` would have sealed them when they happened.

Django must be set up before these functions run: they import the models they use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

# --- writing -------------------------------------------------------------------------------------


class Writer:
    """Inserts model rows as they are (values already prepared): COPY on PostgreSQL (psycopg's
    ``cursor.copy``), multi-row INSERTs elsewhere (audit.chain.bulk_insert, as bulk_create)."""

    def __init__(self) -> None:
        from django.db import connection  # after django.setup()

        self.connection = connection
        self.copy = connection.vendor == "postgresql"

    def reserve_ids(self, objs: Sequence[Any]) -> None:
        """Give rows with a database-made id (log entries, seals) their ids before the insert."""
        if not self.copy or not objs:
            return
        meta = objs[0]._meta
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            ids = sorted(pk for (pk,) in cursor.fetchall())
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk

    def insert(self, objs: Sequence[Any]) -> None:
        if not objs:
            return
        if not self.copy:
            from audit.chain import bulk_insert  # after django.setup()

            bulk_insert(objs)
            return
        meta = objs[0]._meta
        fields = [
            f
            for f in meta.concrete_fields
            if not (f.primary_key and f.db_returning and objs[0].pk is None)
        ]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        prepare = [(f.attname, f.get_db_prep_save) for f in fields]
        db = self.connection
        with db.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for obj in objs:
                values = obj.__dict__
                copy.write_row(
                    [
                        to_db(values[name] if name in values else getattr(obj, name), db)
                        for name, to_db in prepare
                    ]
                )


# --- the audit rows, as the application writes them ----------------------------------------------

# Per model: the fields auditlog's diff looks at (with the value of those that are the same for
# every new row), the masked ones, and the mask.
_diff_plans: dict[type, tuple[list[tuple[Any, str | None]], set[str], Any]] = {}


def creation_changes(instance: Any) -> dict[str, Any] | None:
    """What auditlog's ``model_instance_diff(None, instance)`` gives for a new row, made faster:
    the fields it looks at are worked out once per model, and a reverse relation's value (always
    the same text for a new row) once. tests/test_bench_data.py checks they agree."""
    from auditlog.diff import (  # after django.setup(), as below
        get_field_value,
        get_fields_in_model,
        get_mask_function,
    )
    from auditlog.registry import auditlog
    from django.utils.encoding import smart_str

    model = type(instance)
    if model not in _diff_plans:
        model_fields = auditlog.get_model_fields(model)
        fields = list(set(get_fields_in_model(instance)))
        if model_fields["include_fields"]:
            fields = [f for f in fields if f.name in model_fields["include_fields"]]
        fields = [f for f in fields if f.name not in model_fields["exclude_fields"]]
        constants = [(f, None if f.concrete else get_field_value(instance, f)) for f in fields]
        mask = get_mask_function(model_fields.get("mask_callable"))
        _diff_plans[model] = (constants, set(model_fields["mask_fields"]), mask)
    plan, masked, mask = _diff_plans[model]
    diff: dict[str, Any] = {}
    for f, constant in plan:
        old = "None"  # what auditlog reads of a row that did not exist
        new = constant if constant is not None else get_field_value(instance, f)
        if old != new:
            if f.name in masked:
                diff[f.name] = (mask(smart_str(old)), mask(smart_str(new)))
            else:
                diff[f.name] = (smart_str(old), smart_str(new))
    return diff or None


@dataclass
class Event:
    """Audit rows one person's action wrote together (one seal), at the time it happened."""

    at: datetime
    user: Any
    rows: list[Any]
    # A page read event's items, for its index rows (audit.models.ReadItem).
    items: list[str] | None = None


def creation_event(instance: Any, user: Any, at: datetime, address: str) -> Event:
    """The row auditlog writes when ``instance`` is saved the first time, by ``user`` at ``at``."""
    from auditlog.models import LogEntry  # after django.setup(), as below
    from django.contrib.contenttypes.models import ContentType
    from django.utils.encoding import smart_str

    from audit.log import stamp_change_row

    row = LogEntry(
        content_type_id=ContentType.objects.get_for_model(type(instance)).pk,
        object_pk=str(instance.pk),
        object_id=None,
        object_repr=smart_str(instance),
        serialized_data=None,
        action=LogEntry.Action.CREATE,
        changes_text="",
        changes=creation_changes(instance),
        actor_id=user.pk,
        actor_email=user.email,
        cid=None,
        remote_addr=address,
        remote_port=None,
        timestamp=at,
    )
    stamp_change_row(LogEntry, instance=row)  # masks personal fields, names the setting
    return Event(at, user, [row])


def read_event(user: Any, entries: list[Any], at: datetime, address: str) -> Event:
    """A page's reads of these entries as audit.log's ``log_page_read`` writes them (one event
    listing them, and an index row for each), dated when the page was read."""
    from django.http import HttpRequest  # after django.setup(), as below

    from audit import log
    from audit.events import Event as AuditEvent

    request = HttpRequest()
    request.META["REMOTE_ADDR"] = address  # all audit.log reads of the request
    # What log_page_read saves, made here to be inserted in bulk.
    row, items = log.page_read_row(
        actor=user, objects=entries, request=request, event=AuditEvent.READ
    )
    row.timestamp = at
    return Event(at, user, [row], items)


def seal_events(setting_id: UUID, events: list[Event], writer: Writer) -> int:
    """Insert the events' rows and seal them into the setting's chain after its head, one seal per
    event in time order, exactly as audit.chain.seal_entries would have at the time."""
    from audit import chain  # after django.setup(), as below
    from audit.models import ReadItem, SealedEntry

    if not events:
        return 0
    events.sort(key=lambda e: e.at)
    rows = [row for event in events for row in event.rows]
    # The chain's lock (PostgreSQL), then its head: nothing else appends meanwhile.
    sequence, prev = chain.locked_head(setting_id)
    key_id, key = chain.current_key(setting_id)
    writer.reserve_ids(rows)
    writer.insert(rows)
    seals = []
    for event in events:
        hashes = [chain.portable_hash(row) for row in event.rows]
        sequence += 1
        seal = chain.next_seal(
            chain=setting_id,
            sequence=sequence,
            prev_digest=prev,
            key=(key_id, key),
            actor=(event.user.pk, event.user.get_username()),
            created_at=event.at,
            hashes=hashes,  # in the order of the rows' ids, as the check reads them
        )
        prev = seal.digest
        seals.append((seal, event.rows, hashes))
    writer.reserve_ids([seal for seal, _, _ in seals])
    writer.insert([seal for seal, _, _ in seals])
    writer.insert(
        [
            ReadItem(entry_id=event.rows[0].pk, object_pk=pk)
            for event in events
            for pk in event.items or ()
        ]
    )
    writer.insert(
        [
            SealedEntry(entry_id=row.pk, seal_id=seal.pk, content_hash=digest)
            for seal, event_rows, hashes in seals
            for row, digest in zip(event_rows, hashes, strict=True)
        ]
    )
    return len(rows)
