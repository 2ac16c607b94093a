"""Who may handle subject-access requests, and what is in scope for a request's subjects.

Built on records.policy, never beside it:

- Any active staff member records a request's arrival (a request can reach anyone in the setting).
- Beyond that, only the Lead and the Deputy see or handle requests: review, compile, check, render,
  release and send.
- Approving the bundle is a Lead's approval (``records.policy.has_lead_approval``: the Lead, or the
  Deputy while acting Lead).

What goes into a bundle is decided by the *subjects*, never by who compiles it: the right of access
is to everything held about the person, whatever its level, and exemptions are applied item by item
in the review. The rules (``scope_for``):

- a child subject: every record entry about the child (all levels, with its amendments and
  attachments); disclosures filed on the child or concerning the child; consent records for the
  child; sharing decisions about the child, or naming the child among the others concerned;
- a carer subject: disclosures concerning the carer or made by them; their consent records; sharing
  decisions naming them among the others concerned;
- a staff member subject: their confidential staff records;
- nothing else: no other child's records, whatever the family.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from consent.models import ConsentRecord, Disclosure, SharingDecision
from core.http import AnyUser
from records import policy as records_policy
from records.models import Attachment, Carer, Child, RecordEntry, Staff, StaffRecord

from .models import SubjectAccessRequest


def can_record_request(user: AnyUser) -> bool:
    return records_policy.staff_of(user) is not None


def can_handle_requests(user: AnyUser) -> bool:
    return records_policy.is_manager(user)


def can_approve(user: AnyUser) -> bool:
    return records_policy.has_lead_approval(user)


def visible_requests(user: AnyUser) -> QuerySet[SubjectAccessRequest]:
    if not can_handle_requests(user):
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.all()


def children_for_recording(user: AnyUser) -> QuerySet[Child]:
    """The children someone recording a request may name: those they may already see."""
    return records_policy.visible_children(user)


@dataclass
class Scope:
    entries: QuerySet[RecordEntry]
    attachments: QuerySet[Attachment]
    disclosures: QuerySet[Disclosure]
    consent_records: QuerySet[ConsentRecord]
    sharing_decisions: QuerySet[SharingDecision]
    staff_records: QuerySet[StaffRecord]


def scope_for(*, children: list[Child], carers: list[Carer], staff: Staff | None = None) -> Scope:
    child_ids = [c.pk for c in children]
    carer_ids = [c.pk for c in carers]
    entries = RecordEntry.objects.filter(child_id__in=child_ids)
    disclosures = Disclosure.objects.filter(
        Q(child_id__in=child_ids)
        | Q(subjects__child_id__in=child_ids)
        | Q(subjects__carer_id__in=carer_ids)
        | Q(discloser_carer_id__in=carer_ids)
    ).distinct()
    consents = ConsentRecord.objects.filter(Q(child_id__in=child_ids) | Q(carer_id__in=carer_ids))
    decisions = SharingDecision.objects.filter(
        Q(child_id__in=child_ids) | Q(other_children__in=child_ids) | Q(other_carers__in=carer_ids)
    ).distinct()
    staff_records = (
        StaffRecord.objects.filter(staff=staff) if staff is not None else StaffRecord.objects.none()
    )
    return Scope(
        entries=entries,
        attachments=Attachment.objects.filter(entry__in=entries.values("pk")),
        disclosures=disclosures,
        consent_records=consents,
        sharing_decisions=decisions,
        staff_records=staff_records,
    )
