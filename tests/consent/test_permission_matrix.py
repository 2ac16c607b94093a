"""Who may reach each consent and sharing page, with every role.

Typed out by hand from DESIGN.md's table ("record a disclosure / propose a sharing decision: Lead,
Deputy all; key person own + room; practitioner room"; "approve or decline: Lead, Deputy only as
acting Lead"; the office reads no content; a superuser nothing) and its edge rules (proposers always
see their own decisions; other child-protection-level decisions stay with the Lead and Deputy) —
never computed from consent.policy. The records matrix's meta-test counts these rows too.

Codes: 200 page shown, 400 form re-shown with errors (allowed; the empty POST was invalid), 404 not
known to exist, 405 wrong method, "login" sent to sign in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from consent import services

from ..factories import a_pdf
from ..records.test_permission_matrix import ROLES, L, _client, row
from . import factories

# `child` is keyperson1's key child in the Sunflower room (the practitioner's room too);
# keyperson2 works in the Bluebell room and is not involved.
MATRIX: list[tuple[str, str, str, dict[str, Any]]] = [
    ("consent:child", "child", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    ("consent:disclosure_create", "child", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    (
        "consent:entry_with_disclosure",
        "child",
        "get",
        row(200, 200, 200, 404, 200, 404, 404, 404, 404),
    ),
    ("consent:decision_create", "child", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    ("consent:emergency_share", "child", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # A sensitive disclosure recorded (and received) by keyperson1.
    (
        "consent:disclosure_detail",
        "disclosure",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    (
        "consent:disclosure_confidentiality",
        "disclosure",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    # The child's carer: consent pages for whoever may see the child, office and IT excepted.
    ("consent:carer", "carer", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    ("consent:consent_create", "carer", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    # A sensitive consent record, with evidence, recorded by the Lead.
    (
        "consent:consent_evidence",
        "consent",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    # A sensitive decision proposed by the room practitioner: the proposer sees their own.
    (
        "consent:decision_detail",
        "decision",
        "get",
        row(200, 200, 200, 404, 200, 404, 404, 404, 404),
    ),
    # Follow-up actions on a decision: the Lead and the Deputy set them.
    (
        "safeguarding:decision_actions",
        "decision",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    # A child-protection decision proposed by keyperson1: Lead, Deputy and the proposer.
    (
        "consent:decision_detail",
        "cp_decision",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    # A child-protection decision proposed by the Lead: Lead and Deputy only, not the key person.
    (
        "consent:decision_detail",
        "lead_cp_decision",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    # An approved decision to share, proposed by keyperson1: the proposer or a manager shares.
    (
        "consent:decision_shared",
        "approved",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    (
        "consent:decision_shared",
        "approved",
        "get",
        row(405, 405, 405, 405, 405, 405, 405, 405, 405),
    ),
    # A section 17 referral proposed by keyperson1, approved and shared.
    (
        "consent:family_informed",
        "referral",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    (
        "consent:family_not_informed",
        "referral",
        "post",
        row(400, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "consent:referral_acknowledged",
        "referral",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    (
        "consent:referral_outcome",
        "referral",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
]

URL_NAMES = {name for name, *_ in MATRIX}


@pytest.fixture
def consent_objects(people) -> dict[str, Any]:
    child = people.child
    disclosure = factories.disclosure(child, people.keyperson1)
    record = factories.consent(
        child,
        people.lead,
        evidence=SimpleUploadedFile("signed.pdf", a_pdf("signed form"), "application/pdf"),
    )
    decision = factories.propose(child, people.practitioner)
    cp_decision = factories.propose(
        child,
        people.keyperson1,
        recipient_kind="s47",
        lsp_procedures="yes",
        consent="not_sought",
        no_consent_reason="risk_of_harm",
        no_consent_explanation="Bruising the child explained as a punishment.",
        lawful_basis="legal_obligation",
    )
    lead_cp_decision = factories.propose(
        child,
        people.lead,
        recipient_kind="police",
        consent="not_sought",
        no_consent_reason="serious_offence",
        no_consent_explanation="A court order was breached at collection.",
        lawful_basis="legal_obligation",
    )
    approved = factories.propose(child, people.keyperson1)
    services.approve_sharing_decision(
        decision=approved, approver=people.lead.user, rationale="Proportionate and agreed."
    )
    referral = factories.propose(
        child, people.keyperson1, recipient_kind="s17", lsp_procedures="yes"
    )
    services.approve_sharing_decision(
        decision=referral, approver=people.lead.user, rationale="Needs family support."
    )
    services.mark_shared(
        decision=referral,
        by=people.keyperson1.user,
        shared_what="The referral form and two entries.",
        shared_at=referral.proposed_at,
        shared_how="online_referral",
    )
    return {
        "child": child,
        "carer": child.carers.first(),
        "disclosure": disclosure,
        "consent": record,
        "decision": decision,
        "cp_decision": cp_decision,
        "lead_cp_decision": lead_cp_decision,
        "approved": approved,
        "referral": referral,
    }


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    ("name", "about", "method", "expected"),
    MATRIX,
    ids=[f"{name}[{about or '-'}]-{method}" for name, about, method, _ in MATRIX],
)
def test_consent_permission_matrix(people, consent_objects, name, about, method, expected):
    # Every consent URL takes the one object's id.
    url = reverse(name, args=[consent_objects[about].pk])
    results = {}
    for role in ROLES:
        client = _client(people, role)
        # Each role's request is undone afterwards, so every role meets the same records.
        sid = transaction.savepoint_create()
        response = getattr(client, method)(url)
        transaction.savepoint_rollback(sid)
        code: Any = response.status_code
        if code == 302 and "/account/sign-in/" in response["Location"]:
            code = L
        results[role] = code
    assert results == expected
