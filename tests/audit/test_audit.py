"""The audit log: nothing secret in it, nobody can change it unseen."""

from __future__ import annotations

import json
import threading
from io import StringIO
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from audit.log import log_access, log_event
from audit.models import AuditSeal, SealedEntry
from core import crypto
from records.models import Child, RecordEntry

from ..factories import make_child, make_entry

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    return str(failure.value)


def busy_log(people: Any) -> list[RecordEntry]:
    """Creates, updates, many-to-many changes, page reads (bulk) and events."""
    entries = [
        make_entry(people.child, people.keyperson1, text=f"Painted a picture, {i}.")
        for i in range(3)
    ]
    entries[0].not_informed_reason = "Telling the parent would put the child at risk."
    entries[0].save()
    people.practitioner.rooms.add(people.bluebell)
    log_access(actor=people.lead.user, objects=entries, event="read")
    log_event(actor=people.deputy.user, event="grant_revoked", obj=people.child)
    return entries


def sql(statement: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def without_trigger(table: str, trigger: str) -> None:
    """Take a trigger away for the rest of this test (the test's transaction puts it back)."""
    if connection.vendor == "postgresql":
        # ALTER TABLE waits for no deferred foreign-key checks: run them now.
        sql("SET CONSTRAINTS ALL IMMEDIATE", [])
        sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}", [])
        sql("SET CONSTRAINTS ALL DEFERRED", [])
    else:
        sql(f"DROP TRIGGER {trigger}", [])


# --- nothing secret in the log -------------------------------------------------------------------


def test_encrypted_fields_are_fully_redacted_in_change_diffs(people):
    entry = make_entry(people.child, people.keyperson1, text="Mentioned a bruise at home.")
    entry.not_informed_reason = "Telling the parent would put the child at risk."
    entry.save()
    rows = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RecordEntry), object_pk=str(entry.pk)
    )
    create = rows.get(action=LogEntry.Action.CREATE)
    update = rows.get(action=LogEntry.Action.UPDATE)

    assert create.changes["text"][1] == "[encrypted]"
    assert update.changes["not_informed_reason"] == ["[encrypted]", "[encrypted]"]
    for row in (create, update):
        logged = json.dumps([row.changes, row.changes_text, row.serialized_data, row.object_repr])
        for secret in ("bruise", "Mentioned", "Telling", "risk"):
            assert secret not in logged
        # Not even the key id or a scrap of ciphertext (auditlog's own mask keeps half).
        assert crypto.keyring().current_id not in logged


def test_no_child_name_in_the_object_repr_of_the_audit_log(people):
    child = make_child(room=people.sunflower, first_name="Zebedee", last_name="Quartermaine")
    child.first_name = "Zeb"
    child.save()
    log_access(actor=people.lead.user, objects=[child])
    child_rows = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Child))

    assert child_rows.count() >= 3
    for row in child_rows:
        for name in ("Zebedee", "Zeb", "Quartermaine"):
            assert name not in row.object_repr


def test_personal_fields_are_withheld_from_change_rows_of_every_kind(people):
    """The log outlives what it describes: no name, date of birth or contact detail in clear, on
    creation, on a change, or when the row is deleted."""
    from records.models import Carer

    from ..factories import make_family

    family = make_family("Quartermaine")
    carer = Carer.objects.create(
        family=family,
        full_name="Ottilie Quartermaine",
        relationship="mother",
        parental_responsibility=True,
        phone="07700 900123",
        email="ottilie@example.org",
    )
    child = make_child(
        room=people.sunflower, first_name="Zebedee", last_name="Quartermaine", family=family
    )
    child.first_name = "Zeb"
    child.save()
    carer.phone = "07700 900999"
    carer.save()
    carer_pk = carer.pk
    carer.delete()
    user = people.keyperson1.user
    user.email = "renamed.person@example.org"
    user.save()
    people.keyperson1.full_name = "Quentin Renamed"
    people.keyperson1.save()

    logged = json.dumps([[row.changes, row.changes_text] for row in LogEntry.objects.all()])
    for personal in (
        "Zebedee",
        "Zeb",
        "Quartermaine",
        "Ottilie",
        "07700",
        "ottilie@example.org",
        "renamed.person",
        "Quentin",
        str(child.date_of_birth),
    ):
        assert personal not in logged
    changes = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Child),
        object_pk=str(child.pk),
        action=LogEntry.Action.UPDATE,
    ).values_list("changes", flat=True)
    # What changed is still on the record, and what is not personal is shown as before.
    assert {"first_name": ["[personal]", "[personal]"]} in list(changes)
    deleted = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Carer),
        object_pk=str(carer_pk),
        action=LogEntry.Action.DELETE,
    )
    assert deleted.changes["phone"][0] == "[personal]"
    assert deleted.changes["relationship"][0] == "mother"


# --- every entry sealed ---------------------------------------------------------------------------


def test_every_log_entry_is_sealed_once_in_order(people):
    busy_log(people)
    entries = LogEntry.objects.count()
    seals = list(AuditSeal.objects.order_by("sequence"))

    assert [s.sequence for s in seals] == list(range(1, len(seals) + 1))
    assert {s.key_id for s in seals} == {crypto.keyring().current_id}
    assert SealedEntry.objects.count() == entries > 10  # the entry is the key: sealed once
    assert not LogEntry.objects.filter(confide_seal__isnull=True).exists()
    # A page of reads is one seal; every other entry here was written on its own.
    reads = LogEntry.objects.filter(additional_data__event="read")
    assert reads.count() == 3
    assert len({r.confide_seal.seal_id for r in reads}) == 1
    assert len(seals) == entries - 2


def test_log_access_seals_a_page_in_the_same_number_of_queries_whatever_its_size(people):
    entries = [make_entry(people.child, people.keyperson1) for _ in range(12)]
    with CaptureQueriesContext(connection) as one:
        log_access(actor=people.lead.user, objects=entries[:1])
    with CaptureQueriesContext(connection) as twelve:
        log_access(actor=people.lead.user, objects=entries)

    # Insert the rows; (on PostgreSQL, lock the chain;) read its head; insert the seal; insert
    # which rows it covers.
    expected = 5 if connection.vendor == "postgresql" else 4
    assert len(one.captured_queries) == len(twelve.captured_queries) == expected
    assert SealedEntry.objects.count() == LogEntry.objects.count()
    page = AuditSeal.objects.order_by("-sequence").first()
    assert page is not None
    assert page.sealed_entries.count() == 12


def test_a_page_of_reads_is_written_as_a_single_event_would_be(people, rf):
    """log_access writes its rows with its own INSERT: they must hold what the ORM would write."""
    entry = make_entry(people.child, people.keyperson1)
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    log_access(actor=people.lead.user, objects=[entry], request=request, detail={"n": 2})
    log_event(actor=people.lead.user, event="read", obj=entry, request=request, detail={"n": 2})
    page, single = LogEntry.objects.filter(
        object_pk=str(entry.pk), action=LogEntry.Action.ACCESS
    ).order_by("pk")

    def columns(row: LogEntry) -> dict[str, Any]:
        return {
            f.attname: getattr(row, f.attname)
            for f in row._meta.concrete_fields
            if f.attname not in ("id", "timestamp")
        }

    assert columns(page) == columns(single)
    assert page.remote_addr == "10.1.2.3"
    assert page.additional_data == {"event": "read", "n": 2}
    assert page.actor == people.lead.user


def test_a_page_too_big_for_one_insert_is_written_and_sealed_in_order(people, monkeypatch):
    entries = [make_entry(people.child, people.keyperson1) for _ in range(5)]
    before = LogEntry.objects.count()
    # As on a database that takes few parameters per statement: two rows per INSERT.
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    with CaptureQueriesContext(connection) as captured:
        log_access(actor=people.lead.user, objects=entries)

    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 3 + 1 + 3  # the rows, their seal, which rows it covers: two at a time
    rows = list(LogEntry.objects.order_by("pk")[before:])
    assert [r.object_pk for r in rows] == [str(e.pk) for e in entries]
    assert len({r.confide_seal.seal_id for r in rows}) == 1
    assert "Audit log intact" in verify()


def test_verify_audit_passes_on_an_untouched_log(people):
    busy_log(people)
    output = verify()
    assert f"Audit log intact: {LogEntry.objects.count()} entries" in output


def test_seals_made_before_a_key_rotation_still_verify(people, settings):
    busy_log(people)
    old_id = crypto.keyring().current_id
    new_spec = crypto.new_key_spec()
    settings.CONFIDE_ENCRYPTION_KEYS = f"{new_spec},{settings.CONFIDE_ENCRYPTION_KEYS}"
    log_event(actor=people.lead.user, event="after_rotation")

    newest = AuditSeal.objects.order_by("-sequence").first()
    assert newest is not None and newest.key_id == new_spec.partition(":")[0]
    assert AuditSeal.objects.filter(key_id=old_id).exists()
    assert "Audit log intact" in verify()

    settings.CONFIDE_ENCRYPTION_KEYS = new_spec
    assert "no longer in CONFIDE_ENCRYPTION_KEYS" in verify_fails()


# --- the database refuses changes, the chain finds them --------------------------------------------


def test_database_refuses_to_update_a_log_entry(people):
    busy_log(people)
    row = LogEntry.objects.order_by("pk").first()
    assert row is not None

    with pytest.raises(IntegrityError), transaction.atomic():
        sql("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["edited", row.pk])
    seal = row.confide_seal
    with pytest.raises(IntegrityError), transaction.atomic():
        sql("UPDATE records_auditseal SET digest = %s WHERE id = %s", ["0" * 64, seal.seal_id])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(
            "UPDATE records_sealedentry SET content_hash = %s WHERE entry_id = %s",
            ["0" * 64, row.pk],
        )

    assert LogEntry.objects.get(pk=row.pk).object_repr == row.object_repr
    assert "Audit log intact" in verify()


def test_deleting_a_user_clears_the_actor_and_the_chain_still_verifies(people):
    user = get_user_model().objects.create_user("leaver", "leaver@example.test", "x" * 20)
    event = log_event(actor=user, event="signed_in")
    user_pk = user.pk
    user.delete()

    event.refresh_from_db()
    assert event.actor_id is None
    assert event.confide_seal.seal.actor_pk == user_pk
    assert "Audit log intact" in verify()


def test_verify_audit_finds_an_edited_entry(people):
    busy_log(people)
    victim = LogEntry.objects.filter(additional_data__event="read").order_by("pk").first()
    assert victim is not None
    without_trigger("auditlog_logentry", "confide_logentry_no_update")
    assert sql(
        "UPDATE auditlog_logentry SET remote_addr = %s WHERE id = %s", ["10.0.0.66", victim.pk]
    )

    message = verify_fails()
    assert f"seal #{victim.confide_seal.seal.sequence} (log entry {victim.pk})" in message
    assert "altered" in message


def test_verify_audit_finds_a_reattributed_entry(people):
    busy_log(people)
    victim = LogEntry.objects.filter(actor=people.lead.user).order_by("pk").first()
    assert victim is not None
    without_trigger("auditlog_logentry", "confide_logentry_no_update")
    sql(
        "UPDATE auditlog_logentry SET actor_id = %s WHERE id = %s",
        [people.practitioner.user.pk, victim.pk],
    )

    assert "actor was changed" in verify_fails()


def test_verify_audit_finds_a_deleted_seal_and_its_entries(people):
    busy_log(people)
    seals = list(AuditSeal.objects.order_by("sequence"))
    victim = seals[len(seals) // 2]
    entry_ids = list(victim.sealed_entries.values_list("entry_id", flat=True))
    if connection.vendor == "postgresql":
        without_trigger("auditlog_logentry", "confide_logentry_no_delete")
        without_trigger("records_auditseal", "confide_auditseal_no_change")
        without_trigger("records_sealedentry", "confide_sealedentry_no_change")
    # Whoever deletes an entry must delete what seals it too (the foreign keys refuse otherwise).
    assert sql("DELETE FROM records_sealedentry WHERE seal_id = %s", [victim.pk]) == len(entry_ids)
    assert sql("DELETE FROM records_auditseal WHERE id = %s", [victim.pk]) == 1
    for entry_id in entry_ids:
        assert sql("DELETE FROM auditlog_logentry WHERE id = %s", [entry_id]) == 1

    message = verify_fails()
    assert f"seal #{victim.sequence} is missing" in message
    assert "deleted" in message


def test_verify_audit_finds_an_entry_deleted_from_a_page(people):
    busy_log(people)
    read = list(LogEntry.objects.filter(additional_data__event="read").order_by("pk"))
    victim, page = read[1], read[1].confide_seal.seal
    if connection.vendor == "postgresql":
        without_trigger("auditlog_logentry", "confide_logentry_no_delete")
        without_trigger("records_sealedentry", "confide_sealedentry_no_change")
    assert sql("DELETE FROM records_sealedentry WHERE entry_id = %s", [victim.pk]) == 1
    assert sql("DELETE FROM auditlog_logentry WHERE id = %s", [victim.pk]) == 1

    message = verify_fails()
    assert f"seal #{page.sequence} (log entries {read[0].pk}–{read[2].pk})" in message
    assert "deleted" in message


def test_verify_audit_finds_an_entry_moved_to_another_seal(people):
    busy_log(people)
    read = LogEntry.objects.filter(additional_data__event="read").order_by("pk").first()
    assert read is not None
    other = AuditSeal.objects.exclude(pk=read.confide_seal.seal_id).order_by("sequence").last()
    assert other is not None
    without_trigger("records_sealedentry", "confide_sealedentry_no_change")
    sql("UPDATE records_sealedentry SET seal_id = %s WHERE entry_id = %s", [other.pk, read.pk])

    assert "moved" in verify_fails()


def test_verify_audit_finds_reordered_entries(people):
    busy_log(people)
    first, second = list(AuditSeal.objects.order_by("sequence")[3:5])
    without_trigger("records_auditseal", "confide_auditseal_no_change")
    # Swap which entry each seal vouches for (through a spare sequence number: it is unique).
    spare = first.sequence + 1000
    sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [spare, first.pk])
    sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [first.sequence, second.pk])
    sql("UPDATE records_auditseal SET sequence = %s WHERE id = %s", [second.sequence, first.pk])

    moved = second.sealed_entries.get().entry_id
    assert f"seal #{first.sequence} (log entry {moved})" in verify_fails()


def test_verify_audit_finds_an_entry_written_around_the_chain(people):
    busy_log(people)
    # A bulk insert sends no signal: only audit.log.log_access seals what it inserts.
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=ContentType.objects.get_for_model(Child),
                object_pk=str(people.child.pk),
                object_repr="child",
                action=LogEntry.Action.ACCESS,
            )
        ]
    )
    assert "has no seal" in verify_fails()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps no DELETE trigger (Django's flush empties tables with DELETE there)",
)
def test_database_refuses_to_delete_a_log_entry_on_postgresql(people):
    busy_log(people)
    sealed = SealedEntry.objects.select_related("seal").order_by("seal__sequence").first()
    assert sealed is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        sql("DELETE FROM records_auditseal WHERE id = %s", [sealed.seal_id])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql("DELETE FROM records_sealedentry WHERE entry_id = %s", [sealed.entry_id])
    with pytest.raises(IntegrityError), transaction.atomic():
        sql("DELETE FROM auditlog_logentry WHERE id = %s", [sealed.entry_id])
    assert "Audit log intact" in verify()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers; there is no race to test"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain_on_postgresql(people):
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with transaction.atomic():
                    log_event(actor=None, event=f"writer {n} event {i}")
                    log_access(actor=None, objects=[people.child, people.other_child])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SealedEntry.objects.count() == LogEntry.objects.count()
    assert "Audit log intact" in verify()
