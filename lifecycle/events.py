"""What the audit log records of a record's end beyond auditlog's change rows."""

from enum import StrEnum


class Event(StrEnum):
    DESTRUCTION_PROPOSED = "destruction_proposed"
    DESTRUCTION_APPROVED = "destruction_approved"
    DESTRUCTION_CANCELLED = "destruction_cancelled"
    # The tombstone: what was destroyed, by kind and count, under which rule; never content.
    RECORDS_DESTROYED = "records_destroyed"
    CERTIFICATE_DOWNLOADED = "destruction_certificate_downloaded"
