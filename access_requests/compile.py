"""Compiling a request's bundle: a snapshot of everything in scope for its subjects.

``policy.scope_for`` decides what is in scope; this module copies each record's text as it stands
now into ``BundleItem`` rows (encrypted under our keys), so the review works on a fixed copy and
the original records are never touched. Third-party information is found from the consent ledger:

- a disclosure told by someone who is not a subject (and not a professional acting in their
  role), or concerning a person who is not a subject;
- a sharing decision naming other children, other carers or other people;
- a consent record given by a carer who is not a subject;
- any record whose text contains the name of a third party found above, and any entry linked to a
  third-party disclosure.

Such items are marked for review with the names found, so the reviewer can redact them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.db.models import Prefetch
from django.utils import timezone

from consent.models import (
    DiscloserKind,
    Disclosure,
    DisclosureSubject,
    SharingDecision,
)
from core.dates import long_datetime
from records import body_map
from records.models import Attachment, Carer, Child, Level, RecordEntry, Staff
from records.selectors import with_amendments

from .attachments import searchable
from .models import (
    PROFESSIONAL_KINDS,
    BundleItem,
    DisclosureReason,
    ItemKind,
    MentionDecision,
    PersonKind,
    SubjectAccessRequest,
    ThirdPartyMention,
)
from .policy import Scope, scope_for
from .third_parties import directory_for, ledger_key
from .third_parties import subjects_of as subjects_of_request


def _when(moment: datetime) -> str:
    return long_datetime(timezone.localtime(moment))


@dataclass
class _ThirdParties:
    """Third-party names by the record they came from, and every name found."""

    by_source: dict[Any, set[str]] = field(default_factory=lambda: defaultdict(set))
    why: dict[Any, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def add(self, source_id: UUID | str, name: str, why: str) -> None:
        # "Jordan Smith (neighbour), via mum" is looked for as "Jordan Smith" too.
        name = name.strip()
        short = re.split(r"[(,;\n]| - ", name, maxsplit=1)[0].strip()
        for found in {name, short} - {""}:
            self.by_source[source_id].add(found)
            if len(found) >= 4:
                self.names.add(found)
        self.why.setdefault(source_id, why)


@dataclass(frozen=True)
class StaffItem:
    """Something an app above keeps about a member of staff, for their own request's file."""

    source_id: Any
    occurred_at: datetime
    title: str
    body: str
    level: int = Level.CHILD_PROTECTION

    @property
    def pk(self) -> Any:
        return self.source_id


# Sources of items about a member of staff that access_requests cannot import (governance: the
# allegations about them). Each is reviewed item by item, with the exemptions, by whoever handles
# the request — the handler of the allegations too.
_staff_item_sources: list[Callable[[Staff], list[StaffItem]]] = []


def register_staff_items(source: Callable[[Staff], list[StaffItem]]) -> None:
    if source not in _staff_item_sources:
        _staff_item_sources.append(source)


def subjects_of(request: SubjectAccessRequest) -> tuple[list[Child], list[Carer], Staff | None]:
    return list(request.children.all()), list(request.carers.all()), request.staff_subject


def _scope(request: SubjectAccessRequest) -> tuple[Scope, list[Child], list[Carer]]:
    children, carers, staff = subjects_of(request)
    return scope_for(children=children, carers=carers, staff=staff), children, carers


def _disclosure_third_parties(
    disclosures: list[Disclosure], child_ids: set[Any], carer_ids: set[Any], found: _ThirdParties
) -> None:
    for d in disclosures:
        told_by_subject = d.discloser_carer_id in carer_ids or (
            d.discloser_kind == DiscloserKind.CHILD
        )
        if not told_by_subject and d.discloser_kind != DiscloserKind.PROFESSIONAL:
            name = d.discloser_carer.full_name if d.discloser_carer else d.discloser_name
            found.add(d.pk, name, f"told us by a third party ({d.get_discloser_kind_display()})")
        for s in d.subjects.all():
            if s.child is not None and s.child_id not in child_ids:
                found.add(d.pk, s.child.full_name, "concerns another child")
            elif s.carer is not None and s.carer_id not in carer_ids:
                found.add(d.pk, s.carer.full_name, "concerns a carer who is not a subject")
            elif s.third_party:
                found.add(d.pk, s.third_party, "concerns a person not on our records")


def _decision_third_parties(
    decisions: list[SharingDecision],
    child_ids: set[Any],
    carer_ids: set[Any],
    found: _ThirdParties,
) -> None:
    for d in decisions:
        for c in d.other_children.all():
            if c.pk not in child_ids:
                found.add(d.pk, c.full_name, "names another child")
        for carer in d.other_carers.all():
            if carer.pk not in carer_ids:
                found.add(d.pk, carer.full_name, "names a carer who is not a subject")
        if d.other_people.strip():
            for line in d.other_people.replace(";", "\n").replace(",", "\n").splitlines():
                found.add(d.pk, line, "names other people")


def entry_body(entry: RecordEntry) -> str:
    parts = [entry.text]
    if entry.parent_said:
        parts.append(f"What the parent said: {entry.parent_said}")
    marks = body_map.marks_of(entry.body_map)
    if marks:
        parts.append(
            "Body map:\n"
            + "\n".join(f"{m.number}. {m.label.capitalize()}: {m.note}" for m in marks)
        )
    for a in entry.amendment_list:
        parts.append(
            f"Amendment, {_when(a.created_at)}, by {a.author.full_name}. "
            f"Reason: {a.reason}\n{a.text}"
        )
    return "\n\n".join(parts)


def decision_body(d: SharingDecision) -> str:
    # Whom it went to, and the other people it names, are fields of the item (withheld whole).
    lines = [
        f"Decision: {d.get_decision_display()}",
        f"Purpose: {d.purpose}",
        f"Lawful basis: {d.get_lawful_basis_display()}",
        f"Consent to share: {d.get_consent_display()}",
    ]
    if d.no_consent_reason:
        lines.append(
            f"Why consent was not sought or was overridden: {d.get_no_consent_reason_display()}"
        )
    if d.no_consent_explanation:
        lines.append(d.no_consent_explanation)
    if d.summary:
        lines.append(f"Information: {d.summary}")
    if d.shared_what:
        lines.append(f"What was shared: {d.shared_what}")
    lines.append(f"Outcome: {d.get_state_display()}")
    if d.rationale:
        lines.append(f"The Lead's rationale: {d.rationale}")
    return "\n".join(lines)


def _field(key: str, label: str, value: str, person: str = "") -> dict[str, str]:
    """A field of an item's who-and-when line; ``person`` is who it names ("staff:<id>",
    "carer:<id>", "professional:...", "name:..."), or "" when it names nobody to look after."""
    return {"key": key, "label": label, "value": value, "person": person}


def _teller_field(d: Disclosure) -> dict[str, str]:
    if d.discloser_carer is not None:
        return _field(
            "told_by", "Told by", d.discloser_carer.full_name, f"carer:{d.discloser_carer_id}"
        )
    if d.discloser_kind == DiscloserKind.CHILD or not d.discloser_name.strip():
        return _field("told_by", "Told by", d.get_discloser_kind_display())
    key = ledger_key(d.discloser_name)
    if d.discloser_kind == DiscloserKind.PROFESSIONAL:
        key = "professional:" + key.split(":", 1)[1]
    return _field("told_by", "Told by", d.discloser_name, key)


def _decision_fields(d: SharingDecision) -> list[dict[str, str]]:
    fields = [
        _field("proposed_by", "Proposed by", d.author.full_name, f"staff:{d.author_id}"),
        _field(
            "recipient",
            "Recipient",
            d.recipient_display,
            "professional:" + ledger_key(d.recipient_display).split(":", 1)[1],
        ),
    ]
    if d.other_people.strip():
        fields.append(
            _field(
                "other_people",
                "Other people concerned",
                d.other_people.strip(),
                ledger_key(d.other_people),
            )
        )
    return fields


def build_items(
    request: SubjectAccessRequest,
) -> tuple[list[BundleItem], list[ThirdPartyMention], dict[str, int]]:
    """The snapshot rows and the third parties found in them (not saved), and the counts."""
    scope, children, carers = _scope(request)
    child_ids = {c.pk for c in children}
    carer_ids = {c.pk for c in carers}
    found = _ThirdParties()

    disclosures = list(
        scope.disclosures.select_related("discloser_carer", "received_by").prefetch_related(
            Prefetch(
                "subjects", queryset=DisclosureSubject.objects.select_related("child", "carer")
            ),
            Prefetch("entries", queryset=RecordEntry.objects.only("id")),
        )
    )
    _disclosure_third_parties(disclosures, child_ids, carer_ids, found)
    decisions = list(
        scope.sharing_decisions.select_related("author").prefetch_related(
            "other_children", "other_carers"
        )
    )
    _decision_third_parties(decisions, child_ids, carer_ids, found)
    consents = list(scope.consent_records.select_related("carer", "child"))
    for c in consents:
        if c.carer_id not in carer_ids:
            found.add(c.pk, c.carer.full_name, "given by a carer who is not a subject")
    # Entries linked to a third-party disclosure carry its third parties.
    for d in disclosures:
        if d.pk in found.why:
            for e in d.entries.all():
                for name in found.by_source.get(d.pk, ()):
                    found.add(e.pk, name, "linked to third-party information")
                found.why.setdefault(e.pk, "linked to third-party information")

    # The children are the subjects, and the authors a few staff: each is read once, not once
    # per entry (thousands of entries in a large file).
    entries = with_amendments(list(scope.entries), scope.entries)
    authors = Staff.objects.in_bulk({e.author_id for e in entries})
    child_of = {c.pk: c for c in children}
    for e in entries:  # the scope holds only the subjects' entries
        e.author = authors[e.author_id]
        e.child = child_of[e.child_id]
    attachments = list(scope.attachments.defer("content").select_related("entry", "entry__child"))
    # Pictures cannot be searched for names; a PDF only if its pages have text (not a scan).
    pdf_ids = [a.pk for a in attachments if a.content_type == "application/pdf"]
    readable = {
        a.pk
        for a in Attachment.objects.filter(pk__in=pdf_ids).only("id", "content", "content_type")
        if searchable(a.content, a.content_type)
    }
    items: list[BundleItem] = []

    def add(kind: str, source: Any, **fields: Any) -> None:
        items.append(BundleItem(request=request, kind=kind, source_id=source.pk, **fields))

    for e in entries:
        add(
            ItemKind.ENTRY,
            e,
            child=e.child,
            occurred_at=e.occurred_at,
            level=e.level,
            title=e.get_category_display(),
            meta=f"{e.child.full_name} · {_when(e.occurred_at)}",
            fields=[
                _field("recorded_by", "Recorded by", e.author.full_name, f"staff:{e.author_id}")
            ],
            body=entry_body(e),
            body_map=[{k: m[k] for k in ("region", "x", "y")} for m in e.body_map],
            amendments=len(e.amendment_list),
        )
    for a in attachments:
        add(
            ItemKind.ATTACHMENT,
            a,
            child=a.entry.child,
            occurred_at=a.uploaded_at,
            level=a.entry.level,
            title=f"Attachment ({a.content_type.split('/')[-1].upper()})",
            meta=f"Attached to the entry of {_when(a.entry.occurred_at)}",
            body=a.filename,
            attachment=a,
            attachment_sha256=a.sha256,
            unsearchable=a.pk not in readable,
        )
        if a.entry_id in found.why:
            found.add(a.pk, "", found.why[a.entry_id])
    for d in disclosures:
        add(
            ItemKind.DISCLOSURE,
            d,
            child=d.child,
            occurred_at=d.disclosed_at,
            level=d.level,
            title="Something someone told us",
            meta=_when(d.disclosed_at),
            fields=[
                _field("told_to", "Told to", d.received_by.full_name, f"staff:{d.received_by_id}"),
                _teller_field(d),
            ],
            body=d.what,
        )
    for c in consents:
        purpose = c.purpose_other or c.get_purpose_display()
        add(
            ItemKind.CONSENT,
            c,
            child=c.child,
            occurred_at=c.given_at,
            level=c.level,
            title=f"{c.get_kind_display()}: {purpose}"[:200],
            meta=_when(c.given_at),
            fields=[_field("given_by", "Given by", c.carer.full_name, f"carer:{c.carer_id}")],
            body=f"{c.get_status_display()} ({c.get_how_display().lower()}). {c.note}".strip(),
        )
    for s in decisions:
        add(
            ItemKind.SHARING,
            s,
            child=s.child,
            occurred_at=s.proposed_at,
            level=s.level,
            title=f"Information sharing: {s.get_recipient_kind_display()}"[:200],
            meta=_when(s.proposed_at),
            fields=_decision_fields(s),
            body=decision_body(s),
        )
    for r in scope.staff_records.select_related("recorded_by"):
        add(
            ItemKind.STAFF_RECORD,
            r,
            occurred_at=timezone.make_aware(datetime.combine(r.occurred_on, time(12))),
            level=Level.SENSITIVE,
            title=r.get_kind_display(),
            meta="",
            fields=[
                _field(
                    "recorded_by",
                    "Recorded by",
                    r.recorded_by.full_name,
                    f"staff:{r.recorded_by_id}",
                )
            ],
            body=r.text,
        )

    for f in scope.flags.select_related("child", "author"):
        add(
            ItemKind.FLAG,
            f,
            child=f.child,
            occurred_at=timezone.make_aware(datetime.combine(f.started_on, time(12))),
            level=f.level,
            title=f"Flag: {f.label}",
            meta=f"{f.child.full_name} · from {f.started_on:%-d %B %Y}"
            + (f" until {f.ended_on:%-d %B %Y}" if f.ended_on else ""),
            fields=[
                _field("recorded_by", "Recorded by", f.author.full_name, f"staff:{f.author_id}")
            ],
            body=f.detail,
        )

    staff_subject = request.staff_subject
    sources = _staff_item_sources if staff_subject is not None else []
    for source in sources:
        assert staff_subject is not None
        for held in source(staff_subject):
            add(
                ItemKind.HELD_APART,
                held,
                occurred_at=held.occurred_at,
                level=held.level,
                title=held.title,
                meta=_when(held.occurred_at),
                body=held.body,
            )

    mentions = find_mentions(request, items, found)
    counts = {
        "entries": len(entries),
        "amendments": sum(len(e.amendment_list) for e in entries),
        "attachments": len(attachments),
        "disclosures": len(disclosures),
        "consent_records": len(consents),
        "sharing_decisions": len(decisions),
        "staff_records": sum(1 for i in items if i.kind == ItemKind.STAFF_RECORD),
        "flags": sum(1 for i in items if i.kind == ItemKind.FLAG),
        "third_party": sum(1 for i in items if i.third_party),
        "mentions": len(mentions),
    }
    return items, mentions, counts


KIND_OF = {
    "child": PersonKind.CHILD,
    "carer": PersonKind.CARER,
    "staff": PersonKind.STAFF,
    "professional": PersonKind.PROFESSIONAL,
    "name": PersonKind.OTHER,
}
PROFESSIONAL_ROLE_NOTE = (
    "By default: named in the record's who-and-when line in their professional role, which it "
    "is normally reasonable to disclose (DPA 2018 Sch. 2 paras 16–17)."
)


def find_mentions(
    request: SubjectAccessRequest, items: list[BundleItem], found: _ThirdParties
) -> list[ThirdPartyMention]:
    """Every person who is not a subject, in every item: the fields of its who-and-when line that
    name one, and the people of the directory found in its title and text. Staff in the
    who-and-when line are disclosed by default (their professional role), with the reason
    recorded; everyone else waits for the reviewer's decision."""
    directory = directory_for(request)
    child_ids, carer_ids, staff_id = subjects_of_request(request)
    subjects = {f"child:{pk}" for pk in child_ids} | {f"carer:{pk}" for pk in carer_ids}
    if staff_id is not None:
        subjects.add(f"staff:{staff_id}")
    now = timezone.now()
    mentions: list[ThirdPartyMention] = []
    for item in items:
        here: list[ThirdPartyMention] = []
        for f in item.fields:
            key = f["person"]
            if not key or key in subjects:
                continue
            mention = ThirdPartyMention(
                item=item,
                person_key=key,
                kind=KIND_OF[key.split(":", 1)[0]],
                name=f["value"],
                field=f["key"],
                words=[f["value"]],
            )
            if mention.kind == PersonKind.STAFF:
                mention.decision = MentionDecision.DISCLOSE
                mention.reason = DisclosureReason.PROFESSIONAL_ROLE
                mention.note = PROFESSIONAL_ROLE_NOTE
                mention.decided_at = now
            here.append(mention)
        for key, hit in directory.find(f"{item.title}\n{item.body}").items():
            here.append(
                ThirdPartyMention(
                    item=item,
                    person_key=key,
                    kind=hit.person.kind,
                    name=hit.person.name,
                    words=hit.words,
                )
            )
        # Flagged for the reviewer: people other than staff and professionals in their role
        # (those too need a decision, but one step takes them all).
        waiting = [
            m
            for m in here
            if m.decision == MentionDecision.PENDING and m.kind not in PROFESSIONAL_KINDS
        ]
        if waiting or item.source_id in found.why:
            item.third_party = True
            names = {m.name for m in waiting} | set(found.by_source.get(item.source_id, ()))
            item.third_party_names = "\n".join(sorted(names))
            item.third_party_why = (
                found.why.get(item.source_id) or "names a person who is not a subject"
            )[:300]
        mentions += here
    return mentions


def counts_sent(request: SubjectAccessRequest) -> dict[str, int]:
    """What the requester receives, counted: every item but those withheld without saying so (a
    record withheld with its exemption is listed in the file, and counted)."""
    kinds = dict.fromkeys(ItemKind.values, 0)
    amendments = 0
    for kind, n in request.items.exclude(silent=True).values_list("kind", "amendments"):
        kinds[kind] += 1
        amendments += n
    return {
        "entries": kinds[ItemKind.ENTRY],
        "amendments": amendments,
        "attachments": kinds[ItemKind.ATTACHMENT],
        "disclosures": kinds[ItemKind.DISCLOSURE],
        "consent_records": kinds[ItemKind.CONSENT],
        "sharing_decisions": kinds[ItemKind.SHARING],
        "staff_records": kinds[ItemKind.STAFF_RECORD],
        "flags": kinds[ItemKind.FLAG],
    }


def searches_note_for(request: SubjectAccessRequest) -> str:
    """The note of searches as the requester reads it: the counts are of what they receive."""
    if request.compiled_at is None:
        return ""
    return searches_note(request, counts_sent(request), request.other_searches, request.compiled_at)


def _some(n: int, thing: str) -> str:
    return f"no {thing}s" if n == 0 else f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def searches_note(
    request: SubjectAccessRequest, counts: dict[str, int], other: str, when: datetime
) -> str:
    children, carers, staff = subjects_of(request)
    who = [c.full_name for c in children] + [c.full_name for c in carers]
    if staff is not None:
        who.append(staff.full_name)
    lines = [
        f"On {_when(when)} we searched Confide, the setting's records system, for everything held "
        f"about: {', '.join(who)}.",
        f"Record entries: {counts['entries']} (with {_some(counts['amendments'], 'amendment')} "
        f"and {_some(counts['attachments'], 'attachment')}).",
        f"Things people told us (disclosures): {counts['disclosures']}.",
        f"Consent records: {counts['consent_records']}.",
        f"Information-sharing decisions: {counts['sharing_decisions']}.",
    ]
    if counts.get("flags"):
        lines.append(
            f"Flags on a child's file (plans, professionals, SEND, EAL): {counts['flags']}."
        )
    if staff is not None:
        lines.append(f"Staff records: {counts['staff_records']}.")
    if other.strip():
        lines.append(f"Other places searched: {other.strip()}")
    return "\n".join(lines)
