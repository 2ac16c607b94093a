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


@pytest.fixture(autouse=True)
def split(monkeypatch):
    """Split on either database here (by default only PostgreSQL has the parts' indexes)."""
    monkeypatch.setattr(selectors, "AUDIT_PARTS_SPLIT", True)


def test_by_default_the_log_is_split_where_the_parts_have_indexes(group, monkeypatch):
    a, _b = group
    monkeypatch.setattr(selectors, "AUDIT_PARTS_SPLIT", None)
    with tenancy.working_in(a.setting.pk):
        parts = selectors.audit_log_parts(a.lead.user)
        whole = ids_of(selectors.audit_log(a.lead.user))
    if connection.vendor == "postgresql":
        assert len(parts) == 3
    else:  # walked without indexes, the account events' part would read the whole log
        assert len(parts) == 1
        assert ids_of(next(iter(parts.values()))) == whole


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
        log_event(actor=people.practitioner.user, event=AccountEvent.LOGIN_FAILED)
    return people, b


def ids_of(queryset: Any) -> list[int]:
    return list(queryset.order_by("-pk").values_list("pk", flat=True))


@pytest.mark.parametrize("which", ["first setting", "second setting"])
def test_the_parts_are_exactly_the_settings_log(group, which):
    a, b = group
    person = a if which == "first setting" else b
    with tenancy.working_in(person.setting.pk):
        whole = ids_of(selectors.audit_log(person.lead.user))
        parts = [ids_of(part) for part in selectors.audit_log_parts(person.lead.user).values()]
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


FILTERS = [
    *({"action": key} for key in audit_page.ACTIONS),
    {"level": "1"},  # refused without a child: dropped, with a message, as before
    "child",
]


@pytest.mark.parametrize("which", ["first setting", "second setting"])
@pytest.mark.parametrize("asked", FILTERS, ids=str)
def test_a_filter_narrows_the_parts_as_it_narrowed_the_whole(group, which, asked):
    a, b = group
    person = a if which == "first setting" else b
    params = {"child": str(person.child.pk)} if asked == "child" else dict(asked)
    with tenancy.working_in(person.setting.pk):
        narrowed = audit_page.AuditFilter(
            params, queryset=selectors.audit_log(person.lead.user), user=person.lead.user
        )
        whole = ids_of(narrowed.qs) if narrowed.is_valid() or "level" in params else []
        page = audit_page.page_for(person.lead.user, params)[1]
    assert [row.id for row in page.rows] == whole[: audit_page.PAGE_SIZE]
    if asked in ({"action": "read"}, {"action": "sign_in"}, "child"):
        assert whole  # there was something to find


def test_a_filter_no_account_event_can_match_leaves_their_part_out(group):
    # Asked for reads, the account events' index would be walked to its end for none.
    a, _b = group
    with tenancy.working_in(a.setting.pk):
        for params, parts in (({}, 3), ({"action": "read"}, 2), ({"action": "sign_in"}, 3)):
            asked = audit_page.AuditFilter(
                params, queryset=selectors.audit_log(a.lead.user), user=a.lead.user
            )
            assert len(audit_page._filtered_parts(asked, a.lead.user)) == parts, params


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
