"""Disclosures, consent records and sharing decisions (issue 3).

Four things the 2024 information-sharing advice keeps apart are kept apart here too:

- **confidentiality** — whether the person who told us, and each person it concerns, regards the
  information as confidential: ``Disclosure.confidentiality`` and
  ``DisclosureSubject.confidentiality``;
- **consent to share** for a purpose, and, as a different thing, **a parent agreeing to a
  service**: ``ConsentRecord`` rows of ``ConsentKind.SHARE`` and ``ConsentKind.SERVICE``
  (and, on a decision, ``SharingDecision.consent`` and ``SharingDecision.service_agreement``);
- **consent as a lawful basis** — ``SharingDecision.lawful_basis``: consent is only one of the
  bases, and a decision may share on another basis whatever the consent;
- **telling the family** — the ``FAMILY_*`` states of a decision, with the reason when they are
  not told.

Every row that holds content has ``child``, ``level`` and ``author`` fields named as on
``records.RecordEntry``, so ``records.policy.entry_q`` decides who may read it (consent.policy).
Names are personal data: ``__str__`` gives a reference only (UUIDModel).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from core import keys
from core.fields import EncryptedBinaryField, EncryptedTextField
from core.models import UUIDModel
from records.models import (
    Carer,
    Child,
    InformedHow,
    Level,
    RecordEntry,
    SettingOwned,
    Staff,
)

# --- disclosures ------------------------------------------------------------------------------


class Confidentiality(models.TextChoices):
    YES = "yes", "Yes, confidential"
    NO = "no", "No, not confidential"
    NOT_ASKED = "not_asked", "Not yet asked"


class SubjectConfidentiality(models.TextChoices):
    YES = "yes", "Yes, confidential"
    NO = "no", "No, not confidential"
    NOT_ASKED = "not_asked", "Not yet asked"
    # The person it concerns is the person who told us: their own answer applies.
    SELF = "self", "They told us themselves"


class DiscloserKind(models.TextChoices):
    CARER = "carer", "A parent or carer of the child"
    RELATIVE = "relative", "Another relative"
    OTHER_PARENT = "other_parent", "Another parent"
    PROFESSIONAL = "professional", "A professional"
    CHILD = "child", "The child"
    OTHER = "other", "Someone else"


class Disclosure(SettingOwned, UUIDModel):
    confide_setting_from = "child"
    """Something someone told the setting, filed on one child's record."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "level", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="disclosures")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.SENSITIVE)
    author = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        related_name="disclosures_recorded",
        verbose_name="recorded by",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    discloser_kind = models.CharField("who told us", max_length=20, choices=DiscloserKind.choices)
    discloser_carer = models.ForeignKey(
        Carer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Name and role of a discloser who is not a carer on our records (e.g. "health visitor").
    discloser_name = EncryptedTextField("name and role of who told us", blank=True)
    received_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="disclosures_received"
    )
    disclosed_at = models.DateTimeField("when they told us")
    what = EncryptedTextField("what they told us")
    entries = models.ManyToManyField(RecordEntry, blank=True, related_name="disclosures")
    children = models.ManyToManyField(
        Child,
        through="DisclosureSubject",
        through_fields=("disclosure", "child"),
        related_name="disclosures_about",
    )
    carers = models.ManyToManyField(
        Carer,
        through="DisclosureSubject",
        through_fields=("disclosure", "carer"),
        related_name="disclosures_about",
    )
    # The discloser's own wish. "Not yet asked" is a task for `received_by` until answered.
    confidentiality = models.CharField(
        "does the person who told us regard it as confidential",
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.NOT_ASKED,
    )
    confidentiality_asked_at = models.DateTimeField(null=True, blank=True)
    confidentiality_asked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-disclosed_at", "-recorded_at"]
        indexes = [models.Index(fields=["child", "level", "disclosed_at"])]


class DisclosureSubject(SettingOwned, UUIDModel):
    confide_setting_from = "disclosure"
    """One person a disclosure concerns, with that person's own confidentiality (third-party
    information is checked "both in terms of the party sharing the information and of the person
    whom the information concerns")."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("disclosure_id", "child_id", "carer_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.disclosure.child_id)

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="subjects")
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    carer = models.ForeignKey(
        Carer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A person not on our records (a new partner, a neighbour...), by name and relationship.
    third_party = EncryptedTextField(blank=True)
    confidentiality = models.CharField(
        max_length=20,
        choices=SubjectConfidentiality.choices,
        default=SubjectConfidentiality.NOT_ASKED,
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    asked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "person a disclosure concerns"
        verbose_name_plural = "people a disclosure concerns"
        constraints = [
            # Exactly one of: a child, a carer, a named third party (whose name is encrypted, so
            # the database can only see that neither foreign key is set).
            models.CheckConstraint(
                condition=~(models.Q(child__isnull=False) & models.Q(carer__isnull=False)),
                name="disclosure_subject_one_person",
            ),
            models.UniqueConstraint(
                fields=["disclosure", "child"], name="disclosure_subject_child_once"
            ),
            models.UniqueConstraint(
                fields=["disclosure", "carer"], name="disclosure_subject_carer_once"
            ),
        ]


# --- consent records --------------------------------------------------------------------------


class ConsentKind(models.TextChoices):
    SHARE = "share", "Consent to share information"
    SERVICE = "service", "Agreement to a service"


class ConsentPurpose(models.TextChoices):
    HEALTH_VISITOR = "health_visitor", "Sharing with the health visitor"
    SCHOOL_TRANSITION = "school_transition", "A transition report to a school"
    FAMILY_SUPPORT = "family_support", "A referral to family support (early help)"
    SPEECH_LANGUAGE = "speech_language", "Speech and language therapy"
    SEND = "send", "Special educational needs support (SENCO, area SENCO)"
    OTHER_SETTING = "other_setting", "Another setting the child attends"
    OTHER = "other", "Other (say which)"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConsentHow(models.TextChoices):
    WRITTEN = "written", "In writing"
    VERBAL = "verbal", "Verbally"


class ConsentRecord(SettingOwned, UUIDModel):
    confide_setting_from = "child"
    """One row of a carer's consent ledger. Append-only: the current state for a carer, child,
    kind and purpose is the latest row; earlier rows are its history."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "carer_id", "level", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="consent_records")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="consent_records")
    # What a consent reveals (e.g. a referral to family support) is sensitive.
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.SENSITIVE)
    author = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="consent_recorded", verbose_name="recorded by"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=ConsentKind.choices, default=ConsentKind.SHARE)
    purpose = models.CharField(max_length=30, choices=ConsentPurpose.choices)
    purpose_other = EncryptedTextField("other purpose", blank=True)
    status = models.CharField(max_length=20, choices=ConsentStatus.choices)
    how = models.CharField(max_length=20, choices=ConsentHow.choices)
    given_at = models.DateTimeField("when")
    note = EncryptedTextField(blank=True)
    evidence = EncryptedBinaryField(blank=True, default=b"")
    evidence_content_type = models.CharField(max_length=50, blank=True)
    evidence_size = models.PositiveIntegerField(default=0)
    evidence_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-given_at", "-recorded_at"]
        verbose_name = "consent record"
        indexes = [models.Index(fields=["carer", "child", "kind", "purpose", "given_at"])]

    @property
    def has_evidence(self) -> bool:
        return self.evidence_size > 0


# --- sharing decisions ------------------------------------------------------------------------


class RecipientKind(models.TextChoices):
    SOCIAL_CARE_S17 = "s17", "Children's social care (section 17, child in need)"
    SOCIAL_CARE_S47 = "s47", "Children's social care (section 47, child protection)"
    POLICE = "police", "Police"
    HEALTH = "health", "Health (health visitor, GP, therapist)"
    SCHOOL = "school", "School or another setting"
    LSP_REFERRAL = "lsp", "Local Safeguarding Partners referral"
    OTHER = "other", "Other"


# Sharing with these is a child protection matter: the decision is child-protection level.
CP_RECIPIENTS = frozenset(
    {RecipientKind.SOCIAL_CARE_S47, RecipientKind.POLICE, RecipientKind.LSP_REFERRAL}
)
# Referrals whose response (acknowledgement in one working day, then the outcome) is tracked.
REFERRAL_RECIPIENTS = frozenset(
    {RecipientKind.SOCIAL_CARE_S17, RecipientKind.SOCIAL_CARE_S47, RecipientKind.LSP_REFERRAL}
)


class DecisionKind(models.TextChoices):
    SHARE = "share", "Share the information"
    NOT_SHARE = "not_share", "Do not share the information"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent (UK GDPR Art. 6(1)(a))"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (Art. 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests (Art. 6(1)(d))"
    PUBLIC_TASK = "public_task", "Public task (Art. 6(1)(e))"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests (Art. 6(1)(f))"


class ConsentToShare(models.TextChoices):
    SOUGHT_GIVEN = "given", "Sought and given"
    SOUGHT_REFUSED = "refused", "Sought and refused"
    NOT_SOUGHT = "not_sought", "Not sought"


class NoConsentReason(models.TextChoices):
    RISK_OF_HARM = "risk_of_harm", "Risk of harm to the child"
    SERIOUS_OFFENCE = "serious_offence", "A serious offence"
    WOULD_INCREASE_RISK = (
        "would_increase_risk",
        "Seeking consent would increase the risk or prejudice an investigation",
    )


class ServiceAgreement(models.TextChoices):
    AGREED = "agreed", "The family agreed to the service"
    DECLINED = "declined", "The family declined the service"
    NOT_ASKED = "not_asked", "Not asked"
    NOT_APPLICABLE = "not_applicable", "Not applicable (no service offered)"


class LspProcedures(models.TextChoices):
    FOLLOWED = "yes", "Followed"
    NOT_FOLLOWED = "no", "Not followed (say why in the explanation)"
    NOT_APPLICABLE = "n/a", "Not applicable"


class LeadDecision(models.TextChoices):
    PENDING = "pending", "Awaiting the Lead"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class DecisionState(models.TextChoices):
    PROPOSED = "proposed", "Awaiting the Lead's approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    SHARED = "shared", "Shared: the family to be told"
    FAMILY_INFORMED = "family_informed", "Shared: the family was told"
    FAMILY_NOT_INFORMED = "family_not_informed", "Shared: the family not told (reason recorded)"


class SharedHow(models.TextChoices):
    SECURE_EMAIL = "secure_email", "Secure email"
    ONLINE_REFERRAL = "online_referral", "Online referral form"
    PHONE = "phone", "Phone (followed up in writing)"
    MEETING = "meeting", "Meeting"
    LETTER = "letter", "Letter"


class ReferralOutcome(models.TextChoices):
    NO_FURTHER_ACTION = "nfa", "No further action"
    EARLY_HELP = "early_help", "Early help"
    CHILD_IN_NEED = "s17", "Child in need assessment (section 17)"
    CHILD_PROTECTION = "s47", "Child protection enquiry (section 47)"
    OTHER = "other", "Other"


class SharingDecision(SettingOwned, UUIDModel):
    confide_setting_from = "child"
    """A decision to share, or not to share, information about a child. Nothing is edited once
    decided: a change is a new decision that ``supersedes`` this one. State changes are
    conditional UPDATEs of the non-encrypted state fields (consent.services)."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "level", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="sharing_decisions")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    author = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        related_name="sharing_proposed",
        verbose_name="proposed by",
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    # The other people concerned.
    other_children = models.ManyToManyField(Child, blank=True, related_name="+")
    other_carers = models.ManyToManyField(Carer, blank=True, related_name="+")
    other_people = EncryptedTextField("other people concerned", blank=True)
    # The information: chosen entries and/or a summary.
    entries = models.ManyToManyField(RecordEntry, blank=True, related_name="sharing_decisions")
    summary = EncryptedTextField("summary of the information", blank=True)
    recipient_kind = models.CharField("recipient", max_length=20, choices=RecipientKind.choices)
    recipient_organisation = EncryptedTextField(blank=True)
    recipient_person = EncryptedTextField("person or role", blank=True)
    purpose = EncryptedTextField()
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    necessary_and_proportionate = EncryptedTextField("why it is necessary and proportionate")
    consent = models.CharField("consent to share", max_length=20, choices=ConsentToShare.choices)
    consent_record = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    no_consent_reason = models.CharField(
        "reason consent was not sought or was overridden",
        max_length=30,
        choices=NoConsentReason.choices,
        blank=True,
    )
    no_consent_explanation = EncryptedTextField(blank=True)
    service_agreement = models.CharField(
        "the family's agreement to a service",
        max_length=20,
        choices=ServiceAgreement.choices,
        default=ServiceAgreement.NOT_APPLICABLE,
    )
    lsp_procedures = models.CharField(
        "Local Safeguarding Partners procedures", max_length=5, choices=LspProcedures.choices
    )
    advice_from = EncryptedTextField("whose advice was sought", blank=True)
    advice_given = EncryptedTextField("the advice given", blank=True)

    state = models.CharField(
        max_length=30, choices=DecisionState.choices, default=DecisionState.PROPOSED
    )
    lead_decision = models.CharField(
        max_length=20, choices=LeadDecision.choices, default=LeadDecision.PENDING
    )
    decided_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rationale = EncryptedTextField("the Lead's rationale", blank=True)

    # Emergency: shared first because a child was at risk, recorded straight after.
    retrospective = models.BooleanField(default=False)
    emergency_reason = EncryptedTextField(blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)

    shared_what = EncryptedTextField("what exactly was shared", blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_how = models.CharField(max_length=20, choices=SharedHow.choices, blank=True)
    shared_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    family_informed_at = models.DateTimeField(null=True, blank=True)
    family_informed_how = models.CharField(max_length=20, choices=InformedHow.choices, blank=True)
    # Who recorded that the family was told, or (the Lead) that they are not to be told.
    family_recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    family_not_informed_reason = EncryptedTextField(blank=True)

    # Referrals to social care or the Local Safeguarding Partners.
    acknowledgement_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=ReferralOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_notes = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = "sharing decision"
        indexes = [
            models.Index(fields=["child", "level", "proposed_at"]),
            models.Index(fields=["lead_decision", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead_decision=LeadDecision.PENDING)
                | models.Q(decided_by__isnull=False, decided_at__isnull=False),
                name="sharing_decided_has_decider",
            ),
            models.CheckConstraint(
                condition=models.Q(retrospective=False) | models.Q(review_due_at__isnull=False),
                name="sharing_retrospective_has_review_due",
            ),
        ]

    @property
    def is_referral(self) -> bool:
        return self.recipient_kind in REFERRAL_RECIPIENTS

    @property
    def is_decided(self) -> bool:
        return self.lead_decision != LeadDecision.PENDING

    @property
    def recipient_display(self) -> str:
        parts = [self.get_recipient_kind_display()]
        named = ", ".join(p for p in (self.recipient_organisation, self.recipient_person) if p)
        return f"{parts[0]}: {named}" if named else parts[0]

    def review_overdue(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.retrospective
            and self.lead_decision == LeadDecision.PENDING
            and self.review_due_at is not None
            and self.review_due_at < now
        )

    def acknowledgement_overdue(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.acknowledgement_due_at is not None
            and self.acknowledged_at is None
            and self.acknowledgement_due_at < now
        )
