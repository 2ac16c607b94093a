"""Who may do what with the setting's data-protection duties. Roles are compared in
records.policy only: this module asks it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from records import policy as records
from records.models import Staff

from .models import Allegation, Handler


def can_report_breach(user: Any) -> bool:
    """Anyone who works here reports a suspected breach at once: the clock starts when the
    setting becomes aware, not when the Lead reads about it."""
    return records.staff_of(user) is not None


def can_manage_breaches(user: Any) -> bool:
    """The breach log, its assessment and the people told: the Lead and the Deputy."""
    return records.is_manager(user)


def can_read_breaches(user: Any) -> bool:
    """The breach log, to read: the Lead and the Deputy, and the trustees who govern the
    setting (the chair is emailed as the clock nears its end)."""
    return records.is_manager(user) or records.is_trustee(user)


def can_decide_breach(user: Any) -> bool:
    """Reporting to the ICO or not: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)


def can_manage_policies(user: Any) -> bool:
    """The policy register: the Lead and the Deputy keep it (the trustees approve)."""
    return records.is_manager(user)


def can_read_policies(user: Any) -> bool:
    """The policy register, the record of processing and the appropriate policy document, to
    read: the Lead and the Deputy, and the trustees, who approve the policies."""
    return records.is_manager(user) or records.is_trustee(user)


def can_review_access(user: Any) -> bool:
    """The termly access review: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)


# --- allegations against staff ---------------------------------------------------------------


def can_record_allegation(user: Any) -> bool:
    """Anyone who works here (or governs it) records an allegation or a low-level concern about a
    colleague, and cannot read it back."""
    return records.staff_of(user) is not None


def handler_for(accused: Staff) -> str:
    """The Lead handles an allegation, unless the Lead is accused: then the safeguarding trustee
    (the chair, while there is none), and the Lead is treated as any other person accused."""
    return Handler.TRUSTEE if records.is_lead_post(accused) else Handler.LEAD


def handler_post(handler: str) -> Staff | None:
    """Who acts on allegations of this handler now."""
    if handler == Handler.LEAD:
        return records.the_lead()
    return records.the_safeguarding_trustee() or records.the_chair()


def _handles(user: Any) -> list[str]:
    """The handlers this person acts as, or reads for."""
    staff = records.staff_of(user)
    if staff is None:
        return []
    if records.is_lead(user):
        return [Handler.LEAD]
    if records.is_safeguarding_trustee(user) or records.is_chair(user):
        return [Handler.TRUSTEE]
    return []


def current_handler(allegation: Allegation) -> str:
    """Who handles it now: as recorded, except that one against whoever is the Lead today is the
    trustees' (someone accused who later becomes the Lead never handles their own)."""
    lead = records.the_lead()
    if lead is not None and allegation.accused_id == lead.pk:
        return Handler.TRUSTEE
    return allegation.handler


def _handled_by_q(handler: str) -> Q:
    lead = records.the_lead()
    against_the_lead = Q(accused=lead) if lead is not None else Q(pk__in=[])
    if handler == Handler.LEAD:
        return Q(handler=Handler.LEAD) & ~against_the_lead
    return Q(handler=Handler.TRUSTEE) | against_the_lead


def visible_allegations(user: Any) -> QuerySet[Allegation]:
    """The allegations this person handles (the Lead: those not against the Lead; the safeguarding
    trustee and the chair: those against the Lead, whenever they were recorded). Never one against
    the person themselves, under any of their posts."""
    handles = _handles(user)
    if not handles:
        return Allegation.objects.none()
    staff = records.staff_of(user)
    assert staff is not None  # _handles
    q = Q(pk__in=[])
    for handler in handles:
        q |= _handled_by_q(handler)
    return Allegation.objects.filter(q).exclude(accused__user_id=staff.user_id)


def can_manage_allegations(user: Any) -> bool:
    return bool(_handles(user))


def can_act_on_allegation(user: Any, allegation: Allegation) -> bool:
    """Who records the referrals, decisions and outcome: the handler's post (the chair reads an
    allegation against the Lead; acts on it only while there is no safeguarding trustee)."""
    if not visible_allegations(user).filter(pk=allegation.pk).exists():
        return False
    acting = handler_post(current_handler(allegation))
    staff = records.staff_of(user)
    return acting is not None and staff is not None and acting.pk == staff.pk
