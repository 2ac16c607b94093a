"""The audit pages a Lead can use: "who read Leo's child-protection entries this term?", "what did
this member of staff open last week?", "every refused attempt".

- Filters (django-filter) by child, person, kind of action, level and dates; the child filter covers
  everything filed on the child — entries, amendments, attachments, and what other apps register
  (disclosures, consent records and sharing decisions: ``register_child_objects``).
- Keyset pagination by id: a page of the newest rows before an id, never a count of the table.
- Each row in plain English: the person's name, what they did, and the record's title and date
  where the viewer may see the record (through the policy).
- An export to CSV of what the filters select, guarded against spreadsheet formula injection, and
  itself written to the audit log.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.labels import describe
from audit.log import READ_ITEMS, listed_items, rows_about
from core import tenancy
from core.http import uuid_or_none

from . import policy, selectors
from .models import Amendment, Attachment, Category, Child, ChildFlag, Level, RecordEntry, Staff

PAGE_SIZE = 100

# Other apps add what they file on a child (consent registers disclosures, consent records and
# sharing decisions): each gives a filter of LogEntry rows about the child's objects.
_child_sources: list[Callable[[Child], Q]] = []


def register_child_objects(source: Callable[[Child], Q]) -> None:
    if source not in _child_sources:
        _child_sources.append(source)


def about_objects(model: type, pks: Iterable[Any]) -> Q:
    """LogEntry rows about these objects of ``model``."""
    # A row of its own, or a page's read event that listed one of them (audit.log.log_page_read).
    return rows_about(model, pks)


def child_q(child: Child, level: int | None = None) -> Q:
    entries = RecordEntry.objects.filter(child=child)
    if level is not None:
        entries = entries.filter(level=level)
    entry_ids = list(entries.values_list("id", flat=True))
    q = about_objects(RecordEntry, entry_ids)
    q |= about_objects(
        Amendment, Amendment.objects.filter(entry_id__in=entry_ids).values_list("id", flat=True)
    )
    q |= about_objects(
        Attachment, Attachment.objects.filter(entry_id__in=entry_ids).values_list("id", flat=True)
    )
    if level is None:
        q |= about_objects(Child, [child.pk])
        q |= about_objects(
            ChildFlag, ChildFlag.objects.filter(child=child).values_list("id", flat=True)
        )
        for source in _child_sources:
            q |= source(child)
    return q


# What the Lead asks about, as filters of LogEntry rows.
READ_EVENTS = [
    "read",
    "attachment_opened",
    "evidence_opened",
    "staff_record_read",
    "sar_read",
    "sar_item_read",
    "sar_draft_downloaded",
    "sar_pdf_downloaded",
]
REFUSED_EVENTS = ["refused", "sar_link_refused", "login_failed", "locked_out"]
INTEGRITY_EVENTS = ["decryption_failed", "row_seal_failed"]
ACCESS_EVENTS = ["grant_revoked", "break_glass_opened", "acting_lead_ended", "staff_deactivated"]
SIGN_IN_EVENTS = ["signed_in", "login_failed", "locked_out", "two_factor_enrolled"]

# The actions asked about by their events, and the events of each.
ACTION_EVENTS = {
    "read": READ_EVENTS,
    "refused": REFUSED_EVENTS,
    "integrity": INTEGRITY_EVENTS,
    "access": ACCESS_EVENTS,
    "sign_in": SIGN_IN_EVENTS,
}


def _by_events(key: str) -> Q:
    return Q(additional_data__event__in=ACTION_EVENTS[key])


ACTIONS = {
    "read": ("Opened or read", _by_events("read")),
    "changed": (
        "Created, changed or deleted",
        Q(action__in=[LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]),
    ),
    "refused": ("Refused attempts", _by_events("refused")),
    "integrity": ("Integrity failures (tampering)", _by_events("integrity")),
    "access": ("Grants, break-glass and acting Lead", _by_events("access")),
    "sign_in": ("Sign-ins", _by_events("sign_in")),
}

# The actions whose events may be account events (sign-ins, failed sign-ins, lockouts).
ACTIONS_WITH_ACCOUNT_EVENTS = {
    key for key, events in ACTION_EVENTS.items() if set(events) & set(policy.ACCOUNT_EVENTS)
}


class AuditFilter(django_filters.FilterSet):
    child = django_filters.ModelChoiceFilter(
        queryset=Child.objects.none(), method="filter_child", label="Child"
    )
    person = django_filters.ModelChoiceFilter(
        queryset=Staff.objects.none(), method="filter_person", label="Member of staff"
    )
    action = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _q) in ACTIONS.items()],
        method="filter_action",
        label="What they did",
        empty_label="Anything",
    )
    level = django_filters.ChoiceFilter(
        choices=Level.choices,
        method="filter_level",
        label="Entries at level (with a child)",
        empty_label="Any level",
    )
    since = django_filters.DateFilter(
        method="filter_since", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        method="filter_until", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = LogEntry
        fields: list[str] = []

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Offered: the children on roll and the staff in post (a list that grows with the
        # setting's years would grow the page: make bench's audit_search_10y). A child who has
        # left, or someone who has gone, is asked for from their own page (the child's "Who viewed
        # or changed this record"), and is accepted when named.
        asked_child = uuid_or_none(self.data.get("child")) if self.data else None
        asked_person = uuid_or_none(self.data.get("person")) if self.data else None
        self.filters["child"].queryset = (
            policy.visible_children(user)
            .filter(policy.on_roll_q() | Q(pk=asked_child))
            .order_by("first_name", "last_name")
        )
        self.filters["person"].queryset = Staff.objects.filter(
            Q(active=True) | Q(pk=asked_person)
        ).order_by("full_name")

    def filter_child(self, queryset: QuerySet, name: str, child: Child | None) -> QuerySet:
        if child is None:
            return queryset
        level = self.form.cleaned_data.get("level")
        return queryset.filter(child_q(child, int(level) if level else None))

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied with the child (filter_child)

    def filter_person(self, queryset: QuerySet, name: str, staff: Staff | None) -> QuerySet:
        return queryset if staff is None else queryset.filter(actor_id=staff.user_id)

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(ACTIONS[value][1]) if value in ACTIONS else queryset

    def filter_since(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(timestamp__gte=start)

    def filter_until(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        end = timezone.make_aware(datetime.combine(value, time.max))
        return queryset.filter(timestamp__lte=end)

    @property
    def qs(self) -> QuerySet:
        form = self.form
        if (
            form.is_valid()
            and form.cleaned_data.get("level")
            and not form.cleaned_data.get("child")
        ):
            form.add_error("level", "Choose a child to see who read their entries at a level.")
        return super().qs


@dataclass(frozen=True)
class Row:
    id: int
    when: datetime
    who: str
    what: str
    record: str
    address: str
    # A page's read event: the items it showed that the viewer may see (and, on a child's page or
    # with a level, those of that child and level), each named.
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    older: int | None  # the id to ask for the next older page with, if there is one
    newer: int | None


def keyset_page(
    parts: list[QuerySet], *, before: int | None, after: int | None
) -> tuple[list[LogEntry], int | None, int | None]:
    """PAGE_SIZE rows, newest first, before (or after) an id: no count, no offset.

    Of the parts (selectors.audit_log_parts) each is read on its own, by its own index, and the
    pages merged: their union read at once walked the log's newest rows past every other
    setting's (in a group of twenty, most of them)."""
    if after is not None:
        chunk = _chunk([part.filter(pk__gt=after) for part in parts], "pk")
        more_newer = len(chunk) > PAGE_SIZE
        rows = list(reversed(chunk[:PAGE_SIZE]))
        older = rows[-1].pk if rows else None
        return rows, older, rows[0].pk if rows and more_newer else None
    scoped = [part.filter(pk__lt=before) for part in parts] if before is not None else parts
    chunk = _chunk(scoped, "-pk")
    rows = chunk[:PAGE_SIZE]
    older = rows[-1].pk if len(chunk) > PAGE_SIZE else None
    newer = rows[0].pk if before is not None and rows else None
    return rows, older, newer


def _chunk(parts: list[QuerySet], order: str) -> list[LogEntry]:
    """The first PAGE_SIZE + 1 rows in ``order`` of the parts, merged."""
    found: dict[int, LogEntry] = {}
    for part in parts:
        for entry in part.order_by(order)[: PAGE_SIZE + 1]:
            found[entry.pk] = entry
    merged = sorted(found.values(), key=lambda e: e.pk, reverse=order.startswith("-"))
    return merged[: PAGE_SIZE + 1]


def _filtered_parts(audit_filter: AuditFilter, user: User) -> list[QuerySet]:
    """What the filter selects, in the parts of the person's audit log (nothing when the filter
    is not valid). A part the filter cannot match is left out: asked for reads, the account
    events' index would be walked to its end for none."""
    if not audit_filter.is_valid():
        return []
    audit_filter.qs  # noqa: B018 - the filter's own checks (a level without a child is dropped)
    asked = audit_filter.form.cleaned_data
    action = asked.get("action")
    accounts = not asked.get("child") and (not action or action in ACTIONS_WITH_ACCOUNT_EVENTS)
    return [
        audit_filter.filter_queryset(part).select_related("content_type")
        for name, part in selectors.audit_log_parts(user).items()
        if accounts or name != policy.ACCOUNTS
    ]


def _names(entries: list[LogEntry]) -> dict[Any, str]:
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = dict(Staff.objects.filter(user_id__in=actor_ids).values_list("user_id", "full_name"))
    for user in User.objects.filter(pk__in=actor_ids - set(names)):
        names[user.pk] = f"{user.username} (IT account)" if user.is_superuser else user.username
    return names


def entry_title(entry: RecordEntry) -> str:
    when = timezone.localtime(entry.occurred_at)
    return (
        f"{Category(entry.category).label}, {when:%-d %B %Y} — {entry.child.full_name} "
        f"({Level(entry.level).label.lower()})"
    )


# The ids asked for at once when naming a page's items (well under SQLite's limit on values).
NAMING_BATCH = 5000


def _page_items(
    user: User, entries: list[LogEntry], *, child: Child | None, level: int | None
) -> dict[str, str]:
    """The entries the pages' read events listed that this viewer may read (of ``child`` and at
    ``level`` when given), named, by id: in batches, whatever the pages' sizes."""
    entry_type = ContentType.objects.get_for_model(RecordEntry).pk
    wanted = sorted(
        {pk for e in entries if e.content_type_id == entry_type for pk in listed_items(e)}
    )
    visible = policy.visible_entries(user)
    if child is not None:
        visible = visible.filter(child=child)
    if level is not None:
        visible = visible.filter(level=level)
    named: dict[str, str] = {}
    for start in range(0, len(wanted), NAMING_BATCH):
        batch = wanted[start : start + NAMING_BATCH]
        for entry in visible.filter(pk__in=batch).select_related("child"):
            named[str(entry.pk)] = entry_title(entry)
    return named


def _titles(user: User, entries: list[LogEntry]) -> dict[tuple[int, str], str]:
    """The record each row is about, named where this viewer may see it."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for e in entries:
        if e.object_pk:
            wanted[e.content_type_id].add(e.object_pk)
    types = ContentType.objects.get_for_models(RecordEntry, Child, Amendment, Attachment)
    titles: dict[tuple[int, str], str] = {}

    entry_type = types[RecordEntry].pk
    if wanted.get(entry_type):
        for entry in (
            policy.visible_entries(user).filter(pk__in=wanted[entry_type]).select_related("child")
        ):
            titles[(entry_type, str(entry.pk))] = entry_title(entry)
    child_type = types[Child].pk
    if wanted.get(child_type):
        for child in policy.visible_children(user).filter(pk__in=wanted[child_type]):
            titles[(child_type, str(child.pk))] = f"{child.full_name}'s record"
    for model, field in ((Amendment, "entry"), (Attachment, "entry")):
        ct = types[model].pk
        if wanted.get(ct):
            visible = policy.visible_entries(user)
            for obj in model.objects.filter(pk__in=wanted[ct], entry__in=visible).select_related(
                f"{field}__child"
            ):
                titles[(ct, str(obj.pk))] = (
                    f"{str(model._meta.verbose_name).capitalize()} of "
                    + entry_title(getattr(obj, field))
                )
    return titles


def present(
    user: User,
    entries: list[LogEntry],
    *,
    child: Child | None = None,
    level: int | None = None,
) -> list[Row]:
    names = _names(entries)
    titles = _titles(user, entries)
    items = _page_items(user, entries, child=child, level=level)
    rows = []
    for e in entries:
        data = e.additional_data if isinstance(e.additional_data, dict) else {}
        if e.action == LogEntry.Action.ACCESS:
            what = describe(str(data.get("event") or "read"), e.action)
        else:  # a change followed by the log: "Changed record entry"
            what = f"{describe(None, e.action)} {e.content_type.name}"
        title = titles.get((e.content_type_id, e.object_pk), "")
        if not title and e.content_type_id and e.object_pk:
            title = f"{e.content_type.name} {e.object_pk.split('-')[0]}"
        named: tuple[str, ...] = ()
        if not e.object_pk and data.get(READ_ITEMS):
            # A page's read event: how many, and each item the viewer may see, named.
            named = tuple(items[pk] for pk in listed_items(e) if pk in items)
            title = f"{e.object_repr} on one page"
        rows.append(
            Row(
                id=e.pk,
                when=e.timestamp,
                who=names.get(e.actor_id, "—") if e.actor_id else "—",
                what=what,
                record=title,
                address=e.remote_addr or "—",
                items=named,
            )
        )
    return rows


def page_for(user: User, data: Any, *, child: Child | None = None) -> tuple[AuditFilter, Page]:
    params = data.copy()
    if child is not None:
        params["child"] = str(child.pk)
    audit_filter = AuditFilter(params, queryset=selectors.audit_log(user), user=user)
    before = _int(data.get("before"))
    after = _int(data.get("after"))
    entries, older, newer = keyset_page(
        _filtered_parts(audit_filter, user), before=before, after=after
    )
    return audit_filter, Page(present(user, entries, **_narrowed(audit_filter)), older, newer)


def _narrowed(audit_filter: AuditFilter) -> dict[str, Any]:
    """The child and level the filter asks about: a page's items are named for those alone."""
    if not audit_filter.is_valid():
        return {"child": None, "level": None}
    level = audit_filter.form.cleaned_data.get("level")
    return {
        "child": audit_filter.form.cleaned_data.get("child"),
        "level": int(level) if level else None,
    }


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def filters_used(audit_filter: AuditFilter) -> dict[str, str]:
    """The filters as the audit log keeps them: ids and dates, no names."""
    used = {}
    for name, value in audit_filter.form.cleaned_data.items():
        if value in (None, ""):
            continue
        used[name] = str(getattr(value, "pk", value))
    return used


# --- the export ----------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_LIMIT = 100_000


def guard(value: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text (OWASP's advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_rows(user: User, data: Any) -> tuple[AuditFilter, Iterator[str]]:
    audit_filter = AuditFilter(data, queryset=selectors.audit_log(user), user=user)
    parts = _filtered_parts(audit_filter, user)

    # The file is written after the view has returned, outside the request's working setting:
    # it keeps the setting it was asked in (core.tenancy).
    setting = tenancy.working_setting()
    closed = tenancy.scope_is_closed()

    def lines() -> Iterator[str]:
        with tenancy.request_scope(setting, whole_deployment=not closed):
            yield from _lines()

    narrowed = _narrowed(audit_filter)

    def _lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(["When", "Who", "What", "Record", "Address"])
        last = None
        sent = 0
        while sent < EXPORT_LIMIT:
            entries, _older, _newer = keyset_page(parts, before=last, after=None)
            if not entries:
                return
            for row in present(user, entries, **narrowed):
                # A page's read event: a line for each item it showed (that the viewer may see).
                for record in row.items or (row.record,):
                    yield writer.writerow(
                        [
                            guard(timezone.localtime(row.when).strftime("%Y-%m-%d %H:%M:%S")),
                            guard(row.who),
                            guard(row.what),
                            guard(record),
                            guard(row.address),
                        ]
                    )
            sent += len(entries)
            last = entries[-1].pk

    return audit_filter, lines()
