"""Reads that need access checks. Anyone who may not know a record exists gets a 404."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import F, Max, Min, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.events import Event as AuditEvent
from audit.log import HELD_APART, log_access, log_event, log_page_read
from core.fields import decrypt_fields
from core.http import uuid_or_404, uuid_or_none

from . import policy
from .chronology_filter import ChronologyFilter
from .events import Event
from .models import (
    IN_THE_FILE,
    ActingLead,
    Amendment,
    Attachment,
    BreakGlass,
    Carer,
    Child,
    ChildFlag,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
    Room,
    Staff,
    StaffRecord,
    StaffRecordKind,
)


def log_reads(
    user: User,
    objects: Iterable[Any],
    *,
    request: HttpRequest | None = None,
    event: str = AuditEvent.READ,
) -> None:
    """Write to the audit log the reads of these items (anything with a ``level``) that the policy
    says are audited: one read event per page and kind of item (audit.log.log_page_read)."""
    audited = [o for o in objects if policy.read_is_audited(o.level)]
    # A placeholder's reads are held apart from the audit pages, where the person accused would
    # read that it exists.
    apart = [o for o in audited if getattr(o, "is_placeholder", False)]
    shown = [o for o in audited if not getattr(o, "is_placeholder", False)]
    for items, detail in ((shown, None), (apart, {HELD_APART: "entry"})):
        by_model: dict[type, list[Any]] = defaultdict(list)
        for item in items:
            by_model[type(item)].append(item)
        for group in by_model.values():
            log_page_read(actor=user, objects=group, request=request, event=event, detail=detail)


def audit_refusal(
    user: User, model: type[Any], pk: UUID, request: HttpRequest | None = None
) -> None:
    """Every refusal is audited (DESIGN.md): asked for something that exists in the person's
    setting but is not theirs to see. An id that names nothing here (a random one, or another
    setting's) leaves no trace, as it would for anyone."""
    if model._default_manager.filter(pk=pk).exists():
        # A refusal to open a placeholder is held apart too: its row would name it.
        apart = model is RecordEntry and RecordEntry.objects.filter(
            pk=pk, hidden_from__isnull=False
        )
        log_event(
            actor=user,
            event=AuditEvent.REFUSED,
            obj=model(pk=pk),
            request=request,
            detail={HELD_APART: "entry"} if apart and apart.exists() else None,
        )


def get_child_for_user(user: User, child_id: UUID | str) -> Child:
    pk = uuid_or_404(child_id)
    child = (
        policy.visible_children(user)
        .select_related("room", "key_person", "family")
        .filter(pk=pk)
        .first()
    )
    if child is None:
        # Every refusal is audited (DESIGN.md): a child who exists but is not this person's.
        if Child.objects.filter(pk=pk).exists():
            log_event(actor=user, event=AuditEvent.REFUSED, obj=Child(pk=pk))
        raise Http404("No such child")
    return child


def carers_of(child: Child) -> QuerySet[Carer]:
    """The carers of a child the person may already see (get_child_for_user)."""
    return child.carers.all()


def get_carer_of_child(child: Child, carer_id: UUID | str) -> Carer:
    carer = child.carers.filter(pk=uuid_or_404(carer_id)).first()
    if carer is None:
        raise Http404("No such carer")
    return carer


def children_for_list(
    user: User, *, search: str = "", include_leavers: bool = False
) -> QuerySet[Child]:
    qs = policy.visible_children(user).select_related("room", "key_person")
    if not include_leavers:
        qs = qs.filter(Q(left_on__isnull=True) | Q(left_on__gt=timezone.localdate()))
    for word in search.split():
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return qs.order_by("last_name", "first_name")


# The entry columns the chronology shows (besides the author's name).
# With the columns the text's ciphertext is bound to (RecordEntry.confide_access), and whether it
# has a body map (shown without reading, or decrypting, the marks).
CHRONOLOGY_FIELDS = (
    "id",
    "category",
    "level",
    "occurred_at",
    "parent_informed",
    "text",
    "child",
    "author",
    "has_body_map",
    # Its key must hang from its setting's (core.keys.decrypt).
    "setting",
    # An allegation's placeholder: its reads are held apart (log_reads).
    "hidden_from",
    "significant",
)


def with_amendments(entries: list[RecordEntry], among: QuerySet[RecordEntry]) -> list[RecordEntry]:
    """Give each entry its amendments (``amendment_list``, with their authors), in
    one query whatever the number of entries.

    ``among`` is a queryset of (at least) these entries; the query filters by it as a subquery.
    A prefetch_related would bind every entry's key one by one into the query and build a manager
    per entry, which costs more than the rows on a long chronology or a large subject-access file.
    """
    amendments: dict[UUID, list[Amendment]] = defaultdict(list)
    for amendment in Amendment.objects.filter(entry__in=among.values("pk")).select_related(
        "author"
    ):
        amendments[amendment.entry_id].append(amendment)
    for entry in entries:
        entry.amendment_list = amendments.get(entry.pk, [])
    return entries


def _with_history(entries: list[RecordEntry], among: QuerySet[RecordEntry]) -> list[RecordEntry]:
    """Give each entry its amendments (``with_amendments``) and attachments
    (``attachment_list``, without their content): two queries whatever the number of entries."""
    attachments: dict[UUID, list[Attachment]] = defaultdict(list)
    for attachment in Attachment.objects.filter(entry__in=among.values("pk")).defer("content"):
        attachments[attachment.entry_id].append(attachment)
    for entry in entries:
        entry.attachment_list = attachments.get(entry.pk, [])
    return with_amendments(entries, among)


def chronology_filter(user: User, child: Child, params: Any = None) -> ChronologyFilter:
    """The chronology's filter, over what the person may read of the child (never more)."""
    return ChronologyFilter(
        params or None, queryset=policy.visible_entries(user, child), child=child
    )


# A long chronology is shown a year at a time: the twelve months up to its latest entry, then
# each earlier calendar year by link, or everything when asked; a filter shows all it finds.
CHRONOLOGY_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class ChronologySpan:
    """Which part of a child's chronology a page shows, and the links to the rest."""

    within: Q | None  # None: everything
    label: str
    year: int | None
    earlier_years: list[int]
    everything: bool

    @property
    def has_more(self) -> bool:
        return bool(self.earlier_years) or self.year is not None or self.everything


def chronology_span(user: User, child: Child, params: Any, *, filtering: bool) -> ChronologySpan:
    """The part of the chronology to show: one query for a file shorter than the window (most),
    three for a longer one, whatever its length."""
    everything = ChronologySpan(None, "everything", None, [], True)
    whole = ChronologySpan(None, "", None, [], False)
    if filtering:
        return ChronologySpan(None, "what the filter found", None, [], False)
    visible = policy.visible_entries(user, child)
    bounds = visible.aggregate(first=Min("occurred_at"), latest=Max("occurred_at"))
    first, latest = bounds["first"], bounds["latest"]
    if latest is None:
        return whole
    start = latest - CHRONOLOGY_WINDOW
    if first >= start and not params.get("year"):
        return whole  # it all fits in the window
    years = [d.year for d in visible.dates("occurred_at", "year", order="DESC")]
    if params.get("all"):
        return everything if len(years) > 1 else whole
    asked = str(params.get("year", ""))
    if asked.isdigit() and int(asked) in years:
        year = int(asked)
        zone = timezone.get_current_timezone()
        begin = datetime(year, 1, 1, tzinfo=zone)
        end = datetime(year + 1, 1, 1, tzinfo=zone)
        others = [y for y in years if y != year]
        within = Q(occurred_at__gte=begin, occurred_at__lt=end)
        return ChronologySpan(within, str(year), year, others, False)
    if first >= start:
        return whole
    earlier = [y for y in years if y <= timezone.localtime(start).year]
    return ChronologySpan(
        Q(occurred_at__gte=start), "the twelve months to the latest entry", None, earlier, False
    )


def chronology(
    user: User,
    child: Child,
    *,
    request: HttpRequest | None = None,
    filtered: ChronologyFilter | None = None,
    span: ChronologySpan | None = None,
) -> list[RecordEntry]:
    """The entries of a child this user may read, newest first (narrowed by ``filtered``, made
    over the same entries, and to ``span``'s part of a long file); sensitive and child-protection entries shown are written to the
    audit log in one insert."""
    visible = policy.visible_entries(user, child)
    if filtered is not None and filtered.is_bound and filtered.is_valid():
        visible = filtered.qs
    if span is not None and span.within is not None:
        visible = visible.filter(span.within)
    # Only what the page shows: the author's name rather than a Staff object per entry, and not
    # the columns of the entry page. Reading another field would cost a query per entry
    # (tests/records/test_query_counts.py would notice).
    shown = visible.only(*CHRONOLOGY_FIELDS).annotate(author_name=F("author__full_name"))
    entries = _with_history(list(shown), visible)
    decrypt_fields(entries, "text")
    log_reads(user, entries, request=request)
    return entries


def get_entry_for_user(
    user: User, entry_id: UUID | str, *, request: HttpRequest | None = None
) -> RecordEntry:
    pk = uuid_or_404(entry_id)
    visible = policy.visible_entries(user).filter(pk=pk)
    entry = visible.select_related(
        "child", "author", "informed_by", "not_informed_decided_by"
    ).first()
    if entry is None:
        audit_refusal(user, RecordEntry, pk, request)
        raise Http404("No such entry")
    _with_history([entry], visible)
    log_reads(user, [entry], request=request)
    return entry


def get_attachment_for_user(
    user: User, attachment_id: UUID | str, *, request: HttpRequest | None = None
) -> Attachment:
    pk = uuid_or_404(attachment_id)
    attachment = Attachment.objects.filter(pk=pk, entry__in=policy.visible_entries(user)).first()
    if attachment is None:
        if Attachment.objects.filter(pk=pk).exists():
            log_event(actor=user, event=AuditEvent.REFUSED, obj=Attachment(pk=pk), request=request)
        raise Http404("No such attachment")
    log_access(actor=user, objects=[attachment], request=request, event=Event.ATTACHMENT_OPENED)
    return attachment


def entries_to_inform(user: User) -> QuerySet[RecordEntry]:
    qs = policy.visible_entries(user).filter(parent_informed=ParentInformed.TO_INFORM)
    return qs.filter(policy.own_work_q(user)).select_related("child").order_by("occurred_at")


def my_key_children(user: User) -> QuerySet[Child]:
    staff = policy.staff_of(user)
    if staff is None:
        return Child.objects.none()
    return Child.objects.filter(key_person=staff).select_related("room")


def grants_expiring_soon(user: User, *, days: int = 7) -> QuerySet[NeedToKnowGrant]:
    staff = policy.staff_of(user)
    if staff is None:
        return NeedToKnowGrant.objects.none()
    soon = timezone.now() + timedelta(days=days)
    qs = NeedToKnowGrant.objects.live().filter(ends_at__lte=soon)
    if not policy.can_manage_grants(user):
        qs = qs.filter(grantee=staff)
    return qs.select_related("child", "grantee").order_by("ends_at")


def grants_for_manager(user: User) -> QuerySet[NeedToKnowGrant]:
    if not policy.can_manage_grants(user):
        return NeedToKnowGrant.objects.none()
    return NeedToKnowGrant.objects.select_related("child", "grantee", "granted_by", "revoked_by")


def my_grants(user: User) -> QuerySet[NeedToKnowGrant]:
    staff = policy.staff_of(user)
    if staff is None:
        return NeedToKnowGrant.objects.none()
    return NeedToKnowGrant.objects.live().filter(grantee=staff).select_related("child")


def get_grant_for_manager(user: User, grant_id: UUID | str) -> NeedToKnowGrant:
    pk = uuid_or_404(grant_id)
    grant = grants_for_manager(user).filter(pk=pk).first()
    if grant is None:
        audit_refusal(user, NeedToKnowGrant, pk)
        raise Http404("No such grant")
    return grant


def break_glass_to_review(user: User) -> QuerySet[BreakGlass]:
    if not policy.can_review_break_glass(user):
        return BreakGlass.objects.none()
    return BreakGlass.objects.filter(reviewed_at__isnull=True).select_related("child", "staff")


def get_break_glass_for_reviewer(user: User, access_id: UUID | str) -> BreakGlass:
    """An opening to review, or one already reviewed (its page then shows the review)."""
    pk = uuid_or_404(access_id)
    access = (
        BreakGlass.objects.select_related("child", "staff", "reviewed_by").filter(pk=pk).first()
        if policy.can_review_break_glass(user)
        else None
    )
    if access is None:
        audit_refusal(user, BreakGlass, pk)
        raise Http404("No such break-glass access")
    return access


def staff_for_manager(user: User) -> QuerySet[Staff]:
    if not policy.can_manage_staff(user):
        return Staff.objects.none()
    return policy.staff_the_lead_manages().select_related("user").prefetch_related("rooms")


def get_staff_for_manager(user: User, staff_id: UUID | str) -> Staff:
    pk = uuid_or_404(staff_id)
    staff = staff_for_manager(user).filter(pk=pk).first()
    if staff is None:
        audit_refusal(user, Staff, pk)
        raise Http404("No such staff member")
    return staff


def rooms_of(staff: Staff) -> QuerySet[Room]:
    return staff.rooms.all()


def acting_leads_now(user: User) -> QuerySet[ActingLead]:
    if not policy.can_manage_staff(user):
        return ActingLead.objects.none()
    return ActingLead.objects.live().select_related("deputy")


def acting_lead_appointments(user: User) -> QuerySet[ActingLead]:
    if not policy.can_appoint_acting_lead(user):
        return ActingLead.objects.none()
    return ActingLead.objects.select_related("deputy", "appointed_by")


def get_acting_lead_appointment(user: User, appointment_id: UUID | str) -> ActingLead:
    pk = uuid_or_404(appointment_id)
    appointment = acting_lead_appointments(user).filter(pk=pk).first()
    if appointment is None:
        audit_refusal(user, ActingLead, pk)
        raise Http404("No such appointment")
    return appointment


def staff_records(
    user: User, staff: Staff, *, request: HttpRequest | None = None
) -> list[StaffRecord]:
    records = list(
        policy.visible_staff_records(user).filter(staff=staff).select_related("recorded_by")
    )
    log_access(actor=user, objects=records, request=request, event=Event.STAFF_RECORD_READ)
    return records


def my_staff_records(user: User, *, request: HttpRequest | None = None) -> list[StaffRecord]:
    """A member of staff reads their own supervision and training records (audited as a read)."""
    records = list(policy.own_staff_records(user).select_related("recorded_by"))
    log_access(actor=user, objects=records, request=request, event=Event.STAFF_RECORD_READ)
    return records


@dataclass(frozen=True)
class StaffChecks:
    """For the Lead's dashboard: checks and training running out within 60 days (or run out),
    and staff with no supervision in the last three months."""

    expiring: int
    supervision_overdue: int


EXPIRING_DAYS = 60
SUPERVISION_MONTHS_DAYS = 92


def staff_checks(today: date | None = None) -> StaffChecks:
    today = today or timezone.localdate()
    # The latest expiry of each kind of record for each member of staff: a renewal replaces
    # the record it renews.
    expiring = (
        StaffRecord.objects.filter(expires_on__isnull=False, staff__active=True)
        .values("staff_id", "kind")
        .annotate(latest=Max("expires_on"))
        .filter(latest__lte=today + timedelta(days=EXPIRING_DAYS))
        .count()
    )
    supervised = StaffRecord.objects.filter(
        kind=StaffRecordKind.SUPERVISION,
        occurred_on__gte=today - timedelta(days=SUPERVISION_MONTHS_DAYS),
    ).values("staff_id")
    overdue = (
        policy.staff_working_with_children().filter(active=True).exclude(pk__in=supervised).count()
    )
    return StaffChecks(expiring, overdue)


# --- the audit pages ----------------------------------------------------------------------------


def audit_log(user: User) -> QuerySet:
    return _audit_rows(user, policy.audit_rows_q(user))


# Whether audit_log_parts splits: where the parts have indexes of their own (PostgreSQL, audit
# migration 0006), or when a test says so (None: by the database).
AUDIT_PARTS_SPLIT: bool | None = None


def audit_log_parts(user: User) -> dict[str, QuerySet]:
    """audit_log in named parts whose union it is (policy.audit_rows_branches), each read by an
    index of its own: for a page of the newest rows, merged (records.audit_page.keyset_page).
    Without those indexes (SQLite) a part would be read by walking the log (the account events'
    through all of it), so the log is one part there, as it was."""
    split = AUDIT_PARTS_SPLIT
    if split is None:
        split = connection.vendor == "postgresql"
    if not split:
        return {policy.STAMPED: audit_log(user)}
    return {
        name: _audit_rows(user, branch & policy.not_held_apart_q())
        for name, branch in policy.audit_rows_branches(user).items()
    }


def _audit_rows(user: User, rows: Q) -> QuerySet:
    if not policy.can_view_audit(user):
        return LogEntry.objects.none()
    qs = (
        LogEntry.objects.filter(rows).select_related("actor", "content_type").order_by("-timestamp")
    )
    if not policy.can_see_staff_record_reads(user):
        qs = qs.exclude(content_type=ContentType.objects.get_for_model(StaffRecord))
    return qs


def posts_to_choose(user: User) -> list[Staff]:
    """A person's posts, with their settings, to choose where to work."""
    return list(policy.posts_of(user).select_related("setting").order_by("setting__name"))


def works_elsewhere(staff: Staff) -> bool:
    """Whether the person behind a post still works in another setting (their account stays on)."""
    return policy.posts_of(staff.user).exclude(pk=staff.pk).exists()


# --- what other apps say beside an entry ------------------------------------------------------


@dataclass(frozen=True)
class EntryNote:
    """A note shown beside an entry by another app (a parent's statement, say)."""

    heading: str
    text: str
    url: str = ""


_entry_notes: list[Callable[[RecordEntry, User], list[EntryNote]]] = []


def register_entry_notes(notes: Callable[[RecordEntry, User], list[EntryNote]]) -> None:
    """An app above records shows something beside an entry, to the person reading it
    (lifecycle: a parent's statement asking for it to be corrected or restricted; governance: the
    allegation a placeholder stands for, to whoever handles it)."""
    if notes not in _entry_notes:
        _entry_notes.append(notes)


def entry_notes(entry: RecordEntry, user: User) -> list[EntryNote]:
    return [note for notes in _entry_notes for note in notes(entry, user)]


def restricted_count(child: Child) -> int:
    """How many of the child's entries are restricted at a parent's request (shown to everyone
    who reads the child's entries; only the Lead reads them)."""
    return RecordEntry.objects.filter(IN_THE_FILE, child=child, restricted_at__isnull=False).count()


def child_flags(
    user: User, child: Child, *, request: HttpRequest | None = None, current_only: bool = False
) -> list[ChildFlag]:
    """The flags on the child this person may know of (records.policy.visible_flags), current
    first; those at sensitive level and above are written to the audit log as read, in one
    insert."""
    qs = policy.visible_flags(user, child).select_related("author", "ended_by")
    today = timezone.localdate()
    if current_only:
        qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
    flags = sorted(qs, key=lambda f: (not f.is_current(today), -f.level, f.kind))
    decrypt_fields(flags, "detail")
    log_reads(user, flags, request=request)
    return flags


def get_flag_for_user(user: User, child: Child, flag_id: str) -> ChildFlag | None:
    """One of the child's flags this person may know of; None for anything else (a posted id
    that names nothing, or a flag they may not see: answered as a mistake on the page)."""
    pk = uuid_or_none(flag_id)
    return None if pk is None else policy.visible_flags(user, child).filter(pk=pk).first()
