"""What the audit log records of a record's end beyond auditlog's change rows."""

from enum import StrEnum


class Event(StrEnum):
    DESTRUCTION_PROPOSED = "destruction_proposed"
    DESTRUCTION_APPROVED = "destruction_approved"
    DESTRUCTION_CANCELLED = "destruction_cancelled"
    # The tombstone: what was destroyed, by kind and count, under which rule; never content.
    RECORDS_DESTROYED = "records_destroyed"
    CERTIFICATE_DOWNLOADED = "destruction_certificate_downloaded"
    # the child-protection file moves on
    TRANSFER_STARTED = "transfer_started"
    TRANSFER_REVIEWED = "transfer_reviewed"
    TRANSFER_APPROVED = "transfer_approved"
    TRANSFER_SENT = "transfer_sent"
    TRANSFER_DOWNLOADED = "transfer_downloaded"
    TRANSFER_LINK_REFUSED = "transfer_link_refused"
    TRANSFER_RECEIVED = "transfer_received"
    TRANSFER_CHASED = "transfer_chased"
    TRANSFER_COPY_DOWNLOADED = "transfer_copy_downloaded"
    # a parent's other rights
    RIGHTS_RECEIVED = "rights_request_received"
    RIGHTS_DECIDED = "rights_request_decided"
    RIGHTS_LETTER_SENT = "rights_letter_sent"
    RIGHTS_RECIPIENT_TOLD = "rights_recipient_told"
