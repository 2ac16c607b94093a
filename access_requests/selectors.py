"""Reads that need access checks: only the Lead and Deputy see requests (404 for anyone else)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from audit.log import log_access
from core.http import uuid_or_404
from records import policy as records_policy
from records.models import RecordEntry
from records.selectors import audit_refusal

from . import compile as bundle
from . import policy, services
from .events import Event
from .models import (
    OPEN_STATUSES,
    PROFESSIONAL_KINDS,
    BundleItem,
    ClarificationPause,
    Decision,
    DownloadLink,
    ItemKind,
    Letter,
    MentionDecision,
    Redaction,
    Release,
    Status,
    SubjectAccessRequest,
    ThirdPartyConsent,
    ThirdPartyMention,
)
from .services import effective_render_state
from .third_parties import word_spans

# "Due soon" for the requests list and the Lead's summary.
DUE_SOON_DAYS = 7


def _with_details(qs: QuerySet[SubjectAccessRequest]) -> QuerySet[SubjectAccessRequest]:
    return qs.select_related(
        "received_by",
        "requester_carer",
        "requester_staff",
        "staff_subject",
        "identity_checked_by",
        "submitted_by",
        "checked_by",
        "approved_by",
        "sent_by",
        "extended_by",
        "refused_by",
    ).prefetch_related(
        "children",
        "carers",
        Prefetch("pauses", queryset=ClarificationPause.objects.order_by("started_on")),
    )


def get_request_for_user(
    user: User, request_id: UUID | str, *, request: HttpRequest | None = None
) -> SubjectAccessRequest:
    pk = uuid_or_404(request_id)
    sar = _with_details(policy.visible_requests(user)).filter(pk=pk).first()
    if sar is None:
        audit_refusal(user, SubjectAccessRequest, pk, request)
        raise Http404("No such request")
    log_access(actor=user, objects=[sar], request=request, event=Event.SAR_READ)
    return sar


def item_counts(sar: SubjectAccessRequest) -> dict[str, int]:
    counts = sar.items.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(decision=Decision.PENDING)),
        third_party=Count("id", filter=Q(third_party=True)),
        redacted=Count("id", filter=Q(decision=Decision.REDACT)),
        withheld=Count("id", filter=Q(decision=Decision.WITHHOLD)),
        silent=Count("id", filter=Q(silent=True)),
    )
    return {k: v or 0 for k, v in counts.items()}


def items_for_review(sar: SubjectAccessRequest) -> QuerySet[BundleItem]:
    return (
        sar.items.select_related("child", "reviewed_by")
        .prefetch_related("passages")
        .order_by("-third_party", "occurred_at", "id")
    )


def withheld_record(sar: SubjectAccessRequest) -> list[BundleItem]:
    """The record of what is withheld or redacted and why: every withheld item (silent ones
    included: this is the internal record) and every redacted passage with its own exemption."""
    return list(
        sar.items.filter(decision__in=[Decision.WITHHOLD, Decision.REDACT])
        .select_related("reviewed_by")
        .prefetch_related("passages")
        .order_by("occurred_at", "kind", "id")
    )


def get_item_for_user(
    user: User, request_id: UUID | str, item_id: UUID | str, *, request: HttpRequest | None = None
) -> BundleItem:
    sar = get_request_for_user(user, request_id, request=request)
    item = sar.items.select_related("child", "attachment").filter(pk=uuid_or_404(item_id)).first()
    if item is None or (_from_restricted_entry(item) and not records_policy.reads_restricted(user)):
        # An entry restricted at a parent's request is reviewed by the Lead alone.
        raise Http404("No such item")
    item.request = sar
    log_access(actor=user, objects=[item], request=request, event=Event.SAR_ITEM_READ)
    return item


def _from_restricted_entry(item: BundleItem) -> bool:
    return (
        item.kind == ItemKind.ENTRY
        and RecordEntry.objects.filter(pk=item.source_id, restricted_at__isnull=False).exists()
    )


def letters_of(sar: SubjectAccessRequest) -> QuerySet[Letter]:
    return sar.letters.select_related("created_by")


def releases_of(sar: SubjectAccessRequest) -> QuerySet[Release]:
    """The copies released, without their (large) files."""
    return sar.releases.select_related("created_by").defer("pdf")


def searches_note_for(sar: SubjectAccessRequest) -> str:
    return bundle.searches_note_for(sar)


def mentions_of(item: BundleItem) -> list[ThirdPartyMention]:
    """The people found in an item the person may already see: fields first, then the text."""
    return list(item.mentions.select_related("decided_by").order_by("-field", "kind", "id"))


def highlighted(text: str, mentions: list[ThirdPartyMention]) -> SafeString:
    """The item's text for the reviewer, each person's words marked where they stand."""
    spans = sorted(
        (start, end, m.name)
        for m in mentions
        if not m.field
        for word in m.words
        for start, end in word_spans(text, word)
    )
    out: list[str] = []
    last = 0
    for start, end, name in spans:
        if start < last:
            continue
        out.append(escape(text[last:start]))
        out.append(f'<mark title="{escape(name)}">{escape(text[start:end])}</mark>')
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def unflagged_general_count(sar: SubjectAccessRequest) -> int:
    return services.unflagged_general_entries(sar).count() if sar.status == Status.IN_REVIEW else 0


def professionals_waiting(sar: SubjectAccessRequest) -> int:
    return ThirdPartyMention.objects.filter(
        item__request=sar, kind__in=PROFESSIONAL_KINDS, decision=MentionDecision.PENDING
    ).count()


def people_found(sar: SubjectAccessRequest) -> list[dict[str, Any]]:
    """Each person found in the bundle who is not there in a professional role: how many of
    their mentions wait for a decision, and whether they were asked for consent."""
    asks = {a.person_key: a for a in sar.third_party_consents.all()}
    people: dict[str, dict[str, Any]] = {}
    for m in ThirdPartyMention.objects.filter(item__request=sar).exclude(
        kind__in=PROFESSIONAL_KINDS
    ):
        found = people.setdefault(
            m.person_key,
            {"key": m.person_key, "name": m.name, "kind": m.get_kind_display(), "waiting": 0},
        )
        found["waiting"] += m.decision == MentionDecision.PENDING
        found["ask"] = asks.get(m.person_key)
    return sorted(people.values(), key=lambda p: p["name"])


def get_consent_ask_for_user(
    user: User, request_id: UUID | str, ask_id: UUID | str, *, request: HttpRequest | None = None
) -> ThirdPartyConsent:
    sar = get_request_for_user(user, request_id, request=request)
    ask = sar.third_party_consents.filter(pk=uuid_or_404(ask_id)).first()
    if ask is None:
        raise Http404("No such letter")
    ask.request = sar
    return ask


def third_party_decisions(sar: SubjectAccessRequest) -> list[ThirdPartyMention]:
    """Every decision about a third party, for the check and the Lead's approval."""
    return list(
        ThirdPartyMention.objects.filter(item__request=sar)
        .exclude(item__decision=Decision.WITHHOLD)
        .select_related("item", "decided_by")
        .order_by("kind", "person_key", "item__occurred_at")
    )


def links_of(sar: SubjectAccessRequest) -> QuerySet[DownloadLink]:
    """The links emailed (a link the mail server refused was never made)."""
    return DownloadLink.objects.filter(release__request=sar, sent_at__isnull=False).order_by(
        "created_at"
    )


def passages_of(item: BundleItem) -> list[Redaction]:
    """The passages a reviewer chose to redact in an item they may already see."""
    return list(item.passages.all())


def next_item_to_review(sar: SubjectAccessRequest) -> BundleItem | None:
    """The next item still to be decided, third parties first, oldest first."""
    return (
        sar.items.filter(decision=Decision.PENDING)
        .order_by("-third_party", "occurred_at", "id")
        .first()
    )


def get_letter_for_user(
    user: User, request_id: UUID | str, letter_id: UUID | str, *, request: HttpRequest | None = None
) -> Letter:
    sar = get_request_for_user(user, request_id, request=request)
    letter = Letter.objects.filter(request=sar, pk=uuid_or_404(letter_id)).first()
    if letter is None:
        raise Http404("No such letter")
    letter.request = sar
    return letter


def open_requests(user: User) -> list[SubjectAccessRequest]:
    """Open requests for the dashboard, the most urgent first (no deadline yet: first of all,
    since identity is still to be checked)."""
    qs = _with_details(policy.visible_requests(user).filter(status__in=OPEN_STATUSES))
    requests = list(qs)
    return sorted(requests, key=lambda r: (r.due_on() is not None, r.due_on() or r.received_on))


def time_left(sar: SubjectAccessRequest, today: date) -> str:
    """How much time an open request has left: "overdue" (as its own ``is_overdue`` decides),
    "waiting" (clock paused or not started), "soon" (within DUE_SOON_DAYS), "fortnight" (within
    14 days) or "later"."""
    if sar.is_overdue:
        return "overdue"
    left = sar.days_left(today)
    if sar.status == Status.AWAITING_CLARIFICATION or left is None:
        return "waiting"
    if left <= DUE_SOON_DAYS:
        return "soon"
    if left <= 14:
        return "fortnight"
    return "later"


def open_requests_with_time_left(user: User, time: str = "") -> list[SubjectAccessRequest]:
    """The open requests (most urgent first), or only those with this much time left."""
    today = timezone.localdate()
    return [r for r in open_requests(user) if not time or time_left(r, today) == time]


def requests_for_list(
    user: User, *, child_id: UUID | str | None = None
) -> QuerySet[SubjectAccessRequest]:
    qs = _with_details(policy.visible_requests(user))
    if child_id:
        qs = qs.filter(children=uuid_or_404(child_id))
    return qs.order_by("-received_on", "-recorded_at")


def dashboard_tasks(user: User) -> dict[str, Any] | None:
    """The dashboard panel: open requests with days left (None for those who do not handle
    requests, whose dashboard offers only to record one)."""
    if not policy.can_handle_requests(user):
        return None
    requests = open_requests(user)
    return {
        "requests": requests,
        "overdue": sum(1 for r in requests if r.is_overdue),
        # The Lead's own requests: counted, never listed, until a trustee handles them.
        "waiting_for_trustee": policy.waiting_for_a_trustee().count(),
    }


def render_status_for_user(user: User, request_id: UUID | str) -> dict[str, Any]:
    """The render's state and progress, for the request page's progress indicator (no record
    content, so polling it writes nothing to the audit log)."""
    sar = (
        policy.visible_requests(user)
        .only("id", "render_state", "render_progress", "render_heartbeat_at", "render_started_at")
        .filter(pk=uuid_or_404(request_id))
        .first()
    )
    if sar is None:
        raise Http404("No such request")
    state = effective_render_state(sar)
    return {"state": state, "progress": sar.render_progress}


def group_counts(setting_ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """For a group role's overview: per setting, open requests, how many are overdue, and the
    nearest deadline. Counts and dates only: no requester, no child."""
    today = timezone.localdate()
    found: dict[Any, dict[str, Any]] = {
        pk: {"open": 0, "overdue": 0, "next_due": None} for pk in setting_ids
    }
    open_ = SubjectAccessRequest.objects.across_settings().filter(
        setting_id__in=setting_ids, status__in=OPEN_STATUSES
    )
    for sar in open_.prefetch_related("pauses"):
        row = found[sar.setting_id]
        row["open"] += 1
        row["overdue"] += int(sar.is_overdue)
        due = sar.due_on(today)
        if due is not None and (row["next_due"] is None or due < row["next_due"]):
            row["next_due"] = due
    return found
