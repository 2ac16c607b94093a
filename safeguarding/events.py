"""What the audit log records of the safeguarding lead's loop."""

from enum import StrEnum


class Event(StrEnum):
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ACTION_SET = "action_set"
    ACTION_DONE = "action_done"
    OFSTED_NOTICE_RECORDED = "ofsted_notice_recorded"
    CHRONOLOGY_PRINT_ASKED = "chronology_print_asked"
    CHRONOLOGY_PRINTED = "chronology_printed"
    CHRONOLOGY_PRINT_DOWNLOADED = "chronology_print_downloaded"
    REPORT_READ = "report_read"
    EVIDENCE_PACK_DOWNLOADED = "evidence_pack_downloaded"
