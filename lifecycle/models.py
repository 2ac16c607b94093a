"""A record's end: destructions offered by the monthly review, approved by the Lead, confirmed by
a second person, and the certificate that proves them (no content: kinds, counts, a reference)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.models import UUIDModel
from records.models import Staff
from records.owned import SettingOwned


class SubjectKind(models.TextChoices):
    CHILD = "child", "A child's records"
    STAFF = "staff", "A member of staff's records"
    REQUEST = "request", "A subject-access file"


class DestructionState(models.TextChoices):
    PROPOSED = "proposed", "Waiting for the Lead's approval"
    APPROVED = "approved", "Approved: waiting for a second person to confirm"
    DESTROYED = "destroyed", "Destroyed"
    CANCELLED = "cancelled", "Not destroyed"


OPEN_STATES = (DestructionState.PROPOSED, DestructionState.APPROVED)


class Destruction(SettingOwned, UUIDModel):
    """Records of one child, member of staff or subject-access request past their retention date,
    offered for destruction together. It names its subject by id and reference, never by a
    foreign key or a name: it outlives them."""

    kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    subject_id = models.UUIDField()
    reference = models.CharField(max_length=40)
    # The whole file goes (and the subject's key with it), or only the rows listed.
    whole = models.BooleanField()
    # The rows offered: [model label, id] pairs; no content.
    items = models.JSONField(default=list)
    review_month = models.DateField()
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10, choices=DestructionState.choices, default=DestructionState.PROPOSED
    )
    approved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # What the certificate lists, filled in when the records are destroyed: one
    # {"what", "rule", "count"} per kind of record; and whether the subject's key was destroyed.
    destroyed = models.JSONField(default=list)
    key_destroyed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "kind", "subject_id"],
                condition=models.Q(state__in=["proposed", "approved"]),
                name="one_open_destruction_per_subject",
            )
        ]

    def __str__(self) -> str:
        return f"destruction {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def total(self) -> int:
        return sum(line["count"] for line in self.destroyed)


class Review(SettingOwned, UUIDModel):
    """A month's review of what is past its retention date (the scheduled task, or the Lead's
    "review now"): one a month per setting; later runs that month only offer what became due."""

    month = models.DateField()
    run_at = models.DateTimeField(default=timezone.now)
    run_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["setting", "month"], name="one_review_a_month")
        ]

    def __str__(self) -> str:
        return f"retention review {self.month:%B %Y}"
