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
    # Allegations against staff: held apart from the audit pages (audit.log.HELD_APART).
    ALLEGATION_RECORDED = "allegation_recorded"
    ALLEGATION_CHILD_NAMED = "allegation_child_named"
    ALLEGATION_READ = "allegation_read"
    ALLEGATION_LADO_REFERRED = "allegation_lado_referred"
    ALLEGATION_STRATEGY = "allegation_strategy"
    ALLEGATION_OFSTED_TOLD = "allegation_ofsted_told"
    ALLEGATION_CONCLUDED = "allegation_concluded"
    ALLEGATION_REMOVED = "allegation_removed"
