"""Who triages concerns. Roles are compared in records.policy only: this module asks it."""

from __future__ import annotations

from typing import Any

from records import policy as records


def can_triage(user: Any) -> bool:
    """The triage queue: the Lead and the Deputy (the designated safeguarding lead and their
    deputy), who read every concern and child-protection entry."""
    return records.is_manager(user)


def has_actions_page(user: Any) -> bool:
    """ "My actions": everyone who works with the children here (not the trustees)."""
    return records.staff_of(user) is not None and not records.is_trustee(user)


def can_set_actions(user: Any) -> bool:
    """Follow-up actions are set (and overdue ones seen) by the Lead and the Deputy; anyone they
    are given to sees and completes their own."""
    return records.is_manager(user)


def can_read_reports(user: Any) -> bool:
    """The reports (counts only, by term and year) and the policy evidence pack: the Lead and the
    Deputy (an acting Lead is a Deputy), and the trustees, who govern the setting."""
    return records.is_manager(user) or records.is_trustee(user)
