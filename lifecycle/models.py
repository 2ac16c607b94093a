"""A record's end: destructions offered by the monthly review, approved by the Lead, confirmed by
a second person, and the certificate that proves them (no content: kinds, counts, a reference)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core import keys
from core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from core.models import UUIDModel
from records.models import Child, Staff
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

    # Free text a person wrote (it may name someone): never copied into the audit log.
    confide_personal = ("cancel_reason",)

    kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    subject_id = models.UUIDField()
    reference = models.CharField(max_length=40)
    # The whole file goes (and the subject's key with it), or only the rows listed.
    whole = models.BooleanField()
    # Offered because a parent's erasure request was granted (lifecycle.rights), not by date.
    for_request_id = models.UUIDField(null=True, blank=True)
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
                # (An erasure granted is its own offer, beside the month's.)
                condition=models.Q(state__in=["proposed", "approved"], for_request_id__isnull=True),
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


# --- the child-protection file moves on ----------------------------------------------------


class MoveKind(models.TextChoices):
    IN_YEAR = "in_year", "An in-year move: within 5 school days of leaving"
    NEW_TERM = "new_term", "At the start of a new term: within its first 5 school days"


class TransferState(models.TextChoices):
    REVIEW = "review", "Being reviewed by the Lead"
    READY = "ready", "Approved: the password-protected file is ready to send"
    SENT = "sent", "Sent: waiting for confirmation of receipt"
    RECEIVED = "received", "Received: confirmed by the receiving safeguarding lead"


class ReceivedHow(models.TextChoices):
    LINK = "link", "Confirmed through the link"
    PHONE = "phone", "Confirmed by phone (recorded by the Lead)"


class Transfer(SettingOwned, UUIDModel):
    """The child-protection file of a child who leaves, sent on to the designated safeguarding
    lead of the next school or setting: compiled apart from the general file, reviewed by the
    Lead (third parties redacted), a password-protected PDF by one-time link, and confirmed
    received. The copy sent is kept, as the child-protection file is."""

    confide_setting_from = "child"
    confide_access = ("child_id",)
    confide_personal = ("dsl_name", "dsl_email", "dsl_phone", "received_name")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="transfers")
    receiving_setting = models.CharField("Receiving school or setting", max_length=200)
    dsl_name = models.CharField("Their designated safeguarding lead", max_length=150)
    dsl_email = models.EmailField("The safeguarding lead's email address")
    dsl_phone = models.CharField("The safeguarding lead's telephone", max_length=40, blank=True)
    move_kind = models.CharField(max_length=10, choices=MoveKind.choices)
    due_on = models.DateField()
    # The cover sheet: the professionals involved, and the current plan, in the Lead's words.
    professionals = EncryptedTextField(blank=True)
    current_plan = EncryptedTextField(blank=True)
    state = models.CharField(
        max_length=10, choices=TransferState.choices, default=TransferState.REVIEW
    )
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The password-protected PDF as sent (the password is never stored).
    pdf = EncryptedBinaryField(blank=True, default=b"")
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    sent_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    chased_at = models.DateTimeField(null=True, blank=True)
    chases = models.PositiveIntegerField(default=0)
    received_name = models.CharField(max_length=150, blank=True)
    received_role = models.CharField(max_length=100, blank=True)
    received_on = models.DateField(null=True, blank=True)
    received_how = models.CharField(max_length=10, choices=ReceivedHow.choices, blank=True)
    received_recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"transfer of child {self.child_id}"


class ItemKind(models.TextChoices):
    ENTRY = "entry", "Record entry"
    DISCLOSURE = "disclosure", "Disclosure"
    DECISION = "decision", "Sharing decision or referral"
    FLAG = "flag", "Flag on the child's file (a plan, a social worker)"


class TransferItem(UUIDModel):
    """One record of the child-protection file, as it was when the pack was compiled."""

    confide_access = ("transfer_id", "source_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.transfer.child_id)

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    source_id = models.UUIDField()
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    byline = EncryptedTextField(blank=True)
    text = EncryptedTextField(blank=True)
    included = models.BooleanField(default=True)
    left_out_reason = models.TextField(blank=True)
    # From an entry restricted at a parent's request: only the Lead reads it here (it still goes
    # to the school: Article 18(2), to protect the child).
    restricted = models.BooleanField(default=False)

    class Meta:
        ordering = ["occurred_at"]

    def __str__(self) -> str:
        return f"transfer item {self.pk}"


class PersonDecision(models.TextChoices):
    REDACT = "redact", "Redact: not passed on"
    PASS_ON = "pass_on", "Pass on: the receiving school needs to know"


class TransferPerson(UUIDModel):
    """A third party named in the pack (another child, another family's carer, a name in the
    consent ledger), and the Lead's decision: redacted unless the Lead says to pass it on."""

    confide_access = ("transfer_id", "key")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.transfer.child_id)

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="people")
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    name = EncryptedTextField()
    # The words as the records write them (each redacted where the decision is to redact).
    words = EncryptedJSONField(blank=True)
    decision = models.CharField(
        max_length=10, choices=PersonDecision.choices, default=PersonDecision.REDACT
    )
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "key"], name="one_decision_per_person")
        ]

    def __str__(self) -> str:
        return f"third party {self.pk}"


class TransferLink(UUIDModel):
    """The receiving safeguarding lead's one-time link (only its hash is kept)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_from = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"transfer link {self.pk}"


# --- a parent's other rights ------------------------------------------------------------------


class RightKind(models.TextChoices):
    RECTIFICATION = "rectification", "Rectification: correct what is wrong (Article 16)"
    ERASURE = "erasure", "Erasure (Article 17)"
    RESTRICTION = "restriction", "Restriction of use (Article 18)"
    OBJECTION = "objection", "Objection to a use (Article 21)"


class RightsOutcome(models.TextChoices):
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class ErasureException(models.TextChoices):
    """Article 17(3): the only grounds on which Confide lets an erasure be refused."""

    LEGAL_OBLIGATION = (
        "legal_obligation",
        "Article 17(3)(b): a legal obligation to keep them (the EYFS and safeguarding duties)",
    )
    LEGAL_CLAIMS = (
        "legal_claims",
        "Article 17(3)(e): they are needed for legal claims (an inquiry, a claim, a hold)",
    )


class RightsRequest(SettingOwned, UUIDModel):
    """A parent asks to correct, erase, restrict or object to the use of their child's records:
    recorded with the one-calendar-month deadline of subject access, decided by the Lead, answered
    by a letter, and told to those the records were shared with (Article 19)."""

    confide_setting_from = "child"
    confide_access = ("child_id", "requester_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    kind = models.CharField(max_length=15, choices=RightKind.choices)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="rights_requests")
    requester = models.ForeignKey(
        "records.Carer", on_delete=models.PROTECT, related_name="rights_requests"
    )
    received_on = models.DateField()
    due_on = models.DateField()
    # The parent's words: what they say is wrong, or why they ask (kept beside the records).
    statement = EncryptedTextField()
    entries = models.ManyToManyField(
        "records.RecordEntry", blank=True, related_name="rights_requests"
    )
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=RightsOutcome.choices, blank=True)
    exception = models.CharField(max_length=20, choices=ErasureException.choices, blank=True)
    reason = EncryptedTextField(blank=True)
    # Rectification granted: the corrected text, added to each entry as an amendment.
    correction = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    letter_sent_on = models.DateField(null=True, blank=True)
    # An erasure granted goes through the destruction path (a second person confirms).
    destruction_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-received_on"]

    def __str__(self) -> str:
        return f"rights request {self.reference}"

    @property
    def reference(self) -> str:
        return f"RR-{str(self.pk)[:8]}"

    @property
    def is_open(self) -> bool:
        return self.letter_sent_on is None


class RecipientNotice(UUIDModel):
    """Article 19: someone the records were shared with is told of a rectification, erasure or
    restriction."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="notices")
    decision = models.ForeignKey(
        "consent.SharingDecision", on_delete=models.PROTECT, related_name="+"
    )
    told_on = models.DateField()
    how = models.CharField(max_length=100)
    told_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "decision"], name="one_notice_each")
        ]

    def __str__(self) -> str:
        return f"notice {self.pk}"
