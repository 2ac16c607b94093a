"""Free text is encrypted at rest, bound to its row, and never in the audit log in plain text."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.db import connection

from consent import services

from .factories import consent, disclosure, propose

pytestmark = pytest.mark.django_db

SECRETS = {
    "what": "Grandad hits the dog when he has been drinking.",
    "third_party": "Uncle Testperson, lives next door",
    "purpose": "Referral about the drinking at home.",
    "summary": "Three entries about fear at collection time.",
    "rationale": "The threshold is met; consent would increase the risk.",
    "note": "Signed at the gate, witnessed by the key person.",
}


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return repr(cursor.fetchall())


def test_raw_columns_hold_no_plaintext_and_the_audit_log_none_either(people):
    told = disclosure(
        people.child,
        people.keyperson1,
        what=SECRETS["what"],
        third_parties=[SECRETS["third_party"]],
    )
    decision = propose(
        people.child, people.keyperson1, purpose=SECRETS["purpose"], summary=SECRETS["summary"]
    )
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale=SECRETS["rationale"]
    )
    consent(people.child, people.keyperson1, note=SECRETS["note"])

    stored = "".join(
        _raw_rows(t)
        for t in (
            "consent_disclosure",
            "consent_disclosuresubject",
            "consent_sharingdecision",
            "consent_consentrecord",
        )
    )
    for secret in SECRETS.values():
        assert secret not in stored
    log = repr(
        list(LogEntry.objects.values("changes", "changes_text", "additional_data", "object_repr"))
    )
    for secret in SECRETS.values():
        assert secret not in log
    reprs = LogEntry.objects.values_list("object_repr", flat=True)
    assert not [r for r in reprs if people.child.first_name in r]
    # Yet each reads back for whoever may read it.
    assert told.subjects.filter(third_party__isnull=False).count() >= 1
    decision.refresh_from_db()
    assert decision.rationale == SECRETS["rationale"]
    assert decision.summary == SECRETS["summary"]


def test_a_ciphertext_moved_to_another_decision_fails_to_decrypt(people):
    from core.crypto import DecryptionError

    first = propose(people.child, people.keyperson1, purpose="First purpose.")
    second = propose(people.child, people.keyperson1, purpose="Second purpose.")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consent_sharingdecision SET purpose = "
            "(SELECT purpose FROM consent_sharingdecision WHERE id = %s) WHERE id = %s",
            [
                first.pk.hex if connection.vendor == "sqlite" else first.pk,
                second.pk.hex if connection.vendor == "sqlite" else second.pk,
            ],
        )
    moved = type(second).objects.get(pk=second.pk)
    with pytest.raises(DecryptionError):
        _ = moved.purpose
