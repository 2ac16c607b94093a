"""Reports for the Lead, the Deputy and the trustees: counts of the setting's own records, by
term and academic year (safeguarding.periods), each figure by the small-number rule
(safeguarding.small_numbers), each table with a chart (safeguarding.charts); never a name.

Each record is counted once, in the part of the year its own date falls in — an entry when it
happened, a disclosure when it was made, a decision when it was proposed, a request when it was
received, a grant or a break-glass opening when it began, an amendment or an audit event when it
was written — and its state is as it stands now. Reading a report is audited with its period
(``record_reading``), and no name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db.models import Count, Exists, Min, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from access_requests.models import Status, SubjectAccessRequest
from access_requests.policy import STAFF_REQUEST
from accounts.events import Event as AccountEvent
from audit import checks as audit_checks
from audit.events import Event as AuditEvent
from audit.log import READ_ITEMS, log_event
from audit.models import DEPLOYMENT_CHAIN, ReadItem
from consent.models import (
    REFERRAL_RECIPIENTS,
    Confidentiality,
    DecisionKind,
    Disclosure,
    DisclosureSubject,
    LawfulBasis,
    LeadDecision,
    SharingDecision,
    SubjectConfidentiality,
)
from core.replica import reports_from_replica
from core.rules import require
from records import policy as records_policy
from records.models import (
    CATEGORIES_PARENTS_ARE_TOLD,
    DEFAULT_LEVEL,
    IN_THE_FILE,
    Amendment,
    BreakGlass,
    Category,
    Level,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
    Setting,
    Term,
)

from . import charts, policy
from .events import Event
from .periods import (
    Calendar,
    Period,
    Segment,
    academic_year_of,
    days_q,
    moments_q,
    segments_of,
    span,
    year_days,
    year_name,
)
from .small_numbers import WITHHELD, Counts, Figure, Link, Row, held_back

# The years offered go back this far at most.
MAX_YEARS = 12


def _setting_id(user: User) -> UUID:
    staff = records_policy.staff_of(user)
    require(staff is not None and policy.can_read_reports(user))
    assert staff is not None
    return staff.setting_id


def calendar(user: User) -> Calendar:
    """The periods this person may choose: each academic year since the first thing recorded (at
    most MAX_YEARS back), newest first, and each term, in the year it begins."""
    setting_id = _setting_id(user)
    today = timezone.localdate()
    current = academic_year_of(today)
    terms = list(Term.objects.filter(setting_id=setting_id).order_by("starts_on"))
    term_years = {f"term-{t.pk}": academic_year_of(t.starts_on) for t in terms}
    # From the year of the first thing recorded (an entry, a decision, a request, a term).
    earliest = [today] + [t.starts_on for t in terms[:1]]
    for model, moment in (
        (RecordEntry, "occurred_at"),
        (SharingDecision, "proposed_at"),
        (SubjectAccessRequest, "received_on"),
    ):
        found = model.objects.filter(setting_id=setting_id).aggregate(first=Min(moment))["first"]
        if isinstance(found, datetime):
            found = timezone.localdate(found)
        if found is not None:
            earliest.append(found)
    latest = max([current] + [academic_year_of(t.starts_on) for t in terms])
    first_year = max(academic_year_of(min(earliest)), current - MAX_YEARS + 1)
    periods: dict[str, Period] = {}
    years: list[tuple[str, str]] = []
    term_choices: list[tuple[str, str]] = []
    for year in range(latest, first_year - 1, -1):
        first, last = year_days(year)
        segments = segments_of(year, terms)
        key = f"year-{year}"
        periods[key] = Period(
            key,
            f"The academic year {year_name(year)} ({span(first, last)}), term by term",
            year,
            segments,
        )
        years.append((key, f"Academic year {year_name(year)}"))
        for segment in segments:
            if term_years.get(segment.key) != year:
                # Not a term, or the tail of a term that began the year before (the year it
                # began in offers it).
                continue
            periods[segment.key] = Period(
                segment.key, f"{segment.name} ({segment.dates})", year, (segment,)
            )
            term_choices.append((segment.key, f"{segment.name} ({segment.dates})"))
    choices = [("Academic years (1 September to 31 August)", years)]
    if term_choices:
        choices.append(("Terms", term_choices))
    return Calendar(periods=periods, choices=choices, default=f"year-{current}")


# --- what is counted -----------------------------------------------------------------------------


def _entry_rows() -> list[Row]:
    return [
        Row(f"{category}/{level}", f"{category.label} · {level.label.lower()}")
        for category in Category
        if category in CATEGORIES_PARENTS_ARE_TOLD
        for level in Level
        if level >= DEFAULT_LEVEL[category]
    ]


PARENT_ROWS = [
    Row(ParentInformed.INFORMED, "The parent was told"),
    Row(ParentInformed.TO_INFORM, "Not told yet, and no reason recorded (still to tell)"),
    Row(ParentInformed.NOT_INFORMED, "Not told: the Lead's reason recorded (a risk to the child)"),
]

DISCLOSURE_ROWS = [
    Row("asked", "Every answer recorded (the person who told us, and each person it concerns)"),
    Row("teller_not_asked", "Not yet asked of the person who told us"),
    Row("concerned_not_asked", "Not yet asked of a person it concerns"),
]

OUTCOME_ROWS = [
    Row("awaiting", "Awaiting the Lead"),
    Row("approved_share", "Approved: share"),
    Row("approved_not_share", "Approved: do not share"),
    Row("declined", "Declined by the Lead"),
    Row("emergency_awaiting", "Shared in an emergency: awaiting the Lead's review"),
    Row("emergency_approved", "Shared in an emergency: the Lead agreed"),
    Row("emergency_declined", "Shared in an emergency: the Lead disagreed"),
]
# A referral made (shared) is a decision of one of these outcomes.
SHARED_OUTCOMES = (
    "approved_share",
    "emergency_awaiting",
    "emergency_approved",
    "emergency_declined",
)

BASIS_ROWS = [Row(value, label) for value, label in LawfulBasis.choices]

REFERRAL_ROWS = [
    Row("on_time", "Acknowledged within one working day"),
    Row("late", "Acknowledged later than one working day"),
    Row("overdue", "Not acknowledged, more than one working day on"),
    Row("waiting", "Not acknowledged yet, within its working day"),
]

REQUEST_ROWS = [
    Row("on_time", "Answered within the deadline"),
    Row("late", "Answered after the deadline"),
    Row("refused", "Refused (manifestly unfounded or excessive)"),
    Row("open", "Open, within the deadline (or waiting for proof of identity)"),
    Row("open_late", "Open, past the deadline"),
]

GRANT_ROWS = [
    Row("live", "Still live"),
    Row("ended", "Ended on their end date"),
    Row("revoked", "Revoked before their end"),
]

BREAK_GLASS_ROWS = [
    Row("reviewed", "Reviewed by the Lead or the Deputy"),
    Row("awaiting", "Not yet reviewed"),
]

AMENDMENT_ROWS = [Row("amendments", "Corrections and additions, each a new amendment")]

AUDIT_ROWS = [
    Row("reads", "Reads of sensitive and child-protection records, each recorded"),
    Row("refused", "Refused: someone tried to open what they may not see"),
    Row("failed_sign_ins", "Failed sign-ins"),
    Row("locked_out", "Sign-ins locked after repeated failures"),
    Row("integrity", "Integrity failures (a record or an access row changed behind our back)"),
]
AUDIT_EVENTS = {
    "reads": (AuditEvent.READ,),
    "refused": (AuditEvent.REFUSED,),
    "failed_sign_ins": (AccountEvent.LOGIN_FAILED,),
    "locked_out": (AccountEvent.LOCKED_OUT,),
    "integrity": (AuditEvent.DECRYPTION_FAILED, AuditEvent.ROW_SEAL_FAILED),
}


@dataclass(frozen=True)
class TableSpec:
    key: str
    title: str
    about: str


SPECS = [
    TableSpec(
        "entries",
        "Entries beyond general progress, by category and level",
        "Record entries of every category parents are told of (not general progress), by when "
        "they happened.",
    ),
    TableSpec(
        "parents_told",
        "Whether the parent was told",
        "The same entries, by whether the parent was told of the entry, as it stands now.",
    ),
    TableSpec(
        "disclosures",
        "Disclosures: asked whether it is confidential",
        "What a parent, a relative or a professional told us, by when they told us, and "
        "whether each person was asked if they regard it as confidential.",
    ),
    TableSpec(
        "decision_outcomes",
        "Sharing decisions, by outcome",
        "Decisions to share information, or not to, by when they were proposed, and the Lead's "
        "decision as it stands now.",
    ),
    TableSpec(
        "lawful_bases",
        "Sharing decisions, by lawful basis",
        "The same decisions, by the lawful basis recorded.",
    ),
    TableSpec(
        "referrals",
        "Referrals and their acknowledgement",
        "Of those decisions: the referrals made to children's social care or the Local "
        "Safeguarding Partners, by whether the referral was acknowledged within one working "
        "day (Working Together 2023).",
    ),
    TableSpec(
        "requests",
        "Subject-access requests and the deadline",
        "Parents' requests for the records held, by the day they were received, and whether "
        "they were answered within the deadline (one calendar month, or three when extended). "
        "A member of staff's own request is the Lead's alone and is not counted here.",
    ),
    TableSpec(
        "grants",
        "Need-to-know grants given",
        "Grants of access beyond a person's role, by when they began, and how they stand now.",
    ),
    TableSpec(
        "break_glass",
        "Break-glass openings",
        "A child's records opened in an emergency, by when they were opened, and whether the "
        "Lead or the Deputy has reviewed the opening.",
    ),
    TableSpec(
        "amendments",
        "Corrections, never rewriting",
        "Amendments made to entries, by when they were made: the original entry stays.",
    ),
    TableSpec(
        "audit",
        "The audit log",
        "Events recorded in the setting's audit log, by when they happened.",
    ),
]


# Tables that count the same records two ways (safeguarding.small_numbers): the entries, and
# whether their parent was told; the decisions, by outcome and by lawful basis, with the
# referrals — some of the decisions that were shared — among them.
LINKS = (
    Link(whole=("entries", "parents_told")),
    Link(whole=("decision_outcomes", "lawful_bases"), part="referrals", within=SHARED_OUTCOMES),
)


def _count_entries(setting_id: UUID, segment: Segment) -> tuple[Counter[str], Counter[str]]:
    rows = RecordEntry.objects.filter(
        IN_THE_FILE,
        moments_q("occurred_at", segment),
        setting_id=setting_id,
        category__in=CATEGORIES_PARENTS_ARE_TOLD,
    ).exclude(parent_informed=ParentInformed.NOT_REQUIRED)
    by_category: Counter[str] = Counter()
    by_parent: Counter[str] = Counter()
    for category, level, informed in rows.values_list("category", "level", "parent_informed"):
        by_category[f"{category}/{level}"] += 1
        by_parent[informed] += 1
    return by_category, by_parent


def _outcome(lead_decision: str, decision: str, retrospective: bool) -> str:
    if retrospective:
        if lead_decision == LeadDecision.PENDING:
            return "emergency_awaiting"
        return (
            "emergency_approved" if lead_decision == LeadDecision.APPROVED else "emergency_declined"
        )
    if lead_decision == LeadDecision.PENDING:
        return "awaiting"
    if lead_decision == LeadDecision.DECLINED:
        return "declined"
    return "approved_share" if decision == DecisionKind.SHARE else "approved_not_share"


def _acknowledgement(due: datetime | None, acknowledged: datetime | None, now: datetime) -> str:
    if acknowledged is None:
        return "overdue" if due is not None and due < now else "waiting"
    return "late" if due is not None and acknowledged > due else "on_time"


def _count_decisions(
    setting_id: UUID, segment: Segment, now: datetime
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    rows = SharingDecision.objects.filter(
        moments_q("proposed_at", segment), setting_id=setting_id
    ).values_list(
        "lead_decision",
        "decision",
        "retrospective",
        "lawful_basis",
        "recipient_kind",
        "shared_at",
        "acknowledgement_due_at",
        "acknowledged_at",
    )
    outcomes: Counter[str] = Counter()
    bases: Counter[str] = Counter()
    referrals: Counter[str] = Counter()
    for lead, kind, retrospective, basis, recipient, shared, due, acknowledged in rows:
        outcomes[_outcome(lead, kind, retrospective)] += 1
        bases[basis] += 1
        if recipient in REFERRAL_RECIPIENTS and shared is not None:
            referrals[_acknowledgement(due, acknowledged, now)] += 1
    return outcomes, bases, referrals


def _request_row(sar: SubjectAccessRequest, today: date) -> str:
    if sar.status == Status.REFUSED:
        return "refused"
    if sar.sent_at is not None:
        sent = timezone.localdate(sar.sent_at)
        due = sar.due_on(sent)
        return "late" if due is not None and sent > due else "on_time"
    due = sar.due_on(today)
    return "open_late" if due is not None and today > due else "open"


def _count_requests(setting_id: UUID, segment: Segment, today: date) -> Counter[str]:
    # Not a member of staff's own request: only the Lead knows one exists (the Deputy's list
    # leaves them out, and a count would tell).
    rows = (
        SubjectAccessRequest.objects.filter(days_q("received_on", segment), setting_id=setting_id)
        .exclude(STAFF_REQUEST)
        .prefetch_related("pauses")
    )
    return Counter(_request_row(sar, today) for sar in rows)


def _count_disclosures(setting_id: UUID, segment: Segment) -> Counter[str]:
    someone_not_asked = DisclosureSubject.objects.filter(
        disclosure=OuterRef("pk"), confidentiality=SubjectConfidentiality.NOT_ASKED
    )
    rows = (
        Disclosure.objects.filter(moments_q("disclosed_at", segment), setting_id=setting_id)
        .annotate(concerned_not_asked=Exists(someone_not_asked))
        .values_list("confidentiality", "concerned_not_asked")
    )
    found: Counter[str] = Counter()
    for teller, concerned in rows:
        if teller == Confidentiality.NOT_ASKED:
            found["teller_not_asked"] += 1
        elif concerned:
            found["concerned_not_asked"] += 1
        else:
            found["asked"] += 1
    return found


def _count_grants(setting_id: UUID, segment: Segment, now: datetime) -> Counter[str]:
    found: Counter[str] = Counter()
    rows = NeedToKnowGrant.objects.filter(
        moments_q("starts_at", segment), setting_id=setting_id
    ).values_list("ends_at", "revoked_at")
    for ends, revoked in rows:
        if revoked is not None and revoked < ends:
            found["revoked"] += 1
        elif ends <= now:
            found["ended"] += 1
        else:
            found["live"] += 1
    return found


def _count_break_glass(setting_id: UUID, segment: Segment) -> Counter[str]:
    rows = BreakGlass.objects.filter(
        moments_q("starts_at", segment), setting_id=setting_id
    ).values_list("reviewed_at", flat=True)
    return Counter("awaiting" if reviewed is None else "reviewed" for reviewed in rows)


def _count_amendments(setting_id: UUID, segment: Segment) -> Counter[str]:
    made = Amendment.objects.filter(
        moments_q("created_at", segment),
        entry__setting_id=setting_id,
        entry__hidden_from__isnull=True,
    ).count()
    return Counter({"amendments": made})


def _count_audit(user: User, segment: Segment) -> Counter[str]:
    """The setting's own audit events (what its audit pages show: records.policy)."""
    events = {str(code): row for row, codes in AUDIT_EVENTS.items() for code in codes}
    rows = (
        LogEntry.objects.filter(records_policy.audit_rows_q(user))
        .filter(moments_q("timestamp", segment), additional_data__event__in=list(events))
        .values("additional_data__event")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: Counter[str] = Counter()
    for row in rows:
        found[events[str(row["additional_data__event"])]] += row["n"]
    # A page's read event lists what it showed (audit.log.log_page_read): each item is a read.
    reads = LogEntry.objects.filter(records_policy.audit_rows_q(user)).filter(
        moments_q("timestamp", segment), additional_data__event=AuditEvent.READ
    )
    pages = reads.filter(additional_data__has_key=READ_ITEMS)
    found["reads"] += ReadItem.objects.filter(entry__in=pages.values("pk")).count() - pages.count()
    return found


def _counts(user: User, setting_id: UUID, period: Period) -> dict[str, Counts]:
    now = timezone.now()
    today = timezone.localdate(now)
    counts = {
        "entries": Counts(_entry_rows()),
        "parents_told": Counts(list(PARENT_ROWS)),
        "disclosures": Counts(list(DISCLOSURE_ROWS)),
        "decision_outcomes": Counts(list(OUTCOME_ROWS)),
        "lawful_bases": Counts(list(BASIS_ROWS)),
        "referrals": Counts(list(REFERRAL_ROWS)),
        "requests": Counts(list(REQUEST_ROWS)),
        "grants": Counts(list(GRANT_ROWS)),
        "break_glass": Counts(list(BREAK_GLASS_ROWS)),
        "amendments": Counts(list(AMENDMENT_ROWS)),
        "audit": Counts(list(AUDIT_ROWS)),
    }
    for segment in period.segments:
        key = segment.key
        entries, parents = _count_entries(setting_id, segment)
        outcomes, bases, referrals = _count_decisions(setting_id, segment, now)
        found = {
            "entries": entries,
            "parents_told": parents,
            "disclosures": _count_disclosures(setting_id, segment),
            "decision_outcomes": outcomes,
            "lawful_bases": bases,
            "referrals": referrals,
            "requests": _count_requests(setting_id, segment, today),
            "grants": _count_grants(setting_id, segment, now),
            "break_glass": _count_break_glass(setting_id, segment),
            "amendments": _count_amendments(setting_id, segment),
            "audit": _count_audit(user, segment),
        }
        for name, counter in found.items():
            counts[name].by_segment[key] = counter
    counts["entries"].add_unknown_rows(_entry_row_label)
    for name in counts:
        counts[name].add_unknown_rows(lambda key: key.replace("_", " ").capitalize())
    return counts


def _entry_row_label(key: str) -> str:
    category, _, level = key.partition("/")
    category_label = dict(Category.choices).get(category, category)
    level_label = dict(Level.choices).get(int(level), level) if level.isdigit() else level
    return f"{category_label} · {str(level_label).lower()}"


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    key: str
    label: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    about: str
    segments: tuple[Segment, ...]
    rows: tuple[TableRow, ...]
    chart: charts.Chart

    @property
    def has_held_back(self) -> bool:
        return any(f.kind == WITHHELD for row in self.rows for f in row.figures)

    def row(self, key: str) -> TableRow:
        return next(row for row in self.rows if row.key == key)


@dataclass(frozen=True)
class ChainStatus:
    checked_at: datetime
    entries: int
    intact: bool


@dataclass(frozen=True)
class Report:
    setting_name: str
    period: Period
    tables: dict[str, Table]
    chain: ChainStatus | None
    made_at: datetime


def _chain(setting_id: UUID) -> ChainStatus | None:
    """The newest check of the chains the setting's audit page shows (its own, and the
    deployment's sign-ins of its people), checked now where the scheduler has fallen behind."""
    check = audit_checks.status_of([DEPLOYMENT_CHAIN, setting_id])
    if check is None:
        return None
    return ChainStatus(checked_at=check.checked_at, entries=check.entries, intact=check.intact)


def report_for(user: User, period: Period) -> Report:
    """The period's figures, each by the small-number rule, with a chart for each table."""
    setting_id = _setting_id(user)
    # Counted on the group's read replica where there is one (core.replica).
    with reports_from_replica():
        counts = _counts(user, setting_id, period)
    held = held_back(counts, period.segments, LINKS)
    tables: dict[str, Table] = {}
    for spec in SPECS:
        found = counts[spec.key]
        rows = tuple(
            TableRow(
                row.key,
                row.label,
                tuple(
                    Figure.of(
                        found.by_segment[segment.key][row.key],
                        withheld=(spec.key, segment.key, row.key) in held,
                    )
                    for segment in period.segments
                ),
            )
            for row in found.rows
        )
        tables[spec.key] = Table(
            key=spec.key,
            title=spec.title,
            about=spec.about,
            segments=period.segments,
            rows=rows,
            chart=charts.bar_chart(
                uid=f"chart-{spec.key}",
                title=spec.title,
                series=[segment.name for segment in period.segments],
                rows=[(row.label, row.figures) for row in rows],
            ),
        )
    setting = Setting.objects.filter(pk=setting_id).first()
    return Report(
        setting_name=setting.name if setting is not None else "",
        period=period,
        tables=tables,
        chain=_chain(setting_id),
        made_at=timezone.now(),
    )


def record_reading(*, by: User, period: Period, page: str, request: HttpRequest | None) -> None:
    """Reading a report is in the audit log, with its period and no name."""
    require(policy.can_read_reports(by))
    log_event(
        actor=by,
        event=Event.REPORT_READ,
        request=request,
        detail={
            "period": period.slug,
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "page": page,
        },
    )
