"""What the audit log records of sign-in and two-factor."""

from enum import StrEnum


class Event(StrEnum):
    BACKUP_CODES_ISSUED = "backup_codes_issued"
    ENROLMENT_CODE_ISSUED = "enrolment_code_issued"
    LOCKED_OUT = "locked_out"
    LOGIN_FAILED = "login_failed"
    SIGNED_IN = "signed_in"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
