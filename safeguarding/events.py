"""What the audit log records of the safeguarding lead's loop."""

from enum import StrEnum


class Event(StrEnum):
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ACTION_SET = "action_set"
    ACTION_DONE = "action_done"
    OFSTED_NOTICE_RECORDED = "ofsted_notice_recorded"
