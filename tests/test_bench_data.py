"""``make bench-data``'s generator (tests/bench/data.py) on a tiny group, on the suite's own
database (COPY on PostgreSQL, multi-row INSERTs on SQLite): what it makes is what it says, the
application reads it, the audit chains it extends verify, a second run adds nothing, and it
refuses to start on a disk too small for what it would write."""

from __future__ import annotations

import shutil
from collections import namedtuple
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from auditlog.diff import model_instance_diff
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from audit import chain, readindex
from core import tenancy
from records.models import Child, Level, RecordEntry, Setting

from .bench import data
from .bench.bulk import creation_changes
from .bench.group import Figures
from .conftest import sign_in

TINY = Figures(
    settings=2,
    years=1,
    intake=3,
    practitioners=2,
    entries_per_child_year=12,
    views_per_child_year=6,
    sars_per_setting_year=2,
)
pytestmark = pytest.mark.django_db


def generated() -> data.Report:
    return data.generate(TINY, say=lambda _: None)


def test_a_tiny_group_is_made_as_asked_and_its_audit_chains_verify() -> None:
    report = generated()

    held = data.totals()
    assert held["settings"] == 2
    assert held["staff"] == 2 * (3 + TINY.practitioners)
    assert held["children"] == report.counts["children"] > 0
    assert held["entries"] == report.counts["entries"] > 0
    assert held["consent records"] == report.counts["consents"] > 0
    assert report.counts["reads"] > report.counts["page reads"] > 0
    # A creation row for each entry, and the reads of each page that showed sensitive entries:
    # one event per page listing them, with an index row each, which agree.
    assert held["audit rows"] >= report.counts["entries"] + report.counts["page reads"]
    assert held["read index rows"] == report.counts["reads"]
    assert readindex.problems() == []
    for setting in Setting.objects.all():
        checked = chain.verify_chain(chain=setting.pk)
        assert checked.problem is None
        assert checked.entries > 0


def test_a_generated_lead_reads_a_generated_child_and_entry_through_the_pages() -> None:
    generated()
    lead = get_user_model().objects.get(username="lead-s01")
    setting = Setting.objects.get(name="Bench Preschool 01")
    with tenancy.working_in(setting.pk):
        entry = (
            RecordEntry.objects.filter(level=Level.SENSITIVE, child__left_on__isnull=True)
            .order_by("-occurred_at")
            .first()
        )
        assert entry is not None
        text = entry.text
    client = sign_in(Client(), lead)

    page = client.get(reverse("records:child_detail", args=[entry.child_id]))
    shown = client.get(reverse("records:entry_detail", args=[entry.pk]))

    assert page.status_code == 200
    assert shown.status_code == 200
    assert text in shown.content.decode()
    # The reads are audited, after the generated rows, in the same chain: still intact.
    assert chain.verify_chain(chain=setting.pk).problem is None


def test_running_it_again_carries_on_and_adds_nothing() -> None:
    first = generated()
    held = data.totals()

    again = generated()

    assert again.steps_done == 0
    assert again.steps_skipped == first.steps_done - TINY.settings  # every year; setups aside
    assert data.totals() == held


def test_other_figures_on_the_same_database_are_refused() -> None:
    generated()
    held = data.totals()

    with pytest.raises(data.Refused, match="other figures: intake 3 \\(now 4\\)"):
        data.generate(replace(TINY, intake=4), say=lambda _: None)
    assert data.totals() == held


def test_a_disk_too_small_is_refused_before_any_record_is_written(monkeypatch: Any) -> None:
    where, why_not = data.database_disk()
    assert where is not None, why_not
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))

    with pytest.raises(data.Refused) as refused:
        data.generate(TINY, say=lambda _: None)

    assert "Not enough disk space" in str(refused.value)
    assert "needs about" in str(refused.value)
    assert not Setting.objects.exists()
    assert not Child.objects.exists()


def test_creation_rows_say_what_auditlog_itself_would() -> None:
    generated()
    for model in (Child, RecordEntry):
        row = model._base_manager.order_by("pk").first()
        # A new row like a generated one: its values (encrypted ones in plain), a new id.
        values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        new = model(**{**values, "id": uuid4()})

        assert creation_changes(new) == model_instance_diff(None, new)
