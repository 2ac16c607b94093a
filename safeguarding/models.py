"""The safeguarding lead's daily loop: a concern raises an alert, which the Lead (or the Deputy)
triages with a next step."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from consent.models import SharingDecision
from core import keys
from core.fields import EncryptedBinaryField, EncryptedTextField
from core.models import UUIDModel
from records.models import Child, RecordEntry, Staff
from records.owned import SettingOwned

# A failed alert email is tried again this many times (every five minutes), then shown as failed.
MAX_ATTEMPTS = 5


class NextStep(models.TextChoices):
    NO_FURTHER_ACTION = "nfa", "No further action (say why)"
    MONITOR = "monitor", "Monitor"
    EARLY_HELP = "early_help", "Early help"
    CONSULT = "consult", "Consult (children's social care, the LADO, a colleague)"
    REFER = "refer", "Refer (opens a sharing decision)"


class Alert(SettingOwned, UUIDModel):
    """A concern or child-protection entry, waiting for the Lead's triage: raised when it is
    written, emailed to the Lead and the Deputy (no name, no content), acknowledged with a next
    step."""

    confide_setting_from = "entry"
    confide_access = ("entry_id",)

    def confide_owner(self) -> keys.Owner:
        # About a child: under the child's key, shredded with their file.
        return keys.Owner.child(self.entry.child_id)

    entry = models.OneToOneField(RecordEntry, on_delete=models.CASCADE, related_name="alert")
    urgent = models.BooleanField(default=False)
    raised_at = models.DateTimeField(default=timezone.now)
    # The email: sent (every part), or how often it failed and why (shown on the triage queue).
    sent_at = models.DateTimeField(null=True, blank=True)
    leaders_sent_at = models.DateTimeField(null=True, blank=True)
    urgent_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_step = models.CharField(max_length=12, choices=NextStep.choices, blank=True)
    reason = EncryptedTextField("why, or what next", blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["setting", "acknowledged_at", "raised_at"])]

    def __str__(self) -> str:
        return f"alert {str(self.pk)[:8]}"

    @property
    def send_failed(self) -> bool:
        return self.sent_at is None and self.attempts >= MAX_ATTEMPTS


class TriageVisit(SettingOwned, UUIDModel):
    """When a member of staff last looked at the triage queue: what came since is marked new."""

    confide_setting_from = "staff"

    staff = models.OneToOneField(Staff, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"triage visit {str(self.pk)[:8]}"


class Action(SettingOwned, UUIDModel):
    """A follow-up on an entry (a concern's next step) or on a sharing decision or referral:
    what, who, by when; done with a note. It has the level of what it hangs on: whoever may not
    read that does not see it."""

    confide_setting_from = "subject"
    # Bound to the entry (an action on a decision has none): the columns were fixed before
    # actions could hang on decisions, and changing them would make the stored text unreadable.
    confide_access = ("entry_id", "assignee_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.subject.child_id)

    entry = models.ForeignKey(
        RecordEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    decision = models.ForeignKey(
        SharingDecision, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    what = EncryptedTextField("what is to be done")
    assignee = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("due by")
    set_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = EncryptedTextField("what was done", blank=True)

    class Meta:
        ordering = ["due_on", "set_at"]
        indexes = [models.Index(fields=["setting", "done_at", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entry__isnull=True, decision__isnull=False)
                | models.Q(entry__isnull=False, decision__isnull=True),
                name="action_hangs_on_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"action {str(self.pk)[:8]}"

    @property
    def subject(self) -> RecordEntry | SharingDecision:
        """The entry or the decision it hangs on."""
        found = self.entry if self.entry_id is not None else self.decision
        assert found is not None
        return found

    @property
    def child(self) -> Child:
        return self.subject.child

    @property
    def level(self) -> int:
        return self.subject.level

    def overdue(self, today: Any = None) -> bool:
        return self.done_at is None and self.due_on < (today or timezone.localdate())


# EYFS 3.52: Ofsted is told of a serious accident, illness or injury to, or the death of, a child
# in the setting's care as soon as reasonably practicable and within 14 days.
OFSTED_DAYS = 14


class OfstedNotice(SettingOwned, UUIDModel):
    """A serious accident, injury or illness, or a death: Ofsted is told within 14 days, and the
    local child protection agencies where it applies. On the dashboard until both are done."""

    confide_setting_from = "entry"

    entry = models.OneToOneField(RecordEntry, on_delete=models.CASCADE, related_name="ofsted")
    due_on = models.DateField()
    ofsted_told_at = models.DateTimeField(null=True, blank=True)
    ofsted_reference = models.CharField(max_length=60, blank=True)
    # Whether the local child protection agencies must be told too: decided by the Lead.
    agencies_apply = models.BooleanField(null=True, blank=True)
    agencies_told_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"Ofsted notice {str(self.pk)[:8]}"

    @property
    def done(self) -> bool:
        agencies_done = self.agencies_apply is False or self.agencies_told_at is not None
        return self.ofsted_told_at is not None and self.agencies_apply is not None and agencies_done

    def late(self, today: Any = None) -> bool:
        return self.ofsted_told_at is None and (today or timezone.localdate()) > self.due_on


class PrintState(models.TextChoices):
    QUEUED = "queued", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    # Its PDF removed after PRINT_KEPT_DAYS: a print is for a conference, not a second file.
    EXPIRED = "expired", "Removed (make it again if needed)"


PRINT_KEPT_DAYS = 14


class ChronologyPrint(SettingOwned, UUIDModel):
    """A child's chronology as a PDF for a child-protection conference: what the person asking
    may read (filtered as they chose), made in the background, dated, with their name and
    "confidential" on every page; only they download it, and each step is audited."""

    confide_setting_from = "child"
    confide_access = ("child_id", "requested_by_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # The chronology filter's values as chosen (records.chronology_filter), applied again at the
    # render over what the person may read then.
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=PrintState.choices, default=PrintState.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    entries = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    pdf = EncryptedBinaryField(blank=True, default=b"")
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"chronology print {str(self.pk)[:8]}"

    @property
    def is_ready(self) -> bool:
        return self.state == PrintState.READY
