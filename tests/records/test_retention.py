"""How long records are kept (records.retention), against an oracle written from the issue's
schedule, and the schedule's listing (``manage.py retention_schedule --json``) with legal holds."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records import retention
from records.models import Category, Child, Level, RecordEntry, RetentionRule, StaffRecordKind

from ..factories import make_entry

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --- the oracle: the schedule as the issue words it, computed another way -------------------


def oracle_plus(start: date, years: int, months: int) -> date:
    """Month by month; a day the month lacks is the first of the month after."""
    year, month = start.year + years, start.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        return date(year, month, start.day)
    except ValueError:
        return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def oracle_keep(dob: date, left: date | None, level: int, category: str) -> date | None:
    if left is None:
        return None  # "3 years after leaving" is not known yet, and may be the longest
    dates = [oracle_plus(left, 3, 0)]
    if level == Level.CHILD_PROTECTION or category == Category.CHILD_PROTECTION:
        dates.append(oracle_plus(dob, 25, 0))  # until the 25th birthday
    if category == Category.ACCIDENT:
        dates.append(oracle_plus(dob, 21, 3))  # until 21 years 3 months
    return max(dates)


leap_days = st.sampled_from([date(2020, 2, 29), date(2024, 2, 29), date(2028, 2, 29)])
days = st.one_of(leap_days, st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)))


@PROPERTY
@given(start=days, years=st.integers(0, 30), months=st.integers(0, 40))
def test_adding_a_period_agrees_with_the_oracle(start, years, months):
    assert retention.add_period(start, years, months) == oracle_plus(start, years, months)


def test_a_child_born_on_29_february_is_kept_to_1_march_in_a_common_year():
    assert retention.add_period(date(2024, 2, 29), 25) == date(2049, 3, 1)
    assert retention.add_period(date(2024, 2, 29), 28) == date(2052, 2, 29)  # a leap year
    assert retention.add_period(date(2026, 8, 31), 0, 6) == date(2027, 3, 1)


@PROPERTY
@given(
    dob=days,
    on_roll=st.integers(0, 6 * 365),
    left_after=st.one_of(st.none(), st.integers(0, 3 * 365)),
    level=st.sampled_from(Level.values),
    category=st.sampled_from(Category.values),
)
def test_every_entrys_date_agrees_with_the_oracle(db, dob, on_roll, left_after, level, category):
    rules = {rule.code: rule for rule in RetentionRule.objects.all()}
    started = dob + timedelta(days=on_roll)
    left = None if left_after is None else started + timedelta(days=left_after)
    child = Child(date_of_birth=dob, started_on=started, left_on=left)
    entry = RecordEntry(level=level, category=category)
    kept = retention.longest(retention.entry_rules(entry, child, rules))
    assert kept.until == oracle_keep(dob, left, level, category)
    if kept.until is not None:
        # The rule named is one that gives that date.
        assert kept.rule in {"general", "child_protection", "accident_injury"}


def test_the_schedule_is_data_with_a_source_for_every_line():
    lines = {rule.code: rule for rule in RetentionRule.objects.all()}
    assert set(lines) >= {
        "child_protection",
        "accident_injury",
        "general",
        "staff_personnel",
        "dbs_copy",
        "subject_access",
    }
    assert all(rule.source.strip() for rule in lines.values())
    assert (lines["accident_injury"].years, lines["accident_injury"].months) == (21, 3)
    assert lines["dbs_copy"].period == "6 months"


# --- the listing, and legal holds ---------------------------------------------------------------


def _listing() -> dict[tuple[str, str], dict]:
    out = StringIO()
    call_command("retention_schedule", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all(set(line) == {"model", "id", "rule", "keep_until", "hold"} for line in lines)
    return {(line["model"], line["id"]): line for line in lines}


def test_the_listing_gives_each_record_its_longest_rule_and_follows_the_leaving_date(people):
    child = people.child
    general = make_entry(child, people.keyperson1)
    accident = make_entry(child, people.keyperson1, category=Category.ACCIDENT)
    cp = make_entry(child, people.lead, category=Category.CHILD_PROTECTION)
    # On roll: nothing of the child's file has a date yet.
    assert ("records.recordentry", str(general.pk)) not in _listing()

    left = timezone.localdate() - timedelta(days=10)
    Child.objects.filter(pk=child.pk).update(left_on=left)
    listed = _listing()
    dob = child.date_of_birth
    assert listed[("records.recordentry", str(general.pk))] == {
        "model": "records.recordentry",
        "id": str(general.pk),
        "rule": "general",
        "keep_until": oracle_plus(left, 3, 0).isoformat(),
        "hold": False,
    }
    assert (
        listed[("records.recordentry", str(accident.pk))]["keep_until"]
        == max(oracle_plus(dob, 21, 3), oracle_plus(left, 3, 0)).isoformat()
    )
    assert listed[("records.recordentry", str(cp.pk))]["rule"] == "child_protection"
    # The child's register row keeps as long as the longest record of the file.
    assert (
        listed[("records.child", str(child.pk))]["keep_until"]
        == oracle_plus(dob, 25, 0).isoformat()
    )
    # A later leaving date moves every date with it.
    Child.objects.filter(pk=child.pk).update(left_on=left + timedelta(days=365))
    moved = _listing()[("records.recordentry", str(general.pk))]["keep_until"]
    assert moved == oracle_plus(left + timedelta(days=365), 3, 0).isoformat()


def test_staff_files_and_dbs_copies(people):
    from records.models import StaffRecord

    dbs = StaffRecord.objects.create(
        staff=people.practitioner,
        kind=StaffRecordKind.DBS,
        recorded_by=people.lead,
        occurred_on=timezone.localdate(),
        text="Certificate 001234567890 seen; copy kept.",
    )
    listed = _listing()
    made = timezone.localdate(dbs.recorded_at)
    assert (
        listed[("records.staffrecord", str(dbs.pk))]["keep_until"]
        == oracle_plus(made, 0, 6).isoformat()
    )
    # Still employed: the personnel file has no date yet.
    assert ("records.staff", str(people.practitioner.pk)) not in listed
    people.practitioner.left_on = date(2026, 7, 31)
    people.practitioner.save()
    assert _listing()[("records.staff", str(people.practitioner.pk))]["keep_until"] == "2032-07-31"


def test_a_legal_hold_marks_what_it_covers_and_only_the_lead_places_one(people):
    from django.core.exceptions import PermissionDenied, ValidationError

    child, other = people.child, people.other_child
    entry = make_entry(child, people.keyperson1)
    elsewhere = make_entry(other, people.keyperson2)
    Child.objects.filter(pk__in=[child.pk, other.pk]).update(left_on=timezone.localdate())
    review = timezone.localdate() + timedelta(days=90)
    with pytest.raises(PermissionDenied):
        retention.place_hold(by=people.deputy.user, child=child, reason="Inquiry", review_on=review)
    with pytest.raises(ValidationError):
        retention.place_hold(by=people.lead.user, reason="Inquiry", review_on=review)
    with pytest.raises(ValidationError):
        retention.place_hold(by=people.lead.user, child=child, reason="  ", review_on=review)
    hold = retention.place_hold(
        by=people.lead.user, child=child, reason="A claim is expected.", review_on=review
    )
    listed = _listing()
    assert listed[("records.recordentry", str(entry.pk))]["hold"] is True
    assert listed[("records.child", str(child.pk))]["hold"] is True
    assert listed[("records.recordentry", str(elsewhere.pk))]["hold"] is False
    retention.lift_hold(by=people.lead.user, hold=hold, reason="The claim was settled.")
    assert _listing()[("records.recordentry", str(entry.pk))]["hold"] is False
    with pytest.raises(ValidationError):
        retention.lift_hold(by=people.lead.user, hold=hold, reason="Again.")


# --- the Lead's page ---------------------------------------------------------------------------


def test_the_lead_reads_the_schedule_and_places_and_lifts_a_hold_on_the_page(people, client_for):
    from django.urls import reverse

    from records.models import LegalHold

    lead = client_for("lead")
    url = reverse("records:retention")
    page = lead.get(url).content.decode()
    assert "Accident and injury records" in page and "21 years 3 months" in page
    assert "Limitation Act 1980" in page  # each line's source
    review = (timezone.localdate() + timedelta(days=60)).isoformat()

    nothing = lead.post(url, {"reason": "An inquiry.", "review_on": review})
    assert "Choose the one child, family, member of staff or entry" in nothing.content.decode()
    two = lead.post(
        url,
        {
            "child": str(people.child.pk),
            "staff": str(people.keyperson1.pk),
            "reason": "An inquiry.",
            "review_on": review,
        },
    )
    assert two.status_code == 200 and not LegalHold.objects.exists()

    placed = lead.post(
        url,
        {
            "family": str(people.child.family_id),
            "reason": "A claim is expected.",
            "reference": "Ref 12",
            "review_on": review,
        },
    )
    assert placed.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.family_id == people.child.family_id and hold.placed_by == people.lead
    assert "every child of the" in lead.get(url).content.decode()

    no_reason = lead.post(url, {"lift": str(hold.pk), "lift_reason": ""})
    assert no_reason.status_code == 200
    hold.refresh_from_db()
    assert hold.lifted_at is None
    assert lead.post(url, {"lift": "not-an-id", "lift_reason": "x"}).status_code == 404
    lifted = lead.post(url, {"lift": str(hold.pk), "lift_reason": "The claim was settled."})
    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lifted_by == people.lead


@pytest.mark.parametrize("name", ["deputy", "keyperson1", "practitioner", "office", "it_admin"])
def test_only_the_lead_sees_the_schedule_and_places_holds(people, client_for, name):
    from django.urls import reverse

    from records.models import LegalHold

    client = client_for(name)
    url = reverse("records:retention")
    assert client.get(url).status_code == 404
    body = {
        "child": str(people.child.pk),
        "reason": "An inquiry.",
        "review_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
    }
    assert client.post(url, body).status_code == 404
    assert not LegalHold.objects.exists()


def test_an_entrys_page_says_how_long_it_is_kept_and_whether_it_is_held(people, client_for):
    from django.urls import reverse

    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    url = reverse("records:entry_detail", args=[entry.pk])
    page = client_for("lead").get(url).content.decode()
    assert "3 years after the child leaves" in page  # not left: the date waits for it
    left = timezone.localdate()
    Child.objects.filter(pk=people.child.pk).update(left_on=left)
    dob = people.child.date_of_birth
    expected = max(oracle_plus(dob, 21, 3), oracle_plus(left, 3, 0))
    page = client_for("lead").get(url).content.decode()
    assert f"{expected.day} {expected:%B %Y}" in page
    assert "under a legal hold" not in page
    retention.place_hold(
        by=people.lead.user,
        entry=entry,
        reason="A claim about this accident.",
        review_on=left + timedelta(days=30),
    )
    assert "under a legal hold" in client_for("lead").get(url).content.decode()


def test_the_lead_holds_one_entry_from_its_page(people, client_for):
    from django.urls import reverse

    from records.models import LegalHold

    entry = make_entry(people.child, people.keyperson1)
    lead = client_for("lead")
    page = lead.get(reverse("records:entry_detail", args=[entry.pk])).content.decode()
    link = f"{reverse('records:retention')}?entry={entry.pk}"
    assert link in page
    assert "On one entry of" in lead.get(link).content.decode()
    review = (timezone.localdate() + timedelta(days=30)).isoformat()
    placed = lead.post(link, {"entry": str(entry.pk), "reason": "A claim.", "review_on": review})
    assert placed.status_code == 302
    assert LegalHold.objects.get().entry_id == entry.pk
    # The deputy's entry page offers no such link.
    deputy_page = client_for("deputy").get(reverse("records:entry_detail", args=[entry.pk]))
    assert link not in deputy_page.content.decode()


def test_the_shipped_lines_stand_where_the_table_lacks_them_and_match_the_migration(people):
    import importlib

    shipped = importlib.import_module("records.migrations.0017_retention_schedule_lines").LINES
    assert {
        code: (applies_to, anchor, years, months)
        for code, applies_to, anchor, years, months, _source in shipped
    } == {
        code: (line[0], str(line[1]), line[2], line[3]) for code, line in retention.SHIPPED.items()
    }
    RetentionRule.objects.all().delete()  # as a test's flush leaves it
    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    shown = retention.entry_retention(entry)
    assert (shown.rule.years, shown.rule.months) in {(3, 0), (21, 3)}
    assert len(retention.rules()) == 6


def test_the_lead_changes_a_line_with_a_reason_and_every_date_follows(people, client_for):
    from auditlog.models import LogEntry
    from django.urls import reverse

    child = people.child
    entry = make_entry(child, people.keyperson1)
    left = timezone.localdate()
    Child.objects.filter(pk=child.pk).update(left_on=left)
    lead = client_for("lead")
    url = reverse("records:retention")
    body = {"step": "rule", "rule": "general", "years": "4", "months": "0"}
    refused = lead.post(url, body | {"change_reason": "  "})
    assert refused.status_code == 200 and 'class="error-summary"' in refused.content.decode()
    assert RetentionRule.objects.get(code="general").years == 3
    nothing = lead.post(url, body | {"years": "0", "change_reason": "Why not."})
    assert "at least a month" in nothing.content.decode()

    changed = lead.post(url, body | {"change_reason": "The local authority advises 4 years."})
    assert changed.status_code == 302
    rule = RetentionRule.objects.get(code="general")
    assert (rule.years, rule.changed_reason) == (4, "The local authority advises 4 years.")
    assert _listing()[("records.recordentry", str(entry.pk))]["keep_until"] == (
        oracle_plus(left, 4, 0).isoformat()
    )
    event = LogEntry.objects.filter(additional_data__event="retention_changed").get()
    assert event.additional_data["from"] == "3 years" and event.additional_data["to"] == "4 years"
    assert "The local authority advises 4 years." in lead.get(url).content.decode()
    # The Deputy may not.
    assert client_for("deputy").post(url, body | {"change_reason": "x"}).status_code == 404


def test_the_lead_and_deputy_see_until_when_a_childs_file_is_kept(people, client_for):
    from django.urls import reverse

    child = people.child
    make_entry(child, people.lead, category=Category.CHILD_PROTECTION)
    url = reverse("records:child_detail", args=[child.pk])
    assert (
        f"a date set when {child.first_name} leaves" in client_for("lead").get(url).content.decode()
    )
    Child.objects.filter(pk=child.pk).update(left_on=timezone.localdate())
    birthday = oracle_plus(child.date_of_birth, 25, 0)
    for name in ("lead", "deputy"):
        page = client_for(name).get(url).content.decode()
        assert f"File kept until</dt><dd>{birthday.day} {birthday:%B %Y}" in page
    Child.objects.filter(pk=child.pk).update(left_on=None)
    assert "File kept until" not in client_for("keyperson1").get(url).content.decode()
