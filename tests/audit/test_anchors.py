"""The audit chain's tail cannot be cut unseen: its head is anchored, signed, outside the database
(audit.anchors), the scheduler checks the chain on its own (audit.checks), and verify_audit names
a cut, rewound or forked tail."""

from __future__ import annotations

import errno
import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit import anchors, checks
from audit.log import log_event
from audit.models import AuditSeal, ChainCheck
from core import schedules
from core.models import ScheduledJob

from .test_audit import busy_log, sql, without_trigger

pytestmark = pytest.mark.django_db


def verify() -> str:
    out, err = StringIO(), StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    return str(failure.value)


def cut_tail(seals: int, *, chain: Any = None) -> list[int]:
    """Delete the last ``seals`` seals (of one chain, when named) and every entry they cover, as
    an intruder with the database's owner rights would (triggers bypassed on PostgreSQL; SQLite
    refuses no DELETE)."""
    found = AuditSeal.objects.all() if chain is None else AuditSeal.objects.filter(chain=chain)
    victims = list(found.order_by("-sequence")[:seals])
    if connection.vendor == "postgresql":
        without_trigger("auditlog_logentry", "confide_logentry_no_delete")
        without_trigger("records_auditseal", "confide_auditseal_no_change")
        without_trigger("records_sealedentry", "confide_sealedentry_no_change")
    else:
        for trigger in ("confide_auditseal_no_change", "confide_sealedentry_no_change"):
            without_trigger("", trigger)
    for seal in victims:
        entry_ids = list(seal.sealed_entries.values_list("entry_id", flat=True))
        sql("DELETE FROM records_sealedentry WHERE seal_id = %s", [seal.pk])
        sql("DELETE FROM records_auditseal WHERE id = %s", [seal.pk])
        for entry_id in entry_ids:
            sql("DELETE FROM auditlog_logentry WHERE id = %s", [entry_id])
    return [s.sequence for s in victims]


def anchor_lines(directory) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("anchors-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_the_head_is_anchored_signed_and_only_when_it_moved(people, anchors_of_this_test):
    busy_log(people)
    head = AuditSeal.objects.latest("sequence")

    assert anchors.write() == f"anchored head #{head.sequence}"
    assert anchors.write() == f"head #{head.sequence} already anchored"
    [line] = anchor_lines(anchors_of_this_test)
    assert (line["sequence"], line["digest"]) == (head.sequence, head.digest)
    assert line["chain"] == AuditSeal.objects.get(sequence=1).digest
    assert anchors.signature_ok(line)
    assert not anchors.signature_ok(line | {"sequence": head.sequence - 1})

    log_event(actor=people.lead.user, event="read", obj=people.child)
    assert anchors.write().startswith("anchored head #")
    assert len(anchor_lines(anchors_of_this_test)) == 2
    assert "anchors in" in verify() and "agree" in verify()


def test_verify_audit_names_a_tail_cut_after_it_was_anchored(people):
    busy_log(people)
    anchors.write()
    head = AuditSeal.objects.latest("sequence").sequence

    cut = cut_tail(2)

    message = verify_fails()
    assert cut == [head, head - 1]
    assert f"the chain ends at seal #{head - 2}" in message
    assert f"saw seal #{head}" in message
    assert "cut from the end" in message


def test_without_anchors_a_cut_tail_looks_intact_and_verify_audit_says_so(people):
    # Why anchors exist: the shorter chain is still a valid chain.
    busy_log(people)
    cut_tail(2)
    report = verify()
    assert "Audit log intact" in report
    assert "no anchors yet" in report


def test_verify_audit_names_a_tail_rewound_and_rewritten(people):
    busy_log(people)
    anchors.write()
    head = AuditSeal.objects.latest("sequence").sequence
    cut_tail(1)
    # New entries written after the cut take the cut seal's place with another digest.
    log_event(actor=people.deputy.user, event="read", obj=people.child)

    message = verify_fails()
    assert f"seal #{head} differs from anchor" in message
    assert "forked" in message


def test_a_forged_or_edited_anchor_is_named(people, anchors_of_this_test):
    busy_log(people)
    anchors.write()
    [path] = anchors_of_this_test.glob("anchors-*.jsonl")
    record = json.loads(path.read_text())
    path.write_text(json.dumps(record | {"sequence": record["sequence"] + 50}) + "\n")

    message = verify_fails()
    assert "is not signed by this deployment's keys" in message


def test_anchors_of_another_chain_mean_the_log_was_replaced(people, anchors_of_this_test):
    busy_log(people)
    anchors.write()
    [path] = anchors_of_this_test.glob("anchors-*.jsonl")
    record = json.loads(path.read_text())
    other = anchors.sign(
        {k: v for k, v in record.items() if k not in ("signature", "key_id")} | {"chain": "f" * 64}
    )
    path.write_text(json.dumps(other) + "\n")

    assert "belongs to another audit chain" in verify_fails()


def test_a_full_disk_fails_the_anchor_job_and_changes_nothing(people, monkeypatch):
    busy_log(people)

    def no_space(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(anchors.os, "write", no_space)
    seals_before = AuditSeal.objects.count()
    [outcome] = schedules.run_due(force=True, only="audit_anchor")

    assert (outcome.ran, outcome.ok) == (True, False)
    assert "No space left on device" in outcome.message
    job = ScheduledJob.objects.get(name="audit_anchor")
    assert (job.last_ok, job.locked_until) == (False, None)
    assert AuditSeal.objects.count() == seals_before


def test_the_anchor_can_also_be_emailed(people, settings):
    settings.CONFIDE_AUDIT_ANCHOR_EMAIL = ["lead@example.test"]
    busy_log(people)
    anchors.write()
    [message] = mail.outbox
    assert message.to == ["lead@example.test"]
    head = AuditSeal.objects.latest("sequence")
    body = str(message.body)
    assert head.digest in body
    # Nothing about any child or entry: only the chain's head.
    assert people.child.first_name not in body


# --- the application checks its own chain -----------------------------------------------------


def test_checks_walk_on_from_the_last_intact_one(people, django_assert_max_num_queries):
    busy_log(people)
    [first] = checks.run()
    assert first.full and first.intact and first.entries == LogEntry.objects.count()

    log_event(actor=people.lead.user, event="read", obj=people.child)
    [second] = checks.run()
    assert not second.full
    assert second.from_sequence == first.head_sequence
    assert second.entries == LogEntry.objects.count()
    assert second.intact


def test_an_incremental_check_sees_the_checked_head_cut_away(people):
    busy_log(people)
    anchors.write()
    [first] = checks.run()
    cut_tail(1)
    [second] = checks.run()
    assert not second.intact
    assert f"seal #{first.head_sequence}" in second.problem


def test_a_broken_chain_fails_the_scheduled_check(people):
    busy_log(people)
    checks.run()
    entry = LogEntry.objects.order_by("pk").last()
    if connection.vendor == "postgresql":
        without_trigger("auditlog_logentry", "confide_logentry_no_update")
    else:
        without_trigger("", "confide_logentry_no_update")
    sql("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["edited", entry.pk])

    [outcome] = schedules.run_due(force=True, only="audit_check")
    # The newest seal was checked already: the daily full walk finds the edit.
    assert outcome.ok
    [outcome] = schedules.run_due(force=True, only="audit_check")
    ChainCheck.objects.update(checked_at=timezone.now() - timedelta(days=2))
    [outcome] = schedules.run_due(force=True, only="audit_check")
    assert not outcome.ok
    assert "audit chain broken (full check)" in outcome.message
    assert f"log entry {entry.pk}" in outcome.message


def test_the_lead_sees_the_chain_verified_on_the_audit_page(people, client_for):
    busy_log(people)
    checks.run()
    page = client_for("lead").get(reverse("records:audit_log")).content.decode()
    # The page shows the events of the Lead's setting and the deployment's sign-ins: both chains.
    deployment, setting = checks.latest(), checks.latest(people.setting.pk)
    assert deployment is not None and setting is not None
    assert "Audit log verified at" in page
    # No count of entries: it would grow with events held apart from the page (an
    # allegation against the reader), tests/proof/test_accused_cannot_see.py.
    assert " entries." not in page


def test_the_audit_page_shows_a_broken_chain_in_red(people, client_for):
    busy_log(people)
    anchors.write()
    cut_tail(1)
    page = client_for("lead").get(reverse("records:audit_log")).content.decode()
    assert "The audit log failed its check" in page
    assert "cut from the end" in page


def test_a_stale_check_is_brought_up_to_date_by_the_page(people, client_for):
    busy_log(people)
    checks.run()
    ChainCheck.objects.update(checked_at=timezone.now() - timedelta(hours=1))
    log_event(actor=people.lead.user, event="read", obj=people.child)
    client_for("lead").get(reverse("records:audit_log"))
    assert ChainCheck.objects.latest().checked_at > timezone.now() - timedelta(minutes=1)


# --- the scheduler ---------------------------------------------------------------------------------


def test_run_schedules_runs_what_is_due_once(people):
    out = StringIO()
    call_command("run_schedules", stdout=out)
    ran = out.getvalue()
    for name in ("audit_anchor", "audit_check", "sar_reap_renders", "prune_task_results"):
        assert f"{name}: ok" in ran
    again = StringIO()
    call_command("run_schedules", stdout=again)
    assert again.getvalue() == ""  # nothing due a second later
    assert schedules.overdue() == []


def test_a_job_leased_by_another_runner_is_not_run_twice(people):
    call_command("run_schedules", stdout=StringIO())
    ScheduledJob.objects.filter(name="audit_anchor").update(
        locked_until=timezone.now() + timedelta(minutes=10),
        last_started_at=timezone.now() - timedelta(hours=1),
    )
    [outcome] = schedules.run_due(only="audit_anchor")
    assert not outcome.ran
    # A lease left by a runner killed mid-job expires.
    ScheduledJob.objects.filter(name="audit_anchor").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    [outcome] = schedules.run_due(only="audit_anchor")
    assert outcome.ran and outcome.ok


def test_one_failing_job_does_not_stop_the_others(people, monkeypatch):
    monkeypatch.setattr(
        anchors, "write", lambda: (_ for _ in ()).throw(RuntimeError("disk unplugged"))
    )
    schedules.register("audit_anchor", timedelta(minutes=5), anchors.write)
    try:
        with pytest.raises(CommandError, match="audit_anchor"):
            call_command("run_schedules", stdout=StringIO())
        assert ScheduledJob.objects.get(name="audit_check").last_ok is True
        assert ScheduledJob.objects.get(name="audit_anchor").last_ok is False
    finally:
        monkeypatch.undo()
        schedules.register("audit_anchor", timedelta(minutes=5), anchors.write)


def test_a_scheduler_that_stopped_is_noticed(people):
    call_command("run_schedules", stdout=StringIO())
    ScheduledJob.objects.update(last_started_at=timezone.now() - timedelta(hours=2))
    assert "audit_check" in schedules.overdue()


def test_a_failed_anchor_email_is_sent_at_the_next_run(people, settings, monkeypatch):
    settings.CONFIDE_AUDIT_ANCHOR_EMAIL = ["lead@example.test"]
    busy_log(people)

    def refused(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(anchors, "send_mail", refused)
    [outcome] = schedules.run_due(force=True, only="audit_anchor")
    assert not outcome.ok and "Connection refused" in outcome.message
    monkeypatch.undo()

    [outcome] = schedules.run_due(force=True, only="audit_anchor")
    assert outcome.ok and "already anchored" in outcome.message
    [message] = mail.outbox
    assert AuditSeal.objects.latest("sequence").digest in str(message.body)
    # Once sent, not again for the same head.
    schedules.run_due(force=True, only="audit_anchor")
    assert len(mail.outbox) == 1
