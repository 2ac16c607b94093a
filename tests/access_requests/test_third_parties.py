"""Third parties are found, not remembered: every person Confide knows who is not a subject is
looked for in every compiled item, and the item is not reviewed until each is decided."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import (
    Decision,
    DisclosureReason,
    ItemKind,
    MentionDecision,
    PersonKind,
    ThirdPartyMention,
)
from access_requests.third_parties import Directory, person, widened
from consent.models import Confidentiality, DiscloserKind, Disclosure, DisclosureSubject
from records.models import Category

from ..factories import make_child, make_entry
from .conftest import confirmed

# --- finding them -------------------------------------------------------------------------------


def _directory(*names: tuple[str, str], subjects: tuple[str, ...] = ()) -> Directory:
    return Directory(
        [person(f"k{n}", kind, name) for n, (name, kind) in enumerate(names)],
        subjects=[person(f"s{n}", PersonKind.CHILD, s) for n, s in enumerate(subjects)],
    )


def _found(directory: Directory, text: str) -> dict[str, list[str]]:
    return {f.person.name: f.words for f in directory.find(text).values()}


def test_a_full_name_is_found_whole_word_whatever_its_case():
    d = _directory(("Grace Jones", PersonKind.CHILD))
    assert _found(d, "Played with grace jones and GRACE JONES.") == {
        "Grace Jones": ["grace jones", "GRACE JONES"]
    }
    assert _found(d, "Gracejones and grace jonesy are not her.") == {}


def test_a_first_name_alone_only_with_a_capital_and_with_its_possessive():
    d = _directory(("Grace Jones", PersonKind.CHILD))
    assert _found(d, "Grace's mum waved; we said grace before lunch.") == {
        "Grace Jones": ["Grace's"]
    }
    assert _found(d, "Grace’s coat") == {"Grace Jones": ["Grace’s"]}


def test_common_short_and_full_forms_count_as_the_name():
    d = _directory(("Elizabeth Moor", PersonKind.CARER))
    found = _found(d, "Liz came early; Beth Moor rang later. Elizabeth left.")
    assert found == {"Elizabeth Moor": ["Liz", "Beth Moor", "Elizabeth"]}


def test_a_subjects_own_first_name_is_not_flagged_alone_but_a_full_name_is():
    d = _directory(("Grace Jones", PersonKind.CHILD), subjects=("Grace Smith",))
    assert _found(d, "Grace built a tower.") == {}
    assert _found(d, "Grace Jones built a tower.") == {"Grace Jones": ["Grace Jones"]}


def test_a_redaction_grows_over_a_possessive_and_a_relationship_word():
    text = "Later her new partner Jordan's mum arrived."
    start = text.index("Jordan")
    a, b = widened(text, start, start + len("Jordan"))
    assert text[a:b] == "her new partner Jordan's mum"


# --- in a request -------------------------------------------------------------------------------


@pytest.fixture
def named(people: Any) -> dict[str, Any]:
    """The subject child's file names another child, one who has left, a carer who is not a
    subject, a member of staff, and a neighbour from the consent ledger."""
    now = timezone.now()
    left = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Wren", last_name="Lacey"
    )
    left.left_on = timezone.localdate() - timedelta(days=200)
    left.started_on = left.left_on - timedelta(days=300)
    left.save()
    other_carer = people.other_child.carers.get()
    told = Disclosure(
        child=people.child,
        author=people.keyperson1,
        discloser_kind=DiscloserKind.RELATIVE,
        discloser_name="Jordan Quillfeather (neighbour)",
        received_by=people.keyperson1,
        disclosed_at=now - timedelta(days=15),
        what="The family argue late at night.",
        confidentiality=Confidentiality.YES,
    )
    told.save()
    DisclosureSubject(disclosure=told, child=people.child).save()
    other = people.other_child
    entry = make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        text=(
            f"Played with {other.first_name} {other.last_name}. {left.first_name} came to visit. "
            f"{other_carer.full_name} said Jordan Quillfeather shouted. Kay One comforted her."
        ),
        occurred_at=now - timedelta(days=10),
    )
    return {"entry": entry, "left": left, "carer": other_carer, "told": told}


def _item(sar: Any, source: Any) -> Any:
    return sar.items.get(source_id=source.pk)


def test_every_person_who_is_not_a_subject_is_found_and_flagged(people, named):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["entry"])
    found = {m.name: m for m in item.mentions.all()}
    other = people.other_child
    assert set(found) >= {
        other.full_name,
        named["left"].full_name,
        named["carer"].full_name,
        "Jordan Quillfeather",
        "Kay One",
    }
    assert found["Kay One"].kind == PersonKind.STAFF
    assert found["Jordan Quillfeather"].kind == PersonKind.OTHER
    assert found[named["left"].full_name].words == ["Wren"]
    assert item.third_party
    # The subject child is a subject: never a mention.
    assert people.child.full_name not in found


def test_an_item_is_not_reviewed_until_every_person_is_decided(people, named):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["entry"])
    with pytest.raises(ValidationError) as refused:
        services.review_item(item=item, by=people.deputy.user, decision=Decision.DISCLOSE)
    assert any(key.startswith("mentions.") for key in refused.value.error_dict)
    item.refresh_from_db()
    assert item.decision == Decision.PENDING
    assert (
        not item.mentions.exclude(decision=MentionDecision.PENDING).exclude(field__gt="").exists()
    )


def test_disclosing_needs_a_reason_and_professional_role_is_for_professionals(people, named):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["entry"])
    carer = item.mentions.get(person_key=f"carer:{named['carer'].pk}")
    choices = {
        str(m.pk): services.MentionChoice(MentionDecision.REDACT)
        for m in item.mentions.exclude(pk=carer.pk)
    }
    for reason, error in (
        ("", "reason"),
        (DisclosureReason.PROFESSIONAL_ROLE, "reason"),
        (DisclosureReason.REASONABLE, "note"),
    ):
        choices[str(carer.pk)] = services.MentionChoice(MentionDecision.DISCLOSE, reason)
        with pytest.raises(ValidationError) as refused:
            services.review_item(
                item=item, by=people.deputy.user, decision=Decision.REDACT, mentions=choices
            )
        assert f"mentions.{carer.pk}.{error}" in refused.value.error_dict
    choices[str(carer.pk)] = services.MentionChoice(
        MentionDecision.DISCLOSE, DisclosureReason.ALREADY_KNOWN
    )
    services.review_item(
        item=item, by=people.deputy.user, decision=Decision.REDACT, mentions=choices
    )
    carer.refresh_from_db()
    assert (carer.decision, carer.reason) == (MentionDecision.DISCLOSE, "already_known")
    assert carer.decided_by == people.deputy


def test_one_step_discloses_staff_and_professionals_in_their_role(people, named):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    waiting = ThirdPartyMention.objects.filter(
        item__request=sar, kind=PersonKind.STAFF, decision=MentionDecision.PENDING
    )
    assert waiting.exists()
    # Staff in the who-and-when line are disclosed by default, with the reason recorded.
    line = ThirdPartyMention.objects.filter(item__request=sar, field="recorded_by").first()
    assert line is not None and line.reason == DisclosureReason.PROFESSIONAL_ROLE
    decided = services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    assert decided >= 1
    assert not waiting.exists()
    # Nobody else was decided by it.
    assert ThirdPartyMention.objects.filter(
        item__request=sar, kind=PersonKind.CHILD, decision=MentionDecision.PENDING
    ).exists()


def test_the_review_page_marks_the_people_and_takes_a_decision_for_each(people, named, client_for):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["entry"])
    url = reverse("access_requests:item", args=[sar.pk, item.pk])
    client = client_for("deputy")
    page = client.get(url).content.decode()
    assert f'<mark title="{named["left"].full_name}">Wren</mark>' in page
    assert "People found in it" in page
    data: dict[str, str] = {
        "decision": Decision.REDACT,
        "passages-TOTAL_FORMS": "3",
        "passages-INITIAL_FORMS": "0",
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "60",
    }
    # Nothing decided about the people: the page says so, for each, and nothing changes.
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Decide about Jordan Quillfeather" in refused.content.decode()
    item.refresh_from_db()
    assert item.decision == Decision.PENDING
    for m in item.mentions.all():
        data[f"mention-{m.pk}-decision"] = (
            MentionDecision.DISCLOSE if m.kind == PersonKind.STAFF else MentionDecision.REDACT
        )
        data[f"mention-{m.pk}-reason"] = (
            DisclosureReason.PROFESSIONAL_ROLE if m.kind == PersonKind.STAFF else ""
        )
    done = client.post(url, data)
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.decision == Decision.REDACT
    assert not item.mentions.filter(decision=MentionDecision.PENDING).exists()


def test_a_field_naming_a_person_is_decided_whole(people, named):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["told"])
    assert item.kind == ItemKind.DISCLOSURE
    teller = item.mentions.get(field="told_by")
    assert teller.words == ["Jordan Quillfeather (neighbour)"]
    assert {f["label"] for f in item.fields} == {"Told to", "Told by"}


# --- no fragment left beside a bar ------------------------------------------------------------


@pytest.fixture
def neighbour_entry(people: Any) -> Any:
    return make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        text="At pick-up Robin's mum said her partner Alex had moved in. Everyone waved.",
        occurred_at=timezone.now() - timedelta(days=3),
    )


def _redact(people: Any, item: Any, passage: str, *, widen: bool = False) -> Any:
    return services.review_item(
        item=item,
        by=people.deputy.user,
        decision=Decision.REDACT,
        passages=[
            services.PassageRedaction(passage, "third_party", note="Not a subject.", widen=widen)
        ],
    )


@pytest.mark.parametrize(
    ("passage", "left"),
    [
        ("obin's mum", "R"),  # starts inside a word
        ("Robin", "'s mum"),  # leaves a possessive and a relationship word
        ("Alex", "her partner"),  # leaves a relationship word before it
        ("pick-up Rob", "in"),  # ends inside a word
    ],
)
def test_a_passage_that_would_leave_a_fragment_is_refused_and_nothing_changes(
    people, neighbour_entry, passage, left
):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, neighbour_entry)
    with pytest.raises(ValidationError) as refused:
        _redact(people, item, passage)
    message = " ".join(refused.value.message_dict["passages.0.passage"])
    assert f"would leave “{left}" in message
    assert "widen" in message
    item.refresh_from_db()
    assert item.decision == Decision.PENDING and not item.passages.exists()


@pytest.mark.parametrize(
    ("passage", "redacted"),
    [
        ("Robin", "Robin's mum"),
        ("Alex", "her partner Alex"),
        ("obin's mum", "Robin's mum"),
    ],
)
def test_widened_with_the_reviewers_consent_it_takes_the_whole_phrase(
    people, neighbour_entry, passage, redacted
):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, neighbour_entry)
    _redact(people, item, passage, widen=True)
    assert [r.passage for r in item.passages.all()] == [redacted]


# --- the other parent stays a third party unless they join ------------------------------------


@pytest.fixture
def dads_disclosure(people: Any) -> Any:
    child = people.child
    dad = child.carers.create(
        family=child.family,
        full_name="Morgan Hollowell",
        relationship="father",
        parental_responsibility=True,
        phone="01632 960002",
    )
    told = Disclosure(
        child=child,
        author=people.keyperson1,
        discloser_kind=DiscloserKind.CARER,
        discloser_carer=dad,
        received_by=people.keyperson1,
        disclosed_at=timezone.now() - timedelta(days=6),
        what="Dad said he has started counselling and asked us not to tell mum.",
        confidentiality=Confidentiality.YES,
    )
    told.save()
    DisclosureSubject(disclosure=told, child=child).save()
    return dad, told


def test_the_other_parents_own_disclosure_stays_third_party_for_the_requester(
    people, dads_disclosure
):
    dad, told = dads_disclosure
    mum = people.child.carers.exclude(pk=dad.pk).get()
    sar = confirmed(people, requester_carer=mum)  # mum asks for the child's records
    assert not sar.carers.filter(pk=dad.pk).exists()
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, told)
    teller = item.mentions.get(field="told_by")
    assert teller.person_key == f"carer:{dad.pk}"
    assert teller.decision == MentionDecision.PENDING
    assert item.third_party


def test_a_parent_who_joins_with_their_own_identity_check_is_a_subject(
    people, dads_disclosure, client_for
):
    dad, told = dads_disclosure
    mum = people.child.carers.exclude(pk=dad.pk).get()
    sar = confirmed(people, requester_carer=mum)
    response = client_for("deputy").post(
        reverse("access_requests:join", args=[sar.pk]),
        {
            "carer": dad.pk,
            "method": "photo_id",
            "confirmed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400  # the day his evidence arrived is needed
    assert not sar.carers.filter(pk=dad.pk).exists()
    services.add_joint_requester(
        sar=sar,
        by=people.deputy.user,
        carer=dad,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
    )
    assert sar.carers.filter(pk=dad.pk).exists()
    assert sar.joint_requesters.get().checked_by == people.deputy
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, told)
    assert not item.mentions.filter(field="told_by").exists()
    with pytest.raises(ValidationError):
        services.add_joint_requester(
            sar=sar,
            by=people.deputy.user,
            carer=dad,
            method="known",
            confirmed_on=timezone.localdate(),
        )


# --- asking a third party for consent -------------------------------------------------------


def test_consented_needs_their_recorded_consent_and_the_decision_cites_it(
    people, named, client_for
):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = _item(sar, named["entry"])
    carer = item.mentions.get(person_key=f"carer:{named['carer'].pk}")
    others = {
        str(m.pk): services.MentionChoice(MentionDecision.REDACT)
        for m in item.mentions.exclude(pk=carer.pk)
    }
    consented = services.MentionChoice(MentionDecision.DISCLOSE, DisclosureReason.CONSENTED)
    with pytest.raises(ValidationError, match="no recorded consent"):
        services.review_item(
            item=item,
            by=people.deputy.user,
            decision=Decision.REDACT,
            mentions={**others, str(carer.pk): consented},
        )
    # The letter, asked from the request's page: it names neither the requester nor the child.
    client = client_for("deputy")
    client.post(
        reverse("access_requests:ask_consent", args=[sar.pk]), {"person_key": carer.person_key}
    )
    ask = sar.third_party_consents.get()
    assert ask.name == named["carer"].full_name
    assert f"Dear {named['carer'].full_name}" in ask.letter
    assert people.child.first_name not in ask.letter
    assert sar.requester_carer is not None
    assert sar.requester_carer.full_name not in ask.letter
    # A refusal is not consent.
    services.record_third_party_reply(
        ask=ask, by=people.deputy.user, answer="no", replied_on=timezone.localdate()
    )
    with pytest.raises(ValidationError, match="no recorded consent"):
        services.review_item(
            item=item,
            by=people.deputy.user,
            decision=Decision.REDACT,
            mentions={**others, str(carer.pk): consented},
        )
    ask.answer = "waiting"
    ask.save()
    response = client.post(
        reverse("access_requests:consent_reply", args=[sar.pk, ask.pk]),
        {"answer": "yes", "replied_on": timezone.localdate().isoformat(), "note": "By email."},
    )
    assert response.status_code == 302
    services.review_item(
        item=item,
        by=people.deputy.user,
        decision=Decision.REDACT,
        mentions={**others, str(carer.pk): consented},
    )
    carer.refresh_from_db()
    assert carer.reason == DisclosureReason.CONSENTED and carer.consent_id == ask.pk


def test_a_reply_cannot_come_before_the_letter(people, named, client_for):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    key = f"carer:{named['carer'].pk}"
    ask = services.ask_third_party_consent(sar=sar, by=people.deputy.user, person_key=key)
    response = client_for("deputy").post(
        reverse("access_requests:consent_reply", args=[sar.pk, ask.pk]),
        {"answer": "yes", "replied_on": (timezone.localdate() - timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400
    assert "cannot come before they were asked" in response.content.decode()
    ask.refresh_from_db()
    assert ask.answer == "waiting" and ask.replied_on is None


def test_the_approval_page_lists_every_third_party_decision(people, named, client_for):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    for item in sar.items.all():
        waiting = {
            str(m.pk): services.MentionChoice(MentionDecision.REDACT)
            for m in item.mentions.filter(decision=MentionDecision.PENDING)
        }
        services.review_item(
            item=item,
            by=people.deputy.user,
            decision=Decision.REDACT if waiting else Decision.DISCLOSE,
            mentions=waiting,
        )
    services.submit_for_check(sar=sar, by=people.deputy.user)
    services.check_bundle(sar=sar, by=people.lead.user, accept=True)
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    table = page.split("Third parties: what was decided")[1].split("</table>")[0]
    for name in (named["left"].full_name, named["carer"].full_name, "Jordan Quillfeather"):
        assert name in table
    assert "Redact" in table and "named in their professional role" in table
