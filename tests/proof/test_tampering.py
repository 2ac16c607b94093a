"""The tampering catalogue, on PostgreSQL: what an intruder with the database owner's rights can
change behind the application's back, and how Confide finds each change and names what changed.

Each case changes the database with raw SQL, as psql would: no signal, no seal, no re-encryption.
The audit tables refuse changes through triggers, so the intruder first switches triggers off
for the session (``SET session_replication_role = replica``, which also stops foreign keys from
being checked) or disables them on the table (``cut_tail``). Every value is in the current
format, as after ``manage.py reencrypt``, so CONFIDE_REFUSE_LEGACY_CIPHERTEXT is on: an emptied
column is then refused rather than shown blank.

PostgreSQL only, as its issue asks: on SQLite these tests are not defined at all (neither run nor
skipped, whatever CONFIDE_DEEP says). SQLite's tampering tests are in tests/audit, tests/core and
tests/records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection, models
from django.db.models import Count
from django.utils import timezone

from audit import anchors
from audit.chain import portable_hash
from audit.models import AuditSeal
from core import keys
from core.crypto import DecryptionError
from core.models import DataKey
from records import policy, services
from records.models import Category, Level, NeedToKnowGrant, RecordEntry

from ..audit.test_anchors import cut_tail, verify, verify_fails
from ..audit.test_audit import busy_log, sql
from ..core.test_access_binding import failures_for, raw
from ..factories import make_entry
from ..records.test_row_seals import entry_url, tampering_events

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

# A plaintext the pages must never show once its row is tampered with.
SECRET = "Said an adult at home hurt her."


@pytest.fixture(autouse=True)
def every_value_in_the_current_format(settings: Any) -> None:
    settings.CONFIDE_REFUSE_LEGACY_CIPHERTEXT = True


# --- what the intruder does -------------------------------------------------------------------


@contextmanager
def triggers_off() -> Iterator[None]:
    """The audit tables' triggers (and foreign keys) do nothing, as for a superuser replaying a
    dump, until the block ends (the test's rollback would end it too)."""
    # The application's writes so far are checked now, as their own commits would have.
    sql("SET CONSTRAINTS ALL IMMEDIATE", [])
    sql("SET LOCAL session_replication_role = replica", [])
    try:
        yield
    finally:
        sql("SET LOCAL session_replication_role = origin", [])
        sql("SET CONSTRAINTS ALL DEFERRED", [])


def copy_row(table: str, pk: Any, **changes: Any) -> Any:
    """INSERT a copy of a row, with ``changes``, as psql would; returns the new row's id (the
    database's own when ``id`` is not among the changes)."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    kept = [c for c in columns if c != "id" and c not in changes]
    names = ", ".join([*changes, *kept])
    values = ", ".join(["%s"] * len(changes) + kept)
    # Table and column names come from the database's own catalogue; values go as parameters.
    statement = (
        f"INSERT INTO {table} ({names}) SELECT {values} FROM {table} WHERE id = %s RETURNING id"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*changes.values(), pk])
        return cursor.fetchone()[0]


def drop_not_null(table: str, column: str) -> None:
    # ALTER TABLE waits for no deferred foreign-key check: run them now.
    sql("SET CONSTRAINTS ALL IMMEDIATE", [])
    sql(f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL", [])
    sql("SET CONSTRAINTS ALL DEFERRED", [])


def seal_of(entry: LogEntry) -> int:
    return entry.confide_seal.seal.sequence


def a_read() -> LogEntry:
    found = LogEntry.objects.filter(additional_data__event="read").order_by("pk").first()
    assert found is not None
    return found


# --- what Confide must answer -------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """``manage.py verify_audit`` fails, and its message holds each of ``fragments``."""

    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Unreadable:
    """``field`` of ``row`` no longer decrypts: reading it raises, a ``decryption_failed`` event
    names the row and the field, and ``page`` shows ``reader`` the integrity-failed page."""

    row: models.Model
    field: str
    why: str
    reader: str
    page: str
    secrets: tuple[str, ...] = (SECRET,)


@dataclass(frozen=True)
class Forged:
    """``row`` grants access, but its seal does not match: ``page`` is still a 404 for
    ``reader``, and a ``row_seal_failed`` event names the row."""

    row: models.Model
    reader: str
    page: str


def verify_audit_names_it(found: Named, people: SimpleNamespace, client_for: Any) -> None:
    message = verify_fails()
    for fragment in found.fragments:
        assert fragment in message, message


def read_fails_loudly(found: Unreadable, people: SimpleNamespace, client_for: Any) -> None:
    keys.clear_cache()  # no key unwrapped before the tampering: as a new request
    row = type(found.row)._base_manager.get(pk=found.row.pk)
    with pytest.raises(DecryptionError):
        getattr(row, found.field)
    [failure] = failures_for(found.row)
    assert failure.additional_data["field"] == found.field
    assert found.why in failure.additional_data["error"]

    response = client_for(found.reader).get(found.page)

    assert response.status_code == 500
    body = response.content.decode()
    assert "A record failed its integrity check" in body
    for secret in found.secrets:
        assert secret not in body
    reader = getattr(people, found.reader).user
    assert [f for f in failures_for(found.row) if f.actor == reader]


def grants_nothing(found: Forged, people: SimpleNamespace, client_for: Any) -> None:
    response = client_for(found.reader).get(found.page)

    assert response.status_code == 404
    events = tampering_events(found.row)
    assert events and events[0].additional_data["field"] == "row_seal"
    assert events[0].actor == getattr(people, found.reader).user


# --- the audit log ------------------------------------------------------------------------------


def edit_a_log_entry(people: SimpleNamespace) -> Named:
    victim = a_read()
    with triggers_off():
        sql("UPDATE auditlog_logentry SET remote_addr = %s WHERE id = %s", ["10.0.0.66", victim.pk])
    return Named((f"seal #{seal_of(victim)} (log entry {victim.pk})", "altered"))


def delete_a_log_entry(people: SimpleNamespace) -> Named:
    victim = LogEntry.objects.get(additional_data__event="grant_revoked")
    with triggers_off():
        sql("DELETE FROM auditlog_logentry WHERE id = %s", [victim.pk])
    return Named((f"seal #{seal_of(victim)} (log entry {victim.pk}): the log entry was deleted",))


def delete_a_seal_and_its_entries(people: SimpleNamespace) -> Named:
    seals = list(AuditSeal.objects.order_by("sequence"))
    victim = seals[len(seals) // 2]
    with triggers_off():
        entry_ids = [e.entry_id for e in victim.sealed_entries.all()]
        sql("DELETE FROM records_sealedentry WHERE seal_id = %s", [victim.pk])
        sql("DELETE FROM records_auditseal WHERE id = %s", [victim.pk])
        sql("DELETE FROM auditlog_logentry WHERE id = ANY(%s)", [entry_ids])
    return Named((f"seal #{victim.sequence} is missing", "sealed log entries were deleted"))


def reorder_two_log_entries(people: SimpleNamespace) -> Named:
    single = list(
        AuditSeal.objects.annotate(n=Count("sealed_entries")).filter(n=1).order_by("sequence")
    )
    first, second = next((a, b) for a, b in pairwise(single) if b.sequence == a.sequence + 1)
    moved = second.sealed_entries.get().entry_id
    with triggers_off():
        # Through a spare sequence number: it is unique.
        spare = first.sequence + 1000
        sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [spare, first.pk])
        sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [first.sequence, second.pk])
        sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [second.sequence, first.pk])
    return Named((f"seal #{first.sequence} (log entry {moved})", "reordered"))


def insert_a_log_entry(people: SimpleNamespace) -> Named:
    forged = copy_row("auditlog_logentry", a_read().pk, object_pk=str(people.other_child.pk))
    return Named((f"log entry {forged} has no seal", "written around Confide"))


def forge_a_sealed_log_entry(people: SimpleNamespace) -> Named:
    read = a_read()
    head = AuditSeal.objects.filter(chain=read.confide_seal.seal.chain).latest("sequence")
    forged = copy_row("auditlog_logentry", read.pk, object_pk=str(people.other_child.pk))
    # The entry's own hash anyone can compute; the seal's digest needs the key.
    seal = copy_row(
        "records_auditseal",
        head.pk,
        sequence=head.sequence + 1,
        actor_pk=read.actor_id,
        # Who acted the forger knows too (a username): only the digest needs the key.
        actor_key=read.actor.get_username() if read.actor is not None else "",
        digest="f" * 64,
    )
    sql(
        "INSERT INTO records_sealedentry (entry_id, seal_id, content_hash) VALUES (%s, %s, %s)",
        [forged, seal, portable_hash(LogEntry.objects.get(pk=forged))],
    )
    return Named((f"seal #{head.sequence + 1} (log entry {forged})", "the seal was altered"))


def truncate_the_tail(people: SimpleNamespace) -> Named:
    anchors.write()
    head = AuditSeal.objects.latest("sequence").sequence
    cut_tail(2)
    return Named(
        (
            f"the chain ends at seal #{head - 2}",
            f"saw seal #{head}",
            "cut from the end of the audit",
        )
    )


# --- ciphertexts -------------------------------------------------------------------------------


def swap_two_ciphertexts(people: SimpleNamespace) -> Unreadable:
    first = make_entry(people.child, people.keyperson1, text=SECRET)
    second = make_entry(people.child, people.keyperson1, text="Shared the red bike at last.")
    texts = raw(RecordEntry, first.pk, "text"), raw(RecordEntry, second.pk, "text")
    sql("UPDATE records_recordentry SET text = %s WHERE id = %s", [texts[1], first.pk])
    sql("UPDATE records_recordentry SET text = %s WHERE id = %s", [texts[0], second.pk])
    return Unreadable(
        first,
        "text",
        why="failed its integrity check",
        reader="keyperson1",
        page=entry_url(first),
        secrets=(SECRET, "red bike"),
    )


def downgrade_an_entry(people: SimpleNamespace) -> Unreadable:
    entry = make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        level=Level.CHILD_PROTECTION,
        text=SECRET,
    )
    sql(
        "UPDATE records_recordentry SET level = %s, category = %s WHERE id = %s",
        [Level.GENERAL, Category.GENERAL, entry.pk],
    )
    # The row now looks general: room staff would be let in.
    return Unreadable(
        entry,
        "text",
        why="failed its integrity check",
        reader="practitioner",
        page=entry_url(entry),
    )


def move_an_entry(people: SimpleNamespace) -> Unreadable:
    entry = make_entry(people.child, people.keyperson1, text=SECRET)
    sql(
        "UPDATE records_recordentry SET child_id = %s WHERE id = %s",
        [people.other_child.pk, entry.pk],
    )
    return Unreadable(
        entry, "text", why="failed its integrity check", reader="keyperson2", page=entry_url(entry)
    )


def empty_a_ciphertext(people: SimpleNamespace) -> Unreadable:
    entry = make_entry(people.child, people.keyperson1, text=SECRET)
    sql("UPDATE records_recordentry SET text = '' WHERE id = %s", [entry.pk])
    return Unreadable(
        entry, "text", why="the column was emptied", reader="keyperson1", page=entry_url(entry)
    )


def null_a_ciphertext(people: SimpleNamespace) -> Unreadable:
    entry = make_entry(people.child, people.keyperson1, text=SECRET)
    drop_not_null("records_recordentry", "text")
    sql("UPDATE records_recordentry SET text = NULL WHERE id = %s", [entry.pk])
    return Unreadable(
        entry, "text", why="the column was emptied", reader="keyperson1", page=entry_url(entry)
    )


def replace_a_data_key(people: SimpleNamespace) -> Unreadable:
    entry = make_entry(people.child, people.keyperson1, text=SECRET)
    make_entry(people.other_child, people.keyperson2)
    own, other = (
        DataKey.objects.live().get(scope=keys.CHILD, owner=child.pk)
        for child in (people.child, people.other_child)
    )
    # Another child's key, wrapped by the same setting's key: bound to its own owner and id.
    sql("UPDATE core_datakey SET wrapped = %s WHERE id = %s", [other.wrapped, own.pk])
    return Unreadable(
        entry,
        "text",
        why="a data key failed its integrity check",
        reader="keyperson1",
        page=entry_url(entry),
    )


# --- rows that grant access ----------------------------------------------------------------------


def a_concern_about_other_child(people: SimpleNamespace) -> RecordEntry:
    return make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)


def insert_a_grant(people: SimpleNamespace) -> Forged:
    concern = a_concern_about_other_child(people)
    real = services.give_grant(
        child=people.child,
        grantee=people.keyperson2,
        level=Level.SENSITIVE,
        reason="Covering Sunflower on Friday.",
        ends_at=timezone.now() + timedelta(days=3),
        granted_by=people.lead.user,
    )
    # A copy of a real grant, its seal with it, aimed at another child and another grantee.
    forged = copy_row(
        "records_needtoknowgrant",
        real.pk,
        id=uuid.uuid4(),
        child_id=people.other_child.pk,
        grantee_id=people.practitioner.pk,
    )
    return Forged(NeedToKnowGrant.objects.get(pk=forged), "practitioner", entry_url(concern))


def extend_a_grant(people: SimpleNamespace) -> Forged:
    concern = a_concern_about_other_child(people)
    grant = services.give_grant(
        child=people.other_child,
        grantee=people.practitioner,
        level=Level.SENSITIVE,
        reason="Covering Bluebell.",
        ends_at=timezone.now() + timedelta(days=3),
        granted_by=people.lead.user,
    )
    reader = type(people.practitioner.user).objects.get(pk=people.practitioner.user.pk)
    assert policy.can_read_entry(reader, concern)  # as given, the grant opens it
    sql(
        "UPDATE records_needtoknowgrant SET ends_at = ends_at + interval '300 days' WHERE id = %s",
        [grant.pk],
    )
    # Even before its real end, an altered grant grants nothing.
    return Forged(grant, "practitioner", entry_url(concern))


def raise_a_role(people: SimpleNamespace) -> Forged:
    concern = a_concern_about_other_child(people)
    sql("UPDATE records_staff SET role = 'deputy' WHERE id = %s", [people.practitioner.pk])
    return Forged(people.practitioner, "practitioner", entry_url(concern))


# --- the catalogue ------------------------------------------------------------------------------

type Detection = Callable[[Any, SimpleNamespace, Any], None]

CATALOGUE: dict[str, tuple[Callable[[SimpleNamespace], Any], Detection]] = {
    # the case: (what the intruder does, how Confide finds it and names what was changed)
    "audit entry edited": (edit_a_log_entry, verify_audit_names_it),
    "audit entry deleted": (delete_a_log_entry, verify_audit_names_it),
    "audit entry deleted with its seal": (delete_a_seal_and_its_entries, verify_audit_names_it),
    "audit entries reordered": (reorder_two_log_entries, verify_audit_names_it),
    "audit entry inserted around the chain": (insert_a_log_entry, verify_audit_names_it),
    "audit entry inserted with a forged seal": (forge_a_sealed_log_entry, verify_audit_names_it),
    "audit tail truncated after an anchor": (truncate_the_tail, verify_audit_names_it),
    "ciphertexts swapped between entries": (swap_two_ciphertexts, read_fails_loudly),
    "entry downgraded to general": (downgrade_an_entry, read_fails_loudly),
    "entry moved to another child": (move_an_entry, read_fails_loudly),
    "ciphertext emptied": (empty_a_ciphertext, read_fails_loudly),
    "ciphertext set to NULL": (null_a_ciphertext, read_fails_loudly),
    "data key replaced": (replace_a_data_key, read_fails_loudly),
    "grant inserted": (insert_a_grant, grants_nothing),
    "grant extended": (extend_a_grant, grants_nothing),
    "role raised": (raise_a_role, grants_nothing),
}


if connection.vendor == "postgresql":

    def test_untouched_the_log_verifies_and_every_record_reads(people, client_for):
        """The catalogue's set-up, with no tampering: nothing is reported."""
        busy_log(people)
        entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN, text=SECRET)

        assert "Audit log intact" in verify()
        response = client_for("keyperson1").get(entry_url(entry))
        assert response.status_code == 200 and SECRET in response.content.decode()
        assert not LogEntry.objects.filter(
            additional_data__event__in=["decryption_failed", "row_seal_failed"]
        ).exists()

    @pytest.mark.parametrize("case", list(CATALOGUE))
    def test_tampering_is_detected_and_named(case, people, client_for):
        tamper, detection = CATALOGUE[case]
        busy_log(people)  # creates, updates, many-to-many changes, pages of reads, events

        found = tamper(people)

        detection(found, people, client_for)
