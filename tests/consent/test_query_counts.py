"""List and detail pages keep the same number of queries however much they show (reads audited in
one insert per page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from consent import services

from ..factories import make_entry
from .factories import consent, disclosure, propose

pytestmark = pytest.mark.django_db


def _queries(client, url, django_assert_max_num_queries, limit=200):
    # Once first, uncounted: a session's first page stores the setting worked in, and its
    # last-seen time is written at most once a minute; the pages after it are what is compared.
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(limit) as counted:
        assert client.get(url).status_code == 200
    return len(counted.captured_queries)


def _more(people, n):
    for _ in range(n):
        entry = make_entry(people.child, people.keyperson1, category="concern")
        decision = propose(people.child, people.keyperson1, entries=[entry])
        services.approve_sharing_decision(
            decision=decision, approver=people.lead.user, rationale="Agreed."
        )
        disclosure(people.child, people.keyperson1, entries=[entry])
        consent(people.child, people.keyperson1, purpose="other", purpose_other=f"Purpose {_}")


@pytest.mark.parametrize("page", ["child", "decision", "carer", "admin_change", "admin_list"])
def test_query_count_is_flat_as_records_grow(
    people, client_for, django_assert_max_num_queries, page
):
    _more(people, 1)
    first = propose(people.child, people.keyperson1)
    first.entries.set(first.child.entries.all())
    urls = {
        "child": reverse("consent:child", args=[people.child.pk]),
        "decision": reverse("consent:decision_detail", args=[first.pk]),
        "carer": reverse("consent:carer", args=[people.child.carers.get().pk]),
        "admin_change": reverse("admin:consent_sharingdecision_change", args=[first.pk]),
        "admin_list": reverse("admin:consent_sharingdecision_changelist"),
    }
    client = client_for("lead")
    few = _queries(client, urls[page], django_assert_max_num_queries)
    _more(people, 5)
    first.entries.set(first.child.entries.all())
    many = _queries(client, urls[page], django_assert_max_num_queries)
    assert many == few, f"{page}: {few} queries with a few records, {many} with more"
