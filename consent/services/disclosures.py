"""Disclosures: who told whom, when, about whom and what, and whether it is confidential."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.log import log_event
from core.rules import blank, raise_errors, require
from records import policy as records_policy
from records import services as records_services
from records.models import Carer, Child, Level, RecordEntry, Setting, Staff

from .. import policy
from ..events import Event
from ..models import (
    Confidentiality,
    DiscloserKind,
    Disclosure,
    DisclosureSubject,
    SubjectConfidentiality,
)
from .common import _not_in_future, _staff


def _subject_confidentiality(
    *, discloser_kind: str, discloser_carer: Carer | None, child: Child, subject: Any, given: str
) -> str:
    if (
        isinstance(subject, Carer)
        and discloser_carer is not None
        and subject.pk == discloser_carer.pk
    ):
        return SubjectConfidentiality.SELF
    if (
        isinstance(subject, Child)
        and discloser_kind == DiscloserKind.CHILD
        and subject.pk == child.pk
    ):
        return SubjectConfidentiality.SELF
    return given


@transaction.atomic
def record_disclosure(
    *,
    child: Child,
    author: User,
    discloser_kind: str,
    disclosed_at: datetime,
    what: str,
    discloser_carer: Carer | None = None,
    discloser_name: str = "",
    received_by: Staff | None = None,
    subject_children: Iterable[Child] = (),
    subject_carers: Iterable[Carer] = (),
    third_parties: Iterable[str] = (),
    confidentiality: str = Confidentiality.NOT_ASKED,
    subject_confidentiality: str = SubjectConfidentiality.NOT_ASKED,
    entries: Iterable[RecordEntry] = (),
    level: int | None = None,
) -> Disclosure:
    """Who told whom, when, about whom, what, and whether it is confidential — for the person
    who told us and for each person it concerns."""
    staff = _staff(author)
    require(policy.can_record_disclosure(author, child))
    subject_children = list(subject_children)
    subject_carers = list(subject_carers)
    third_parties = [t.strip() for t in third_parties if t.strip()]
    entries = list(entries)
    received_by = received_by or staff
    errors: dict[str, str] = {}

    if discloser_kind not in DiscloserKind.values:
        errors["discloser_kind"] = "Say who told us."
    elif discloser_kind == DiscloserKind.CARER and discloser_carer is None:
        errors["discloser_carer"] = "Choose which parent or carer told us."
    elif (
        discloser_kind not in (DiscloserKind.CARER, DiscloserKind.CHILD)
        and discloser_carer is None
        and blank(discloser_name)
    ):
        errors["discloser_name"] = "Give the name and role of the person who told us."
    if (
        discloser_carer is not None
        and not policy.visible_carers(author).filter(pk=discloser_carer.pk).exists()
    ):
        errors["discloser_carer"] = "Choose a carer of a child you work with."
    if not records_policy.works_with_children(received_by):
        errors["received_by"] = "Choose the member of staff they told."
    _not_in_future(disclosed_at, "disclosed_at", "When they told us", errors)
    opened = Setting.opened_on_or_none()
    if opened and disclosed_at and timezone.localtime(disclosed_at).date() < opened:
        errors["disclosed_at"] = (
            f"When they told us cannot be before the setting opened ({opened:%-d %B %Y})."
        )
    if blank(what):
        errors["what"] = "Write what they told us."
    if not (subject_children or subject_carers or third_parties):
        errors["subject_children"] = "Say whom it is about: at least one child or adult."
    visible_children = records_policy.visible_children(author)
    if subject_children and visible_children.filter(
        pk__in=[c.pk for c in subject_children]
    ).count() != len({c.pk for c in subject_children}):
        errors["subject_children"] = "Choose children you work with."
    if subject_carers and policy.visible_carers(author).filter(
        pk__in=[c.pk for c in subject_carers]
    ).count() != len({c.pk for c in subject_carers}):
        errors["subject_carers"] = "Choose carers of children you work with."
    if confidentiality not in Confidentiality.values:
        errors["confidentiality"] = "Say whether they regard it as confidential."
    if subject_confidentiality not in (
        SubjectConfidentiality.YES,
        SubjectConfidentiality.NO,
        SubjectConfidentiality.NOT_ASKED,
    ):
        errors["subject_confidentiality"] = (
            "Say whether the people it concerns regard it as confidential."
        )
    allowed_children = {child.pk} | {c.pk for c in subject_children}
    readable = records_policy.linkable_entries(author).filter(pk__in=[e.pk for e in entries])
    if entries and (
        readable.count() != len({e.pk for e in entries})
        or any(e.child_id not in allowed_children for e in entries)
    ):
        errors["entries"] = "Link only entries about the children it concerns that you can read."
    lowest = max([e.level for e in entries], default=Level.GENERAL)
    if level is None:
        level = max(lowest, Level.SENSITIVE)
    elif int(level) < lowest:
        errors["level"] = (
            f"A linked entry is {Level(lowest).label.lower()}: the disclosure cannot be less."
        )
    raise_errors(errors)

    now = timezone.now()
    disclosure = Disclosure(
        child=child,
        level=int(level),
        author=staff,
        discloser_kind=discloser_kind,
        discloser_carer=discloser_carer,
        discloser_name=discloser_name.strip(),
        received_by=received_by,
        disclosed_at=disclosed_at,
        what=what,
        confidentiality=confidentiality,
    )
    if confidentiality != Confidentiality.NOT_ASKED:
        disclosure.confidentiality_asked_at = now
        disclosure.confidentiality_asked_by = staff
    disclosure.save()
    if entries:
        disclosure.entries.set(entries)
    people: list[tuple[str, Any]] = [("child", c) for c in dict.fromkeys(subject_children)]
    people += [("carer", c) for c in dict.fromkeys(subject_carers)]
    people += [("third_party", t) for t in third_parties]
    for field, person in people:
        value = (
            subject_confidentiality
            if field == "third_party"
            else _subject_confidentiality(
                discloser_kind=discloser_kind,
                discloser_carer=discloser_carer,
                child=child,
                subject=person,
                given=subject_confidentiality,
            )
        )
        subject = DisclosureSubject(disclosure=disclosure, confidentiality=value, **{field: person})
        if value in (SubjectConfidentiality.YES, SubjectConfidentiality.NO):
            subject.asked_at, subject.asked_by = now, staff
        subject.save()
    return disclosure


@transaction.atomic
def record_entry_with_disclosure(
    *,
    child: Child,
    author: User,
    entry: Mapping[str, Any],
    disclosure: Mapping[str, Any],
) -> tuple[RecordEntry, Disclosure]:
    """A record entry and the disclosure it records: one form, one transaction. ``entry`` holds
    records.services.record_entry's arguments, ``disclosure`` record_disclosure's; the
    disclosure takes the entry's level and links to it."""
    new_entry = records_services.record_entry(child=child, author=author, **entry)
    new_disclosure = record_disclosure(
        child=child,
        author=author,
        entries=[new_entry],
        level=new_entry.level,
        **disclosure,
    )
    return new_entry, new_disclosure


@transaction.atomic
def answer_confidentiality(
    *,
    disclosure: Disclosure,
    by: User,
    confidentiality: str = "",
    subjects: Mapping[Any, str] | None = None,
    request: HttpRequest | None = None,
) -> Disclosure:
    """Record the answer to "is it confidential?", asked later. Each question is answered once:
    a conditional UPDATE from "not yet asked", so two people answering at once cannot both win."""
    staff = _staff(by)
    require(policy.can_answer_confidentiality(by, disclosure))
    answers = {str(k): v for k, v in (subjects or {}).items() if v}
    if not confidentiality and not answers:
        raise ValidationError("Give at least one answer.")
    answered = (Confidentiality.YES, Confidentiality.NO)
    if confidentiality and confidentiality not in answered:
        raise ValidationError({"confidentiality": "Answer yes or no."})
    if any(v not in answered for v in answers.values()):
        raise ValidationError("Answer yes or no for each person.")
    now = timezone.now()
    if confidentiality:
        updated = Disclosure.objects.filter(
            pk=disclosure.pk, confidentiality=Confidentiality.NOT_ASKED
        ).update(
            confidentiality=confidentiality,
            confidentiality_asked_at=now,
            confidentiality_asked_by=staff,
        )
        if updated != 1:
            raise ValidationError(
                {"confidentiality": "This has already been answered; the answer is kept."}
            )
    if answers:
        pending = DisclosureSubject.objects.filter(
            disclosure=disclosure, confidentiality=SubjectConfidentiality.NOT_ASKED
        )
        for subject_id, value in answers.items():
            if (
                pending.filter(pk=subject_id).update(
                    confidentiality=value, asked_at=now, asked_by=staff
                )
                != 1
            ):
                raise ValidationError("One of these answers was already recorded; reload the page.")
    log_event(
        actor=by,
        event=Event.CONFIDENTIALITY_ANSWERED,
        obj=disclosure,
        request=request,
        detail={"discloser": confidentiality or None, "people": len(answers)},
    )
    disclosure.refresh_from_db()
    return disclosure
