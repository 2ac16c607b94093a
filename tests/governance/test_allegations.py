"""Allegations against staff: recorded by anyone and then out of their sight; handled by the Lead,
or by the safeguarding trustee when the Lead is accused (the Lead then sees nothing of it); the
LADO's one working day and Ofsted's 14 days with frozen time; placeholders in the children's
chronologies hidden from the person accused; events held apart from the audit pages; the outcome,
the DBS decision, and removal when found malicious or when its keeping time ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import policy as sar_policy
from access_requests import services as sar_services
from access_requests.models import Decision, ItemKind, RequesterKind
from access_requests.policy import scope_for
from audit.log import HELD_APART
from governance import allegations
from governance import policy as governance_policy
from governance.models import Allegation, AllegationKind, Handler
from lifecycle import destruction
from records import leaving, policy
from records.models import Destination, LeavingReason, RecordEntry, Role

from ..access_requests.conftest import record
from ..conftest import sign_in

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Friday afternoon: the LADO is told by the same time on Monday.
FRIDAY = datetime(2026, 12, 4, 15, 0, tzinfo=LONDON)
WORDS = "Was seen pulling a child roughly by the wrist in the garden."


def at(monkeypatch: Any, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def against(people: Any, accused: Any, *, by: Any = None, **extra: Any) -> Allegation:
    return allegations.record(
        by=(by or people.practitioner).user,
        accused=accused,
        kind=extra.pop("kind", AllegationKind.ALLEGATION),
        what_alleged=WORDS,
        children=extra.pop("children", [people.child]),
        **extra,
    )


def page(client: Any, person: Any, url: str) -> Any:
    client.logout()
    sign_in(client, person.user)
    return client.get(url)


def test_anyone_records_one_and_then_cannot_read_it_back(people, client):
    sign_in(client, people.practitioner.user)
    form = client.get(reverse("governance:allegation_new"))
    assert form.status_code == 200
    done = client.post(
        reverse("governance:allegation_new"),
        {
            "accused": people.keyperson1.pk,
            "kind": "allegation",
            "what_alleged": WORDS,
            "children": [people.child.pk],
        },
    )
    assert done.status_code == 302
    made = Allegation.objects.get()
    assert made.handler == Handler.LEAD and made.reported_by == people.practitioner
    # Gone from the practitioner's sight: no list, no page.
    assert client.get(reverse("governance:allegations")).status_code == 404
    assert client.get(reverse("governance:allegation", args=[made.pk])).status_code == 404
    # The Lead handles it.
    shown = page(client, people.lead, reverse("governance:allegation", args=[made.pk]))
    assert shown.status_code == 200 and WORDS in shown.content.decode()


def test_a_bad_form_is_shown_again_with_errors_and_records_nothing(people, client):
    sign_in(client, people.practitioner.user)
    response = client.post(reverse("governance:allegation_new"), {"kind": "allegation"})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not Allegation.objects.exists()
    # Not about oneself, and not about someone with no post here.
    with pytest.raises(ValidationError):
        against(people, people.practitioner)
    assert not Allegation.objects.exists()


def test_the_handler_is_emailed_with_no_name_and_no_content(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = against(people, people.keyperson1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people.lead.user.email]
    text = f"{message.subject} {message.body}"
    for secret in (WORDS, people.keyperson1.full_name, people.child.first_name, str(made.pk)[:8]):
        assert secret not in text


def test_when_the_lead_is_accused_the_trustee_handles_it_and_the_lead_sees_nothing(
    people, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = against(people, people.lead, by=people.deputy)
    assert made.handler == Handler.TRUSTEE
    assert mail.outbox[0].to == [people.trustee.user.email]
    url = reverse("governance:allegation", args=[made.pk])
    # The Lead's all-seeing role does not reach it: not listed, not found.
    listing = page(client, people.lead, reverse("governance:allegations"))
    assert listing.status_code == 200 and made.reference not in listing.content.decode()
    assert page(client, people.lead, url).status_code == 404
    # The safeguarding trustee reads and acts; the chair reads.
    assert WORDS in page(client, people.trustee, url).content.decode()
    response = client.post(
        url, {"step": "lado", "referred_at": "2026-12-04T16:00", "advice": "Strategy meeting."}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.lado_referred_at is not None
    chair_page = page(client, people.chair, url)
    assert chair_page.status_code == 200 and WORDS in chair_page.content.decode()
    refused = client.post(url, {"step": "strategy", "outcome": "x", "suspension": "suspended"})
    assert refused.status_code == 404
    made.refresh_from_db()
    assert made.strategy_outcome == "" and made.suspension == ""


def test_the_placeholder_is_hidden_from_the_accused_and_says_nothing(people, client):
    made = against(people, people.lead, by=people.deputy)
    placeholder = made.placeholders.get()
    assert placeholder.hidden_from == people.lead and placeholder.level == 3
    child_page = reverse("records:child_detail", args=[people.child.pk])
    entry_page = reverse("records:entry_detail", args=[placeholder.pk])
    # The Deputy reads a child-protection entry that says only that something is held apart.
    seen = page(client, people.deputy, entry_page)
    assert seen.status_code == 200
    text = seen.content.decode()
    assert allegations.PLACEHOLDER_TEXT in text
    assert WORDS not in text and made.reference not in text and str(made.pk) not in text
    # The Lead, accused, sees neither the entry nor its trace on the child's page.
    assert page(client, people.lead, entry_page).status_code == 404
    chronology = page(client, people.lead, child_page).content.decode()
    assert str(placeholder.pk) not in chronology
    assert allegations.PLACEHOLDER_TEXT not in chronology
    # Nor in a subject-access file: the placeholder is not part of the child's file.
    scope = scope_for(children=[people.child], carers=[])
    assert placeholder.pk not in set(scope.entries.values_list("pk", flat=True))


def test_its_events_are_held_apart_from_every_audit_page(people, client):
    made = against(people, people.lead, by=people.deputy)
    placeholder = made.placeholders.get()
    # A read of the placeholder (the Deputy), a refused one (the Lead), the trustee's read.
    page(client, people.deputy, reverse("records:entry_detail", args=[placeholder.pk]))
    page(client, people.lead, reverse("records:entry_detail", args=[placeholder.pk]))
    page(client, people.trustee, reverse("governance:allegation", args=[made.pk]))
    held = LogEntry.objects.filter(additional_data__has_key=HELD_APART)
    events = {row.additional_data["event"] for row in held}
    assert {"allegation_recorded", "allegation_child_named", "read", "refused"} <= events
    assert "allegation_read" in events
    for person in (people.lead, people.deputy):
        for url in (
            reverse("records:audit_log"),
            reverse("records:audit_child", args=[people.child.pk]),
        ):
            text = page(client, person, url).content.decode()
            assert str(placeholder.pk) not in text and str(made.pk) not in text
    # The trustee reads the history on the allegation's page.
    history = page(client, people.trustee, reverse("governance:allegation", args=[made.pk]))
    assert "Recorded an allegation or low-level concern" in history.content.decode()


def test_the_lado_clock_is_one_working_day_and_ofsted_fourteen_days(people, monkeypatch, client):
    at(monkeypatch, FRIDAY)
    made = against(people, people.keyperson1, serious_harm=True)
    assert made.lado_due_at == datetime(2026, 12, 7, 15, 0, tzinfo=LONDON)
    assert made.ofsted_due_on == date(2026, 12, 18)
    assert not made.lado_late
    sign_in(client, people.lead.user)
    dashboard = client.get(reverse("home:dashboard")).content.decode()
    assert "still to refer to the LADO" in dashboard
    at(monkeypatch, datetime(2026, 12, 7, 15, 1, tzinfo=LONDON))
    assert made.lado_late
    at(monkeypatch, datetime(2026, 12, 19, 9, 0, tzinfo=LONDON))
    assert made.ofsted_late
    # The accused's own dashboard, were they the Lead, counts nothing: here a practitioner's
    # has no such panel at all.
    client.logout()
    sign_in(client, people.keyperson1.user)
    assert (
        "still to refer to the LADO" not in client.get(reverse("home:dashboard")).content.decode()
    )
    # A low-level concern has no LADO or Ofsted clock.
    concern = against(people, people.keyperson2, kind=AllegationKind.LOW_LEVEL, serious_harm=True)
    assert concern.lado_due_at is None and concern.ofsted_due_on is None


def test_the_outcome_needs_the_lado_ofsted_and_the_dbs_decision(people, monkeypatch):
    at(monkeypatch, FRIDAY)
    made = against(people, people.keyperson1, serious_harm=True)
    lead = people.lead.user
    with pytest.raises(ValidationError):
        allegations.conclude(by=lead, allegation=made, outcome="substantiated", note="Found.")
    allegations.refer_to_lado(by=lead, allegation=made, referred_at=FRIDAY, advice="Investigate.")
    allegations.tell_ofsted(by=lead, allegation=made, told_at=FRIDAY, reference="OF-1")
    with pytest.raises(ValidationError) as refused:
        allegations.conclude(by=lead, allegation=made, outcome="substantiated", note="Found.")
    assert "dbs_referral" in refused.value.message_dict
    made.refresh_from_db()
    assert made.concluded_at is None
    allegations.conclude(
        by=lead,
        allegation=made,
        outcome="substantiated",
        note="Found by the investigation.",
        dbs_referral="referred",
        dbs_referred_at=FRIDAY,
    )
    made.refresh_from_db()
    assert made.outcome == "substantiated" and made.dbs_referral == "referred"
    # Someone who does not handle it cannot act on it.
    with pytest.raises(PermissionDenied):
        allegations.tell_ofsted(by=people.deputy.user, allegation=made, told_at=FRIDAY)


def test_a_malicious_allegation_is_removed_with_its_placeholders(people):
    made = against(people, people.keyperson1, kind=AllegationKind.LOW_LEVEL)
    made_pk = made.pk
    placeholder = made.placeholders.get()
    gone = allegations.conclude(
        by=people.lead.user, allegation=made, outcome="malicious", note="Made up, and admitted."
    )
    assert gone is None
    assert not Allegation.objects.filter(pk=made_pk).exists()
    assert not RecordEntry.objects.filter(pk=placeholder.pk).exists()
    tombstone = LogEntry.objects.get(additional_data__event="allegation_removed")
    assert tombstone.additional_data[HELD_APART] == str(made_pk)
    assert WORDS not in str(tombstone.additional_data) + tombstone.object_repr


def test_it_is_kept_ten_years_or_to_pension_age_whichever_is_longer(people, monkeypatch):
    at(monkeypatch, FRIDAY)
    made = against(people, people.keyperson1, kind=AllegationKind.LOW_LEVEL)
    assert made.keep_until == date(2036, 12, 4)
    made.accused_pension_on = date(2049, 3, 1)
    assert made.keep_until == date(2049, 3, 1)
    made.accused_pension_on = date(2030, 1, 1)
    assert made.keep_until == date(2036, 12, 4)
    allegations.conclude(
        by=people.lead.user, allegation=made, outcome="unfounded", note="No evidence."
    )
    assert allegations.past_keeping(date(2036, 12, 4)) == []
    at(monkeypatch, datetime(2036, 12, 5, 9, 0, tzinfo=LONDON))
    assert "1 allegations past keeping removed" in allegations.remove_past_keeping_every_setting()
    assert not Allegation.objects.exists()


def test_the_safeguarding_trustee_appoints_an_acting_lead(people, client):
    sign_in(client, people.trustee.user)
    response = client.post(
        reverse("records:acting_lead"),
        {
            "deputy": people.deputy.pk,
            "reason": "Appointed by the trustees.",
            "ends_at": (timezone.localtime() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert people.deputy.acting_periods.filter(appointed_by=people.trustee).exists()


def test_the_placeholder_links_to_the_allegation_for_its_handler_only(people, client):
    made = against(people, people.keyperson2)
    placeholder = made.placeholders.get()
    url = reverse("records:entry_detail", args=[placeholder.pk])
    link = reverse("governance:allegation", args=[made.pk])
    assert link in page(client, people.lead, url).content.decode()
    seen_by_deputy = page(client, people.deputy, url).content.decode()
    assert seen_by_deputy.count(allegations.PLACEHOLDER_TEXT) == 1
    assert link not in seen_by_deputy and made.reference not in seen_by_deputy


def test_the_placeholder_is_not_part_of_the_childs_file(people):
    """Never linked to a disclosure or a decision, never offered for destruction with the file
    (the child's file waits while the allegation is kept), never counted on the child's
    leaving checklist."""
    made = against(people, people.keyperson2)
    placeholder = made.placeholders.get()
    assert policy.visible_entries(people.deputy.user).filter(pk=placeholder.pk).exists()
    assert not policy.linkable_entries(people.deputy.user).filter(pk=placeholder.pk).exists()
    child = people.child
    leaving.record_leaving(
        by=people.lead.user,
        child=child,
        left_on=timezone.localdate() - timedelta(days=1),
        destination_kind=Destination.SCHOOL,
        destination="Exampletown Primary School",
        reason=LeavingReason.STARTING_SCHOOL,
    )
    left = leaving.leaving_of(child)
    assert left is not None and leaving.checklist(left).cp_entries == 0
    # Had the child left long ago, everything of theirs would be past its date: not offered.
    assert child.pk not in {d.subject_id for d in destruction.due(date(2080, 1, 1))}
    # (and without the allegation it would be)
    allegations.conclude(
        by=people.lead.user, allegation=made, outcome="malicious", note="Made up, and admitted."
    )
    assert child.pk in {d.subject_id for d in destruction.due(date(2080, 1, 1))}


def test_the_accuseds_own_request_holds_it_for_the_handler_to_decide(people):
    """A member of staff's request for their own records: the allegation is an item of the file,
    reviewed with the exemptions by whoever handles the request — the Lead, who handles the
    allegation too — and released only as decided."""
    made = against(people, people.keyperson2)
    sar = record(
        people,
        requester_kind=RequesterKind.STAFF,
        requester_carer=None,
        requester_staff=people.keyperson2,
        child=None,
        asked_for="Everything you hold about me.",
    )
    assert not sar_policy.can_handle_request(people.keyperson2.user, sar)
    sar_services.confirm_identity(
        sar=sar,
        by=people.lead.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
    )
    sar_services.compile_bundle(sar=sar, by=people.lead.user)
    item = sar.items.get(kind=ItemKind.HELD_APART)
    assert item.source_id == made.pk and item.decision == Decision.PENDING
    assert WORDS in item.body and people.practitioner.full_name not in item.body


def test_its_item_is_reviewed_on_the_request_page_like_any_other(people, client):
    against(people, people.keyperson2)
    sar = record(
        people,
        requester_kind=RequesterKind.STAFF,
        requester_carer=None,
        requester_staff=people.keyperson2,
        child=None,
        asked_for="Everything you hold about me.",
    )
    sar_services.confirm_identity(
        sar=sar,
        by=people.lead.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
    )
    sar_services.compile_bundle(sar=sar, by=people.lead.user)
    item = sar.items.get(kind=ItemKind.HELD_APART)
    url = reverse("access_requests:item", args=[sar.pk, item.pk])
    shown = page(client, people.lead, url)
    assert shown.status_code == 200 and WORDS in shown.content.decode()
    sar_services.review_item(
        item=item,
        by=people.lead.user,
        decision="withhold",
        exemption="crime",
        note="The LADO's enquiries continue.",
    )
    item.refresh_from_db()
    assert item.decision == Decision.WITHHOLD and item.exemption == "crime"


def test_one_against_someone_who_becomes_the_lead_goes_to_the_trustee(people):
    made = against(people, people.keyperson2)
    assert made.handler == Handler.LEAD
    # The Lead leaves; the person accused becomes the Lead.
    people.lead.active = False
    people.lead.save()
    people.keyperson2.role = Role.LEAD
    people.keyperson2.save()
    new_lead = User.objects.get(pk=people.keyperson2.user_id)
    trustee = User.objects.get(pk=people.trustee.user_id)
    assert not governance_policy.visible_allegations(new_lead).filter(pk=made.pk).exists()
    assert governance_policy.visible_allegations(trustee).filter(pk=made.pk).exists()
    assert governance_policy.can_act_on_allegation(trustee, made)
