"""The one access policy: who may see or do what, for every view, list, count, the admin and
(later) the subject-access compiler.

Roles and key-person access are derived from the relationships (role, rooms, key person); explicit
need-to-know grants, acting-Lead periods and break-glass openings are rows whose end time is checked
here on every question, so an expired grant stops working at once without any job running.
Being a Django superuser grants nothing here: content access is decided only by the staff profile.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import (
    ActingLead,
    BreakGlass,
    Child,
    Level,
    NeedToKnowGrant,
    RecordEntry,
    Role,
    Staff,
    StaffRecord,
)

MANAGERS = (Role.LEAD, Role.DEPUTY)


def staff_of(user: Any) -> Staff | None:
    """The active staff profile of a signed-in user, or None (anonymous, inactive, IT only)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_confide_staff"):
        user._confide_staff = Staff.objects.filter(user=user, active=True).first()
    staff: Staff | None = user._confide_staff
    return staff


def role_of(user: Any) -> str | None:
    staff = staff_of(user)
    return staff.role if staff else None


def is_lead(user: Any) -> bool:
    return role_of(user) == Role.LEAD


def is_manager(user: Any) -> bool:
    """Lead or Deputy."""
    return role_of(user) in MANAGERS


def is_acting_lead(user: Any) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role != Role.DEPUTY:
        return False
    return ActingLead.objects.live().filter(deputy=staff).exists()


def has_lead_approval(user: Any) -> bool:
    """The Lead, or the Deputy while made acting Lead: may approve sharing and disclosures."""
    return is_lead(user) or is_acting_lead(user)


def is_practitioner(user: Any) -> bool:
    return role_of(user) == Role.PRACTITIONER


# --- children -------------------------------------------------------------------------------


def _room_ids(staff: Staff) -> QuerySet:
    return staff.rooms.through.objects.filter(staff_id=staff.pk).values("room_id")


def _granted_child_ids(staff: Staff, level: int = Level.GENERAL) -> QuerySet:
    return NeedToKnowGrant.objects.live().filter(grantee=staff, level__gte=level).values("child_id")


def _break_glass_child_ids(staff: Staff) -> QuerySet:
    return BreakGlass.objects.live().filter(staff=staff).values("child_id")


def _involved_q(staff: Staff, prefix: str = "") -> Q:
    """Staff involved in the child's care: key person, or working in the child's room."""
    return Q(**{f"{prefix}key_person": staff}) | Q(**{f"{prefix}room_id__in": _room_ids(staff)})


def visible_children(user: Any) -> QuerySet[Child]:
    """Children whose name and register this user may see (lists, search and counts)."""
    staff = staff_of(user)
    if staff is None:
        return Child.objects.none()
    if staff.role in (Role.LEAD, Role.DEPUTY, Role.OFFICE):
        return Child.objects.all()
    return Child.objects.filter(
        _involved_q(staff)
        | Q(id__in=_granted_child_ids(staff))
        | Q(id__in=_break_glass_child_ids(staff))
        | Q(id__in=RecordEntry.objects.filter(author=staff).values("child_id"))
    )


def can_see_child(user: Any, child: Child) -> bool:
    return visible_children(user).filter(pk=child.pk).exists()


def can_manage_register(user: Any) -> bool:
    """The register (children's names, dates, rooms, key person): Lead, Deputy and office."""
    return role_of(user) in (Role.LEAD, Role.DEPUTY, Role.OFFICE)


def can_see_contacts(user: Any, child: Child) -> bool:
    """Carers' contact details go with the register (the permission table's second row)."""
    return can_see_child(user, child)


def can_write_entry(user: Any, child: Child) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE:
        return False
    if staff.role in MANAGERS:
        return True
    return Child.objects.filter(_involved_q(staff), pk=child.pk).exists() or (
        BreakGlass.objects.live().filter(staff=staff, child=child).exists()
    )


def can_break_glass(user: Any, child: Child) -> bool:
    """A practitioner who can see the child may open its records in an emergency."""
    return is_practitioner(user) and can_see_child(user, child)


# --- entries --------------------------------------------------------------------------------


def entry_q(user: Any, prefix: str = "") -> Q | None:
    """A filter for the entries this user may read; None when they may read none at all."""
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE:
        return None
    if staff.role in MANAGERS:
        return Q()
    p = prefix

    def level_is(level: int) -> Q:
        return Q(**{f"{p}level": level})

    def child_in(ids: QuerySet) -> Q:
        return Q(**{f"{p}child_id__in": ids})

    involved = _involved_q(staff, prefix=f"{p}child__")
    key = Q(**{f"{p}child__key_person": staff})
    q = Q(**{f"{p}author": staff}) | (level_is(Level.GENERAL) & involved)
    q |= level_is(Level.SENSITIVE) & key
    for level in Level.values:
        q |= level_is(level) & child_in(_granted_child_ids(staff, level))
    q |= child_in(_break_glass_child_ids(staff))
    return q


def visible_entries(user: Any, child: Child | None = None) -> QuerySet[RecordEntry]:
    q = entry_q(user)
    if q is None:
        return RecordEntry.objects.none()
    qs = RecordEntry.objects.filter(q)
    if child is not None:
        qs = qs.filter(child=child)
    return qs


def can_read_entry(user: Any, entry: RecordEntry) -> bool:
    return visible_entries(user).filter(pk=entry.pk).exists()


def can_amend_entry(user: Any, entry: RecordEntry) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE:
        return False
    return staff.role in MANAGERS or entry.author_id == staff.pk


def can_mark_informed(user: Any, entry: RecordEntry) -> bool:
    """Whoever may read an entry may record that the parent was told of it."""
    return can_read_entry(user, entry) and role_of(user) != Role.OFFICE


def can_decide_not_to_inform(user: Any) -> bool:
    """Only the Lead (or acting Lead) decides a parent is not told, because it would put the child
    at risk."""
    return has_lead_approval(user)


# --- grants, staff, audit --------------------------------------------------------------------


def can_manage_grants(user: Any) -> bool:
    return is_manager(user)


def can_review_break_glass(user: Any) -> bool:
    return is_manager(user)


def can_manage_staff(user: Any) -> bool:
    return is_lead(user)


def can_appoint_acting_lead(user: Any) -> bool:
    return is_lead(user)


def can_read_staff_records(user: Any) -> bool:
    return is_lead(user)


def visible_staff_records(user: Any) -> QuerySet[StaffRecord]:
    return StaffRecord.objects.all() if can_read_staff_records(user) else StaffRecord.objects.none()


def can_view_audit(user: Any) -> bool:
    return is_manager(user)


def can_see_staff_record_reads(user: Any) -> bool:
    """Reads of confidential staff records appear on the audit pages for the Lead only."""
    return is_lead(user)


def grantable_levels() -> list[tuple[int, str]]:
    return list(Level.choices)
