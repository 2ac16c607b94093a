"""State changes for disclosures, consent records and sharing decisions: one rule each, inside a
transaction, audit included.

django-auditlog records every create and ``save()`` (encrypted fields redacted). State transitions
are conditional UPDATEs — ``filter(state=...).update(...)`` and a check of the count — so a second
decision on an already decided proposal is refused on SQLite and PostgreSQL alike; auditlog does not
see bulk updates, so each transition also writes its own audit event. Encrypted fields are never in
those UPDATEs: they are set afterwards with ``save(update_fields=...)``, bound to their row.

- ``disclosures``: what someone told us, and whether it is confidential (asked then or later);
- ``consent_records``: a carer's consent ledger, one appended row at a time;
- ``sharing``: a decision to share or not, proposed and approved or declined by the Lead, or
  recorded after an emergency share; then what was shared, when and how;
- ``after_sharing``: telling the family (or the Lead's decision not to), and a referral's
  acknowledgement and outcome.
"""

from .after_sharing import (
    SHARED_STATES,
    decide_family_not_informed,
    record_family_informed,
    record_referral_acknowledged,
    record_referral_outcome,
)
from .consent_records import current_consent, record_consent
from .disclosures import answer_confidentiality, record_disclosure, record_entry_with_disclosure
from .sharing import (
    DecisionDetails,
    approve_sharing_decision,
    decline_sharing_decision,
    default_level,
    mark_shared,
    propose_sharing,
    record_emergency_share,
)

__all__ = [
    "record_disclosure",
    "record_entry_with_disclosure",
    "answer_confidentiality",
    "current_consent",
    "record_consent",
    "DecisionDetails",
    "default_level",
    "propose_sharing",
    "record_emergency_share",
    "approve_sharing_decision",
    "decline_sharing_decision",
    "mark_shared",
    "record_family_informed",
    "decide_family_not_informed",
    "SHARED_STATES",
    "record_referral_acknowledged",
    "record_referral_outcome",
]
