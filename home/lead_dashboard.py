"""The Lead's summary on the dashboard: what is waiting, counted, each count a link to where the
items are listed, and a small chart of the open subject-access requests by the time left.

It counts only what the dashboard has already read through the selectors (access_requests and
consent ``dashboard_tasks``, ``entries_to_inform``), which apply the policy: it can count nothing
the person may not see. The summary is for those who handle the setting's deadlines, the Lead and
the Deputy (``access_requests.policy.can_handle_requests``); the rows about approvals only for
whoever approves (``consent.policy.approves_decisions``: the Lead, or the Deputy while acting
Lead), as the consent tasks themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from access_requests.models import SubjectAccessRequest
from access_requests.selectors import DUE_SOON_DAYS, time_left
from consent import policy as consent_policy
from governance import access_review, allegations, breaches, policies
from governance import policy as governance_policy
from lifecycle import rights, transfer
from lifecycle import selectors as lifecycle_selectors
from records import policy as records_policy
from records import selectors as records_selectors
from records.models import RecordEntry
from safeguarding import actions, alerts, notices

# The chart's rows, in pixels: a line of text, then its bar.
CHART_ROW = 40


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    # Where the items are listed. A count of zero is shown without a link: there is nothing there.
    url: str
    # Shown as a warning while above zero.
    urgent: bool = False


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int
    # Length relative to the longest bar, in per cent of the chart's width.
    percent: int
    # Top of the bar's row in the chart.
    y: int


@dataclass
class LeadSummary:
    counts: list[Count]
    bars: list[Bar]

    @property
    def open_requests(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def chart_height(self) -> int:
        return CHART_ROW * len(self.bars)


# The chart's bars, most urgent first; every open request is in exactly one (selectors.time_left).
BAR_LABELS = {
    "overdue": "Overdue",
    "soon": f"Due within {DUE_SOON_DAYS} days",
    "fortnight": f"{DUE_SOON_DAYS + 1} to 14 days left",
    "later": "15 days or more left",
    "waiting": "Clock paused or not started",
}


def sar_bars(requests: Sequence[SubjectAccessRequest], today: date) -> list[Bar]:
    counts = dict.fromkeys(BAR_LABELS, 0)
    for sar in requests:
        counts[time_left(sar, today)] += 1
    longest = max(counts.values())
    return [
        Bar(
            key,
            label,
            counts[key],
            # A bar of one is still visible beside a bar of fifty.
            max(round(100 * counts[key] / longest), 2) if counts[key] else 0,
            CHART_ROW * row,
        )
        for row, (key, label) in enumerate(BAR_LABELS.items())
    ]


def lead_summary(
    user: User,
    *,
    sar_tasks: dict[str, Any] | None,
    consent_tasks: dict[str, Any],
    to_inform: QuerySet[RecordEntry],
    today: date | None = None,
) -> LeadSummary | None:
    """The summary for the Lead or the Deputy; None for everyone else."""
    # The Lead and the Deputy (the safeguarding trustee handles the Lead's own subject-access
    # request, and sees it in the requests panel, not here).
    if not records_policy.sees_lead_summary(user) or sar_tasks is None:
        return None
    today = today or timezone.localdate()
    dashboard = reverse("home:dashboard")
    requests = reverse("access_requests:list")
    bars = sar_bars(sar_tasks["requests"], today)
    by_key = {bar.key: bar.count for bar in bars}
    waiting, late, undelivered = alerts.counts(user)
    triage = reverse("safeguarding:triage")
    counts = [
        Count("concerns waiting for triage", waiting, triage),
        Count("concerns not acknowledged a working day on", late, triage, urgent=True),
        Count("concern alerts that could not be emailed", undelivered, triage, urgent=True),
        Count(
            "serious incidents Ofsted (or the agencies) must still be told of",
            len(open_notices := notices.open_notices(user)),
            reverse("safeguarding:notices"),
            urgent=any(n.late(today) for n in open_notices),
        ),
        Count(
            "follow-up actions overdue",
            len(actions.overdue(user, today)),
            reverse("safeguarding:actions"),
            urgent=True,
        ),
        Count("subject-access requests open", len(sar_tasks["requests"]), requests + "?show=open"),
        Count(
            f"subject-access requests due within {DUE_SOON_DAYS} days",
            by_key["soon"],
            requests + "?show=soon",
            urgent=True,
        ),
        Count(
            "subject-access requests overdue",
            by_key["overdue"],
            requests + "?show=overdue",
            urgent=True,
        ),
        # Listed nowhere (only a trustee may open them): the count links to the explanation.
        Count(
            "subject-access requests waiting for a trustee",
            sar_tasks["waiting_for_trustee"],
            f"{dashboard}#sar-title",
        ),
    ]
    if consent_policy.approves_decisions(user):
        decisions = reverse("admin:consent_sharingdecision_changelist")
        pending = f"{decisions}?lead_decision__exact=pending&retrospective__exact="
        counts += [
            Count(
                "sharing decisions awaiting your approval",
                len(consent_tasks["awaiting_approval"]),
                pending + "0",
            ),
            Count(
                "emergency shares awaiting your review",
                len(consent_tasks["retrospective_due"]),
                pending + "1",
                urgent=bool(consent_tasks.get("retrospective_overdue")),
            ),
        ]
    counts += [
        Count(
            "referral acknowledgements overdue",
            len(consent_tasks["referrals_overdue"]),
            f"{dashboard}#consent-tasks-title",
            urgent=True,
        ),
        Count(
            "parents still to be told about an entry",
            to_inform.count(),
            f"{dashboard}#inform-title",
        ),
        Count(
            "destructions of records past their date waiting for you",
            lifecycle_selectors.waiting_for(user),
            reverse("lifecycle:queue"),
        ),
    ]
    clock = transfer.clock_counts(today)
    asked, overdue = rights.open_counts(today)
    running = breaches.running()
    reviews_soon, reviews_overdue = policies.due_counts(today)
    counts += [
        Count(
            "policies due for review within 30 days",
            reviews_soon,
            reverse("governance:policies"),
        ),
        Count(
            "policies overdue for review",
            reviews_overdue,
            reverse("governance:policies"),
            urgent=True,
        ),
        Count(
            "data breaches with the ICO's 72-hour clock running",
            len(running),
            reverse("governance:breaches"),
            urgent=any(left < 24 for _, left in running),
        ),
        Count(
            "parents' requests to correct, erase or restrict, to answer",
            asked,
            reverse("lifecycle:rights_list"),
        ),
        Count(
            "parents' requests to correct, erase or restrict, overdue",
            overdue,
            reverse("lifecycle:rights_list"),
            urgent=True,
        ),
        Count(
            "child-protection files not sent on by their day",
            clock.late,
            reverse("lifecycle:transfers"),
            urgent=True,
        ),
        Count(
            "child-protection files sent, receipt not yet confirmed",
            clock.unconfirmed,
            reverse("lifecycle:transfers"),
        ),
    ]
    if records_policy.can_read_staff_records(user):
        checks = records_selectors.staff_checks(today)
        counts += [
            Count(
                "staff checks or training running out within 60 days",
                checks.expiring,
                reverse("records:staff_list"),
                urgent=True,
            ),
            Count(
                "staff with no supervision in three months",
                checks.supervision_overdue,
                reverse("records:staff_list"),
            ),
        ]
    if governance_policy.can_review_access(user):
        counts.append(
            Count(
                "access review due this term",
                int(access_review.is_due(today)),
                reverse("governance:access_review"),
            )
        )
    return LeadSummary(counts=counts, bars=bars)


def governance_summary(user: User, today: date | None = None) -> list[Count]:
    """What waits for whoever handles allegations against staff (the Lead; the safeguarding
    trustee for those against the Lead), and, for the trustees, the setting's governance: counts
    of what the policy lets them see, each a link."""
    today = today or timezone.localdate()
    counts: list[Count] = []
    if governance_policy.can_manage_allegations(user):
        listed = reverse("governance:allegations")
        clocks = allegations.open_clocks(user)
        lado = [a for a in clocks if a.lado_due_at is not None and a.lado_referred_at is None]
        ofsted = [a for a in clocks if a.ofsted_due_on is not None and a.ofsted_told_at is None]
        counts += [
            Count(
                "allegations against staff still to refer to the LADO (one working day)",
                len(lado),
                listed,
                urgent=any(a.lado_late for a in lado),
            ),
            Count(
                "allegations of serious harm Ofsted must be told of (14 days)",
                len(ofsted),
                listed,
                urgent=True,
            ),
        ]
    if records_policy.is_trustee(user):
        running = breaches.running()
        _, reviews_overdue = policies.due_counts(today)
        counts += [
            Count(
                "data breaches with the ICO's 72-hour clock running",
                len(running),
                reverse("governance:breaches"),
                urgent=any(left < 24 for _, left in running),
            ),
            Count("policies overdue for review", reviews_overdue, reverse("governance:policies")),
        ]
    return counts
