"""What the destruction pages show of a destruction's subject while it still exists (the Lead and
the Deputy may see a leaver until destruction): a name and what the records are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from access_requests.models import SubjectAccessRequest
from consent.models import ConsentRecord, Disclosure, SharingDecision
from records import policy as records_policy
from records.models import IN_THE_FILE, Child, RecordEntry, Staff, StaffRecord

from . import policy
from .models import Destruction, DestructionState, SubjectKind


@dataclass(frozen=True)
class Offered:
    who: str
    what: list[tuple[str, int]]


def offered(destruction: Destruction) -> Offered:
    """Whose records and how many of each kind are offered (nothing once they are gone)."""
    if not destruction.is_open:
        return Offered(destruction.reference, [])
    ids = [pk for _, pk in destruction.items]
    if destruction.kind == SubjectKind.CHILD:
        child = Child.objects.filter(pk=destruction.subject_id).first()
        who = (
            f"{child.full_name} (left {child.left_on:%d %B %Y})" if child and child.left_on else ""
        )
        if not destruction.whole:
            return Offered(who, [("Entries", len(ids))])
        counts = [
            (
                "Entries",
                RecordEntry.objects.filter(IN_THE_FILE, child_id=destruction.subject_id).count(),
            ),
            ("Disclosures", Disclosure.objects.filter(child_id=destruction.subject_id).count()),
            (
                "Consent records",
                ConsentRecord.objects.filter(child_id=destruction.subject_id).count(),
            ),
            (
                "Sharing decisions",
                SharingDecision.objects.filter(child_id=destruction.subject_id).count(),
            ),
        ]
        return Offered(who, [("The child's register record", 1), *counts])
    if destruction.kind == SubjectKind.STAFF:
        staff = Staff.objects.filter(pk=destruction.subject_id).first()
        who = staff.full_name if staff else ""
        records = StaffRecord.objects.filter(staff_id=destruction.subject_id)
        count = records.count() if destruction.whole else len(ids)
        return Offered(who, [("Staff records", count)])
    sar = SubjectAccessRequest.objects.filter(pk=destruction.subject_id).first()
    return Offered(sar.reference if sar else "", [("Subject-access file, with its copies", 1)])


def waiting_for(user: Any) -> int:
    """Destructions this person could move on: offers to approve (the Lead), approvals to confirm
    (a second person). One query; none for anyone who may not review them."""
    if not policy.can_review(user):
        return 0
    staff = records_policy.staff_of(user)
    mine = Q(state=DestructionState.APPROVED) & ~Q(approved_by=staff)
    if policy.can_approve(user):
        mine |= Q(state=DestructionState.PROPOSED)
    return Destruction.objects.filter(mine).count()
