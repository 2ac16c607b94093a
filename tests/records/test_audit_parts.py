"""A setting's audit log in a group is read in parts (records.policy.audit_rows_branches): the
rows stamped with the setting, its people's account events, and for the first setting its history
from before the group. Each part is read by an index of its own and the pages merged
(records.audit_page.keyset_page), so a page never walks past the other settings' rows. The parts
must be exactly the log the setting may read: no row more, none fewer, pages in the same order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection

from accounts.events import Event as AccountEvent
from audit.events import Event
from audit.log import log_event
from core import keys, tenancy
from records import audit_page, selectors

from ..conftest import make_people
from ..factories import make_entry, make_setting

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(people: SimpleNamespace) -> tuple[SimpleNamespace, SimpleNamespace]:
    """Setting A (the first: with history from before the group) and setting B, each with reads,
    refusals and sign-ins, interleaved."""
    for n in range(4):  # A's history before a second setting joined: stamped with no setting
        log_event(actor=people.lead.user, event=Event.REFUSED, detail={"n": n})
    setting_b = make_setting("Otherside Nursery")
    with tenancy.working_in(setting_b.pk):
        b = make_people(setting=setting_b, suffix="-b")
    keys.clear_cache()
    entry_a = make_entry(people.child, people.keyperson1)
    with tenancy.working_in(setting_b.pk):
        entry_b = make_entry(b.child, b.keyperson1)
    for _ in range(6):
        with tenancy.working_in(people.setting.pk):
            log_event(actor=people.deputy.user, event=Event.READ, obj=entry_a)
        with tenancy.working_in(setting_b.pk):
            log_event(actor=b.deputy.user, event=Event.READ, obj=entry_b)
        # Account events are written before a setting is chosen: stamped with none.
        log_event(actor=people.keyperson1.user, event=AccountEvent.SIGNED_IN)
        log_event(actor=b.keyperson1.user, event=AccountEvent.SIGNED_IN)
    return people, b


def ids_of(queryset: Any) -> list[int]:
    return list(queryset.order_by("-pk").values_list("pk", flat=True))


@pytest.mark.parametrize("which", ["first setting", "second setting"])
def test_the_parts_are_exactly_the_settings_log(group, which):
    a, b = group
    person = a if which == "first setting" else b
    with tenancy.working_in(person.setting.pk):
        whole = ids_of(selectors.audit_log(person.lead.user))
        parts = [ids_of(part) for part in selectors.audit_log_parts(person.lead.user)]
    assert len(parts) == (3 if which == "first setting" else 2)
    merged = [pk for part in parts for pk in part]
    assert len(merged) == len(set(merged))  # no row in two parts
    assert sorted(merged, reverse=True) == whole
    other = b if person is a else a
    # Nothing of the other setting: its reads, its people's sign-ins.
    theirs = LogEntry.objects.filter(actor__in=[other.deputy.user, other.keyperson1.user])
    assert theirs.count() >= 12
    assert not set(merged) & set(theirs.values_list("pk", flat=True))


@pytest.mark.parametrize("which", ["first setting", "second setting"])
def test_pages_of_the_parts_are_the_pages_of_the_whole(group, which, monkeypatch):
    a, b = group
    person = a if which == "first setting" else b
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 3)  # many pages, each merged from the parts
    with tenancy.working_in(person.setting.pk):
        whole = ids_of(selectors.audit_log(person.lead.user))
        seen, before, pages = [], None, []
        while True:
            params: dict[str, str] = {"before": str(before)} if before else {}
            page = audit_page.page_for(person.lead.user, params)[1]
            pages.append([row.id for row in page.rows])
            seen += pages[-1]
            if page.older is None:
                break
            before = page.older
        assert seen == whole
        assert all(len(p) == 3 for p in pages[:-1])
        # And back again, newer from the last page's first row.
        back = audit_page.page_for(person.lead.user, {"after": str(pages[-1][0])})[1]
        assert [row.id for row in back.rows] == pages[-2]
        # A filter narrows each part as it narrowed the whole.
        narrowed = audit_page.AuditFilter(
            {"action": "read"},
            queryset=selectors.audit_log(person.lead.user),
            user=person.lead.user,
        ).qs
        reads = audit_page.page_for(person.lead.user, {"action": "read"})[1]
        assert [row.id for row in reads.rows] == ids_of(narrowed)[:3]
        assert len(ids_of(narrowed)) >= 6


def test_a_setting_alone_reads_its_log_in_one_part(people):
    with tenancy.working_in(people.setting.pk):
        assert len(selectors.audit_log_parts(people.lead.user)) == 1


def test_postgresql_has_an_index_for_each_part():
    if connection.vendor != "postgresql":
        pytest.skip("the parts' indexes are PostgreSQL's (audit migration 0006)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'auditlog_logentry'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"confide_logentry_setting", "confide_logentry_untagged"} <= names
