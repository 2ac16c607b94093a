"""The setting's own duties as a data controller: the breach log."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField
from core.models import UUIDModel
from records.models import Staff
from records.owned import SettingOwned

# UK GDPR Article 33: the ICO is told within 72 hours of becoming aware, weekends included.
ICO_HOURS = 72


class Risk(models.TextChoices):
    UNLIKELY = "unlikely", "Unlikely to result in a risk to people (no report needed)"
    RISK = "risk", "A risk to people's rights and freedoms (report to the ICO)"
    HIGH = "high", "A high risk (report to the ICO, and tell the people affected)"


class IcoDecision(models.TextChoices):
    REPORT = "report", "Report to the ICO"
    NOT_REPORT = "not_report", "Not reported: unlikely to result in a risk"


class PeopleTold(models.TextChoices):
    TOLD = "told", "The people affected were told"
    NOT_NEEDED = "not_needed", "Not told: the risk to them is not high"


class Breach(SettingOwned, UUIDModel):
    """A personal-data breach: what happened, when the setting became aware (the 72-hour clock
    starts then, and runs through weekends), what data and whom it touched, the risk, the decision
    to report to the ICO or not with reasons, telling the people affected, what was done."""

    confide_access = ("reported_by_id",)

    reported_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    aware_at = models.DateTimeField("when the setting became aware of it")
    what_happened = EncryptedTextField("what happened")
    data_affected = EncryptedTextField("what data", blank=True)
    people_affected = models.PositiveIntegerField("how many people", null=True, blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    risk_reasoning = EncryptedTextField(blank=True)
    assessed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=IcoDecision.choices, blank=True)
    decision_reason = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ico_reported_at = models.DateTimeField(null=True, blank=True)
    ico_reference = models.CharField(max_length=60, blank=True)
    people_told = models.CharField(max_length=12, choices=PeopleTold.choices, blank=True)
    people_told_note = EncryptedTextField(blank=True)
    actions = EncryptedTextField("actions taken", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The reminders already sent, in hours left (24, 6): each is sent once.
    reminders = models.JSONField(default=list)

    class Meta:
        ordering = ["-aware_at"]

    def __str__(self) -> str:
        return f"breach {str(self.pk)[:8]}"

    @property
    def reference(self) -> str:
        return f"B-{str(self.pk)[:8]}"

    @property
    def ico_deadline(self) -> datetime:
        return self.aware_at + timedelta(hours=ICO_HOURS)

    def hours_left(self, now: datetime | None = None) -> float:
        return (self.ico_deadline - (now or timezone.now())).total_seconds() / 3600

    @property
    def clock_running(self) -> bool:
        """The 72 hours matter until the decision is made (and, to report, the report made)."""
        if self.decision == IcoDecision.NOT_REPORT:
            return False
        return self.ico_reported_at is None


# --- the policy register ---------------------------------------------------------------------


class Policy(SettingOwned, UUIDModel):
    """One of the setting's policies (10.9 Confidentiality and Client Access to Records, say),
    with every version kept."""

    number = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    # How often it is reviewed (10.9: every two years).
    review_every_months = models.PositiveSmallIntegerField(default=24)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["setting", "number"], name="one_policy_per_number")
        ]

    def __str__(self) -> str:
        return f"policy {self.number}"


class PolicyVersion(UUIDModel):
    """A version of a policy as adopted: its text, who reviewed and approved it, and when the next
    review is due. Never changed: a review makes a new version."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    text = models.TextField()
    adopted_on = models.DateField()
    reviewed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    # Approved by the trustees: who, in their words ("the chair, for the board").
    approved_by = models.CharField(max_length=200)
    review_due_on = models.DateField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Reminders already sent for this version: "soon" (30 days before), "due" (on the day).
    reminders = models.JSONField(default=list)

    class Meta:
        ordering = ["-adopted_on", "-created_at"]

    def __str__(self) -> str:
        return f"policy version {self.pk}"


# --- the termly access review ------------------------------------------------------------------


class AccessReview(SettingOwned, UUIDModel):
    """Each term the Lead confirms who holds which role, the need-to-know grants, acting-Lead
    periods and break-glass openings, having ended what is no longer needed."""

    reviewed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)
    term_name = models.CharField(max_length=60, blank=True)
    # What was confirmed, by kind: {"posts": n, "grants": n, "acting": n, "break_glass": n}.
    counts = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"access review {self.reviewed_at:%Y-%m-%d}"
