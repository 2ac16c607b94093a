"""The parent's file says how long its records are kept: the schedule's lines as the setting has
them, and each child's own date (records.retention), not a fixed text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access_requests.pdf import bundle_html
from records.models import Child, RetentionRule

from .conftest import checked

pytestmark = pytest.mark.django_db


def test_the_file_gives_the_schedule_and_each_childs_own_date(people, entries):
    sar = checked(people)
    child = people.child
    html = bundle_html(sar)
    assert "Accident and injury records: 21 years 3 months from the child" in html
    assert f"{child.first_name}'s file is kept until a date set when {child.first_name} leaves" in (
        html
    )
    # Once the child has left, the date itself; a line changed in the schedule shows as changed.
    left = timezone.localdate() - timedelta(days=3)
    Child.objects.filter(pk=child.pk).update(left_on=left)
    RetentionRule.objects.filter(code="general").update(years=4)
    html = bundle_html(sar)
    assert (
        "General records of a child (the file, consent and sharing records with it): 4 years"
        in (html)
    )
    child.refresh_from_db()
    from records import retention

    kept = retention.keep_child_file(child)
    assert kept.until is not None
    assert f"{child.first_name}'s file is kept until {kept.until.day} {kept.until:%B %Y}" in html
