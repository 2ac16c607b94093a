"""Who may do what with a record's end. Roles are compared in records.policy only: this module
asks it."""

from __future__ import annotations

from typing import Any

from records import policy as records

from .models import Destruction


def can_review(user: Any) -> bool:
    """The destruction queue and its certificates: the Lead and the Deputy."""
    return records.is_manager(user)


def can_approve(user: Any) -> bool:
    """Approving a destruction: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)


def can_confirm(user: Any, destruction: Destruction) -> bool:
    """Confirming it, so the records go: a second person — the Deputy, or another Lead — never
    the one who approved it. The Lead cannot destroy alone."""
    staff = records.staff_of(user)
    return (
        records.is_manager(user)
        and staff is not None
        and destruction.approved_by_id is not None
        and destruction.approved_by_id != staff.pk
    )


def can_transfer(user: Any) -> bool:
    """Sending a child-protection file on (compiling, reviewing, approving, sending, recording a
    receipt, the copy kept): the Lead, as the designated safeguarding lead (or the Deputy while
    acting Lead)."""
    return records.has_lead_approval(user)


def can_see_transfers(user: Any) -> bool:
    """The list of transfers and their clock: the Lead and the Deputy."""
    return records.is_manager(user)


def can_handle_rights(user: Any) -> bool:
    """A parent's requests to correct, erase, restrict or object: recorded and answered by the
    Lead and the Deputy."""
    return records.is_manager(user)


def can_decide_rights(user: Any) -> bool:
    """Deciding them: the Lead (or the Deputy while acting Lead)."""
    return records.has_lead_approval(user)
