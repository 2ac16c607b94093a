"""The one access policy, end to end through the pages: what each person sees and does not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from audit.log import listed_items, rows_about
from records import policy, services
from records.models import (
    ActingLead,
    BreakGlass,
    Category,
    Level,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
)

from ..factories import make_entry

pytestmark = pytest.mark.django_db


def _iso(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_uninvolved_practitioner_cannot_find_the_child_in_list_or_search(people, client_for):
    client = client_for("keyperson2")
    page = client.get(reverse("records:child_list")).content.decode()
    assert people.child.last_name not in page
    assert people.other_child.last_name in page
    search = client.get(
        reverse("records:child_list"), {"q": people.child.first_name}
    ).content.decode()
    assert people.child.last_name not in search
    assert "No child you can see matches" in search
    assert not policy.visible_children(people.keyperson2.user).filter(pk=people.child.pk).exists()


def test_uninvolved_practitioner_gets_404_for_sensitive_entry_and_the_refusal_is_audited(
    people, client_for
):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    response = client_for("keyperson2").get(reverse("records:entry_detail", args=[entry.pk]))
    assert response.status_code == 404
    assert entry.text not in response.content.decode()
    refusal = LogEntry.objects.get(
        object_pk=str(entry.pk), action=LogEntry.Action.ACCESS, additional_data__event="refused"
    )
    assert refusal.actor == people.keyperson2.user


def test_room_practitioner_sees_general_entries_only(people, client_for):
    general = make_entry(people.child, people.keyperson1, text="Built a tall tower of blocks.")
    sensitive = make_entry(
        people.child, people.lead, category=Category.FAMILY_CHANGE, text="Parents separating."
    )
    page = client_for("practitioner").get(reverse("records:child_detail", args=[people.child.pk]))
    html = page.content.decode()
    assert general.text in html
    assert sensitive.text not in html
    assert "Family circumstances" not in html


def test_key_person_sees_sensitive_but_not_child_protection(people, client_for):
    sensitive = make_entry(
        people.child, people.lead, category=Category.CONCERN, text="Bruise seen."
    )
    cp = make_entry(
        people.child, people.lead, category=Category.CHILD_PROTECTION, text="Strategy meeting."
    )
    html = client_for("keyperson1").get(reverse("records:child_detail", args=[people.child.pk]))
    assert sensitive.text in html.content.decode()
    assert cp.text not in html.content.decode()


def test_author_always_sees_what_they_wrote_even_above_their_level(people, client_for):
    entry = make_entry(
        people.child, people.practitioner, category=Category.CHILD_PROTECTION, text="Told Lead."
    )
    response = client_for("practitioner").get(reverse("records:entry_detail", args=[entry.pk]))
    assert response.status_code == 200
    assert "Told Lead." in response.content.decode()


def test_office_sees_register_and_contacts_but_no_entry_text(people, client_for):
    entry = make_entry(people.child, people.keyperson1, text="Enjoyed the water tray.")
    client = client_for("office")
    detail = client.get(reverse("records:child_detail", args=[people.child.pk])).content.decode()
    assert people.child.first_name in detail
    assert entry.text not in detail
    contacts = client.get(
        reverse("records:child_contacts", args=[people.child.pk])
    ).content.decode()
    assert "01632 960000" in contacts
    assert client.get(reverse("records:entry_detail", args=[entry.pk])).status_code == 404


def test_superuser_sees_no_children_and_no_content(people, client_for):
    make_entry(people.child, people.keyperson1)
    client = client_for("it_admin")
    assert people.child.last_name not in client.get(reverse("records:child_list")).content.decode()
    assert client.get(reverse("records:child_detail", args=[people.child.pk])).status_code == 404
    assert not policy.visible_entries(people.it_admin).exists()


def test_sensitive_entries_shown_are_access_logged_in_one_insert(
    people, client_for, django_assert_max_num_queries
):
    make_entry(people.child, people.keyperson1)
    shown = [
        make_entry(people.child, people.keyperson1, category=Category.CONCERN),
        make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION),
    ]
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    client_for("lead").get(reverse("records:child_detail", args=[people.child.pk]))
    rows = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    # One read event for the page, listing both entries (the general one is not audited).
    assert rows.count() - before == 1
    page = rows.latest("pk")
    assert sorted(listed_items(page)) == sorted(str(e.pk) for e in shown)
    assert page.actor == people.lead.user
    for entry in shown:  # each found as read by the Lead, by its own id
        about = LogEntry.objects.filter(rows_about(RecordEntry, [entry.pk]))
        assert list(about.filter(action=LogEntry.Action.ACCESS)) == [page]


def test_unknown_child_id_is_a_404(people, client_for):
    client = client_for("lead")
    assert client.get(reverse("records:child_detail", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/children/not-a-uuid/").status_code == 404


# --- need-to-know grants --------------------------------------------------------------------


def _give(client, child, grantee, level, days=14, reason="Covering for the key person."):
    return client.post(
        reverse("records:grant_create", args=[child.pk]),
        {
            "grantee": grantee.pk,
            "level": level,
            "reason": reason,
            "ends_at": _iso(timezone.now() + timedelta(days=days)),
        },
    )


def test_grant_lets_a_practitioner_see_until_it_expires_then_stops_at_once(people, client_for):
    entry = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    url = reverse("records:entry_detail", args=[entry.pk])
    practitioner = client_for("practitioner")
    assert practitioner.get(url).status_code == 404

    response = _give(client_for("deputy"), people.other_child, people.practitioner, Level.SENSITIVE)
    assert response.status_code == 302
    grant = NeedToKnowGrant.objects.get()
    assert grant.reason == "Covering for the key person."
    assert "view_sensitive_child" in get_perms(people.practitioner.user, people.other_child)
    assert practitioner.get(url).status_code == 200

    # The end passes: no job runs, the next request is refused.
    NeedToKnowGrant.objects.filter(pk=grant.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1)
    )
    assert practitioner.get(url).status_code == 404
    list_html = practitioner.get(reverse("records:child_list")).content.decode()
    assert people.other_child.last_name not in list_html


def test_grant_at_general_level_does_not_show_sensitive_entries(people, client_for):
    sensitive = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    general = make_entry(people.other_child, people.keyperson2)
    _give(client_for("lead"), people.other_child, people.practitioner, Level.GENERAL)
    client = client_for("practitioner")
    assert client.get(reverse("records:entry_detail", args=[general.pk])).status_code == 200
    assert client.get(reverse("records:entry_detail", args=[sensitive.pk])).status_code == 404


def test_revoked_grant_stops_working_and_its_permission_row_goes(people, client_for):
    entry = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    _give(client_for("lead"), people.other_child, people.practitioner, Level.SENSITIVE)
    grant = NeedToKnowGrant.objects.get()
    # First the question, with nothing changed; then the confirmed revocation.
    asked = client_for("lead").post(reverse("records:grant_revoke", args=[grant.pk]))
    assert asked.status_code == 200
    assert "Revoke Pat Practitioner&#x27;s grant?" in asked.content.decode()
    assert "This cannot be undone." in asked.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert get_perms(people.practitioner.user, people.other_child) != []
    response = client_for("lead").post(
        reverse("records:grant_revoke", args=[grant.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_by == people.lead
    assert get_perms(people.practitioner.user, people.other_child) == []
    assert (
        client_for("practitioner").get(reverse("records:entry_detail", args=[entry.pk])).status_code
        == 404
    )


def test_grant_ending_in_the_past_is_refused_and_nothing_saved(people, client_for):
    response = _give(
        client_for("lead"), people.other_child, people.practitioner, Level.GENERAL, days=-1
    )
    assert response.status_code == 200
    assert "The end must be in the future" in response.content.decode()
    assert not NeedToKnowGrant.objects.exists()
    assert get_perms(people.practitioner.user, people.other_child) == []


def test_grant_without_a_reason_is_refused(people, client_for):
    response = _give(client_for("lead"), people.other_child, people.practitioner, 1, reason=" ")
    assert response.status_code == 200
    assert not NeedToKnowGrant.objects.exists()


def test_practitioner_cannot_give_a_grant(people, client_for):
    response = _give(client_for("keyperson1"), people.child, people.practitioner, Level.SENSITIVE)
    assert response.status_code == 404
    assert not NeedToKnowGrant.objects.exists()


# --- acting Lead and break-glass --------------------------------------------------------------


def test_deputy_decides_not_to_inform_only_while_acting_lead(people, client_for):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    url = reverse("records:entry_not_informed", args=[entry.pk])
    reason = {"reason": "Telling the father would put the child at risk (DSL advice)."}
    assert client_for("deputy").post(url, reason).status_code == 404
    entry.refresh_from_db()
    assert entry.parent_informed == ParentInformed.TO_INFORM

    lead = client_for("lead")
    lead.post(
        reverse("records:acting_lead"),
        {
            "deputy": people.deputy.pk,
            "reason": "Lead on leave.",
            "ends_at": _iso(timezone.now() + timedelta(days=3)),
        },
    )
    assert ActingLead.objects.live().filter(deputy=people.deputy).exists()
    assert client_for("deputy").post(url, reason).status_code == 302
    entry.refresh_from_db()
    assert entry.parent_informed == ParentInformed.NOT_INFORMED
    assert entry.not_informed_decided_by == people.deputy

    # Ending it early asks first, then ends it at once.
    appointment = ActingLead.objects.live().get(deputy=people.deputy)
    end = reverse("records:acting_lead_end", args=[appointment.pk])
    asked = lead.post(end)
    assert "End Dee Deputy&#x27;s time as acting Lead now?" in asked.content.decode()
    assert ActingLead.objects.live().filter(deputy=people.deputy).exists()
    assert lead.post(end, {"confirm": "yes"}).status_code == 302
    assert not ActingLead.objects.live().filter(deputy=people.deputy).exists()
    assert client_for("deputy").post(url, reason).status_code == 404


def test_break_glass_opens_everything_for_a_while_loudly(
    people, client_for, django_capture_on_commit_callbacks
):
    cp = make_entry(
        people.child, people.lead, category=Category.CHILD_PROTECTION, text="Section 47."
    )
    client = client_for("practitioner")
    assert client.get(reverse("records:entry_detail", args=[cp.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("records:break_glass_open", args=[people.child.pk]),
            {
                "reason": "Child says a stranger is waiting at the gate; Lead and Deputy not answering."
            },
        )
    assert response.status_code == 302
    access = BreakGlass.objects.get()
    assert client.get(reverse("records:entry_detail", args=[cp.pk])).status_code == 200
    assert LogEntry.objects.filter(
        object_pk=str(access.pk), additional_data__event="break_glass_opened"
    ).exists()
    assert {"lead@example.test", "deputy@example.test"} <= set(mail.outbox[0].to)
    assert people.child.last_name not in mail.outbox[0].body
    BreakGlass.objects.filter(pk=access.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("records:entry_detail", args=[cp.pk])).status_code == 404


def test_break_glass_without_a_reason_is_refused(people, client_for):
    response = client_for("practitioner").post(
        reverse("records:break_glass_open", args=[people.child.pk]), {"reason": "x"}
    )
    assert response.status_code == 200
    assert not BreakGlass.objects.exists()


# --- parents told ------------------------------------------------------------------------------


def test_key_person_records_that_the_parent_was_told(people, client_for):
    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    response = client_for("keyperson1").post(
        reverse("records:entry_informed", args=[entry.pk]),
        {"informed_at": _iso(timezone.now()), "how": "in_person"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.parent_informed == ParentInformed.INFORMED
    assert entry.informed_by == people.keyperson1


def test_parent_cannot_be_told_in_the_future(people, client_for):
    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    response = client_for("keyperson1").post(
        reverse("records:entry_informed", args=[entry.pk]),
        {"informed_at": _iso(timezone.now() + timedelta(days=1)), "how": "phone"},
    )
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.parent_informed == ParentInformed.TO_INFORM


def test_entries_to_inform_show_on_the_key_persons_dashboard(people, client_for):
    make_entry(people.child, people.lead, category=Category.ACCIDENT)
    html = client_for("keyperson1").get(reverse("home:dashboard")).content.decode()
    assert people.child.full_name in html
    assert "Accident or injury" in html
    assert RecordEntry.objects.filter(parent_informed=ParentInformed.TO_INFORM).count() == 1


# --- children who leave (DESIGN.md: from the leaving date, plus the setting's grace period) ------


def _leaves(child, days_ago: int) -> None:
    child.left_on = timezone.localdate() - timedelta(days=days_ago)
    child.save()


def test_from_the_leaving_date_only_the_lead_and_deputy_see_the_child(people, client_for):
    general = make_entry(people.child, people.keyperson1)
    mine = make_entry(people.child, people.practitioner, category=Category.CONCERN)
    grant_child = people.child
    services.give_grant(
        child=grant_child,
        grantee=people.keyperson2,
        level=Level.SENSITIVE,
        reason="Covering Sunflower.",
        ends_at=timezone.now() + timedelta(days=3),
        granted_by=people.lead.user,
    )
    _leaves(people.child, days_ago=0)

    for name in ("keyperson1", "practitioner", "keyperson2"):
        client = client_for(name)
        assert (
            client.get(reverse("records:child_detail", args=[people.child.pk])).status_code == 404
        )
        for entry in (general, mine):
            assert client.get(reverse("records:entry_detail", args=[entry.pk])).status_code == 404
        listed = client.get(reverse("records:child_list")).content.decode()
        assert people.child.full_name not in listed
    # The author lost even what they wrote; nobody but the managers may write about the child.
    assert not policy.can_amend_entry(people.practitioner.user, mine)
    assert not policy.can_write_entry(people.keyperson1.user, people.child)
    for name in ("lead", "deputy"):
        client = client_for(name)
        for entry in (general, mine):
            assert client.get(reverse("records:entry_detail", args=[entry.pk])).status_code == 200


def test_a_leaving_date_still_ahead_changes_nothing(people, client_for):
    entry = make_entry(people.child, people.keyperson1)
    people.child.left_on = timezone.localdate() + timedelta(days=1)
    people.child.save()
    url = reverse("records:entry_detail", args=[entry.pk])
    assert client_for("keyperson1").get(url).status_code == 200


def test_the_grace_period_keeps_room_staff_and_authors_in_for_its_days(
    people, client_for, settings
):
    settings.CONFIDE_LEAVER_GRACE_DAYS = 7
    entry = make_entry(people.child, people.keyperson1)
    url = reverse("records:entry_detail", args=[entry.pk])
    _leaves(people.child, days_ago=6)
    assert client_for("keyperson1").get(url).status_code == 200
    _leaves(people.child, days_ago=7)
    assert client_for("keyperson1").get(url).status_code == 404


def test_a_refused_child_is_audited_with_who_asked(people, client_for):
    url = reverse("records:child_detail", args=[people.other_child.pk])
    assert client_for("practitioner").get(url).status_code == 404
    [refused] = LogEntry.objects.filter(additional_data__event="refused")
    assert refused.actor == people.practitioner.user
    assert refused.object_pk == str(people.other_child.pk)
    # A random id is not a child: nothing to name, nothing written.
    assert (
        client_for("practitioner")
        .get(reverse("records:child_detail", args=[uuid.uuid4()]))
        .status_code
        == 404
    )
    assert LogEntry.objects.filter(additional_data__event="refused").count() == 1
