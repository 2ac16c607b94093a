"""Who may do what with the setting's data-protection duties. Roles are compared in
records.policy only: this module asks it."""

from __future__ import annotations

from typing import Any

from records import policy as records


def can_report_breach(user: Any) -> bool:
    """Anyone who works here reports a suspected breach at once: the clock starts when the
    setting becomes aware, not when the Lead reads about it."""
    return records.staff_of(user) is not None


def can_manage_breaches(user: Any) -> bool:
    """The breach log, its assessment and the people told: the Lead and the Deputy."""
    return records.is_manager(user)


def can_decide_breach(user: Any) -> bool:
    """Reporting to the ICO or not: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)


def can_manage_policies(user: Any) -> bool:
    """The policy register: the Lead and the Deputy keep it (the trustees approve)."""
    return records.is_manager(user)


def can_review_access(user: Any) -> bool:
    """The termly access review: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)
