"""State changes of a subject-access request: one rule each, inside a transaction, audited.

Services check the policy again (views check first). Moves between states are conditional UPDATEs
of the (unencrypted) status columns — ``filter(status=...).update(...)`` with the count checked —
so two people pressing the same button, or a retry racing a worker, cannot both win, on SQLite and
PostgreSQL alike. Encrypted columns are only ever written through ``save()``.

- ``lifecycle``: arrival, identity and parental responsibility, the clock (pauses, extension),
  refusal, compiling the snapshot, the review of each item and the second person's check;
- ``rendering``: the background render and its failure modes;
- ``delivery``: the Lead's approval, the password-protected release, sending and closing, and the
  requester's one-time link.
"""

from .common import (
    LINK_ATTEMPTS_PER_WINDOW,
    LINK_DAYS,
    LINK_WINDOW,
    RENDER_STALE_AFTER,
    UNAMBIGUOUS_CHARACTERS,
)
from .delivery import (
    LinkRefused,
    approve_bundle,
    check_rate,
    close_request,
    find_link,
    latest_release,
    link_is_usable,
    link_token_hash,
    mark_sent,
    new_password,
    opened,
    record_refused_look,
    release_copy,
    send_link,
    staff_download,
    use_link,
)
from .lifecycle import (
    CLOCK_RUNNING,
    MentionChoice,
    PassageRedaction,
    add_joint_requester,
    ask_for_identity,
    ask_third_party_consent,
    check_bundle,
    compile_bundle,
    confirm_identity,
    disclose_staff_in_their_role,
    disclose_unflagged_general_entries,
    extend_deadline,
    pause_for_clarification,
    record_request,
    record_third_party_reply,
    refuse_request,
    resume_after_clarification,
    review_item,
    submit_for_check,
    unflagged_general_entries,
)
from .rendering import (
    current_rendering,
    effective_render_state,
    fail_render,
    finish_render,
    mark_stale_renders_failed,
    render_is_stale,
    render_progress,
    start_render,
)

__all__ = [
    "LINK_DAYS",
    "LINK_ATTEMPTS_PER_WINDOW",
    "LINK_WINDOW",
    "RENDER_STALE_AFTER",
    "UNAMBIGUOUS_CHARACTERS",
    "record_request",
    "ask_for_identity",
    "confirm_identity",
    "CLOCK_RUNNING",
    "pause_for_clarification",
    "resume_after_clarification",
    "extend_deadline",
    "refuse_request",
    "compile_bundle",
    "review_item",
    "MentionChoice",
    "disclose_unflagged_general_entries",
    "unflagged_general_entries",
    "opened",
    "record_refused_look",
    "ask_third_party_consent",
    "record_third_party_reply",
    "add_joint_requester",
    "disclose_staff_in_their_role",
    "PassageRedaction",
    "submit_for_check",
    "check_bundle",
    "render_is_stale",
    "effective_render_state",
    "mark_stale_renders_failed",
    "start_render",
    "render_progress",
    "fail_render",
    "finish_render",
    "current_rendering",
    "approve_bundle",
    "new_password",
    "release_copy",
    "latest_release",
    "staff_download",
    "link_token_hash",
    "send_link",
    "mark_sent",
    "close_request",
    "LinkRefused",
    "check_rate",
    "find_link",
    "use_link",
    "link_is_usable",
]
