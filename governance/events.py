"""What the audit log records of the setting's own data-protection duties."""

from enum import StrEnum


class Event(StrEnum):
    BREACH_REPORTED = "breach_reported"
    BREACH_ASSESSED = "breach_assessed"
    BREACH_DECIDED = "breach_decided"
    BREACH_PEOPLE_TOLD = "breach_people_told"
    BREACH_CLOSED = "breach_closed"
    BREACH_REMINDER = "breach_reminder_sent"
    POLICY_REVIEWED = "policy_reviewed"
    ACCESS_REVIEWED = "access_reviewed"
