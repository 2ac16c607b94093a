"""List and chronology pages make the same number of queries for 10 rows as for 1,000: no query per
child, per entry, per amendment or per audit row."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import cycle
from typing import Any

import pytest
from auditlog.context import disable_auditlog
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from records.models import (
    DEFAULT_LEVEL,
    Amendment,
    Category,
    Child,
    Level,
    ParentInformed,
    RecordEntry,
)

from ..factories import make_family

pytestmark = pytest.mark.django_db


def queries_for(client: Any, url: str) -> int:
    # A first request fills the per-process caches (content types, the session row) that every
    # later request finds ready.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_children(people: Any, n: int) -> None:
    family = make_family("Bulkfamily")
    start = len(Child.objects.all())
    Child.objects.bulk_create(
        Child(
            first_name=f"Kit{start + i}",
            last_name=f"Bulkchild{start + i:04d}",
            date_of_birth=date(2022, 5, 1),
            started_on=date(2025, 9, 1),
            room=people.sunflower,
            key_person=people.keyperson1 if i % 2 else None,
            family=family,
            setting=people.sunflower.setting,
        )
        for i in range(n)
    )


def add_entries(people: Any, child: Child, n: int) -> None:
    """Entries of every category (so every level, and audited reads), some amended. Each row is
    saved on its own: encrypted fields are sealed in save()."""
    authors = cycle([people.keyperson1, people.practitioner, people.lead])
    categories = cycle(Category.values)
    now = timezone.now()
    with disable_auditlog():
        for i in range(n):
            category = next(categories)
            entry = RecordEntry(
                child=child,
                author=next(authors),
                category=category,
                level=DEFAULT_LEVEL[category],
                occurred_at=now - timedelta(hours=i + 1),
                text=f"Observation {i}: built a tower of bricks and counted them to ten.",
                parent_informed=(
                    ParentInformed.NOT_REQUIRED
                    if category == Category.GENERAL
                    else ParentInformed.TO_INFORM
                ),
            )
            entry.save()
            if i % 10 == 0:
                Amendment(
                    entry=entry,
                    author=entry.author,
                    text="Addition: counted to twelve.",
                    reason="Added after talking to the parent.",
                ).save()


@pytest.mark.parametrize("who", ["lead", "keyperson1", "practitioner", "office"])
def test_child_list_makes_the_same_queries_for_10_and_1000_children(people, client_for, who):
    client = client_for(who)
    url = reverse("records:child_list")
    add_children(people, 10 - Child.objects.count())
    at_10 = queries_for(client, url)
    add_children(people, 990)
    assert Child.objects.count() == 1000
    at_1000 = queries_for(client, url)
    assert at_1000 == at_10


@pytest.mark.parametrize("who", ["lead", "keyperson1", "practitioner"])
def test_chronology_makes_the_same_queries_for_10_and_1000_entries(people, client_for, who):
    client = client_for(who)
    url = reverse("records:child_detail", args=[people.child.pk])
    add_entries(people, people.child, 10)
    at_10 = queries_for(client, url)
    add_entries(people, people.child, 990)
    assert RecordEntry.objects.filter(child=people.child).count() == 1000
    assert RecordEntry.objects.filter(level=Level.CHILD_PROTECTION).exists()
    at_1000 = queries_for(client, url)
    assert at_1000 == at_10
