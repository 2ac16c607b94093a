"""The destruction certificate: a PDF (PDF/UA) that proves a destruction — what kinds of record,
how many, whose (a reference, never a name), under which rule, approved and confirmed by whom,
when. It is made from the destruction's row, which holds no content, so it can be made again at
any time and says the same."""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.pdf import render_html
from records.models import Setting

from .models import Destruction


def certificate_html(destruction: Destruction) -> str:
    return render_to_string(
        "lifecycle/certificate_pdf.html",
        {
            "destruction": destruction,
            "setting": Setting.current(),
            "made_on": timezone.localdate(),
            "css": (Path(__file__).parent.parent / "access_requests" / "pdf.css").read_text(),
        },
    )


def certificate_pdf(destruction: Destruction) -> bytes:
    pdf, _ = render_html(certificate_html(destruction))
    return pdf
