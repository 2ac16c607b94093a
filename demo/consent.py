"""Demo disclosures, consent records and sharing decisions for ``seed_demo`` (fictional people).

Rows are made directly, with dates in the past, so the pages and the admin look lived in: some
disclosures not yet asked about, consent with a history, and sharing decisions in every state —
awaiting the Lead in the admin, an overdue emergency share, declined, a decision not to share,
approved, shared (a referral awaiting its outcome), the family told and not told, and a decision
that replaces an earlier one.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from consent.models import (
    REFERRAL_RECIPIENTS,
    Confidentiality,
    ConsentRecord,
    DecisionState,
    Disclosure,
    DisclosureSubject,
    LeadDecision,
    SharingDecision,
    SubjectConfidentiality,
)
from consent.services import default_level
from consent.working_days import one_working_day_after
from records.models import Child, InformedHow, Level, RecordEntry, Role, Staff


def _ago(days: float, hours: float = 0) -> datetime:
    return (timezone.now() - timedelta(days=days, hours=hours)).replace(microsecond=0)


def _by_role(staff: dict[str, Staff], role: str) -> list[Staff]:
    return [s for s in staff.values() if s.role == role and s.active]


class _Demo:
    def __init__(self, rng: random.Random, staff: dict[str, Staff], children: list[Child]) -> None:
        self.rng = rng
        leads = _by_role(staff, Role.LEAD)
        deputies = _by_role(staff, Role.DEPUTY)
        if not leads or not deputies:
            raise ValueError("seed_consent_demo needs an active Lead and Deputy in setting_staff")
        self.lead, self.deputy = leads[0], deputies[0]
        self.practitioners = _by_role(staff, Role.PRACTITIONER) or [self.deputy]
        self.children = [c for c in children if c.carers.exists()]
        if not self.children:
            raise ValueError("seed_consent_demo needs children with carers")
        self.order = self.rng.sample(self.children, len(self.children))
        self.next_child = 0

    def child(self) -> Child:
        child = self.order[self.next_child % len(self.order)]
        self.next_child += 1
        return child

    def worker(self, child: Child) -> Staff:
        return child.key_person or self.rng.choice(self.practitioners)

    def entries(self, child: Child, most: int = 2, top: int = Level.SENSITIVE) -> list[RecordEntry]:
        found = list(child.entries.filter(level__lte=top).order_by("-occurred_at")[:6])
        return self.rng.sample(found, min(most, len(found)))

    # --- disclosures --------------------------------------------------------------------------

    def disclosure(
        self,
        child: Child,
        *,
        what: str,
        kind: str = "carer",
        name: str = "",
        asked: str = Confidentiality.NOT_ASKED,
        about_carer: bool = True,
        third_party: str = "",
        days: float = 3,
    ) -> Disclosure:
        carer = child.carers.first()
        staff = self.worker(child)
        disclosure = Disclosure(
            child=child,
            level=Level.SENSITIVE,
            author=staff,
            recorded_at=_ago(days, 1),
            discloser_kind=kind,
            discloser_carer=carer if kind == "carer" else None,
            discloser_name=name,
            received_by=staff,
            disclosed_at=_ago(days, 2),
            what=what,
            confidentiality=asked,
        )
        if asked != Confidentiality.NOT_ASKED:
            disclosure.confidentiality_asked_at = disclosure.recorded_at
            disclosure.confidentiality_asked_by = staff
        disclosure.save()
        entries = self.entries(child, 1)
        if entries:
            disclosure.entries.set(entries)
        DisclosureSubject(disclosure=disclosure, child=child).save()
        if about_carer and carer is not None:
            own = kind == "carer"
            DisclosureSubject(
                disclosure=disclosure,
                carer=carer,
                confidentiality=SubjectConfidentiality.SELF
                if own
                else SubjectConfidentiality.NOT_ASKED,
            ).save()
        if third_party:
            DisclosureSubject(
                disclosure=disclosure,
                third_party=third_party,
                confidentiality=SubjectConfidentiality.YES,
                asked_at=disclosure.recorded_at,
                asked_by=staff,
            ).save()
        return disclosure

    def disclosures(self) -> int:
        made = [
            self.disclosure(
                self.child(),
                what="Mum said dad has moved out and the children stay with her in the week.",
                asked=Confidentiality.YES,
                days=9,
            ),
            self.disclosure(
                self.child(),
                what="Dad mentioned he has lost his job and money is tight this month.",
                days=2,
            ),
            self.disclosure(
                self.child(),
                kind="professional",
                name="Health visitor, Exampletown Health Visiting Team",
                what="The health visitor told us a hearing test is booked; they have some concerns.",
                asked=Confidentiality.NO,
                days=15,
            ),
            self.disclosure(
                self.child(),
                kind="other_parent",
                name="A parent of another child in the room",
                what="Another parent said there was shouting at the family's flat late at night.",
                third_party="Mother's new partner",
                about_carer=True,
                days=1,
            ),
            self.disclosure(
                self.child(),
                kind="child",
                what="Said that nanny smacks when the TV is too loud.",
                about_carer=False,
                third_party="Grandmother (not on our records)",
                days=0.5,
            ),
        ]
        return len(made)

    # --- consent ---------------------------------------------------------------------------

    def consent_row(self, child: Child, **fields: Any) -> ConsentRecord:
        row = ConsentRecord(
            carer=fields.pop("carer", child.carers.first()),
            child=child,
            author=fields.pop("author", self.worker(child)),
            **fields,
        )
        row.recorded_at = row.given_at + timedelta(minutes=20)
        row.save()
        return row

    def consents(self) -> int:
        rows = 0
        for child in self.children[: max(4, len(self.children) // 2)]:
            self.consent_row(
                child, purpose="health_visitor", status="given", how="written", given_at=_ago(120)
            )
            rows += 1
        history_child = self.children[0]
        self.consent_row(
            history_child,
            purpose="speech_language",
            status="given",
            how="written",
            given_at=_ago(80),
            note="Signed the referral form at settling-in.",
        )
        self.consent_row(
            history_child,
            purpose="speech_language",
            status="withdrawn",
            how="verbal",
            given_at=_ago(20),
            note="Dad asked us to wait until after the hearing test.",
        )
        self.consent_row(
            history_child,
            purpose="speech_language",
            status="given",
            how="written",
            given_at=_ago(4),
            note="Hearing test clear; consent given again.",
        )
        rows += 3
        other = self.children[1 % len(self.children)]
        self.consent_row(
            other, purpose="school_transition", status="refused", how="verbal", given_at=_ago(30)
        )
        self.consent_row(
            other,
            kind="service",
            purpose="family_support",
            status="given",
            how="written",
            given_at=_ago(12),
            note="Agreed to meet the Family Hub worker (this is not consent to share).",
        )
        self.consent_row(
            other,
            purpose="other",
            purpose_other="Sharing with the child's childminder",
            status="given",
            how="written",
            given_at=_ago(40),
        )
        return rows + 3

    # --- sharing decisions ------------------------------------------------------------------

    def decision(self, child: Child, author: Staff, days: float, **fields: Any) -> SharingDecision:
        entries = fields.pop("entries", None)
        if entries is None:
            entries = self.entries(child)
        fields.setdefault("summary", "" if entries else "A short summary of the concern.")
        recipient = fields["recipient_kind"]
        fields.setdefault("lsp_procedures", "yes" if recipient in REFERRAL_RECIPIENTS else "n/a")
        level = default_level(entries=entries, recipient_kind=recipient)
        decision = SharingDecision(
            child=child, author=author, proposed_at=_ago(days), level=level, **fields
        )
        decision.save()
        if entries:
            decision.entries.set(entries)
        return decision

    def decide(
        self, decision: SharingDecision, verdict: str, rationale: str, days: float
    ) -> SharingDecision:
        decision.lead_decision = verdict
        if not decision.retrospective:
            decision.state = verdict
        decision.decided_by = self.lead
        decision.decided_at = _ago(days)
        decision.rationale = rationale
        decision.save()
        return decision

    def share(self, decision: SharingDecision, what: str, how: str, days: float) -> None:
        decision.state = DecisionState.SHARED
        decision.shared_at = _ago(days)
        decision.shared_how = how
        decision.shared_by = decision.author
        decision.shared_what = what
        if decision.is_referral:
            decision.acknowledgement_due_at = one_working_day_after(decision.shared_at)
        decision.save()

    def decisions(self) -> int:
        basics = {
            "necessary_and_proportionate": "Only what the recipient needs for this purpose.",
        }
        made = 0
        # Awaiting the Lead's approval in the admin.
        child = self.child()
        self.decision(
            child,
            self.worker(child),
            1,
            decision="share",
            recipient_kind="health",
            recipient_organisation="Exampletown Health Visiting Team",
            recipient_person="Health visitor",
            purpose="To plan support for the child's speech together.",
            lawful_basis="consent",
            consent="given",
            **basics,
        )
        child = self.child()
        self.decision(
            child,
            self.worker(child),
            0.2,
            decision="share",
            recipient_kind="s17",
            recipient_organisation="Exampleshire Children's Services",
            recipient_person="Front door duty team",
            purpose="A child in need referral: housing and money worries affecting the child.",
            lawful_basis="public_task",
            consent="given",
            service_agreement="agreed",
            advice_from="Local authority early years safeguarding adviser",
            advice_given="Meets the threshold for a section 17 assessment; refer with consent.",
            **basics,
        )
        made += 2
        # An emergency share, recorded straight after, whose review is overdue.
        child = self.child()
        emergency = self.decision(
            child,
            self.deputy,
            4,
            decision="share",
            recipient_kind="s47",
            recipient_organisation="Exampleshire Children's Services",
            recipient_person="Duty social worker",
            purpose="Immediate concern for the child's safety at collection.",
            lawful_basis="legal_obligation",
            consent="not_sought",
            no_consent_reason="would_increase_risk",
            no_consent_explanation="The adult at collection was the subject of the concern.",
            retrospective=True,
            emergency_reason="An adult who had been drinking tried to collect the child.",
            review_due_at=one_working_day_after(_ago(4)),
            **basics,
        )
        self.share(emergency, "The account of what happened at collection.", "phone", 4)
        made += 1
        # Declined, and a new proposal that replaces it.
        child = self.child()
        declined = self.decision(
            child,
            self.worker(child),
            20,
            decision="share",
            recipient_kind="school",
            recipient_organisation="Example Primary School",
            recipient_person="Reception class teacher",
            purpose="Transition report before the summer.",
            lawful_basis="consent",
            consent="given",
            **basics,
        )
        self.decide(
            declined,
            LeadDecision.DECLINED,
            "Too early: the school place is not confirmed. Propose again in June.",
            18,
        )
        self.decision(
            child,
            self.worker(child),
            2,
            decision="share",
            recipient_kind="school",
            recipient_organisation="Example Primary School",
            recipient_person="Reception class teacher",
            purpose="Transition report: the school place is now confirmed.",
            lawful_basis="consent",
            consent="given",
            supersedes=declined,
            **basics,
        )
        made += 2
        # A decision not to share, approved.
        child = self.child()
        not_share = self.decision(
            child,
            self.worker(child),
            25,
            decision="not_share",
            recipient_kind="other",
            recipient_organisation="A solicitor acting for the other parent",
            purpose="The solicitor asked for the child's attendance record and observations.",
            lawful_basis="legitimate_interests",
            consent="refused",
            **basics,
        )
        self.decide(
            not_share,
            LeadDecision.APPROVED,
            "No court order; mum refused; nothing shows a risk that would justify sharing.",
            24,
        )
        made += 1
        # Approved, not yet shared.
        child = self.child()
        approved = self.decision(
            child,
            self.worker(child),
            3,
            decision="share",
            recipient_kind="health",
            recipient_organisation="Community paediatrics",
            purpose="Developmental review letter requested by the paediatrician.",
            lawful_basis="consent",
            consent="given",
            **basics,
        )
        self.decide(approved, LeadDecision.APPROVED, "Consent on file; proportionate.", 2)
        made += 1
        # A referral approved and shared: acknowledged, outcome awaited; the family to be told.
        child = self.child()
        referral = self.decision(
            child,
            self.worker(child),
            10,
            decision="share",
            recipient_kind="lsp",
            recipient_organisation="Local Safeguarding Partners (multi-agency front door)",
            purpose="Referral following repeated unexplained bruising.",
            lawful_basis="legal_obligation",
            consent="not_sought",
            no_consent_reason="risk_of_harm",
            no_consent_explanation="Bruising on three occasions with changing explanations.",
            **basics,
        )
        self.decide(referral, LeadDecision.APPROVED, "Threshold met; LSP procedure followed.", 10)
        self.share(
            referral, "The referral form, the body maps and three entries.", "online_referral", 9
        )
        referral.acknowledged_at = _ago(8)
        referral.acknowledgement_recorded_by = self.lead
        referral.save()
        made += 1
        # Shared and the family told; shared and the family not told (the Lead's reason).
        child = self.child()
        told = self.decision(
            child,
            self.worker(child),
            40,
            decision="share",
            recipient_kind="health",
            recipient_organisation="Speech and language therapy",
            purpose="Referral for speech and language therapy.",
            lawful_basis="consent",
            consent="given",
            **basics,
        )
        self.decide(told, LeadDecision.APPROVED, "Parents asked for the referral.", 39)
        self.share(told, "The referral form and two observations.", "secure_email", 38)
        told.state = DecisionState.FAMILY_INFORMED
        told.family_informed_at = _ago(37)
        told.family_informed_how = InformedHow.IN_PERSON
        told.family_recorded_by = told.author
        told.save()
        child = self.child()
        untold = self.decision(
            child,
            self.lead,
            6,
            decision="share",
            recipient_kind="police",
            recipient_organisation="Exampleshire Police, child abuse investigation team",
            purpose="The police asked for our records of what the child said.",
            lawful_basis="legal_obligation",
            consent="not_sought",
            no_consent_reason="serious_offence",
            no_consent_explanation="A criminal investigation is under way.",
            **basics,
        )
        self.decide(untold, LeadDecision.APPROVED, "Requested under a live investigation.", 6)
        self.share(untold, "Copies of two entries, handed to the officer.", "meeting", 5)
        untold.state = DecisionState.FAMILY_NOT_INFORMED
        untold.family_recorded_by = self.lead
        untold.family_not_informed_reason = "The police asked us not to tell the family yet."
        untold.save()
        return made + 2


def seed_consent_demo(
    *, rng: random.Random, setting_staff: dict[str, Staff], children: list[Child]
) -> dict[str, int]:
    """Add demo disclosures, consent records and sharing decisions. ``setting_staff`` needs an
    active Lead and Deputy (found by role; the keys do not matter); ``children`` should have
    carers, key persons and some record entries. Returns how many of each were made."""
    demo = _Demo(rng, setting_staff, children)
    return {
        "disclosures": demo.disclosures(),
        "consent_records": demo.consents(),
        "sharing_decisions": demo.decisions(),
    }
