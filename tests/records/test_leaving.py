"""A child leaves (records.leaving): the Lead or Deputy records it, the child's records close to
everyone else from the leaving date, and the Lead's checklist says what becomes of the file and
what is still open. And the setting's term dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records import leaving
from records.models import (
    Category,
    FileHandOver,
    Leaving,
    ParentInformed,
    Term,
)

from ..factories import make_entry, make_setting

pytestmark = pytest.mark.django_db


def _leave(client, child, **changes):
    body = {
        "step": "leaving",
        "left_on": timezone.localdate().isoformat(),
        "destination_kind": "school",
        "destination": "Example Primary School",
        "reason": "starting_school",
    } | changes
    return client.post(reverse("records:child_leaving", args=[child.pk]), body)


def test_the_lead_records_a_leaving_and_the_room_loses_the_child_from_that_day(people, client_for):
    child = people.child
    practitioner = client_for("practitioner")
    assert practitioner.get(reverse("records:child_detail", args=[child.pk])).status_code == 200

    response = _leave(client_for("lead"), child)

    assert response.status_code == 302
    child.refresh_from_db()
    assert child.left_on == timezone.localdate()
    row = Leaving.objects.get(child=child)
    assert (row.destination_kind, row.destination, row.reason) == (
        "school",
        "Example Primary School",
        "starting_school",
    )
    assert row.recorded_by == people.lead
    # No child-protection entries: nothing to send on, said so at once.
    assert row.cp_file == FileHandOver.NONE_HELD
    assert LogEntry.objects.filter(additional_data__event="leaving_recorded").count() == 1
    # From the leaving date: the room and the key person no longer see the child; the Lead,
    # the Deputy do.
    for name in ("practitioner", "keyperson1"):
        url = reverse("records:child_detail", args=[child.pk])
        assert client_for(name).get(url).status_code == 404
    assert (
        client_for("deputy").get(reverse("records:child_detail", args=[child.pk])).status_code
        == 200
    )


def test_a_leaving_before_the_start_or_to_an_unnamed_school_is_refused_and_nothing_changes(
    people, client_for
):
    child = people.child
    lead = client_for("lead")
    early = _leave(lead, child, left_on=(child.started_on - timedelta(days=1)).isoformat())
    assert early.status_code == 200
    assert "cannot be before the child started" in early.content.decode()
    unnamed = _leave(lead, child, destination="  ")
    assert "Name the school or setting" in unnamed.content.decode()
    child.refresh_from_db()
    assert child.left_on is None
    assert not Leaving.objects.exists()


@pytest.mark.parametrize("name", ["keyperson1", "practitioner", "office", "it_admin"])
def test_only_the_lead_and_deputy_record_a_leaving(people, client_for, name):
    child = people.child
    client = client_for(name)
    assert client.get(reverse("records:child_leaving", args=[child.pk])).status_code == 404
    assert _leave(client, child).status_code == 404
    child.refresh_from_db()
    assert child.left_on is None and not Leaving.objects.exists()


def test_the_checklist_lists_what_is_open_and_completes_when_the_files_are_settled(
    people, client_for
):
    child = people.child
    concern = make_entry(child, people.keyperson1, category=Category.CONCERN)
    assert concern.parent_informed == ParentInformed.TO_INFORM
    make_entry(
        child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        parent_informed=ParentInformed.NOT_INFORMED,
        not_informed_reason="Telling the parents would put the child at risk.",
    )
    lead = client_for("lead")
    _leave(lead, child)
    row = Leaving.objects.get(child=child)
    assert row.cp_file == FileHandOver.TO_DO  # there is a child-protection file to send on

    page = lead.get(reverse("records:child_leaving", args=[child.pk])).content.decode()
    assert "Entries the parents are still to be told of</a>: 1" not in page
    assert "Entries the parents are still to be told of: 1" in page
    assert "The child-protection file (1 entry)" in page

    url = reverse("records:child_leaving", args=[child.pk])
    # "Nothing to hand over" is refused while child-protection entries exist.
    refused = lead.post(
        url, {"step": "checklist", "cp_file": "none_held", "general_file": "given_to_parents"}
    )
    assert "say what became of the file" in refused.content.decode()
    row.refresh_from_db()
    assert row.cp_file == FileHandOver.TO_DO

    lead.post(
        url,
        {
            "step": "checklist",
            "cp_file": "transferred",
            "general_file": "given_to_parents",
            "note": "Sent to the school's DSL by secure post.",
        },
    )
    row.refresh_from_db()
    assert (row.cp_file, row.general_file) == ("transferred", "given_to_parents")
    assert row.checklist_done_at is None  # the parents are still to be told of the concern
    assert not leaving.checklist(row).complete

    concern.parent_informed = ParentInformed.INFORMED
    concern.informed_at = timezone.now()
    concern.save()
    done = lead.post(
        url, {"step": "checklist", "cp_file": "transferred", "general_file": "given_to_parents"}
    )
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.checklist_done_at is not None and row.checklist_done_by == people.lead
    assert leaving.checklist(row).complete


def test_the_checklist_hears_of_open_requests_and_decisions_from_their_apps(people):
    from access_requests.models import SubjectAccessRequest
    from consent.models import SharingDecision

    child = people.child
    row = leaving.record_leaving(
        by=people.lead.user,
        child=child,
        left_on=timezone.localdate(),
        destination_kind="home",
        destination="",
        reason="moved_away",
    )
    found = {item.what: item.count for item in leaving.checklist(row).open_items}
    open_requests = SubjectAccessRequest.objects.filter(children=child).exclude(status="closed")
    waiting = SharingDecision.objects.filter(child=child, lead_decision="pending")
    assert found.get("Subject-access requests still open", 0) == open_requests.count()
    assert found.get("Sharing decisions waiting for the Lead", 0) == waiting.count()
    # The checks the other apps registered are there (they answer for every leaver).
    assert len(leaving._checks) >= 2


def test_changing_a_leaving_keeps_one_row_and_says_so_in_the_audit_log(people):
    child = people.child
    for day in (timezone.localdate(), timezone.localdate() + timedelta(days=14)):
        leaving.record_leaving(
            by=people.deputy.user,
            child=child,
            left_on=day,
            destination_kind="setting",
            destination="Another Example Nursery",
            reason="changed_setting",
        )
    assert Leaving.objects.filter(child=child).count() == 1
    child.refresh_from_db()
    assert child.left_on == timezone.localdate() + timedelta(days=14)
    events = list(
        LogEntry.objects.filter(additional_data__event__in=["leaving_recorded", "leaving_changed"])
        .order_by("pk")
        .values_list("additional_data__event", flat=True)
    )
    assert events == ["leaving_recorded", "leaving_changed"]


# --- terms -----------------------------------------------------------------------------------


def _term(client, name, starts, ends):
    return client.post(
        reverse("records:terms"),
        {"name": name, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
    )


def test_the_lead_records_terms_and_overlaps_or_backwards_terms_are_refused(people, client_for):
    lead = client_for("lead")
    autumn = (date(2026, 9, 2), date(2026, 12, 18))
    assert _term(lead, "Autumn 2026", *autumn).status_code == 302
    assert _term(lead, "Spring 2027", date(2027, 1, 5), date(2027, 3, 26)).status_code == 302
    overlapping = _term(lead, "Oops", date(2026, 12, 1), date(2027, 1, 10))
    assert "overlaps a term already recorded" in overlapping.content.decode()
    backwards = _term(lead, "Backwards", date(2027, 6, 1), date(2027, 4, 1))
    assert "ends on or after the day it starts" in backwards.content.decode()
    assert list(Term.objects.values_list("name", flat=True)) == ["Autumn 2026", "Spring 2027"]

    autumn_term = leaving.term_of(date(2026, 10, 1))
    assert autumn_term is not None and autumn_term.name == "Autumn 2026"
    assert leaving.term_of(date(2026, 12, 25)) is None  # the holiday
    assert leaving.first_term_day_after(date(2026, 12, 20)) == date(2027, 1, 5)
    assert leaving.first_term_day_after(date(2027, 3, 27)) is None

    spring = Term.objects.get(name="Spring 2027")
    assert lead.post(reverse("records:terms"), {"remove": str(spring.pk)}).status_code == 302
    assert not Term.objects.filter(pk=spring.pk).exists()
    assert LogEntry.objects.filter(additional_data__event="term_removed").count() == 1


@pytest.mark.parametrize("name", ["keyperson1", "practitioner", "office", "it_admin"])
def test_only_the_lead_and_deputy_manage_terms(people, client_for, name):
    client = client_for(name)
    assert client.get(reverse("records:terms")).status_code == 404
    assert _term(client, "Summer 2027", date(2027, 4, 12), date(2027, 7, 21)).status_code == 404
    assert not Term.objects.exists()


def test_a_term_of_another_setting_cannot_be_removed(people, client_for):
    from core import tenancy

    elsewhere = make_setting("Otherside Nursery")
    with tenancy.working_in(elsewhere.pk):
        theirs = Term.objects.create(
            name="Their autumn", starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 1)
        )
    lead = client_for("lead")
    assert lead.post(reverse("records:terms"), {"remove": str(theirs.pk)}).status_code == 404
    assert lead.post(reverse("records:terms"), {"remove": "not-an-id"}).status_code == 404
    assert Term.objects.across_settings().filter(pk=theirs.pk).exists()
    assert "Their autumn" not in lead.get(reverse("records:terms")).content.decode()


def test_a_changed_leaving_reopens_a_completed_checklist(people):
    child = people.child
    row = leaving.record_leaving(
        by=people.lead.user,
        child=child,
        left_on=timezone.localdate(),
        destination_kind="home",
        destination="",
        reason="moved_away",
    )
    done = leaving.update_checklist(
        by=people.lead.user, leaving=row, cp_file="none_held", general_file="kept", note=""
    )
    assert done.complete
    row.refresh_from_db()
    assert row.checklist_done_at is not None
    leaving.record_leaving(
        by=people.lead.user,
        child=child,
        left_on=timezone.localdate(),
        destination_kind="school",
        destination="Example Primary School",
        reason="starting_school",
    )
    row.refresh_from_db()
    assert row.checklist_done_at is None
    with pytest.raises(ValidationError):
        leaving.update_checklist(
            by=people.lead.user, leaving=row, cp_file="burnt", general_file="kept", note=""
        )
