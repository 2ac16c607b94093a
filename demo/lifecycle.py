"""A record's end, in the demo: a leaver's child-protection file sent to her new school and
waiting for the school's confirmation of receipt (fictional school and people)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from lifecycle import transfer
from records.models import Child, LegalHold, Level, RecordEntry


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
