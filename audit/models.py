"""The audit log's seals: the links of the hash chain (audit.chain) over django-auditlog's
LogEntry rows."""

from __future__ import annotations

from uuid import UUID

from django.db import models
from django.utils import timezone

# The chain of the deployment's own events (sign-ins, key rotations, the IT admin's work): those
# written outside any setting. A setting's chain is named by the setting's id.
DEPLOYMENT_CHAIN = UUID(int=0)


class AuditSeal(models.Model):
    """One link of the HMAC hash chain that makes tampering with the audit log detectable.

    A seal covers the django-auditlog LogEntries that one actor's action wrote together: one for an
    event or a change, every ACCESS row of a page for a read (audit.log.log_access). Its digest
    covers the previous seal's digest and the content hash of each entry it covers (kept on its
    SealedEntry), in order of id, so an edited, deleted or reordered entry breaks the chain
    (manage.py verify_audit). The HMAC key is derived from the encryption key named by ``key_id``.
    Seals made before records' migration 0004 are version 1: one entry each, its content in the digest.

    Since audit migration 0003 there is one chain per setting (``chain`` is the setting's id: its
    events, keyed from its own data key) and one for the deployment's own events (``chain`` is
    DEPLOYMENT_CHAIN, keyed from the master keys), each numbered from 1; version 3 seals cover only
    values that survive an export (no integer ids), so a setting's chain verifies on its own in
    another deployment. The seals from before stay in the deployment's chain.
    """

    chain = models.UUIDField(default=DEPLOYMENT_CHAIN, editable=False)
    sequence = models.PositiveBigIntegerField()
    version = models.PositiveSmallIntegerField()
    key_id = models.CharField(max_length=64)
    # auditlog clears LogEntry.actor when a user is deleted; the seal keeps who it was.
    actor_pk = models.BigIntegerField(null=True, blank=True)
    # The actor's username when sealed: what a version 3 seal covers of its actor (a user's id
    # is this database's own).
    actor_key = models.CharField(max_length=150, blank=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Made by the records app before the audit log had an app of its own: the table keeps
        # its name, and so do the database triggers that refuse changes to it.
        db_table = "records_auditseal"
        ordering = ["chain", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="audit_seal_sequence_positive"
            ),
            models.UniqueConstraint(
                fields=["chain", "sequence"], name="audit_seal_one_link_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"audit seal {self.sequence} of chain {self.chain}"


class SealedEntry(models.Model):
    """A log entry and the seal that covers it. The entry is the key, so no entry is sealed twice,
    and a sealed entry cannot be deleted through Django (PROTECT)."""

    entry = models.OneToOneField(
        "auditlog.LogEntry",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="confide_seal",
    )
    seal = models.ForeignKey(AuditSeal, on_delete=models.PROTECT, related_name="sealed_entries")
    # SHA-256 of the entry's sealed content (audit.chain.content_hash), which the seal's digest
    # covers; empty under a version 1 seal, whose digest covers the content itself.
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "records_sealedentry"
        verbose_name_plural = "sealed entries"

    def __str__(self) -> str:
        return f"log entry {self.entry_id} under seal {self.seal_id}"


class ChainCheck(models.Model):
    """One check of the audit chain by the scheduler (audit.checks): incremental from the last
    intact check, or a full walk, with the anchors compared. The Lead's audit page shows the
    newest."""

    chain = models.UUIDField(default=DEPLOYMENT_CHAIN, db_index=True)
    checked_at = models.DateTimeField(default=timezone.now)
    full = models.BooleanField(default=False)
    from_sequence = models.PositiveBigIntegerField(default=0)
    head_sequence = models.PositiveBigIntegerField(default=0)
    head_digest = models.CharField(max_length=64, blank=True)
    entries = models.PositiveBigIntegerField(default=0)
    last_entry_id = models.PositiveBigIntegerField(default=0)
    anchors_checked = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"audit chain check {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def intact(self) -> bool:
        return not self.problem


class ReadItem(models.Model):
    """One item a page's read event covers: the index that answers "who read this entry".

    A page of a chronology (or of a ledger) is one read event, not one row per item shown: its
    LogEntry names the model (``content_type``) and lists the items' ids in its sealed
    ``additional_data`` (audit.log.READ_ITEMS), so the chain covers what was read. These rows
    repeat that list, one row per item, so a record's own audit page finds the page events that
    showed it by an index rather than by reading every event's list. They are derived: a moved
    setting's rows are made again from the sealed lists (records.moving), and ``verify_audit``
    compares them with the lists (audit.readindex). Append-only like the rest of the log."""

    entry = models.ForeignKey(
        "auditlog.LogEntry", on_delete=models.PROTECT, related_name="confide_read_items"
    )
    object_pk = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["object_pk", "entry"], name="audit_readitem_object")]

    def __str__(self) -> str:
        return f"{self.object_pk} in log entry {self.entry_id}"
