"""The consent ledger: a carer's consent to share, or agreement to a service, one row at a time."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.rules import blank, raise_errors, require
from records import services as records_services
from records.models import Carer, Child

from .. import policy
from ..models import ConsentHow, ConsentKind, ConsentPurpose, ConsentRecord, ConsentStatus
from .common import _not_in_future, _staff


def _same_purpose(record: ConsentRecord, purpose: str, purpose_other: str) -> bool:
    if record.purpose != purpose:
        return False
    if purpose != ConsentPurpose.OTHER:
        return True
    return record.purpose_other.strip().lower() == purpose_other.strip().lower()


def current_consent(
    *, carer: Carer, child: Child, kind: str, purpose: str, purpose_other: str = ""
) -> ConsentRecord | None:
    """The latest row for a carer, child, kind and purpose: the current state."""
    rows = ConsentRecord.objects.filter(carer=carer, child=child, kind=kind, purpose=purpose)
    for row in rows.order_by("-given_at", "-recorded_at"):
        if _same_purpose(row, purpose, purpose_other):
            return row
    return None


@transaction.atomic
def record_consent(
    *,
    carer: Carer,
    child: Child,
    author: User,
    kind: str,
    purpose: str,
    status: str,
    how: str,
    given_at: datetime,
    purpose_other: str = "",
    note: str = "",
    evidence: UploadedFile | None = None,
) -> ConsentRecord:
    """Append a row to a carer's consent ledger. Nothing is changed: withdrawing consent is a new
    row, and the latest row is the current state."""
    staff = _staff(author)
    require(policy.can_record_consent(author, child))
    errors: dict[str, str] = {}
    if not child.carers.filter(pk=carer.pk).exists():
        errors["child"] = "This carer does not act for that child."
    if kind not in ConsentKind.values:
        errors["kind"] = "Say whether this is consent to share or agreement to a service."
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = "Choose the purpose."
    elif purpose == ConsentPurpose.OTHER and blank(purpose_other):
        errors["purpose_other"] = "Say what the purpose is."
    if status not in ConsentStatus.values:
        errors["status"] = "Say whether consent was given, refused or withdrawn."
    if how not in ConsentHow.values:
        errors["how"] = "Say how it was given: in writing or verbally."
    _not_in_future(given_at, "given_at", "The date", errors)
    raise_errors(errors)
    current = current_consent(
        carer=carer, child=child, kind=kind, purpose=purpose, purpose_other=purpose_other
    )
    if status == ConsentStatus.WITHDRAWN and (
        current is None or current.status != ConsentStatus.GIVEN
    ):
        errors["status"] = "There is no consent given for this purpose to withdraw."
    if current is not None and given_at < current.given_at:
        when = timezone.localtime(current.given_at).strftime("%d/%m/%Y %H:%M")
        errors["given_at"] = (
            f"The latest record for this purpose is dated {when}: the ledger is kept in order, "
            "so a new row cannot be dated before it."
        )
    record = ConsentRecord(
        carer=carer,
        child=child,
        author=staff,
        kind=kind,
        purpose=purpose,
        purpose_other=purpose_other.strip() if purpose == ConsentPurpose.OTHER else "",
        status=status,
        how=how,
        given_at=given_at,
        note=note.strip(),
    )
    if evidence is not None:
        try:
            content_type, data = records_services.check_attachment(evidence)
        except ValidationError as exc:
            errors["evidence"] = " ".join(exc.messages)
        else:
            record.evidence = data
            record.evidence_content_type = content_type
            record.evidence_size = len(data)
            record.evidence_sha256 = hashlib.sha256(data).hexdigest()
    raise_errors(errors)
    record.save()
    return record
