"""The setting's own duties as a data controller: the breach log."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone

from consent.working_days import one_working_day_after
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


# --- allegations against staff -----------------------------------------------------------------

# KCSIE: an allegation's record is kept until the accused's normal pension age or for 10 years
# from the allegation, whichever is longer; one found malicious is removed.
ALLEGATION_KEEP_YEARS = 10
# EYFS 3.79: Ofsted is told of an allegation of serious harm or abuse within 14 days.
OFSTED_DAYS = 14
# Working Together / KCSIE: the LADO is told within one working day.
LADO_WORKING_DAYS = 1


class AllegationKind(models.TextChoices):
    ALLEGATION = (
        "allegation",
        (
            "An allegation: a member of staff may have harmed a child, committed an offence against "
            "a child, or behaved in a way that shows they may pose a risk to children"
        ),
    )
    LOW_LEVEL = (
        "low_level",
        (
            "A low-level concern: behaviour that does not meet that threshold but is not in keeping "
            "with the code of conduct"
        ),
    )


class Handler(models.TextChoices):
    LEAD = "lead", "The Lead"
    # When the Lead is accused: the safeguarding trustee (the chair when there is none).
    TRUSTEE = "trustee", "The safeguarding trustee"


class Suspension(models.TextChoices):
    SUSPENDED = "suspended", "Suspended"
    NOT_SUSPENDED = "not_suspended", "Not suspended (other arrangements)"


class AllegationOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", "Substantiated"
    UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
    FALSE = "false", "False"
    MALICIOUS = "malicious", "Malicious (the record is removed)"
    UNFOUNDED = "unfounded", "Unfounded"


class DbsReferral(models.TextChoices):
    REFERRED = "referred", "Referred to the DBS"
    NOT_REQUIRED = "not_required", "Not required: the referral duty's conditions are not met"


class Allegation(SettingOwned, UUIDModel):
    """An allegation (or a low-level concern) about a member of staff. Nobody but its handler
    (governance.policy.visible_allegations) knows it exists: not the person who recorded it, not
    the person accused (the Lead included), not the audit pages. Its history is written to the
    audit log as events held apart, shown on its own page to whoever handles it."""

    confide_access = ("accused_id", "handler")
    confide_personal = ("accused_pension_on",)

    accused = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    handler = models.CharField(max_length=10, choices=Handler.choices)
    kind = models.CharField(max_length=12, choices=AllegationKind.choices)
    occurred_on = models.DateField("when it happened", null=True, blank=True)
    what_alleged = EncryptedTextField("what was alleged")
    # An allegation of serious harm or abuse: Ofsted is told within 14 days.
    serious_harm = models.BooleanField(default=False)
    # Placeholders in the chronologies of the children named (records.RecordEntry.hidden_from).
    placeholders = models.ManyToManyField("records.RecordEntry", blank=True, related_name="+")
    lado_referred_at = models.DateTimeField(null=True, blank=True)
    lado_reference = models.CharField(max_length=60, blank=True)
    lado_advice = EncryptedTextField("the LADO's advice", blank=True)
    strategy_outcome = EncryptedTextField("the strategy discussion's outcome", blank=True)
    suspension = models.CharField(max_length=14, choices=Suspension.choices, blank=True)
    suspension_note = EncryptedTextField(blank=True)
    ofsted_told_at = models.DateTimeField(null=True, blank=True)
    ofsted_reference = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=16, choices=AllegationOutcome.choices, blank=True)
    outcome_note = EncryptedTextField(blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    dbs_referral = models.CharField(max_length=14, choices=DbsReferral.choices, blank=True)
    dbs_referred_at = models.DateTimeField(null=True, blank=True)
    # The accused's normal pension age, when known: the record is kept until then if later
    # than 10 years from the allegation.
    accused_pension_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"held-apart record {str(self.pk)[:8]}"

    @property
    def reference(self) -> str:
        return f"A-{str(self.pk)[:8]}"

    @property
    def lado_due_at(self) -> datetime | None:
        """An allegation goes to the LADO within one working day; a low-level concern need not."""
        if self.kind != AllegationKind.ALLEGATION:
            return None
        return one_working_day_after(self.reported_at)

    @property
    def lado_late(self) -> bool:
        due = self.lado_due_at
        return due is not None and self.lado_referred_at is None and timezone.now() > due

    @property
    def ofsted_late(self) -> bool:
        due = self.ofsted_due_on
        return due is not None and self.ofsted_told_at is None and timezone.localdate() > due

    @property
    def ofsted_due_on(self) -> date | None:
        if not self.serious_harm or self.kind != AllegationKind.ALLEGATION:
            return None
        return timezone.localdate(self.reported_at) + timedelta(days=OFSTED_DAYS)

    @property
    def keep_until(self) -> date:
        reported = timezone.localdate(self.reported_at)
        # 29 February gives 28 February ten years on.
        day = min(reported.day, 28) if reported.month == 2 else reported.day
        ten_years = reported.replace(year=reported.year + ALLEGATION_KEEP_YEARS, day=day)
        if self.accused_pension_on and self.accused_pension_on > ten_years:
            return self.accused_pension_on
        return ten_years
