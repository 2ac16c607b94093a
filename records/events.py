"""What the audit log records of the records app beyond auditlog's change rows."""

from enum import StrEnum


class Event(StrEnum):
    ACTING_LEAD_ENDED = "acting_lead_ended"
    ATTACHMENT_OPENED = "attachment_opened"
    BREAK_GLASS_OPENED = "break_glass_opened"
    CHILDREN_IMPORTED = "children_imported"
    GRANT_REVOKED = "grant_revoked"
    HOLD_LIFTED = "hold_lifted"
    HOLD_PLACED = "hold_placed"
    LEAVING_CHANGED = "leaving_changed"
    LEAVING_CHECKLIST = "leaving_checklist"
    LEAVING_RECORDED = "leaving_recorded"
    POST_ADDED = "post_added"
    RETENTION_CHANGED = "retention_changed"
    SETTING_CHOSEN = "setting_chosen"
    STAFF_DEACTIVATED = "staff_deactivated"
    STAFF_RECORD_READ = "staff_record_read"
    TERM_ADDED = "term_added"
    TERM_REMOVED = "term_removed"
