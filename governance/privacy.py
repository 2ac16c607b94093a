"""The privacy notice, made from the setting's own data: who the setting is, what Confide holds and
why, the lawful bases, the recipients it has shared with (from the sharing decisions carried out),
how long each kind is kept (the retention schedule), the rights, and the ICO. The same text is the
"How we use personal data" part of every subject-access file (includes/privacy_notice_body.html)."""

from __future__ import annotations

from dataclasses import dataclass
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


# --- the record of processing and the appropriate policy document -----------------------------


@dataclass(frozen=True)
class Activity:
    """One kind of processing, as the record of processing (Article 30) lists it."""

    name: str
    people: str
    data: str
    purpose: str
    lawful_basis: str
    # Article 9 / 10 condition and DPA 2018 Schedule 1 paragraph, for special-category data.
    condition: str
    # The retention schedule's lines that apply (records.retention codes).
    rules: tuple[str, ...]
    special: bool = False


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        "The register and the child's file",
        "Children, and their parents and carers",
        "Names, dates of birth, contact details, parental responsibility, court orders, "
        "progress and well-being",
        "Caring for and educating children under the EYFS",
        "Article 6(1)(c) legal obligation (EYFS, Childcare Act 2006); 6(1)(e) public task",
        "",
        (retention.GENERAL,),
    ),
    Activity(
        "Accidents, injuries and health",
        "Children",
        "Accidents and injuries (with body maps), allergies and health needs",
        "Keeping children safe and well; the EYFS accident record",
        "Article 6(1)(c) legal obligation",
        "Article 9(2)(h) health and social care; DPA 2018 Schedule 1 paragraph 2",
        (retention.ACCIDENT,),
        special=True,
    ),
    Activity(
        "Safeguarding and child protection",
        "Children, their families, and others named",
        "Concerns, disclosures, child-protection records, referrals and sharing decisions",
        "Keeping children safe (Working Together to Safeguard Children; KCSIE as good practice)",
        "Article 6(1)(c) legal obligation; 6(1)(e) public task",
        "Article 9(2)(g) substantial public interest; DPA 2018 Schedule 1 paragraph 18 "
        "(safeguarding of children and of individuals at risk)",
        (retention.CHILD_PROTECTION, retention.GENERAL),
        special=True,
    ),
    Activity(
        "Consent and information sharing",
        "Children, parents and carers",
        "Consent records, disclosures' confidentiality, decisions to share and their reasons",
        "Sharing with informed consent, or recording why not when a child is at risk",
        "Article 6(1)(a) consent where asked; 6(1)(c) and (e) otherwise",
        "Article 9(2)(g); DPA 2018 Schedule 1 paragraph 18",
        (retention.GENERAL,),
        special=True,
    ),
    Activity(
        "Subject-access requests",
        "Parents, carers, staff",
        "The request, identity checks, the file sent",
        "Answering requests for information (UK GDPR Article 15)",
        "Article 6(1)(c) legal obligation",
        "",
        (retention.SUBJECT_ACCESS,),
    ),
    Activity(
        "Staff records",
        "Staff",
        "Personnel files, supervision, DBS certificate numbers and dates",
        "Safer recruitment and employment (EYFS, KCSIE)",
        "Article 6(1)(b) contract; 6(1)(c) legal obligation",
        "Article 10 criminal offence data (DBS); DPA 2018 Schedule 1 paragraphs 1 and 6",
        (retention.STAFF, retention.DBS),
        special=True,
    ),
)


def record_context() -> dict[str, Any]:
    """The record of processing and the appropriate policy document, from the activities above,
    the setting, its retention schedule and the recipients it has shared with."""
    rules = {rule.code: rule for rule in retention.rules()}
    rows = [
        (activity, [rules[code] for code in activity.rules if code in rules])
        for activity in ACTIVITIES
    ]
    return {
        **context(),
        "rows": rows,
        "special": [(a, kept) for a, kept in rows if a.special],
    }
