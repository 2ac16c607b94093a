"""Flags on the child: a child-protection plan, child in need, looked after, early help, SEND
(with an EHC plan), EAL, a named social worker and other professionals — dated, shown as badges to
those who may know (a plan at child-protection level: nobody else learns it exists), added and
ended by the Lead and the Deputy (the key person those at general level), audited when read, and
part of the subject-access and transfer files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests.compile import build_items
from access_requests.models import ItemKind
from lifecycle import transfer
from lifecycle.models import ItemKind as TransferKind
from records import services
from records.models import ChildFlag, FlagKind, Level

from ..access_requests.conftest import record

pytestmark = pytest.mark.django_db


def page_text(response: Any) -> str:
    return response.content.decode()


SOCIAL_WORKER = "Sam Socialworker, Exampleshire Children's Services, 01632 960123"


def flag(people: Any, kind: str, *, by: Any = None, **extra: Any) -> ChildFlag:
    return services.add_flag(
        child=people.child,
        by=(by or people.lead).user,
        kind=kind,
        started_on=timezone.localdate() - timedelta(days=30),
        **extra,
    )


def test_a_flag_takes_the_level_its_kind_fixes(people):
    plan = flag(people, FlagKind.CP_PLAN, detail="Plan agreed at the initial conference.")
    worker = flag(people, FlagKind.SOCIAL_WORKER, detail=SOCIAL_WORKER)
    eal = flag(people, FlagKind.EAL, detail="Polish at home.")
    send = flag(people, FlagKind.SEND, ehcp=True)
    assert (plan.level, worker.level, eal.level) == (
        Level.CHILD_PROTECTION,
        Level.SENSITIVE,
        Level.GENERAL,
    )
    assert send.label == "SEND (EHC plan)"
    # The details are encrypted at rest.
    raw = ChildFlag.objects.filter(pk=worker.pk).values_list("detail", flat=True).get()
    assert "Socialworker" not in str(raw)


def test_badges_show_only_what_the_person_may_know(people, client_for):
    flag(people, FlagKind.CP_PLAN, detail="Plan agreed at the initial conference.")
    flag(people, FlagKind.SOCIAL_WORKER, detail=SOCIAL_WORKER)
    flag(people, FlagKind.EAL, detail="Polish at home.")
    url = reverse("records:child_detail", args=[people.child.pk])
    seen = {
        name: page_text(client_for(name).get(url))
        for name in ("lead", "deputy", "keyperson1", "practitioner")
    }
    for name in ("lead", "deputy"):
        assert "Child protection plan" in seen[name] and "Social worker" in seen[name]
    # The key person: sensitive yes, the plan (child protection) no.
    assert "Social worker" in seen["keyperson1"]
    assert "Child protection plan" not in seen["keyperson1"]
    # Another practitioner of the room: only what general progress tells.
    assert "English as an additional language" in seen["practitioner"]
    assert "Social worker" not in seen["practitioner"]
    assert "Child protection plan" not in seen["practitioner"]
    # Nor on the flags page, where the details are.
    page = page_text(
        client_for("practitioner").get(reverse("records:child_flags", args=[people.child.pk]))
    )
    assert "Socialworker" not in page and "Child protection plan" not in page
    assert "Polish at home" in page


def test_office_and_trustees_see_no_flags_page(people, client_for):
    flag(people, FlagKind.EAL)
    url = reverse("records:child_flags", args=[people.child.pk])
    for name in ("office", "trustee", "chair"):
        assert client_for(name).get(url).status_code == 404


def test_reading_a_sensitive_flag_is_audited_and_a_general_one_is_not(people, client_for):
    worker = flag(people, FlagKind.SOCIAL_WORKER, detail=SOCIAL_WORKER)
    eal = flag(people, FlagKind.EAL)
    client_for("keyperson1").get(reverse("records:child_flags", args=[people.child.pk]))
    reads = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__event="read", actor=people.keyperson1.user
    )
    ids = set(reads.values_list("object_pk", flat=True))
    assert str(worker.pk) in ids
    assert str(eal.pk) not in ids


def test_who_may_add_and_end_flags(people, client_for):
    # The key person may add a general-level flag, not a plan.
    with pytest.raises(ValidationError):
        flag(people, FlagKind.CP_PLAN, by=people.keyperson1)
    eal = flag(people, FlagKind.EAL, by=people.keyperson1)
    # Another practitioner may add none.
    with pytest.raises(PermissionDenied):
        flag(people, FlagKind.EAL, by=people.practitioner)
    url = reverse("records:child_flags", args=[people.child.pk])
    response = client_for("practitioner").post(
        url, {"step": "add", "kind": "eal", "started_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 404
    response = client_for("keyperson1").post(
        url, {"step": "add", "kind": "cp_plan", "started_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 400
    assert ChildFlag.objects.count() == 1
    # Ended, and kept.
    today = timezone.localdate()
    response = client_for("keyperson1").post(
        url, {"step": "end", "flag": str(eal.pk), "ended_on": today.isoformat()}
    )
    assert response.status_code == 302
    eal.refresh_from_db()
    assert eal.ended_on == today and eal.ended_by == people.keyperson1
    assert not eal.is_current()


def test_bad_input_is_shown_again_with_a_message_and_saves_nothing(people, client_for):
    url = reverse("records:child_flags", args=[people.child.pk])
    lead = client_for("lead")
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    cases = [
        {"step": "add", "kind": "social_worker", "started_on": "2026-01-05"},  # no name
        {"step": "add", "kind": "eal", "started_on": future},
        {"step": "add", "kind": "eal", "started_on": "2026-03-01", "ended_on": "2026-02-01"},
        {"step": "", "kind": "eal"},
        {"step": "end", "flag": "not-an-id", "ended_on": "2026-03-01"},
        {"step": "end", "flag": str(people.child.pk), "ended_on": "2026-03-01"},
    ]
    for data in cases:
        response = lead.post(url, data)
        assert response.status_code == 400, data
        assert "There is a problem" in response.content.decode()
    assert ChildFlag.objects.count() == 0


def test_flags_are_in_the_subject_access_and_transfer_files(people):
    worker = flag(people, FlagKind.SOCIAL_WORKER, detail=SOCIAL_WORKER)
    plan = flag(people, FlagKind.CP_PLAN, detail="Plan agreed at the initial conference.")
    sar = record(people)
    items, _, counts = build_items(sar)
    flagged = {i.source_id: i for i in items if i.kind == ItemKind.FLAG}
    assert set(flagged) == {worker.pk, plan.pk}
    assert counts["flags"] == 2
    assert SOCIAL_WORKER in flagged[worker.pk].body
    assert flagged[plan.pk].level == Level.CHILD_PROTECTION

    from records import leaving  # only this test records a leaving
    from records.models import Destination, LeavingReason

    leaving.record_leaving(
        by=people.lead.user,
        child=people.child,
        left_on=timezone.localdate() - timedelta(days=1),
        destination_kind=Destination.SCHOOL,
        destination="Exampletown Primary School",
        reason=LeavingReason.STARTING_SCHOOL,
    )
    started = transfer.start(
        by=people.lead.user,
        child=people.child,
        receiving_setting="Exampletown Primary School",
        dsl_name="Dana Safeguard",
        dsl_email="dsl@exampletown.example",
        dsl_phone="01632 960000",
        current_plan="",
    )
    kinds = {i.source_id: i for i in started.items.all() if i.kind == TransferKind.FLAG}
    assert set(kinds) == {worker.pk, plan.pk}
    assert kinds[worker.pk].text == SOCIAL_WORKER


def test_a_child_protection_plan_keeps_the_file_as_a_child_protection_entry_does(people):
    from records import retention  # only this test asks the schedule

    people.child.left_on = timezone.localdate() - timedelta(days=1)
    people.child.save()
    before = retention.keep_child_file(people.child)
    flag(people, FlagKind.CP_PLAN)
    after = retention.keep_child_file(people.child)
    assert before.rule == retention.GENERAL
    assert after.rule == retention.CHILD_PROTECTION
