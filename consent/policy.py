"""Who may see or do what with disclosures, consent records and sharing decisions.

Built on records.policy, never beside it. Disclosures, consent records and sharing decisions carry
``child``, ``level`` and ``author`` like a record entry, so ``records.policy.entry_q`` answers "may
this person read it?" exactly as it does for an entry of that level about that child: the office and
a superuser with no staff profile read none of it. One rule is stricter than for entries: a
child-protection-level sharing decision is seen only by the Lead, the Deputy and whoever proposed
it (not by holders of a child-protection grant, nor through break-glass).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.http import AnyUser
from records import policy as records_policy
from records.models import Carer, Child, Level

from .models import ConsentRecord, Disclosure, SharingDecision

# --- what may be read -------------------------------------------------------------------------


def reads_consent(user: AnyUser) -> bool:
    """Whether the person reads any consent content at all (not the office, not IT)."""
    return records_policy.entry_q(user) is not None


def visible_disclosures(user: AnyUser) -> QuerySet[Disclosure]:
    q = records_policy.entry_q(user)
    if q is None:
        return Disclosure.objects.none()
    return Disclosure.objects.filter(q)


def visible_consent_records(user: AnyUser) -> QuerySet[ConsentRecord]:
    q = records_policy.entry_q(user)
    if q is None:
        return ConsentRecord.objects.none()
    return ConsentRecord.objects.filter(q)


def decision_q(user: AnyUser) -> Q | None:
    q = records_policy.entry_q(user)
    staff = records_policy.staff_of(user)
    if q is None or staff is None:
        return None
    if records_policy.is_manager(user):
        return Q()
    # Proposers always see their own; child-protection decisions stay with the Lead and Deputy.
    return Q(author=staff) | (Q(level__lt=Level.CHILD_PROTECTION) & q)


def visible_decisions(user: AnyUser) -> QuerySet[SharingDecision]:
    q = decision_q(user)
    if q is None:
        return SharingDecision.objects.none()
    return SharingDecision.objects.filter(q)


def visible_carers(user: AnyUser) -> QuerySet[Carer]:
    """Carers whose consent records this person may open: the carers and family of a child they
    can see."""
    if not reads_consent(user):
        return Carer.objects.none()
    children = records_policy.visible_children(user).values("pk")
    # A child's carers, and the other adults of the child's family on our records.
    return Carer.objects.filter(
        Q(children__in=children) | Q(family__children__in=children)
    ).distinct()


# --- what may be done -------------------------------------------------------------------------


def can_record_disclosure(user: AnyUser, child: Child) -> bool:
    return records_policy.can_write_entry(user, child)


def can_record_consent(user: AnyUser, child: Child) -> bool:
    return records_policy.can_write_entry(user, child)


def can_propose_sharing(user: AnyUser, child: Child) -> bool:
    return records_policy.can_write_entry(user, child)


def can_record_emergency_share(user: AnyUser, child: Child) -> bool:
    """The Lead or the Deputy may record a share that already happened because a child was at
    risk."""
    return records_policy.is_manager(user) and records_policy.can_see_child(user, child)


def can_answer_confidentiality(user: AnyUser, disclosure: Disclosure) -> bool:
    staff = records_policy.staff_of(user)
    if staff is None or not visible_disclosures(user).filter(pk=disclosure.pk).exists():
        return False
    return records_policy.is_manager(user) or staff.pk in (
        disclosure.received_by_id,
        disclosure.author_id,
    )


def approves_decisions(user: AnyUser) -> bool:
    """Approving or declining sharing is the Lead's, or the Deputy's while acting Lead."""
    return records_policy.has_lead_approval(user)


def approvable_q(user: AnyUser) -> Q:
    """Of the pending decisions, those this person may judge: nobody but the Lead approves their
    own proposal. Narrows a queryset already filtered to what the person may read."""
    staff = records_policy.staff_of(user)
    if staff is None or not approves_decisions(user):
        return Q(pk__in=[])
    if records_policy.is_lead(user):
        return Q()
    return ~Q(author=staff)


def can_approve(user: AnyUser, decision: SharingDecision) -> bool:
    """The Lead, or the Deputy while acting Lead; nobody but the Lead approves their own
    proposal."""
    staff = records_policy.staff_of(user)
    if staff is None or not approves_decisions(user):
        return False
    return records_policy.is_lead(user) or decision.author_id != staff.pk


def can_use_decisions_admin(user: AnyUser) -> bool:
    """The admin screen for sharing decisions: the Lead and the Deputy (who approves only while
    acting Lead)."""
    return records_policy.is_manager(user)


def _proposer_or_manager(user: AnyUser, decision: SharingDecision) -> bool:
    staff = records_policy.staff_of(user)
    if staff is None or not visible_decisions(user).filter(pk=decision.pk).exists():
        return False
    return records_policy.is_manager(user) or decision.author_id == staff.pk


def can_mark_shared(user: AnyUser, decision: SharingDecision) -> bool:
    return _proposer_or_manager(user, decision)


def can_record_referral_response(user: AnyUser, decision: SharingDecision) -> bool:
    return _proposer_or_manager(user, decision)


def can_record_family_informed(user: AnyUser, decision: SharingDecision) -> bool:
    return visible_decisions(user).filter(pk=decision.pk).exists() and (
        records_policy.can_write_entry(user, decision.child)
    )


def can_decide_family_not_informed(user: AnyUser) -> bool:
    """As for entries: only the Lead (or acting Lead) decides the family is not told."""
    return records_policy.can_decide_not_to_inform(user)
