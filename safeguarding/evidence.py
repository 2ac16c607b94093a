"""The policy evidence pack: each commitment of the policy (10.9 Confidentiality and Client Access
to Records, as the nine rules of the design brief put it) beside the live evidence from the
reports — the same figures, by the same small-number rule (safeguarding.reports), and what waits
or is overdue — for the Lead to hand to the trustees or an inspector.

The page shows it; the PDF (WeasyPrint, made in the request: a few pages of tables) carries the
setting's name, the date and "Confidential" on every page, and its download is audited with the
period and the SHA-256 of the file, never a name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from access_requests.pdf import render_html
from audit.log import log_event
from core.rules import require

from . import policy, reports
from .events import Event
from .periods import Period
from .small_numbers import Figure


@dataclass(frozen=True)
class Item:
    """Rows of a report's table given as evidence (all of them when ``rows`` is empty);
    ``waiting``: rows that are work still to do, or overdue, when not 0."""

    table: str
    rows: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    number: int
    title: str
    rule: str  # the rule as the software enforces it (the design brief)
    policy: str  # the policy's own words
    how: str  # how Confide keeps to it
    items: tuple[Item, ...]
    chain: bool = False  # the audit chain's last verification is evidence for it


RULES: tuple[Rule, ...] = (
    Rule(
        1,
        "Three levels of sensitivity",
        "Every record entry is general (progress and well-being: the staff involved in the "
        "child's care), sensitive (the Lead, the Deputy and the child's key person) or child "
        "protection (the Lead and the Deputy only). Anyone else needs a need-to-know grant from "
        "the Lead or the Deputy, with a reason and an end date; the grant and its use are audited.",
        "Our staff discuss children's general progress and well-being together in meetings, but "
        "more sensitive information is restricted to our Lead and Deputy Lead Practitioner and "
        "the child's key person and is shared with other staff on a need-to-know basis.",
        "The level is chosen as an entry is written, never below its category's default, and "
        "sealed with the entry. Every list, search, count and page asks one access policy. A "
        "grant stops at its end at once, with no job to run.",
        (Item("entries"), Item("grants")),
    ),
    Rule(
        2,
        "Not discussed with staff who are not involved",
        "A practitioner who is not involved in a child's care does not see that the child's "
        "sensitive records exist (list pages, search and counts included).",
        "We do not discuss children with staff who are not involved in the child's care, nor "
        "with other parents or anyone else outside of the setting.",
        "Someone who may not read a record gets the same 'not found' as for a record that does "
        "not exist, and the attempt is audited. In an emergency a practitioner may open a "
        "child's records (break-glass), with a reason; the Lead and the Deputy are told at once "
        "and review it.",
        (Item("audit", rows=("refused",)), Item("break_glass", waiting=("awaiting",))),
    ),
    Rule(
        3,
        "Ask whether it is confidential",
        "Every disclosure records who disclosed it, about whom, and whether the person regards "
        "it as confidential: yes, no, or not yet asked (a task until asked) — for the party who "
        "shared it and for the person it concerns.",
        "We always check whether parents regard the information they share with us to be "
        "confidential or not. […] our practitioners and managers check if it is confidential, "
        "both in terms of the party sharing the information and of the person whom the "
        "information concerns.",
        "'Not yet asked' stays on the dashboard of the person who received the disclosure until "
        "it is answered.",
        (Item("disclosures", waiting=("teller_not_asked", "concerned_not_asked")),),
    ),
    Rule(
        4,
        "Share with informed consent, or record why not",
        "Sharing with other professionals, social care, the police or a Local Safeguarding "
        "Partners referral is a sharing decision: what, with whom, why, the lawful basis, "
        "whether consent was sought and given or refused, and where it was not sought or was "
        "overridden, the reason and whose advice was taken. The Lead approves or declines it "
        "with a rationale. In an emergency the Lead or the Deputy may share first and record "
        "straight after.",
        "Share with informed consent where appropriate and, where possible, respect the wishes "
        "of those who do not consent to share confidential information. […] Normally parents "
        "should give informed consent before information is shared, but in some instances, such "
        "as if this may place a child at risk, or a serious offence has been committed, parental "
        "consent should not be sought before information is shared.",
        "A decision waits for the Lead's approval before anything is shared; an emergency share "
        "is due for the Lead's review within one working day; a referral's acknowledgement is "
        "expected within one working day and shows as overdue after it.",
        (
            Item("decision_outcomes", waiting=("awaiting", "emergency_awaiting")),
            Item("lawful_bases"),
            Item("referrals", waiting=("overdue",)),
        ),
    ),
    Rule(
        5,
        "Tell parents what is recorded",
        "When confidential information beyond general personal information is recorded, the "
        "entry tracks whether the parent was informed, when and by whom — or the Lead's reason "
        "for not informing (it would put the child at risk).",
        "We inform parents when we need to record confidential information beyond the general "
        "personal information we keep — for example with regard to any injuries, concerns or "
        "changes in relation to the child or the family, any discussions with parents on "
        "sensitive matters, any records we are obliged to keep regarding action taken in respect "
        "of child protection and any contact and correspondence with external agencies in "
        "relation to their child.",
        "An entry whose parent is still to be told stays on the dashboard until they are; only "
        "the Lead (or the acting Lead) may decide a parent is not told, and must record why.",
        (Item("parents_told", waiting=("to_inform",)),),
    ),
    Rule(
        6,
        "Nothing is rewritten",
        "Entries, consent records and decisions are append-only: a correction is a new "
        "amendment with a reason, and the original stays. Nothing is deleted except by the "
        "retention schedule, with a destruction log the Lead approves that keeps no content.",
        "We have record keeping systems in place that meet legal requirements; the means that "
        "we use to store and share that information takes place within the framework of the "
        "General Data Protection Regulations (2018) and the Human Rights Act (1998).",
        "There is no way to edit what was written: a correction is an amendment, with its "
        "reason, shown beside the original.",
        (Item("amendments"),),
    ),
    Rule(
        7,
        "Client access",
        "A parent may ask for the records held on their child and family. The request is logged "
        "with the date received; identity and parental responsibility are checked; the deadline "
        "is one calendar month (extendable by up to two months for a complex request, with the "
        "parent told why); third-party information and information that would put a child at "
        "risk are redacted or withheld; the Lead approves; the parent receives a PDF; the "
        "setting keeps an exact copy of what was sent.",
        "Parents may request access to any confidential records we hold on their child and "
        "family […] The parent is the 'subject' of the file in the case where a child is too "
        "young to give 'informed consent' and has a right to see information that our setting "
        "has compiled on them.",
        "The deadline is counted from the day identity was confirmed, by England-and-Wales "
        "working days, and stands still while the setting waits for clarification.",
        (Item("requests", waiting=("open_late",)),),
    ),
    Rule(
        8,
        "Everything is audited",
        "Every change, every read of sensitive or child protection content, every grant, "
        "decision, download and failed sign-in is in an audit log that nobody can edit, and "
        "whose tampering is detectable.",
        "Confidential information and records about staff and children must be held securely "
        "and only accessible and available to those who have a right or professional need to "
        "see them.",
        "Each event is sealed into a hash chain as it is written; the chain is checked every few "
        "minutes, and in full each day, against anchors kept outside the database.",
        (Item("audit", rows=("reads", "refused")),),
        chain=True,
    ),
    Rule(
        9,
        "Held securely",
        "Free text, attachments and generated PDFs are encrypted at rest with rotatable keys; "
        "the audit log never holds the plain text of an encrypted field; two-factor sign-in; "
        "lockout after repeated failures; idle sessions end.",
        "We keep all records securely (see our Children's Records Policy and Privacy Notice).",
        "Each encrypted value is bound to its row and to the columns that decide who may read "
        "it: one moved or changed behind the application's back fails loudly, and is audited.",
        (
            Item(
                "audit", rows=("failed_sign_ins", "locked_out", "integrity"), waiting=("integrity",)
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Line:
    """One figure row given as evidence: its table's row, with a flag when it is work waiting
    (or overdue) and not 0 in some part of the period."""

    table: str
    label: str
    figures: tuple[Figure, ...]
    waiting: bool


@dataclass(frozen=True)
class Group:
    """The lines given from one table of the reports."""

    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class RuleEvidence:
    rule: Rule
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Pack:
    report: reports.Report
    rules: tuple[RuleEvidence, ...]

    @property
    def waiting(self) -> list[Line]:
        """Every line that is work still to do, or overdue: the pack's first page."""
        return [
            line
            for found in self.rules
            for group in found.groups
            for line in group.lines
            if line.waiting
        ]


def _group(report: reports.Report, item: Item) -> Group:
    table = report.tables[item.table]
    rows = [table.row(key) for key in item.rows] if item.rows else list(table.rows)
    return Group(
        title=table.title,
        lines=tuple(
            Line(
                table=table.title,
                label=row.label,
                figures=row.figures,
                waiting=row.key in item.waiting and not all(f.is_zero for f in row.figures),
            )
            for row in rows
        ),
    )


def pack_for(user: User, period: Period) -> Pack:
    report = reports.report_for(user, period)
    return Pack(
        report=report,
        rules=tuple(
            RuleEvidence(rule, tuple(_group(report, item) for item in rule.items)) for rule in RULES
        ),
    )


def filename(period: Period) -> str:
    stamp = timezone.localdate().isoformat()
    return f"evidence-pack-{slugify(period.slug)}-{stamp}.pdf"


def pack_pdf(*, by: User, period: Period, request: HttpRequest | None = None) -> bytes:
    """The pack as a tagged PDF, made now; its download is audited with the period and the
    file's SHA-256."""
    require(policy.can_read_reports(by))
    pack = pack_for(by, period)
    html = render_to_string(
        "safeguarding/evidence_pdf.html",
        {
            "pack": pack,
            "report": pack.report,
            "css": (Path(__file__).parent.parent / "access_requests" / "pdf.css").read_text(),
        },
    )
    pdf, _ = render_html(html)
    log_event(
        actor=by,
        event=Event.EVIDENCE_PACK_DOWNLOADED,
        request=request,
        detail={
            "period": period.slug,
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "sha256": hashlib.sha256(pdf).hexdigest(),
        },
    )
    return pdf
