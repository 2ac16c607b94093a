"""What the audit log records of disclosures, consent and sharing beyond auditlog's change rows."""

from enum import StrEnum


class Event(StrEnum):
    CONFIDENTIALITY_ANSWERED = "confidentiality_answered"
    EVIDENCE_OPENED = "evidence_opened"
    REFERRAL_ACKNOWLEDGED = "referral_acknowledged"
    REFERRAL_OUTCOME = "referral_outcome"
    SHARING_EMERGENCY_RECORDED = "sharing_emergency_recorded"
    SHARING_FAMILY_INFORMED = "sharing_family_informed"
    SHARING_FAMILY_NOT_INFORMED = "sharing_family_not_informed"
    SHARING_SHARED = "sharing_shared"
