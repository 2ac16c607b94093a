"""Who may handle subject-access requests, and what is in scope for a request's subjects.

Built on records.policy, never beside it:

- Any active staff member records a request's arrival (a request can reach anyone in the setting).
- Beyond that, only the Lead and the Deputy see or handle requests: review, compile, check, render,
  release and send.
- A member of staff's request for their own records (they ask, or someone asks for them) is the
  Lead's alone: the Deputy, even as acting Lead, does not see it. The Lead's own request is the
  safeguarding trustee's, who handles it through the same workflow and approves it (the Lead's
  dashboard counts it as waiting for a trustee); the trustee sees no other request.
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
from records.models import Attachment, Carer, Child, ChildFlag, RecordEntry, Staff, StaffRecord

from .models import OPEN_STATUSES, SubjectAccessRequest


def can_record_request(user: AnyUser) -> bool:
    return records_policy.staff_of(user) is not None


def can_handle_requests(user: AnyUser) -> bool:
    return records_policy.is_manager(user) or records_policy.is_safeguarding_trustee(user)


def can_approve(user: AnyUser) -> bool:
    """The Lead's approval (the Lead, or the Deputy while acting Lead); for the Lead's own
    request, the safeguarding trustee's (the only request the trustee sees)."""
    return records_policy.has_lead_approval(user) or records_policy.is_safeguarding_trustee(user)


# A request about a member of staff's own records: who asked, or whose records were asked for.
STAFF_REQUEST = Q(requester_staff__isnull=False) | Q(staff_subject__isnull=False)


def is_staff_request(sar: SubjectAccessRequest) -> bool:
    return sar.requester_staff_id is not None or sar.staff_subject_id is not None


def _about(staff: Staff) -> Q:
    return Q(requester_staff=staff) | Q(staff_subject=staff)


def visible_requests(user: AnyUser) -> QuerySet[SubjectAccessRequest]:
    if not can_handle_requests(user):
        return SubjectAccessRequest.objects.none()
    staff = records_policy.staff_of(user)
    assert staff is not None  # can_handle_requests
    if records_policy.is_safeguarding_trustee(user):
        lead = records_policy.the_lead()
        if lead is None:
            return SubjectAccessRequest.objects.none()
        # Only the Lead's own records: never a request that also names a child (the trustee
        # sees no child's record).
        return SubjectAccessRequest.objects.filter(_about(lead)).exclude(
            pk__in=SubjectAccessRequest.children.through.objects.values("subjectaccessrequest_id")
        )
    if records_policy.is_lead(user):
        # Staff requests are the Lead's, except the Lead's own: it waits for a trustee.
        return SubjectAccessRequest.objects.exclude(_about(staff))
    return SubjectAccessRequest.objects.exclude(STAFF_REQUEST)


def can_handle_request(user: AnyUser, sar: SubjectAccessRequest) -> bool:
    return visible_requests(user).filter(pk=sar.pk).exists()


def waiting_for_a_trustee() -> QuerySet[SubjectAccessRequest]:
    """Open requests that only the safeguarding trustee may handle: the Lead's own. Counted on
    the dashboard; listed nowhere."""
    lead = records_policy.the_lead()
    if lead is None:
        return SubjectAccessRequest.objects.none()
    return SubjectAccessRequest.objects.filter(_about(lead), status__in=OPEN_STATUSES)


def waits_for_a_trustee(sar: SubjectAccessRequest) -> bool:
    return waiting_for_a_trustee().filter(pk=sar.pk).exists()


def needs_second_check(sar: SubjectAccessRequest) -> bool:
    """A second person checks every review — except a staff request's, which only the Lead may
    see."""
    return not is_staff_request(sar)


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
    flags: QuerySet[ChildFlag]


def scope_for(*, children: list[Child], carers: list[Carer], staff: Staff | None = None) -> Scope:
    child_ids = [c.pk for c in children]
    carer_ids = [c.pk for c in carers]
    # Not the placeholder for an allegation against a member of staff: it says nothing of the
    # child, and the allegation's own handler answers for it (governance.allegations).
    entries = RecordEntry.objects.filter(child_id__in=child_ids, hidden_from__isnull=True)
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
        flags=ChildFlag.objects.filter(child_id__in=child_ids),
    )
