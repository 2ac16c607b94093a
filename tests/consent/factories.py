"""Fictional disclosures, consent records and sharing decisions, made through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from consent import services
from consent.models import ConsentRecord, Disclosure, SharingDecision
from consent.services import DecisionDetails
from records.models import Child, Staff


def decision_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": "share",
        "recipient_kind": "health",
        "recipient_organisation": "Exampletown Health Visiting Team",
        "recipient_person": "Health visitor",
        "purpose": "To plan support for the child's speech together.",
        "lawful_basis": "public_task",
        "necessary_and_proportionate": "Only this term's speech observations are shared.",
        "consent": "given",
        "lsp_procedures": "n/a",
        "service_agreement": "not_applicable",
        "summary": "Uses two-word phrases; understands simple instructions.",
    }
    data.update(overrides)
    return data


def propose(child: Child, author: Staff, **overrides: Any) -> SharingDecision:
    """Overrides are the form's field names: ``decision`` and ``supersedes`` as well as the
    details."""
    data = decision_data(**overrides)
    decision, supersedes = data.pop("decision"), data.pop("supersedes", None)
    return services.propose_sharing(
        child=child,
        author=author.user,
        decision=decision,
        details=DecisionDetails(**data),
        supersedes=supersedes,
    )


def emergency_data(**overrides: Any) -> dict[str, Any]:
    data = decision_data(
        recipient_kind="s47",
        recipient_organisation="Exampleshire Children's Services",
        recipient_person="Duty social worker",
        consent="not_sought",
        no_consent_reason="would_increase_risk",
        no_consent_explanation="The adult collecting the child is the subject of the concern.",
        lawful_basis="legal_obligation",
        lsp_procedures="yes",
    )
    data.pop("decision")
    data.update(
        emergency_reason="An unknown adult tried to collect the child; the child was frightened.",
        shared_what="The incident account and the child's words, by phone.",
        shared_at=timezone.now() - timedelta(minutes=30),
        shared_how="phone",
    )
    data.update(overrides)
    return data


def emergency(child: Child, author: Staff, **overrides: Any) -> SharingDecision:
    data = emergency_data(**overrides)
    share = {
        name: data.pop(name)
        for name in ("emergency_reason", "shared_what", "shared_at", "shared_how")
    }
    return services.record_emergency_share(
        child=child, author=author.user, details=DecisionDetails(**data), **share
    )


def disclosure(child: Child, author: Staff, **overrides: Any) -> Disclosure:
    data: dict[str, Any] = {
        "discloser_kind": "carer",
        "discloser_carer": child.carers.first(),
        "disclosed_at": timezone.now() - timedelta(hours=1),
        "what": "Dad has moved out this week; bedtimes have been hard.",
        "subject_children": [child],
        "subject_carers": [child.carers.first()],
    }
    data.update(overrides)
    return services.record_disclosure(child=child, author=author.user, **data)


def consent(child: Child, author: Staff, **overrides: Any) -> ConsentRecord:
    data: dict[str, Any] = {
        "carer": child.carers.first(),
        "kind": "share",
        "purpose": "health_visitor",
        "status": "given",
        "how": "written",
        "given_at": timezone.now() - timedelta(days=3),
    }
    data.update(overrides)
    return services.record_consent(child=child, author=author.user, **data)
