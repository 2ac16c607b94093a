"""Subject-access requests: from the moment a request arrives to the record of what was sent.

The request belongs to the data subjects (a child, their family's carers, the requester); the
requester may be a carer, a staff member, or someone acting for them. A parent with parental
responsibility exercises a young child's right for them: the parent is recorded as the requester
acting for the child, and as a subject too for information about them.

The compiled bundle is a snapshot (``BundleItem``): the text of each record as it stood at compile
time, copied and encrypted under our keys, so the review works on a fixed copy and the original
records are never changed. Attachments are referenced with their SHA-256, checked again at render.

Names are personal data: ``__str__`` gives a reference, never a name (UUIDModel).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone

from core import keys
from core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from core.models import UUIDModel
from records.models import Attachment, Carer, Child, SettingOwned, Staff

from . import deadlines


class Channel(models.TextChoices):
    SPOKEN = "spoken", "Spoken (in person or by phone)"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    OTHER = "other", "Other (say how in what they asked for)"


class RequesterKind(models.TextChoices):
    CARER = "carer", "A parent or carer on our records"
    STAFF = "staff", "A member of staff (their own records)"
    REPRESENTATIVE = "representative", "Someone acting for a parent, carer or staff member"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    AWAITING_IDENTITY = "awaiting_identity", "Awaiting proof of identity"
    AWAITING_CLARIFICATION = "awaiting_clarification", "Awaiting clarification (clock paused)"
    IN_PROGRESS = "in_progress", "Identity confirmed: to compile"
    IN_REVIEW = "in_review", "In review"
    AWAITING_CHECK = "awaiting_check", "Awaiting a second person's check"
    CHECKED = "checked", "Checked: awaiting the Lead's approval"
    APPROVED = "approved", "Approved: ready to release"
    SENT = "sent", "Sent"
    CLOSED = "closed", "Closed"
    REFUSED = "refused", "Refused"


OPEN_STATUSES = frozenset(
    {
        Status.RECEIVED,
        Status.AWAITING_IDENTITY,
        Status.AWAITING_CLARIFICATION,
        Status.IN_PROGRESS,
        Status.IN_REVIEW,
        Status.AWAITING_CHECK,
        Status.CHECKED,
        Status.APPROVED,
    }
)
# Before these, the clock has not started (identity) or the bundle does not exist yet.
BEFORE_CLOCK = frozenset({Status.RECEIVED, Status.AWAITING_IDENTITY})
REVIEWABLE = frozenset({Status.IN_REVIEW})


class IdentityMethod(models.TextChoices):
    IN_PERSON_PHOTO_ID = "photo_id", "Seen in person with photo identification"
    KNOWN_TO_STAFF = "known", "Known to staff (a parent or staff member we see regularly)"
    DOCUMENTS = "documents", "Documents supplied (copies checked, then destroyed)"
    WRITTEN_AUTHORITY = "authority", "Written authority from the person they act for, checked"
    OTHER = "other", "Other (say how in the note)"


class RefusalReason(models.TextChoices):
    MANIFESTLY_UNFOUNDED = "unfounded", "Manifestly unfounded"
    MANIFESTLY_EXCESSIVE = "excessive", "Manifestly excessive"


class RenderState(models.TextChoices):
    NONE = "none", "Not rendered"
    QUEUED = "queued", "Waiting to render"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed: retry"


class SentHow(models.TextChoices):
    POST = "post", "Posted (printed copy or disc)"
    IN_PERSON = "in_person", "Handed over in person"
    EMAIL_LINK = "email_link", "One-time download link by email"


class SubjectAccessRequest(SettingOwned, UUIDModel):
    confide_setting_from = "received_by"
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("requester_carer_id", "requester_staff_id", "staff_subject_id")

    reference = models.CharField(max_length=20, unique=True, editable=False)

    # Arrival: recorded at once by whoever received it.
    received_on = models.DateField("date received")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    received_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    requester_kind = models.CharField(max_length=20, choices=RequesterKind.choices)
    requester_carer = models.ForeignKey(
        Carer, null=True, blank=True, on_delete=models.PROTECT, related_name="access_requests"
    )
    requester_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="access_requests"
    )
    # A representative (a solicitor, an advocate...): their name, and their authority.
    requester_name = EncryptedTextField("requester's name and role", blank=True)
    authority = EncryptedTextField("their authority to act", blank=True)
    contact_email = EncryptedTextField("email for the response", blank=True)
    contact_address = EncryptedTextField("postal address for the response", blank=True)
    asked_for = EncryptedTextField("what they asked for")

    # The data subjects.
    children = models.ManyToManyField(Child, blank=True, related_name="access_requests")
    carers = models.ManyToManyField(Carer, blank=True, related_name="access_requests_about")
    staff_subject = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    status = models.CharField(max_length=30, choices=Status.choices, default=Status.RECEIVED)

    # Identity and parental responsibility.
    identity_required = models.BooleanField(default=True)
    identity_method = models.CharField(max_length=20, choices=IdentityMethod.choices, blank=True)
    identity_note = EncryptedTextField(blank=True)
    identity_checked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identity_confirmed_on = models.DateField(null=True, blank=True)
    # The clock starts on the day the evidence of identity arrived, not the day it was checked.
    identity_evidence_received_on = models.DateField(
        "date the evidence of identity was received", null=True, blank=True
    )
    parental_responsibility_confirmed = models.BooleanField(default=False)
    court_order_note = EncryptedTextField("court order considered", blank=True)
    clock_started_on = models.DateField(null=True, blank=True)

    # Extension and refusal.
    extended_on = models.DateField(null=True, blank=True)
    extended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = EncryptedTextField(blank=True)
    refusal_reason = models.CharField(max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_explanation = EncryptedTextField(blank=True)
    refused_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refused_on = models.DateField(null=True, blank=True)

    # Compiling, review, check and approval.
    compiled_at = models.DateTimeField(null=True, blank=True)
    compiled_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where else was searched (paper files, email...), as the reviewer wrote it. The note of
    # searches itself is made from what the requester receives (compile.searches_note_for), so
    # that no count gives away a record withheld without saying so.
    other_searches = EncryptedTextField("other places searched", blank=True)
    submitted_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = EncryptedTextField(blank=True)
    approved_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_sha256 = models.CharField(max_length=64, blank=True)

    # The rendered bundle (before its password): the background task writes it.
    render_state = models.CharField(
        max_length=20, choices=RenderState.choices, default=RenderState.NONE
    )
    render_token = models.UUIDField(null=True, blank=True)
    render_progress = models.PositiveSmallIntegerField(default=0)
    render_started_at = models.DateTimeField(null=True, blank=True)
    render_heartbeat_at = models.DateTimeField(null=True, blank=True)
    render_error = models.CharField(max_length=300, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    # Sending and closing.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_how = models.CharField(max_length=20, choices=SentHow.choices, blank=True)
    sent_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-recorded_at"]
        verbose_name = "subject-access request"
        indexes = [models.Index(fields=["status", "received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(requester_kind="carer")
                | models.Q(requester_carer__isnull=False),
                name="sar_carer_requester_named",
            ),
            models.CheckConstraint(
                condition=~models.Q(requester_kind="staff")
                | models.Q(requester_staff__isnull=False),
                name="sar_staff_requester_named",
            ),
        ]

    def __str__(self) -> str:
        return f"subject-access request {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_extended(self) -> bool:
        return self.extended_on is not None

    def days_paused(self, today: date | None = None) -> int:
        today = today or timezone.localdate()
        return sum(p.days(today) for p in self.pauses.all())

    def due_on(self, today: date | None = None) -> date | None:
        """The deadline; None while the clock has not started (identity still to confirm)."""
        if self.clock_started_on is None:
            return None
        return deadlines.due_date(
            self.clock_started_on,
            extended=self.is_extended,
            days_paused=self.days_paused(today),
        )

    def original_due_on(self, today: date | None = None) -> date | None:
        if self.clock_started_on is None:
            return None
        return deadlines.due_date(self.clock_started_on, days_paused=self.days_paused(today))

    def days_left(self, today: date | None = None) -> int | None:
        today = today or timezone.localdate()
        due = self.due_on(today)
        return None if due is None else (due - today).days

    @property
    def is_overdue(self) -> bool:
        left = self.days_left()
        return self.is_open and left is not None and left < 0

    @property
    def requester_display(self) -> str:
        if self.requester_kind == RequesterKind.CARER and self.requester_carer is not None:
            return self.requester_carer.full_name
        if self.requester_kind == RequesterKind.STAFF and self.requester_staff is not None:
            return self.requester_staff.full_name
        return self.requester_name


class JointRequester(UUIDModel):
    """Another parent or carer who joined the request, with their own identity check: what is
    held about them is then theirs to receive, not third-party information."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id", "carer_id")

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="joint_requesters"
    )
    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="+")
    identity_method = models.CharField(max_length=20, choices=IdentityMethod.choices)
    identity_confirmed_on = models.DateField()
    identity_evidence_received_on = models.DateField(null=True, blank=True)
    identity_note = EncryptedTextField(blank=True)
    checked_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at"]
        verbose_name = "joint requester"
        constraints = [
            models.UniqueConstraint(fields=["request", "carer"], name="joint_requester_once")
        ]


class ClarificationPause(UUIDModel):
    """The clock stands still from ``started_on`` until clarification arrives (``ended_on``)."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id",)

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="pauses"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    asked = EncryptedTextField("what we asked them to clarify")
    started_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_on"]
        verbose_name = "clarification pause"

    def days(self, today: date) -> int:
        end = self.ended_on or today
        return max(0, (end - self.started_on).days)


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    IDENTITY = "identity", "Request for proof of identity"
    CLARIFICATION = "clarification", "Request for clarification"
    EXTENSION = "extension", "Extension of the deadline"
    REFUSAL = "refusal", "Refusal"


class Letter(UUIDModel):
    """A letter to the requester, as sent: kept with the request."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id", "kind")

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="letters"
    )
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField()

    class Meta:
        ordering = ["created_at"]


class ItemKind(models.TextChoices):
    ENTRY = "entry", "Record entry"
    ATTACHMENT = "attachment", "Attachment"
    DISCLOSURE = "disclosure", "Something someone told us"
    CONSENT = "consent", "Consent record"
    SHARING = "sharing", "Information-sharing decision"
    STAFF_RECORD = "staff_record", "Staff record"
    FLAG = "flag", "Flag on the child's file"
    # An allegation (or low-level concern) about the member of staff asking: added by governance,
    # reviewed by whoever handles both (the Lead; the safeguarding trustee when it is the Lead's).
    HELD_APART = "held_apart", "Allegation or concern about the member of staff"


class Decision(models.TextChoices):
    PENDING = "pending", "To review"
    DISCLOSE = "disclose", "Disclose in full"
    REDACT = "redact", "Disclose with passages redacted"
    WITHHOLD = "withhold", "Withhold"


class Exemption(models.TextChoices):
    THIRD_PARTY = "third_party", "Third-party information"
    CHILD_ABUSE_DATA = "child_abuse_data", "Child abuse data (DPA 2018 Sch. 3 Part 5)"
    SERIOUS_HARM = (
        "serious_harm",
        "Serious harm to someone's physical or mental health (DPA 2018 Sch. 3 Parts 2–4)",
    )
    CRIME = (
        "crime",
        "Crime and taxation: prejudice to the prevention or detection of crime (DPA 2018 Sch. 2 para 2)",
    )
    LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege"
    OTHER = "other", "Other (stated)"


# Offered first, and explained, for a child-protection record.
CHILD_PROTECTION_EXEMPTIONS = (Exemption.CHILD_ABUSE_DATA, Exemption.SERIOUS_HARM, Exemption.CRIME)


class BundleItem(UUIDModel):
    """One record in the compiled snapshot, with the reviewer's decision about it."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id", "kind", "source_id", "child_id", "level")

    def confide_owner(self) -> keys.Owner:
        return (
            keys.Owner.child(self.child_id)
            if self.child_id
            else keys.Owner.staff(self.request.staff_subject_id)
            if self.request.staff_subject_id
            else keys.Owner.setting()
        )

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="items"
    )
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    source_id = models.UUIDField()
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField(default=1)
    # Copied from the record (a consent's free-text purpose, a category): encrypted like its source.
    title = EncryptedTextField()
    # Snapshot at compile time, encrypted: a line of who and when, then the text.
    meta = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    # An entry's body map: the marks' positions for the picture (their notes are in ``body``,
    # where a reviewer can redact them).
    body_map = EncryptedJSONField(default=list, blank=True)
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    # A picture or a scan: the search for other people's names cannot read it.
    unsearchable = models.BooleanField(default=False)
    # An entry's amendments (in its text), counted for the note of searches.
    amendments = models.PositiveSmallIntegerField(default=0)

    # The fields of the who-and-when line that name a person (who recorded it, who told us,
    # whom it went to): [{"key", "label", "value"}]. Each is disclosed or withheld whole: what is
    # left of a field after a partial redaction can still say who it was ("X's mum").
    fields = EncryptedJSONField(default=list, blank=True)

    # Third-party information found (the mentions, and the consent ledger), for the reviewer.
    third_party = models.BooleanField(default=False)
    third_party_names = EncryptedTextField(blank=True)
    third_party_why = EncryptedTextField(blank=True)

    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    # The exemption for withholding the whole item; a redacted item's passages (``passages``,
    # ``Redaction``) each carry their own.
    exemption = models.CharField(max_length=30, choices=Exemption.choices, blank=True)
    exemption_other = EncryptedTextField("the exemption, stated", blank=True)
    # The serious-harm test rests on an opinion: whose (a social worker, a health professional).
    opinion_from = EncryptedTextField("whose opinion the serious-harm test rests on", blank=True)
    note = EncryptedTextField("reviewer's note", blank=True)
    # Withheld without saying so, because saying so would itself put the child at risk.
    silent = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "kind", "id"]
        verbose_name = "bundle item"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "source_id"], name="bundle_item_once_per_request"
            )
        ]

    @property
    def exemption_label(self) -> str:
        return describe_exemption(self.exemption, self.exemption_other)


def describe_exemption(exemption: str, stated: str) -> str:
    if exemption == Exemption.OTHER and stated:
        return f"Other: {stated}"
    return str(Exemption(exemption).label) if exemption in Exemption.values else ""


class PersonKind(models.TextChoices):
    CHILD = "child", "Another child"
    CARER = "carer", "A parent or carer who is not a subject of the request"
    STAFF = "staff", "A member of staff"
    PROFESSIONAL = "professional", "A professional from another organisation"
    OTHER = "other", "Someone named in the consent ledger"


# Staff and other professionals named in their professional role may normally be disclosed
# without their consent (DPA 2018 Sch. 2 paras 16–17, "reasonable in all the circumstances").
PROFESSIONAL_KINDS = frozenset({PersonKind.STAFF, PersonKind.PROFESSIONAL})


class MentionDecision(models.TextChoices):
    PENDING = "pending", "To decide"
    DISCLOSE = "disclose", "Disclose"
    REDACT = "redact", "Redact"


class DisclosureReason(models.TextChoices):
    CONSENTED = "consented", "They consented to it being disclosed"
    ALREADY_KNOWN = "already_known", "The requester already knows it"
    REASONABLE = "reasonable", "Reasonable to disclose without their consent"
    PROFESSIONAL_ROLE = "professional_role", "Named in their professional role"
    NOT_THIS_PERSON = "not_this_person", "These words do not refer to that person here"


class ConsentAnswer(models.TextChoices):
    WAITING = "waiting", "Waiting for a reply"
    YES = "yes", "Consented"
    NO = "no", "Refused"


class ThirdPartyConsent(UUIDModel):
    """A person found in the bundle asked whether they consent to what we hold about them being
    disclosed to the requester: the letter, and their reply. A decision to disclose them because
    they consented cites it."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id", "person_key")

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="third_party_consents"
    )
    person_key = models.CharField(max_length=80)
    name = EncryptedTextField()
    asked_on = models.DateField()
    asked_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    letter = EncryptedTextField()
    answer = models.CharField(
        max_length=10, choices=ConsentAnswer.choices, default=ConsentAnswer.WAITING
    )
    replied_on = models.DateField(null=True, blank=True)
    reply_note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["asked_on"]
        verbose_name = "third-party consent"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "person_key"], name="third_party_consent_once"
            )
        ]


class ThirdPartyMention(UUIDModel):
    """A person who is not a subject of the request, found in an item: in its text (``words``,
    each redacted wherever it stands when the mention is redacted) or as a whole field of its
    who-and-when line (``field``). The item is not reviewed until each is disclosed, with a
    reason, or redacted."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("item_id", "person_key", "field")

    item = models.ForeignKey(BundleItem, on_delete=models.CASCADE, related_name="mentions")
    # Who it is, the same across the items of a request: "child:<id>", "carer:<id>",
    # "staff:<id>", or for a name written in the consent ledger a keyed hash of it.
    person_key = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=PersonKind.choices)
    name = EncryptedTextField()
    # The field of the item the person fills ("" for the text), and the words found.
    field = models.CharField(max_length=40, blank=True)
    words = EncryptedJSONField(default=list)
    decision = models.CharField(
        max_length=20, choices=MentionDecision.choices, default=MentionDecision.PENDING
    )
    reason = models.CharField(max_length=30, choices=DisclosureReason.choices, blank=True)
    note = EncryptedTextField(blank=True)
    # Disclosed because they consented: their reply.
    consent = models.ForeignKey(
        ThirdPartyConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["field", "kind", "person_key"]
        verbose_name = "third-party mention"

    @property
    def is_professional(self) -> bool:
        return self.kind in PROFESSIONAL_KINDS


class Redaction(UUIDModel):
    """One passage redacted from an item, with the exemption relied on for that passage and the
    reviewer's note of why: an item can hold a third party's name and, a line later, something
    whose disclosure would cause serious harm. The passage is copied exactly as it appears in the
    item's snapshot; the original record is never changed."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("item_id",)

    item = models.ForeignKey(BundleItem, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveSmallIntegerField(default=0)
    passage = EncryptedTextField()
    exemption = models.CharField(max_length=30, choices=Exemption.choices)
    exemption_other = EncryptedTextField("the exemption, stated", blank=True)
    opinion_from = EncryptedTextField("whose opinion the serious-harm test rests on", blank=True)
    note = EncryptedTextField("why the exemption applies")

    class Meta:
        ordering = ["position"]
        verbose_name = "redacted passage"

    @property
    def exemption_label(self) -> str:
        return describe_exemption(self.exemption, self.exemption_other)


class Rendering(UUIDModel):
    """One finished render of the bundle, before its password: written in one INSERT when the
    render has succeeded, so a failed or killed render leaves no partial file anywhere. The
    request's ``render_token`` names the current one."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id",)

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="renderings"
    )
    token = models.UUIDField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    pdf = EncryptedBinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at"]


class Release(UUIDModel):
    """The password-protected PDF as released, encrypted at rest under our keys, with the SHA-256
    of exactly those bytes. The password is never stored: a lost password means a new release."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("request_id",)

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, related_name="releases"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    pdf = EncryptedBinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    source_sha256 = models.CharField("SHA-256 of the approved bundle", max_length=64)

    class Meta:
        ordering = ["-created_at"]


class DownloadLink(UUIDModel):
    """A one-time link emailed to the requester. Only the token's hash is kept."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    # Delivery as the requester lived it: the mail server accepted the email; they opened the
    # page; they downloaded the file (once); attempts refused after that.
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_from = models.GenericIPAddressField(null=True, blank=True)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "one-time download link"


class LinkAttempt(models.Model):
    """Each use of the public link pages, by address, for rate limiting across servers."""

    address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"link attempt {self.pk}"
