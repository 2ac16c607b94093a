"""A record's end, in the demo: a leaver's child-protection file sent to her new school and
waiting for the school's confirmation of receipt, and a parent's request to correct an entry,
waiting for the Lead's decision (fictional school and people)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from lifecycle import rights, transfer
from lifecycle.models import RightKind
from records.models import Category, Child, LegalHold, Level, RecordEntry


def send_files_on(*, lead: User, leavers: list[Child]) -> list[Any]:
    """Each leaver with a child-protection file and no legal hold: compiled, approved and sent by
    one-time link (the email goes to the demo's mail backend, the console), awaiting receipt."""
    sent = []
    for child in leavers:
        if LegalHold.objects.filter(child=child, lifted_at__isnull=True).exists():
            continue
        if not RecordEntry.objects.filter(child=child, level=Level.CHILD_PROTECTION).exists():
            continue
        started = transfer.start(
            by=lead,
            child=child,
            receiving_setting="Brambleford Primary School",
            dsl_name="Imogen Reyes",
            dsl_email="dsl@brambleford-primary.example",
            dsl_phone="01632 960123",
            current_plan="Child in need plan; the family support worker visits weekly.",
        )
        approved, _ = transfer.approve(by=lead, transfer=started)
        sent.append(
            transfer.send(
                by=lead,
                transfer=approved,
                link_url=lambda token: f"http://localhost:8000/transfer-link/{token}/",
            )
        )
    return sent


def ask_for_a_correction(*, deputy: User, children: list[Child]) -> Any:
    """A parent asks for an accident record to be corrected: recorded by the Deputy a week ago,
    waiting for the Lead's decision."""
    for child in children:
        entry = (
            RecordEntry.objects.filter(child=child, category=Category.ACCIDENT)
            .order_by("-occurred_at")
            .first()
        )
        carer = child.carers.filter(parental_responsibility=True).first()
        if entry is None or carer is None or child.left_on is not None:
            continue
        return rights.record_request(
            by=deputy,
            kind=RightKind.RECTIFICATION,
            child=child,
            requester=carer,
            received_on=timezone.localdate() - timedelta(days=7),
            statement="The accident record says the fall was from the climbing frame. It was "
            "from the low step by the door: I was told so at pick-up, and the bump was small.",
            entries=[entry],
        )
    return None
