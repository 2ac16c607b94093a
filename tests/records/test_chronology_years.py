"""A long chronology is shown a year at a time: the twelve months up to its latest entry by
default, each earlier year by link, everything when asked; a filter shows all it finds. The years
offered are only those of entries the person may read (issue 17: a page that does not grow with
the file)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import Category

from ..conftest import sign_in
from ..factories import make_entry

pytestmark = pytest.mark.django_db


def shown(client, child, **params) -> set[str]:
    page = client.get(reverse("records:child_detail", args=[child.pk]), params).content.decode()
    return set(re.findall(r'href="/entries/([0-9a-f-]{36})/"', page))


@pytest.fixture
def file(people):
    now = timezone.now()
    child, key = people.child, people.keyperson1

    def at(days: int, **extra) -> str:
        return str(make_entry(child, key, occurred_at=now - timedelta(days=days), **extra).pk)

    return {
        "today": at(0),
        "spring": at(200),
        "last_year": at(500),
        "long_ago": at(900, category=Category.CONCERN),
        "cp_long_ago": str(
            make_entry(
                child,
                people.lead,
                category=Category.CHILD_PROTECTION,
                occurred_at=now - timedelta(days=1300),
            ).pk
        ),
    }


def year_of(days: int) -> int:
    return timezone.localtime(timezone.now() - timedelta(days=days)).year


def test_the_latest_twelve_months_then_each_year_by_link(people, file, client):
    sign_in(client, people.lead.user)
    assert shown(client, people.child) == {file["today"], file["spring"]}
    page = client.get(reverse("records:child_detail", args=[people.child.pk])).content.decode()
    for days in (500, 900, 1300):
        assert f'href="?year={year_of(days)}#chronology"' in page
    assert file["last_year"] in shown(client, people.child, year=year_of(500))
    assert file["today"] not in shown(client, people.child, year=year_of(500))
    assert shown(client, people.child, all="1") == set(file.values())
    # A filter shows everything it finds, whatever its age.
    assert shown(client, people.child, category="concern") == {file["long_ago"]}


def test_the_years_offered_are_only_those_the_person_may_read(people, file, client):
    sign_in(client, people.practitioner.user)
    page = client.get(reverse("records:child_detail", args=[people.child.pk])).content.decode()
    assert f'href="?year={year_of(1300)}#chronology"' not in page or year_of(1300) in (
        year_of(500),
        year_of(900),
    )
    assert shown(client, people.child, all="1") == {
        file["today"],
        file["spring"],
        file["last_year"],
    }
    # A year asked for that holds nothing the person reads shows the latest months.
    assert shown(client, people.child, year=year_of(1300)) == {file["today"], file["spring"]}


def test_a_short_file_has_no_year_links(people, client):
    make_entry(people.child, people.keyperson1)
    sign_in(client, people.lead.user)
    page = client.get(reverse("records:child_detail", args=[people.child.pk])).content.decode()
    assert "The chronology by year" not in page
