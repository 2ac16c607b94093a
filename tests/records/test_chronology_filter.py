"""The chronology's filter (by category, level, dates, author, significant events): it is made
over what the person may read, so no filter ever shows more than the unfiltered page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import Category, RecordEntry

from ..conftest import sign_in
from ..factories import make_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(people):
    now = timezone.now()
    return {
        "painting": make_entry(
            people.child, people.keyperson1, text="Painted a rainbow.", occurred_at=now
        ),
        "old": make_entry(
            people.child,
            people.keyperson1,
            text="Settled in well.",
            occurred_at=now - timedelta(days=200),
        ),
        "concern": make_entry(
            people.child, people.keyperson1, category=Category.CONCERN, text="Hungry at drop-off."
        ),
        "cp": make_entry(
            people.child,
            people.lead,
            category=Category.CHILD_PROTECTION,
            text="Strategy meeting held.",
        ),
    }


def shown(client, child, **params) -> set[str]:
    url = reverse("records:child_detail", args=[child.pk])
    page = client.get(url, params).content.decode()
    return set(re.findall(r'href="/entries/([0-9a-f-]{36})/"', page))


def ids(*entries) -> set[str]:
    return {str(e.pk) for e in entries}


def test_each_filter_narrows_the_leads_chronology(people, entries, client):
    sign_in(client, people.lead.user)
    child = people.child
    assert shown(client, child) == ids(*entries.values())
    assert shown(client, child, category="concern") == ids(entries["concern"])
    assert shown(client, child, level="3") == ids(entries["cp"])
    assert shown(client, child, author=people.lead.pk) == ids(entries["cp"])
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert entries["old"].pk not in shown(client, child, since=since)
    assert shown(client, child, until=since) == ids(entries["old"])


@pytest.mark.parametrize("who", ["lead", "deputy", "keyperson1", "practitioner", "keyperson2"])
@pytest.mark.parametrize(
    "params",
    [{}, {"level": "3"}, {"level": "2"}, {"category": "child_protection"}, {"significant": "on"}],
)
def test_a_filter_never_widens_what_a_person_sees(people, entries, client, who, params):
    sign_in(client, getattr(people, who).user)
    everything = shown(client, people.child)
    filtered = shown(client, people.child, **params)
    assert filtered <= everything
    if who == "practitioner":  # room staff: general entries only, whatever the filter
        assert filtered <= ids(entries["painting"], entries["old"])


def test_the_author_choices_are_only_authors_of_what_the_person_reads(people, entries, client):
    sign_in(client, people.practitioner.user)
    page = client.get(reverse("records:child_detail", args=[people.child.pk])).content.decode()
    assert people.keyperson1.full_name in page
    # The Lead wrote only a child-protection entry: not offered to the room practitioner.
    form = page.split('class="chronology-filter"', 1)[1].split("</form>", 1)[0]
    assert people.lead.full_name not in form
    # Asking for the Lead's entries anyway is refused as a choice, and shows nothing more.
    assert shown(client, people.child, author=people.lead.pk) <= ids(
        entries["painting"], entries["old"]
    )


def test_significant_events_are_marked_when_recorded_and_can_be_shown_alone(
    people, entries, client
):
    marked = services.record_entry(
        child=people.child,
        author=people.keyperson1.user,
        category=Category.GENERAL,
        occurred_at=timezone.now(),
        text="First day without tears.",
        significant=True,
    )
    assert RecordEntry.objects.get(pk=marked.pk).significant
    sign_in(client, people.keyperson1.user)
    assert shown(client, people.child, significant="on") == ids(marked)


def test_a_bad_date_is_said_and_the_chronology_stays_whole(people, entries, client):
    sign_in(client, people.lead.user)
    url = reverse("records:child_detail", args=[people.child.pk])
    response = client.get(url, {"since": "not-a-date"})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert shown(client, people.child, since="not-a-date") == ids(*entries.values())


def test_a_query_string_without_a_filter_is_not_called_filtered(people, entries, client):
    sign_in(client, people.lead.user)
    url = reverse("records:child_detail", args=[people.child.pk])
    assert "(filtered)" not in client.get(url, {"from": "dashboard"}).content.decode()
    assert "(filtered)" in client.get(url, {"category": "concern"}).content.decode()
