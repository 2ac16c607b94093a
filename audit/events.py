"""The audit log's own events, and the two every app writes: a read and a refusal."""

from enum import StrEnum


class Event(StrEnum):
    AUDIT_EXPORTED = "audit_exported"
    BACKUP_MADE = "backup_made"
    DECRYPTION_FAILED = "decryption_failed"
    KEYS_ROTATED = "keys_rotated"
    READ = "read"
    REFUSED = "refused"
    RESTORED = "restored"
    ROW_SEAL_FAILED = "row_seal_failed"
    SETTING_EXPORTED = "setting_exported"
    SETTING_IMPORTED = "setting_imported"
    VALUES_REENCRYPTED = "values_reencrypted"
