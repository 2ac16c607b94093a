"""Reads that need access checks. Anyone who may not know a record exists gets a 404; every
sensitive or child-protection item shown is written to the audit log, one insert per page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.events import Event as AuditEvent
from audit.log import log_event
from core.http import uuid_or_404
from records import policy as records_policy
from records.models import Carer, Child, RecordEntry
from records.selectors import log_reads

from . import policy
from .models import (
    REFERRAL_RECIPIENTS,
    Confidentiality,
    ConsentKind,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    DecisionState,
    Disclosure,
    DisclosureSubject,
    LeadDecision,
    SharingDecision,
    SubjectConfidentiality,
)

SHARED_STATES = (
    DecisionState.SHARED,
    DecisionState.FAMILY_INFORMED,
    DecisionState.FAMILY_NOT_INFORMED,
)


def _refused(user: User, model: type[models.Model], pk: UUID, request: HttpRequest | None) -> None:
    if model._default_manager.filter(pk=pk).exists():
        log_event(actor=user, event=AuditEvent.REFUSED, obj=model(pk=pk), request=request)


# --- disclosures ------------------------------------------------------------------------------


def _disclosures(qs: QuerySet[Disclosure]) -> QuerySet[Disclosure]:
    return qs.select_related(
        "child", "author", "received_by", "discloser_carer", "confidentiality_asked_by"
    ).prefetch_related(
        Prefetch(
            "subjects",
            queryset=DisclosureSubject.objects.select_related("child", "carer", "asked_by"),
        ),
        Prefetch(
            "entries",
            queryset=RecordEntry.objects.only("id", "category", "level", "occurred_at", "child_id"),
        ),
    )


def get_disclosure_for_user(
    user: User, disclosure_id: UUID | str, *, request: HttpRequest | None = None
) -> Disclosure:
    pk = uuid_or_404(disclosure_id)
    disclosure = _disclosures(policy.visible_disclosures(user)).filter(pk=pk).first()
    if disclosure is None:
        _refused(user, Disclosure, pk, request)
        raise Http404("No such disclosure")
    log_reads(user, [disclosure], request=request)
    return disclosure


def disclosures_for_child(
    user: User, child: Child, *, request: HttpRequest | None = None
) -> list[Disclosure]:
    disclosures = list(_disclosures(policy.visible_disclosures(user).filter(child=child)))
    log_reads(user, disclosures, request=request)
    return disclosures


def readable_entries(user: User, entries: Iterable[RecordEntry]) -> list[RecordEntry]:
    """Of the entries linked to something, those this person may read (the others are counted,
    never shown)."""
    ids = set(
        records_policy.visible_entries(user)
        .filter(pk__in=[e.pk for e in entries])
        .values_list("pk", flat=True)
    )
    return [e for e in entries if e.pk in ids]


# --- consent records --------------------------------------------------------------------------


@dataclass
class ConsentLine:
    """One purpose in a carer's ledger for one child: the current state and its history."""

    child: Child
    kind_label: str
    purpose_label: str
    rows: list[ConsentRecord] = field(default_factory=list)

    @property
    def current(self) -> ConsentRecord:
        return self.rows[0]

    @property
    def history(self) -> list[ConsentRecord]:
        return self.rows[1:]


def ledger(rows: Iterable[ConsentRecord]) -> list[ConsentLine]:
    """Group consent rows (newest first) by child, kind and purpose; the first row of each group
    is the current state."""
    lines: dict[tuple[Any, ...], ConsentLine] = {}
    for row in rows:
        other = row.purpose_other.strip().lower() if row.purpose == ConsentPurpose.OTHER else ""
        key = (row.child_id, row.kind, row.purpose, other)
        if key not in lines:
            label = row.purpose_other if other else row.get_purpose_display()
            lines[key] = ConsentLine(row.child, row.get_kind_display(), label)
        lines[key].rows.append(row)
    return list(lines.values())


def _consent_rows(qs: QuerySet[ConsentRecord]) -> QuerySet[ConsentRecord]:
    return (
        qs.select_related("child", "carer", "author")
        .defer("evidence")
        .order_by("child__last_name", "child__first_name", "-given_at", "-recorded_at")
    )


def get_carer_for_user(user: User, carer_id: UUID | str) -> Carer:
    pk = uuid_or_404(carer_id)
    carer = policy.visible_carers(user).filter(pk=pk).first()
    if carer is None:
        _refused(user, Carer, pk, None)
        raise Http404("No such carer")
    return carer


def consent_ledger_of_carer(
    user: User, carer: Carer, *, request: HttpRequest | None = None
) -> list[ConsentLine]:
    rows = list(_consent_rows(policy.visible_consent_records(user).filter(carer=carer)))
    log_reads(user, rows, request=request)
    return ledger(rows)


def consent_ledger_of_child(
    user: User, child: Child, *, request: HttpRequest | None = None
) -> list[ConsentLine]:
    """The consent history of all the child's carers, for judging a sharing decision."""
    rows = list(_consent_rows(policy.visible_consent_records(user).filter(child=child)))
    log_reads(user, rows, request=request)
    return ledger(rows)


def get_consent_record_for_user(
    user: User, record_id: UUID | str, *, request: HttpRequest | None = None
) -> ConsentRecord:
    pk = uuid_or_404(record_id)
    record = policy.visible_consent_records(user).filter(pk=pk).first()
    if record is None:
        _refused(user, ConsentRecord, pk, request)
        raise Http404("No such consent record")
    return record


def given_consents(user: User, child: Child) -> list[ConsentRecord]:
    """Consents to share about this child whose current state is "given" (to link a decision to)."""
    return [
        line.current
        for line in ledger(_consent_rows(policy.visible_consent_records(user).filter(child=child)))
        if line.current.status == ConsentStatus.GIVEN and line.current.kind == ConsentKind.SHARE
    ]


# --- sharing decisions ------------------------------------------------------------------------


def _decisions(qs: QuerySet[SharingDecision]) -> QuerySet[SharingDecision]:
    return qs.select_related(
        "child",
        "author",
        "decided_by",
        "shared_by",
        "family_recorded_by",
        "supersedes",
        "acknowledgement_recorded_by",
        "outcome_recorded_by",
        "consent_record",
    ).prefetch_related(
        Prefetch(
            "entries",
            queryset=RecordEntry.objects.select_related("author", "child").order_by("-occurred_at"),
        ),
        "other_children",
        "other_carers",
        "superseded_by",
    )


def get_decision_for_user(
    user: User, decision_id: UUID | str, *, request: HttpRequest | None = None
) -> SharingDecision:
    pk = uuid_or_404(decision_id)
    decision = _decisions(policy.visible_decisions(user)).filter(pk=pk).first()
    if decision is None:
        _refused(user, SharingDecision, pk, request)
        raise Http404("No such sharing decision")
    log_reads(user, [decision], request=request)
    return decision


def decisions_for_child(
    user: User, child: Child, *, request: HttpRequest | None = None
) -> list[SharingDecision]:
    decisions = list(
        policy.visible_decisions(user)
        .filter(child=child)
        .select_related("author", "decided_by", "supersedes")
        .order_by("-proposed_at")
    )
    log_reads(user, decisions, request=request)
    return decisions


@dataclass
class DecisionFile:
    """Everything the Lead needs to judge a decision, on one page."""

    decision: SharingDecision
    entries: list[RecordEntry]
    hidden_entries: int
    consent: list[ConsentLine]
    earlier: list[SharingDecision]


def decision_file(
    user: User, decision: SharingDecision, *, request: HttpRequest | None = None
) -> DecisionFile:
    """The linked entries (decrypted for whoever may read them), the consent history of the
    child's carers and the child's other decisions; every sensitive item shown is audited, in one
    insert."""
    linked = list(decision.entries.select_related("author").order_by("-occurred_at"))
    entries = readable_entries(user, linked)
    consent_rows = list(
        _consent_rows(policy.visible_consent_records(user).filter(child=decision.child))
    )
    earlier = list(
        policy.visible_decisions(user)
        .filter(child=decision.child)
        .exclude(pk=decision.pk)
        .select_related("author")
        .order_by("-proposed_at")
    )
    log_reads(user, [*entries, *consent_rows, *earlier], request=request)
    return DecisionFile(
        decision=decision,
        entries=entries,
        hidden_entries=len(linked) - len(entries),
        consent=ledger(consent_rows),
        earlier=earlier,
    )


# --- the dashboard ----------------------------------------------------------------------------


def dashboard_tasks(user: User, now: datetime | None = None) -> dict[str, Any]:
    """The consent and sharing tasks of this person's dashboard (querysets, evaluated once here so
    the template adds no queries, and ``total``)."""
    now = now or timezone.now()
    staff = records_policy.staff_of(user)
    decisions = policy.visible_decisions(user).select_related("child", "author")
    none = SharingDecision.objects.none()
    tasks: dict[str, Any] = {
        "not_yet_asked": Disclosure.objects.none(),
        "awaiting_approval": none,
        "retrospective_due": none,
        "referrals_overdue": none,
        "referrals_awaiting_outcome": none,
        "families_to_inform": none,
        "my_proposals": none,
        "now": now,
    }
    if staff is None or not policy.reads_consent(user):
        tasks["total"] = 0
        return tasks
    tasks["not_yet_asked"] = (
        policy.visible_disclosures(user)
        .filter(received_by=staff)
        .filter(
            Q(confidentiality=Confidentiality.NOT_ASKED)
            | Q(subjects__confidentiality=SubjectConfidentiality.NOT_ASKED)
        )
        .distinct()
        .select_related("child")
        .order_by("disclosed_at")
    )
    pending = decisions.filter(lead_decision=LeadDecision.PENDING)
    if policy.approves_decisions(user):
        judgeable = pending.filter(policy.approvable_q(user))
        tasks["awaiting_approval"] = judgeable.filter(retrospective=False).order_by("proposed_at")
        tasks["retrospective_due"] = judgeable.filter(retrospective=True).order_by("review_due_at")
    else:
        tasks["my_proposals"] = pending.filter(author=staff).order_by("proposed_at")
    mine = decisions.filter(records_policy.own_work_q(user, key_children=False))
    referrals = mine.filter(recipient_kind__in=REFERRAL_RECIPIENTS, state__in=SHARED_STATES)
    tasks["referrals_overdue"] = referrals.filter(
        acknowledged_at__isnull=True, acknowledgement_due_at__lt=now
    ).order_by("acknowledgement_due_at")
    tasks["referrals_awaiting_outcome"] = referrals.filter(
        acknowledged_at__isnull=False, outcome=""
    ).order_by("acknowledged_at")
    to_inform = decisions.filter(state=DecisionState.SHARED).filter(records_policy.own_work_q(user))
    tasks["families_to_inform"] = to_inform.order_by("shared_at")
    task_names = (
        "not_yet_asked",
        "awaiting_approval",
        "retrospective_due",
        "referrals_overdue",
        "families_to_inform",
    )
    # len() evaluates each queryset once and keeps its rows for the template.
    tasks["total"] = sum(len(tasks[name]) for name in task_names)
    for name in ("referrals_awaiting_outcome", "my_proposals"):
        len(tasks[name])
    tasks["retrospective_overdue"] = [
        d for d in tasks["retrospective_due"] if d.review_overdue(now)
    ]
    return tasks


# --- for the pages -------------------------------------------------------------------------------


def subject_children_seen(user: User, disclosure: Disclosure) -> set[UUID]:
    """Which of the children a disclosure concerns this person may see (the others are not
    named to them)."""
    ids = [s.child_id for s in disclosure.subjects.all() if s.child_id]
    return set(
        records_policy.visible_children(user).filter(pk__in=ids).values_list("pk", flat=True)
    )


def entries_linked_to(disclosure: Disclosure) -> list[RecordEntry]:
    """The entries a disclosure links (the page shows only those the person may read)."""
    return list(disclosure.entries.all())


def children_of_carer(user: User, carer: Carer) -> list[Child]:
    """The children of this carer whom this person may see."""
    return list(records_policy.visible_children(user).filter(carers=carer))


def decision_as_initial(earlier: SharingDecision) -> dict[str, Any]:
    """A decision's fields as a new form's starting values, for a decision that replaces it."""
    names = [
        "decision",
        "recipient_kind",
        "recipient_organisation",
        "recipient_person",
        "purpose",
        "summary",
        "other_people",
        "lawful_basis",
        "necessary_and_proportionate",
        "consent",
        "no_consent_reason",
        "no_consent_explanation",
        "service_agreement",
        "lsp_procedures",
        "advice_from",
        "advice_given",
    ]
    initial = {name: getattr(earlier, name) for name in names}
    initial["entries"] = [e.pk for e in earlier.entries.all()]
    initial["other_children"] = [c.pk for c in earlier.other_children.all()]
    initial["other_carers"] = [c.pk for c in earlier.other_carers.all()]
    initial["level"] = earlier.level
    initial["supersedes"] = earlier.pk
    return initial


def group_counts(setting_ids: list[Any], now: datetime | None = None) -> dict[Any, dict[str, int]]:
    """For a group role's overview: per setting, sharing decisions waiting for the Lead and
    referrals whose acknowledgement is overdue. Counts only: no child, no content."""
    now = now or timezone.now()
    rows = SharingDecision.objects.across_settings().filter(setting_id__in=setting_ids)
    waiting = Counter(
        rows.filter(lead_decision=LeadDecision.PENDING).values_list("setting_id", flat=True)
    )
    overdue = Counter(
        rows.filter(
            recipient_kind__in=REFERRAL_RECIPIENTS,
            state__in=SHARED_STATES,
            acknowledged_at__isnull=True,
            acknowledgement_due_at__lt=now,
        ).values_list("setting_id", flat=True)
    )
    return {
        pk: {"decisions_waiting": waiting[pk], "referrals_overdue": overdue[pk]}
        for pk in setting_ids
    }
