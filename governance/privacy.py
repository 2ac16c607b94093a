"""The privacy notice, made from the setting's own data: who the setting is, what Confide holds and
why, the lawful bases, the recipients it has shared with (from the sharing decisions carried out),
how long each kind is kept (the retention schedule), the rights, and the ICO. The same text is the
"How we use personal data" part of every subject-access file (includes/privacy_notice_body.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.pdf import render_html
from consent.models import RecipientKind, SharingDecision
from records import retention
from records.models import Setting


def context() -> dict[str, Any]:
    shared = set(
        SharingDecision.objects.filter(shared_at__isnull=False)
        .values_list("recipient_kind", flat=True)
        .distinct()
    )
    return {
        "setting": Setting.current(),
        "retention_rules": retention.rules(),
        "recipient_kinds": [label for value, label in RecipientKind.choices if value in shared],
        "today": timezone.localdate(),
    }


def notice_pdf() -> bytes:
    html = render_to_string(
        "governance/privacy_notice_pdf.html",
        {
            **context(),
            "css": (Path(__file__).parent.parent / "access_requests" / "pdf.css").read_text(),
        },
    )
    pdf, _ = render_html(html)
    return pdf
