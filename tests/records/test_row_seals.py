"""Rows that grant access without holding a ciphertext (grants, a member of staff's role and
rooms, acting Lead periods, break-glass openings) carry a seal over their deciding columns: one
inserted or edited behind the application's back grants nothing, and is audited as tampering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from records import policy, services
from records.models import (
    ActingLead,
    BreakGlass,
    Category,
    Level,
    NeedToKnowGrant,
    Role,
    Staff,
)

from ..factories import make_entry

pytestmark = pytest.mark.django_db


def tampering_events(obj) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(object_pk=str(obj.pk), additional_data__event="row_seal_failed")
    )


def give(people, child, grantee, level) -> NeedToKnowGrant:
    """A grant for three days, given by the Lead through the application (so it is sealed)."""
    return services.give_grant(
        child=child,
        grantee=grantee,
        level=level,
        reason="Covering for the key person.",
        ends_at=timezone.now() + timedelta(days=3),
        granted_by=people.lead.user,
    )


def entry_url(entry) -> str:
    return reverse("records:entry_detail", args=[entry.pk])


# --- need-to-know grants ------------------------------------------------------------------------


def test_a_grant_inserted_in_the_database_grants_nothing_and_is_audited(people, client_for):
    concern = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    now = timezone.now()
    # As psql would: no seal (bulk_create does not call save()).
    [forged] = NeedToKnowGrant.objects.bulk_create(
        [
            NeedToKnowGrant(
                child=people.other_child,
                grantee=people.practitioner,
                level=Level.CHILD_PROTECTION,
                reason="",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=5),
                granted_by=people.lead,
                setting=people.other_child.setting,
            )
        ]
    )

    response = client_for("practitioner").get(entry_url(concern))

    assert response.status_code == 404
    events = tampering_events(forged)
    assert events and events[0].additional_data["field"] == "row_seal"
    assert events[0].actor == people.practitioner.user
    # The child is not in the practitioner's list either.
    children = client_for("practitioner").get(reverse("records:child_list")).content.decode()
    assert people.other_child.first_name not in children


def test_a_grant_copied_with_a_real_seal_onto_another_child_grants_nothing(people, client_for):
    give(people, people.child, people.keyperson2, Level.SENSITIVE)
    other_concern = make_entry(people.other_child, people.keyperson1, category=Category.CONCERN)
    # Room staff of Bluebell already see other_child at general level; aim the grant at Sunflower's
    # child instead of Bluebell's: the seal names the child.
    grant = NeedToKnowGrant.objects.get()
    NeedToKnowGrant.objects.filter(pk=grant.pk).update(grantee=people.practitioner)
    assert client_for("practitioner").get(entry_url(other_concern)).status_code == 404
    concern = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(grant)


def test_an_expired_grant_extended_in_the_database_stops_at_its_real_end(people, client_for):
    concern = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    grant = give(people, people.other_child, people.practitioner, Level.SENSITIVE)
    assert client_for("practitioner").get(entry_url(concern)).status_code == 200

    NeedToKnowGrant.objects.filter(pk=grant.pk).update(ends_at=timezone.now() + timedelta(days=300))

    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(grant)


def test_a_revoked_grant_restored_in_the_database_stays_revoked(people, client_for):
    concern = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    grant = give(people, people.other_child, people.practitioner, Level.SENSITIVE)
    services.revoke_grant(grant=grant, revoked_by=people.lead.user)
    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(grant) == []  # revoked through the application: sealed as it is

    NeedToKnowGrant.objects.filter(pk=grant.pk).update(revoked_at=None, revoked_by=None)

    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(grant)


def test_a_grant_given_through_the_application_works_and_its_level_is_sealed(people, client_for):
    concern = make_entry(
        people.other_child,
        people.keyperson2,
        category=Category.CONCERN,
        level=Level.CHILD_PROTECTION,
    )
    grant = give(people, people.other_child, people.practitioner, Level.SENSITIVE)
    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    NeedToKnowGrant.objects.filter(pk=grant.pk).update(level=Level.CHILD_PROTECTION)
    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(grant)


# --- a member of staff's role and rooms ------------------------------------------------------


def test_a_role_raised_in_the_database_grants_nothing_and_is_audited(people, client_for):
    concern = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    Staff.objects.filter(pk=people.practitioner.pk).update(role=Role.DEPUTY)

    client = client_for("practitioner")
    assert client.get(entry_url(concern)).status_code == 404
    own_room = make_entry(people.child, people.keyperson1)
    # Not even what the real role allowed: the profile is not trusted at all.
    assert client.get(entry_url(own_room)).status_code == 404
    events = tampering_events(people.practitioner)
    assert events and events[0].additional_data["field"] == "row_seal"


def test_a_leaver_reactivated_in_the_database_grants_nothing(people, client_for):
    entry = make_entry(people.child, people.keyperson1)
    client = client_for("practitioner")
    assert client.get(entry_url(entry)).status_code == 200
    services.deactivate_staff(staff=people.practitioner, by=people.lead.user)
    Staff.objects.filter(pk=people.practitioner.pk).update(active=True)
    people.practitioner.user.is_active = True
    people.practitioner.user.save()
    assert (
        policy.staff_of(type(people.practitioner.user).objects.get(pk=people.practitioner.user.pk))
        is None
    )
    assert tampering_events(people.practitioner)


def test_a_room_added_in_the_database_grants_nothing_and_is_audited(people, client_for):
    bluebell_entry = make_entry(people.other_child, people.keyperson2)
    sunflower_entry = make_entry(people.child, people.keyperson1)
    through = Staff.rooms.through
    # As psql would: a row in the join table, no signal, no seal.
    through.objects.bulk_create(
        [through(staff_id=people.practitioner.pk, room_id=people.bluebell.pk)]
    )

    client = client_for("practitioner")
    assert client.get(entry_url(bluebell_entry)).status_code == 404
    # The rooms are not trusted at all until the Lead sets them again.
    assert client.get(entry_url(sunflower_entry)).status_code == 404
    [event, *_] = tampering_events(people.practitioner)
    assert event.additional_data["field"] == "rooms_seal"


def test_rooms_changed_through_the_application_are_sealed_as_they_are(people, client_for):
    bluebell_entry = make_entry(people.other_child, people.keyperson2)
    services.update_staff(
        staff=people.practitioner,
        by=people.lead.user,
        full_name=people.practitioner.full_name,
        role=Role.PRACTITIONER,
        rooms=[people.sunflower, people.bluebell],
    )
    assert client_for("practitioner").get(entry_url(bluebell_entry)).status_code == 200
    # And from the room's side, as the admin's inline might.
    people.bluebell.staff.remove(people.practitioner)
    assert client_for("practitioner").get(entry_url(bluebell_entry)).status_code == 404
    people.bluebell.staff.add(people.practitioner)
    assert client_for("practitioner").get(entry_url(bluebell_entry)).status_code == 200
    assert tampering_events(people.practitioner) == []


# --- acting Lead and break-glass --------------------------------------------------------------


def test_an_ended_acting_lead_period_restored_in_the_database_grants_nothing(people):
    appointment = services.appoint_acting_lead(
        deputy=people.deputy,
        appointed_by=people.lead.user,
        reason="The Lead is on leave.",
        ends_at=timezone.now() + timedelta(days=7),
    )
    deputy_user = type(people.deputy.user).objects.get(pk=people.deputy.user.pk)
    assert policy.is_acting_lead(deputy_user)
    services.end_acting_lead(appointment=appointment, by=people.lead.user)

    ActingLead.objects.filter(pk=appointment.pk).update(revoked_at=None, revoked_by=None)

    deputy_user = type(people.deputy.user).objects.get(pk=people.deputy.user.pk)
    assert not policy.is_acting_lead(deputy_user)
    assert not policy.has_lead_approval(deputy_user)
    assert tampering_events(appointment)


def test_a_break_glass_opening_inserted_in_the_database_grants_nothing(people, client_for):
    concern = make_entry(people.other_child, people.keyperson2, category=Category.CONCERN)
    now = timezone.now()
    [forged] = BreakGlass.objects.bulk_create(
        [
            BreakGlass(
                child=people.other_child,
                staff=people.practitioner,
                reason="",
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(hours=4),
                setting=people.other_child.setting,
            )
        ]
    )
    assert client_for("practitioner").get(entry_url(concern)).status_code == 404
    assert tampering_events(forged)


def test_a_break_glass_opening_through_the_application_opens_the_records(people, client_for):
    concern = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    services.open_break_glass(
        child=people.child, by=people.practitioner.user, reason="Bruising seen; Lead unreachable."
    )
    assert client_for("practitioner").get(entry_url(concern)).status_code == 200
    assert tampering_events(BreakGlass.objects.get()) == []
