"""The Lead's summary on the dashboard: the counts, where they link, who sees it, and a query
count that does not grow with the rows counted."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access_requests.models import Status, SubjectAccessRequest
from access_requests.selectors import dashboard_tasks as sar_tasks
from access_requests.selectors import time_left
from consent import selectors as consent_selectors
from consent import services as consent_services
from consent.models import SharingDecision
from home.lead_dashboard import lead_summary, sar_bars
from lifecycle.models import Transfer
from records import selectors, services
from records.models import Category

from ..access_requests.conftest import confirmed, record
from ..access_requests.test_staff_requests import record_staff_request
from ..consent.factories import emergency, propose
from ..factories import make_entry

pytestmark = pytest.mark.django_db

SUMMARY = '<section class="panel lead-summary"'


def started(people, days_ago: int) -> SubjectAccessRequest:
    """A request whose clock started ``days_ago`` days ago (a month's deadline)."""
    sar = confirmed(people)
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        clock_started_on=timezone.localdate() - timedelta(days=days_ago)
    )
    return sar


def referral_overdue(people) -> SharingDecision:
    decision = propose(people.child, people.keyperson1, recipient_kind="s17", lsp_procedures="yes")
    consent_services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Family needs support."
    )
    consent_services.mark_shared(
        decision=decision,
        by=people.keyperson1.user,
        shared_what="The referral form.",
        shared_at=timezone.now(),
        shared_how="online_referral",
    )
    # A working day has gone by with no acknowledgement.
    SharingDecision.objects.filter(pk=decision.pk).update(
        acknowledgement_due_at=timezone.now() - timedelta(hours=1)
    )
    return decision


@pytest.fixture
def waiting(people) -> SimpleNamespace:
    """One of everything the summary counts (two requests open, one of them overdue)."""
    return SimpleNamespace(
        overdue=started(people, 60),
        fresh=record(people),
        proposal=propose(people.child, people.keyperson1),
        emergency=emergency(people.child, people.deputy),
        referral=referral_overdue(people),
        to_inform=make_entry(people.child, people.keyperson1, category=Category.ACCIDENT),
        leads_own=record_staff_request(people, people.lead),
        late_file=Transfer.objects.create(
            child=people.other_child,
            receiving_setting="Exampletown Primary School",
            dsl_name="Dana Safeguard",
            dsl_email="dsl@exampletown.example",
            move_kind="in_year",
            due_on=timezone.localdate() - timedelta(days=2),
            started_by=people.lead,
        ),
    )


def summary_for(user):
    return lead_summary(
        user,
        sar_tasks=sar_tasks(user),
        consent_tasks=consent_selectors.dashboard_tasks(user),
        to_inform=selectors.entries_to_inform(user),
    )


def counts(user) -> dict[str, int]:
    summary = summary_for(user)
    assert summary is not None
    return {c.label: c.count for c in summary.counts}


def test_the_lead_sees_every_count(people, waiting):
    assert counts(people.lead.user) == {
        "concerns waiting for triage": 0,
        "concerns not acknowledged a working day on": 0,
        "concern alerts that could not be emailed": 0,
        "serious incidents Ofsted (or the agencies) must still be told of": 0,
        "follow-up actions overdue": 0,
        "subject-access requests open": 2,
        "subject-access requests due within 7 days": 0,
        "subject-access requests overdue": 1,
        "subject-access requests waiting for a trustee": 1,
        "sharing decisions awaiting your approval": 1,
        "emergency shares awaiting your review": 1,
        "referral acknowledgements overdue": 1,
        "parents still to be told about an entry": 1,
        "destructions of records past their date waiting for you": 0,
        "data breaches with the ICO's 72-hour clock running": 0,
        "policies due for review within 30 days": 0,
        "policies overdue for review": 0,
        "parents' requests to correct, erase or restrict, to answer": 0,
        "parents' requests to correct, erase or restrict, overdue": 0,
        "child-protection files not sent on by their day": 1,
        "child-protection files sent, receipt not yet confirmed": 0,
        "staff checks or training running out within 60 days": 0,
        "staff with no supervision in three months": 5,
        "access review due this term": 1,
    }


def test_the_deputy_sees_the_counts_but_not_the_leads_approvals(people, waiting):
    # The Deputy handles requests and sees every decision, but approves nothing unless acting
    # Lead: the approval rows are the Lead's.
    assert counts(people.deputy.user) == {
        "concerns waiting for triage": 0,
        "concerns not acknowledged a working day on": 0,
        "concern alerts that could not be emailed": 0,
        "serious incidents Ofsted (or the agencies) must still be told of": 0,
        "follow-up actions overdue": 0,
        "subject-access requests open": 2,
        "subject-access requests due within 7 days": 0,
        "subject-access requests overdue": 1,
        "subject-access requests waiting for a trustee": 1,
        "referral acknowledgements overdue": 1,
        "parents still to be told about an entry": 1,
        "destructions of records past their date waiting for you": 0,
        "data breaches with the ICO's 72-hour clock running": 0,
        "policies due for review within 30 days": 0,
        "policies overdue for review": 0,
        "parents' requests to correct, erase or restrict, to answer": 0,
        "parents' requests to correct, erase or restrict, overdue": 0,
        "child-protection files not sent on by their day": 1,
        "child-protection files sent, receipt not yet confirmed": 0,
    }


def test_the_acting_lead_sees_approvals_except_their_own_emergency_share(people, waiting):
    services.appoint_acting_lead(
        deputy=people.deputy,
        appointed_by=people.lead.user,
        reason="Lead on leave for a week.",
        ends_at=timezone.now() + timedelta(days=7),
    )
    found = counts(people.deputy.user)
    assert found["sharing decisions awaiting your approval"] == 1
    # The Deputy recorded the emergency share: someone else reviews it.
    assert found["emergency shares awaiting your review"] == 0


@pytest.mark.parametrize("who", ["keyperson1", "keyperson2", "practitioner", "office", "it_admin"])
def test_nobody_else_gets_the_summary(people, client_for, waiting, who):
    user = people.it_admin if who == "it_admin" else getattr(people, who).user
    assert summary_for(user) is None
    html = client_for(who).get(reverse("home:dashboard")).content.decode()
    assert SUMMARY not in html
    assert "subject-access requests overdue" not in html
    assert "Open subject-access requests by time left" not in html


def test_every_count_links_to_where_its_items_are_listed(people, client_for, waiting):
    html = client_for("lead").get(reverse("home:dashboard")).content.decode()
    start = html.index(SUMMARY)
    panel = html[start : html.index("</section>", start)]
    changelist = reverse("admin:consent_sharingdecision_changelist")
    for href, label in [
        (f"{reverse('access_requests:list')}?show=open", "subject-access requests open"),
        (f"{reverse('access_requests:list')}?show=overdue", "subject-access requests overdue"),
        (f"{changelist}?lead_decision__exact=pending&amp;retrospective__exact=0", "awaiting"),
        (f"{changelist}?lead_decision__exact=pending&amp;retrospective__exact=1", "emergency"),
        (f"{reverse('home:dashboard')}#consent-tasks-title", "referral acknowledgements overdue"),
        (f"{reverse('home:dashboard')}#inform-title", "parents still to be told"),
    ]:
        assert f'<a href="{href}"><span class="count-number">1</span> ' in panel or (
            f'<a href="{href}"><span class="count-number">2</span> ' in panel
        ), label
    # The targets list those items: the anchors exist, and the admin filter finds the proposal.
    assert 'id="consent-tasks-title"' in html and 'id="inform-title"' in html
    listed = client_for("lead").get(
        f"{changelist}?lead_decision__exact=pending&retrospective__exact=0"
    )
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [waiting.proposal]
    # Nothing due within 7 days: shown, not linked.
    zero = '<span class="count-number">0</span> <span class="count-label muted">subject-access'
    assert f'<span class="count-none">{zero} requests due within 7 days</span>' in panel
    # The chart's text alternative names every bar.
    assert "Open subject-access requests by time left: overdue, 1; due within 7 days, 0;" in panel


def test_requests_fall_in_one_bar_each_by_the_time_left(people):
    today = timezone.localdate()
    overdue = started(people, 60)
    soon = started(people, 28)  # a month from 28 days ago: a few days left
    later = started(people, 0)
    not_started = record(people)
    paused = started(people, 5)
    SubjectAccessRequest.objects.filter(pk=paused.pk).update(status=Status.AWAITING_CLARIFICATION)
    tasks = sar_tasks(people.lead.user)
    assert tasks is not None
    requests = tasks["requests"]
    assert {r.pk: time_left(r, today) for r in requests} == {
        overdue.pk: "overdue",
        soon.pk: "soon",
        later.pk: "later",
        not_started.pk: "waiting",
        paused.pk: "waiting",
    }
    bars = sar_bars(requests, today)
    assert [(b.key, b.count, b.percent) for b in bars] == [
        ("overdue", 1, 50),
        ("soon", 1, 50),
        ("fortnight", 0, 0),
        ("later", 1, 50),
        ("waiting", 2, 100),
    ]
    assert [b.y for b in bars] == [0, 40, 80, 120, 160]


def test_no_open_request_shows_no_chart(people, client_for):
    html = client_for("lead").get(reverse("home:dashboard")).content.decode()
    assert SUMMARY in html
    assert "No request is open." in html
    assert 'role="img"' not in html


def _queries(client) -> int:
    url = reverse("home:dashboard")
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["lead", "deputy"])
def test_the_dashboard_makes_the_same_queries_for_one_and_many_of_everything(
    people, client_for, who
):
    client = client_for(who)
    started(people, 60)
    propose(people.child, people.keyperson1)
    emergency(people.child, people.lead)
    referral_overdue(people)
    make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    few = _queries(client)
    for days in (1, 10, 28, 40, 70):
        started(people, days)
        record(people)
    for _ in range(5):
        propose(people.child, people.keyperson1)
        emergency(people.child, people.lead)
        referral_overdue(people)
    for _ in range(60):
        make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    assert _queries(client) == few
