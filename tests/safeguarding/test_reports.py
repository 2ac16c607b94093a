"""Reports and the policy evidence pack: counts only, by term and academic year, of the setting's
own records; 1 to 4 shown as "fewer than 5" in the page, its charts and the PDF; nothing that
gives a small number back by subtraction; no child's name; read by the Lead, the Deputy and the
trustees only, each reading and download audited."""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from access_requests.models import Status, SubjectAccessRequest
from audit.log import log_event
from consent.models import (
    REFERRAL_RECIPIENTS,
    Confidentiality,
    Disclosure,
    DisclosureSubject,
    SharingDecision,
    SubjectConfidentiality,
)
from core import tenancy
from demo import data as demo
from records import policy as records_policy
from records.models import (
    Amendment,
    BreakGlass,
    Carer,
    Category,
    Child,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
    Role,
    Setting,
    Staff,
    Term,
)
from safeguarding import charts, periods, reports
from safeguarding.small_numbers import Figure

from ..conftest import make_people, sign_in
from ..consent.factories import emergency, propose
from ..factories import make_entry, make_setting, make_staff

pytestmark = pytest.mark.django_db

SMALL = "fewer than 5"
HELD = "not shown"


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment on the setting's clock (Europe/London)."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def entries(child: Child, author: Any, n: int, category: str = Category.ACCIDENT, **extra: Any):
    return [make_entry(child, author, category=category, **extra) for _ in range(n)]


def section(page: str, key: str) -> str:
    found = re.search(
        rf'<section class="report-section" aria-labelledby="{key}-heading">(.*?)</section>',
        page,
        re.S,
    )
    assert found, f"no section {key}"
    return found.group(1)


def cells(page: str, key: str, label: str) -> list[str]:
    """The figures of one row of a report's table, as the page shows them."""
    part = section(page, key)
    row = re.search(rf'<th scope="row">{re.escape(html.escape(label))}</th>(.*?)</tr>', part, re.S)
    assert row, f"no row {label!r} in {key}"
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- the rule for one figure ---------------------------------------------------------------------


def test_zero_is_shown_one_to_four_are_fewer_than_5_and_five_is_a_number():
    assert [Figure.of(n).text for n in range(7)] == [
        "0",
        SMALL,
        SMALL,
        SMALL,
        SMALL,
        "5",
        "6",
    ]
    # A small or held-back figure keeps no number: nothing can show it.
    assert {Figure.of(n).number for n in range(1, 5)} == {None}
    assert Figure.of(40, withheld=True).number is None
    assert Figure.of(40, withheld=True).text == HELD


def test_a_chart_draws_small_and_held_back_figures_as_stubs_of_one_length_and_scales_from_the_rest():
    def chart(small: int) -> charts.Chart:
        figures = [Figure.of(n) for n in (small, 20, 10, 0)]
        figures.append(Figure.of(99, withheld=True))
        return charts.bar_chart(
            uid="c",
            title="T",
            series=["Autumn"],
            rows=[(f"row {i}", [f]) for i, f in enumerate(figures)],
        )

    one, four = chart(1), chart(4)
    assert one == four  # nothing in the drawing tells 1 from 4
    stubs = [m for m in one.marks if m.kind in ("small", "withheld")]
    assert {m.width for m in stubs} == {charts.STUB}
    bars = {m.width for m in one.marks if m.kind == "bar"}
    # Scaled from the figures shown (20 is the longest bar), not from the held-back 99.
    assert bars == {charts.BAR_SPACE, charts.BAR_SPACE / 2}
    assert "row 3" not in [m.text for m in one.marks]  # a row of zeros is left out
    assert "fewer than 5" in one.description and "not shown" in one.description


# --- the page, its chart and the PDF -------------------------------------------------------------


def test_three_concerns_are_fewer_than_5_in_the_page_its_chart_and_the_pdf(people, client_for):
    entries(people.child, people.keyperson1, 6)
    entries(people.child, people.keyperson1, 3, Category.CONCERN)
    trustee = client_for("trustee")
    page = trustee.get(reverse("safeguarding:reports")).content.decode()
    assert cells(page, "entries", "Concern · sensitive") == [SMALL]
    chart = re.search(r"<svg.*?</svg>", section(page, "entries"), re.S)
    assert chart
    svg = chart.group(0)
    # The stub of a small figure, and its words, in the drawing and its description.
    after = svg.split("Concern · sensitive</text>", 1)[1]
    assert re.match(r'\s*<text[^>]*>The whole year</text>\s*<rect class="bar-small"', after)
    assert f'width="{charts.STUB}"' in after.split("</text>", 2)[1]
    assert "Concern · sensitive: fewer than 5" in svg
    pdf = trustee.get(reverse("safeguarding:evidence") + "?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Concern · sensitive fewer than 5" in flat(" ".join(pdf_text(pdf.content)))


def test_one_concern_and_four_draw_the_same_page(people, client_for):
    """Nothing of the entries' tables or charts — no bar, no scale, no text — tells one concern
    from four."""
    entries(people.child, people.keyperson1, 8)
    made = entries(people.child, people.keyperson1, 1, Category.CONCERN)
    lead = client_for("lead")
    one = lead.get(reverse("safeguarding:reports")).content.decode()
    made += entries(people.child, people.keyperson1, 3, Category.CONCERN)
    four = lead.get(reverse("safeguarding:reports")).content.decode()
    for key in ("entries", "parents_told"):
        assert section(one, key) == section(four, key)
    assert SMALL in section(one, "entries")


def test_no_total_or_other_table_gives_a_small_number_back(people, client_for):
    """Six accidents and three concerns, every parent told. Shown as they are, "the parent was
    told: 9" less "accidents: 6" would give the three concerns back. So where a figure of two
    linked tables is small, each holds back its largest — and then every value from 1 to 4 for
    the concerns fits everything the page shows. No figure is a total, none a percentage."""
    for category, n in ((Category.ACCIDENT, 6), (Category.CONCERN, 3)):
        entries(
            people.child,
            people.keyperson1,
            n,
            category,
            parent_informed=ParentInformed.INFORMED,
            informed_at=timezone.now(),
        )
    page = client_for("trustee").get(reverse("safeguarding:reports")).content.decode()
    assert cells(page, "entries", "Accident or injury · general") == [HELD]
    assert cells(page, "entries", "Concern · sensitive") == [SMALL]
    assert cells(page, "parents_told", "The parent was told") == [HELD]
    shown_entries = _column(page, "entries")
    shown_parents = _column(page, "parents_told")
    ranges = feasible([shown_entries, shown_parents])
    assert ranges and all(values == {1, 2, 3, 4} for values in ranges.values())
    # Without holding back, the subtraction works: the three concerns are given away.
    exact_entries = [("6" if t == HELD else t) for t in shown_entries]
    exact_parents = [("9" if t == HELD else t) for t in shown_parents]
    assert set(feasible([exact_entries, exact_parents]).values()) == {frozenset({3})}
    for key in ("entries", "parents_told"):
        figures = re.findall(r"<td>(.*?)</td>", section(page, key))
        assert "9" not in figures and not any("%" in f for f in figures)
    assert "total" not in " ".join(re.findall(r'<th scope="row">(.*?)</th>', page)).lower()


def test_sharing_decisions_and_their_referrals_give_no_small_number_back(people, client_for):
    """Decisions by outcome and by lawful basis count the same decisions; the referrals are some
    of those shared. Each small figure can still be any of 1 to 4 given everything shown."""
    for _ in range(6):
        propose(people.child, people.keyperson1)
    for _ in range(3):
        emergency(people.child, people.lead)
    page = client_for("chair").get(reverse("safeguarding:reports")).content.decode()
    outcomes = _column(page, "decision_outcomes")
    bases = _column(page, "lawful_bases")
    referrals = _column(page, "referrals")
    assert cells(page, "decision_outcomes", "Awaiting the Lead") == ["6"]
    assert cells(page, "referrals", "Not acknowledged yet, within its working day") == [SMALL]
    shared_rows = [row.key for row in reports.OUTCOME_ROWS].index
    within = [shared_rows(key) for key in reports.SHARED_OUTCOMES]
    ranges = feasible([outcomes, bases], part=(referrals, within))
    assert ranges and all(values == {1, 2, 3, 4} for values in ranges.values())


def _column(page: str, key: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", section(page, key).split("<tbody>", 1)[1])


def feasible(
    tables: Sequence[Sequence[str]],
    *,
    part: tuple[Sequence[str], Sequence[int]] | None = None,
    cap: int = 30,
) -> dict[tuple[int, int], frozenset[int]]:
    """Every value each small figure can take, given what is shown: tables that count the same
    records add up to the same number; ``part`` counts some of the records that lie in the given
    rows of the first table. A held-back figure may be any number (up to ``cap``)."""
    columns = [list(t) for t in tables] + ([list(part[0])] if part else [])
    unknown = [
        (t, i)
        for t, column in enumerate(columns)
        for i, text in enumerate(column)
        if text in (SMALL, HELD)
    ]
    domains = [range(1, 5) if columns[t][i] == SMALL else range(cap + 1) for t, i in unknown]
    found: dict[tuple[int, int], set[int]] = defaultdict(set)
    for values in itertools.product(*domains):
        chosen = dict(zip(unknown, values, strict=True))
        numbers = [
            [
                chosen.get((t, i), 0 if text in (SMALL, HELD) else int(text))
                for i, text in enumerate(column)
            ]
            for t, column in enumerate(columns)
        ]
        whole = numbers[: len(tables)]
        if len({sum(column) for column in whole}) != 1:
            continue
        if part and sum(numbers[-1]) > sum(whole[0][i] for i in part[1]):
            continue
        for (t, i), value in chosen.items():
            if columns[t][i] == SMALL:
                found[(t, i)].add(value)
    return {cell: frozenset(values) for cell, values in found.items()}


def test_the_pdf_says_confidential_with_the_setting_and_the_date_on_every_page(people, client_for):
    entries(people.child, people.keyperson1, 7)
    response = client_for("lead").get(reverse("safeguarding:evidence"), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-pack-')
    pages = pdf_text(response.content)
    assert len(pages) > 1
    today = timezone.localdate()
    stamp = f"{today.day} {today:%B} {today.year}"
    for text in pages:
        assert "Confidential" in text
        assert people.setting.name in text and stamp in flat(text)
    whole = flat(" ".join(pages))
    for number in range(1, 10):
        assert f"{number}. " in whole  # the nine rules of the policy, each with its evidence


def test_the_evidence_page_has_the_download_button_and_the_rules_beside_their_evidence(
    people, client_for
):
    entries(people.child, people.keyperson1, 2, Category.FAMILY_CHANGE)
    page = client_for("deputy").get(reverse("safeguarding:evidence")).content.decode()
    assert 'name="format" value="pdf">Download the evidence pack (PDF)</button>' in page
    assert "Tell parents what is recorded" in page and "We inform parents when" in page
    attention = page.split("What needs attention", 1)[1].split("</table>", 1)[0]
    assert "Not told yet, and no reason recorded" in attention


def test_the_audit_log_table_counts_the_settings_events(people, client_for):
    for _ in range(6):
        log_event(actor=people.keyperson2.user, event="refused", obj=people.child)
    for _ in range(2):
        log_event(actor=None, event="login_failed", detail={"username": "keyperson2"})
    page = client_for("trustee").get(reverse("safeguarding:reports")).content.decode()
    assert cells(page, "audit", "Refused: someone tried to open what they may not see") == ["6"]
    assert cells(page, "audit", "Failed sign-ins") == [SMALL]
    assert cells(page, "audit", "Sign-ins locked after repeated failures") == ["0"]


# --- whose data ----------------------------------------------------------------------------------


def test_only_the_settings_own_records_are_counted(people, client_for):
    other = make_setting("Otherside Nursery")
    with tenancy.working_in(other.pk):
        theirs = make_people(setting=other, suffix="-b")
        entries(theirs.child, theirs.keyperson1, 7, Category.CONCERN)
    entries(people.child, people.keyperson1, 5)
    page = client_for("trustee").get(reverse("safeguarding:reports")).content.decode()
    assert cells(page, "entries", "Concern · sensitive") == ["0"]
    assert cells(page, "entries", "Accident or injury · general") == ["5"]
    assert "Otherside" not in page


# --- who -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "deputy", "trustee", "chair"])
def test_the_lead_the_deputy_and_the_trustees_read_the_reports(people, client_for, who):
    client = client_for(who)
    assert client.get(reverse("safeguarding:reports")).status_code == 200
    assert client.get(reverse("safeguarding:evidence")).status_code == 200


def test_any_trustee_reads_the_reports(people):
    trustee = make_staff("another-trustee", Role.TRUSTEE, setting=people.setting)
    client = sign_in(Client(), trustee.user)
    assert client.get(reverse("safeguarding:reports")).status_code == 200


@pytest.mark.parametrize("who", ["keyperson1", "keyperson2", "practitioner", "office", "it_admin"])
def test_others_get_404_and_nothing_is_read_or_made(people, client_for, who):
    entries(people.child, people.keyperson1, 3, Category.CONCERN)
    client = client_for(who)
    before = LogEntry.objects.count()
    for url in (
        reverse("safeguarding:reports"),
        reverse("safeguarding:evidence"),
        reverse("safeguarding:evidence") + "?format=pdf",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert b"fewer than 5" not in response.content
    assert not LogEntry.objects.filter(
        additional_data__event__in=["report_read", "evidence_pack_downloaded"]
    ).exists()
    assert LogEntry.objects.count() == before


def test_someone_signed_out_is_sent_to_sign_in(people):
    response = Client().get(reverse("safeguarding:reports"))
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


def test_the_dashboard_links_the_reports_for_those_who_may_read_them(people, client_for):
    for who in ("lead", "chair"):
        page = client_for(who).get(reverse("home:dashboard")).content.decode()
        assert reverse("safeguarding:reports") in page
        assert reverse("safeguarding:evidence") in page
    page = client_for("practitioner").get(reverse("home:dashboard")).content.decode()
    assert reverse("safeguarding:reports") not in page


# --- audited -------------------------------------------------------------------------------------


def test_reading_and_downloading_are_audited_with_the_period_and_no_name(people, client_for):
    entries(people.child, people.keyperson1, 3, Category.CONCERN)
    trustee = client_for("trustee")
    trustee.get(reverse("safeguarding:reports"))
    year = periods.academic_year_of(timezone.localdate())
    read = LogEntry.objects.filter(additional_data__event="report_read").get()
    assert read.actor == people.trustee.user
    assert read.additional_data["period"] == f"{year}-{str(year + 1)[-2:]}"
    assert read.additional_data["page"] == "reports"
    assert read.additional_data["from"] == f"{year}-09-01"
    assert read.additional_data["to"] == f"{year + 1}-08-31"
    pdf = trustee.get(reverse("safeguarding:evidence"), {"format": "pdf"})
    made = LogEntry.objects.filter(additional_data__event="evidence_pack_downloaded").get()
    assert made.additional_data["sha256"] == hashlib.sha256(pdf.content).hexdigest()
    for row in (read, made):
        logged = f"{row.additional_data} {row.changes} {row.object_repr}"
        assert people.child.first_name not in logged and people.child.last_name not in logged


def test_a_period_not_offered_is_refused_with_a_message_and_nothing_is_read(people, client_for):
    lead = client_for("lead")
    hostile = ("year-1066", "term-not-a-term", "", "\x00", "<script>alert(1)</script>", "9" * 30)
    for value in (*hostile, ["year-2025", "year-2024"]):
        response = lead.get(reverse("safeguarding:reports"), {"period": value})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'class="error-summary"' in page and "<script>alert(1)" not in page
        response = lead.get(reverse("safeguarding:evidence"), {"period": value, "format": "pdf"})
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert not LogEntry.objects.filter(
        additional_data__event__in=["report_read", "evidence_pack_downloaded"]
    ).exists()


# --- periods -------------------------------------------------------------------------------------


def test_years_run_september_to_august_london_time_and_are_shown_term_by_term(people, client_for):
    """Five accidents at 23:30 on 31 August 2025 (British Summer Time) are the year 2024–25's;
    six at 00:30 on 1 September (still 31 August in UTC) are 2025–26's, before its first term;
    seven at 23:30 on the autumn term's last day are the term's; eight at 00:30 the next day are
    between terms. A year is shown term by term, never added up; a term is its column."""
    Term.objects.create(name="Autumn 2025", starts_on=date(2025, 9, 3), ends_on=date(2025, 12, 18))
    for moment, n in (
        (local(2025, 8, 31, 23, 30), 5),
        (local(2025, 9, 1, 0, 30), 6),
        (local(2025, 12, 18, 23, 30), 7),
        (local(2025, 12, 19, 0, 30), 8),
    ):
        entries(people.child, people.keyperson1, n, occurred_at=moment)
    autumn = Term.objects.get()
    lead = client_for("lead")
    label = "Accident or injury · general"

    def shown(period: str) -> tuple[list[str], list[str]]:
        page = lead.get(reverse("safeguarding:reports"), {"period": period}).content.decode()
        heads = re.findall(r'<th scope="col">(.*?)</th>', section(page, "entries"))[1:]
        return heads, cells(page, "entries", label)

    assert shown("year-2024") == (["The whole year"], ["5"])
    assert shown("year-2025") == (["Autumn 2025", "Between terms"], ["7", "14"])
    assert shown(f"term-{autumn.pk}") == (["Autumn 2025"], ["7"])
    page = lead.get(reverse("safeguarding:reports"), {"period": "year-2025"}).content.decode()
    assert "21" not in re.findall(r"<td>(.*?)</td>", page)  # the year is never added up


def test_a_term_running_past_the_year_is_cut_at_31_august():
    term = Term(name="Summer", starts_on=date(2026, 4, 13), ends_on=date(2026, 9, 4))
    first, between = periods.segments_of(2025, [term])
    assert first.ranges == ((date(2026, 4, 13), date(2026, 8, 31)),)
    assert between.ranges == ((date(2025, 9, 1), date(2026, 4, 12)),)
    (whole,) = periods.segments_of(2024, [])
    assert whole.ranges == ((date(2024, 9, 1), date(2025, 8, 31)),)


# --- the demo ------------------------------------------------------------------------------------

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="class")
def the_demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo is loaded once for the class, in a transaction rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(DEBUG=True, PASSWORD_HASHERS=[FAST_HASHER]):
                call_command(
                    "seed_demo", "--password", "a-fictional-demo-passphrase", stdout=io.StringIO()
                )
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _outcome(d: SharingDecision) -> str:
    if d.retrospective:
        return {"pending": "emergency_awaiting", "approved": "emergency_approved"}.get(
            d.lead_decision, "emergency_declined"
        )
    if d.lead_decision == "pending":
        return "awaiting"
    if d.lead_decision == "declined":
        return "declined"
    return "approved_share" if d.decision == "share" else "approved_not_share"


def expected_counts(user: Any, parts: list[tuple[str, Any]]) -> dict[str, dict[str, Counter[str]]]:
    """The demo's true counts, by direct queries: table -> segment -> row."""
    now, today = timezone.now(), timezone.localdate()
    found: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))

    def add(table: str, day: date, row: str, n: int = 1) -> None:
        for key, contains in parts:
            if contains(day):
                found[table][key][row] += n

    told = RecordEntry.objects.exclude(category=Category.GENERAL).filter(hidden_from__isnull=True)
    for e in told.exclude(parent_informed=ParentInformed.NOT_REQUIRED):
        add("entries", _local_day(e.occurred_at), f"{e.category}/{e.level}")
        add("parents_told", _local_day(e.occurred_at), e.parent_informed)
    for d in Disclosure.objects.all():
        concerned = DisclosureSubject.objects.filter(
            disclosure=d, confidentiality=SubjectConfidentiality.NOT_ASKED
        ).exists()
        row = (
            "teller_not_asked"
            if d.confidentiality == Confidentiality.NOT_ASKED
            else "concerned_not_asked"
            if concerned
            else "asked"
        )
        add("disclosures", _local_day(d.disclosed_at), row)
    for d in SharingDecision.objects.all():
        day = _local_day(d.proposed_at)
        add("decision_outcomes", day, _outcome(d))
        add("lawful_bases", day, d.lawful_basis)
        if d.recipient_kind in REFERRAL_RECIPIENTS and d.shared_at is not None:
            due, acknowledged = d.acknowledgement_due_at, d.acknowledged_at
            if acknowledged is None:
                row = "overdue" if due is not None and due < now else "waiting"
            else:
                row = "late" if due is not None and acknowledged > due else "on_time"
            add("referrals", day, row)
    for sar in SubjectAccessRequest.objects.all():
        if sar.status == Status.REFUSED:
            row = "refused"
        elif sar.sent_at is not None:
            sent = _local_day(sar.sent_at)
            due = sar.due_on(sent)
            row = "late" if due and sent > due else "on_time"
        else:
            due = sar.due_on(today)
            row = "open_late" if due and today > due else "open"
        add("requests", sar.received_on, row)
    for g in NeedToKnowGrant.objects.all():
        if g.revoked_at is not None and g.revoked_at < g.ends_at:
            row = "revoked"
        else:
            row = "ended" if g.ends_at <= now else "live"
        add("grants", _local_day(g.starts_at), row)
    for b in BreakGlass.objects.all():
        add(
            "break_glass",
            _local_day(b.starts_at),
            "awaiting" if b.reviewed_at is None else "reviewed",
        )
    for a in Amendment.objects.filter(
        entry__in=RecordEntry.objects.filter(hidden_from__isnull=True)
    ):
        add("amendments", _local_day(a.created_at), "amendments")
    events = {
        "read": "reads",
        "refused": "refused",
        "login_failed": "failed_sign_ins",
        "locked_out": "locked_out",
        "decryption_failed": "integrity",
        "row_seal_failed": "integrity",
    }
    for row in LogEntry.objects.filter(records_policy.audit_rows_q(user)).filter(
        additional_data__event__in=list(events)
    ):
        add("audit", _local_day(row.timestamp), events[row.additional_data["event"]])
    return found


def expected_texts(
    raw: dict[str, dict[str, Counter[str]]], report: reports.Report
) -> dict[tuple[str, str, str], str]:
    """The rule, written out again: 0, "fewer than 5" or the number; and where a figure of a
    linked set is small, each whole table's largest (the outcomes': among the shared ones) is
    "not shown"."""
    shown: dict[tuple[str, str, str], str] = {}
    segments = [s.key for s in report.period.segments]
    for key, table in report.tables.items():
        for row in table.rows:
            for segment in segments:
                n = raw[key][segment][row.key]
                shown[(key, segment, row.key)] = "0" if n == 0 else SMALL if n < 5 else str(n)
    linked = (
        (("entries", "parents_told"), ()),
        (("decision_outcomes", "lawful_bases", "referrals"), reports.SHARED_OUTCOMES),
    )
    for members, within in linked:
        for segment in segments:
            if not any(0 < n < 5 for m in members for n in raw[m][segment].values()):
                continue
            for position, key in enumerate(members[:2]):
                rows = [r.key for r in report.tables[key].rows]
                if position == 0 and within:
                    rows = [r for r in rows if r in within]
                best = max(rows, key=lambda r: raw[key][segment][r])
                shown[(key, segment, best)] = HELD
    return shown


@pytest.mark.usefixtures("the_demo")
class TestTheDemo:
    @pytest.fixture(autouse=True)
    def in_the_first_setting(self) -> Any:
        setting = Setting.objects.get(name=demo.SETTING["name"])
        with tenancy.working_in(setting.pk):
            yield setting

    def _person(self, username: str) -> Staff:
        return Staff.objects.select_related("user").get(user__username=username)

    def _parts(self, year: int) -> list[tuple[str, Any]]:
        """The year's terms, found here directly, and the days between them."""
        first, last = date(year, 9, 1), date(year + 1, 8, 31)
        terms = list(
            Term.objects.filter(starts_on__lte=last, ends_on__gte=first).order_by("starts_on")
        )
        in_terms = [(t.starts_on, t.ends_on) for t in terms]
        parts: list[tuple[str, Any]] = [
            (f"term-{t.pk}", lambda day, t=t: t.starts_on <= day <= t.ends_on) for t in terms
        ]
        parts.append(
            (
                f"between-{year}",
                lambda day: first <= day <= last and not any(a <= day <= b for a, b in in_terms),
            )
        )
        return parts

    @pytest.mark.parametrize("years_ago", [0, 1])
    def test_every_figure_is_the_demos_true_count_by_the_small_number_rule(self, years_ago):
        lead = self._person("lead").user
        year = periods.academic_year_of(timezone.localdate()) - years_ago
        period = reports.calendar(lead).periods[f"year-{year}"]
        report = reports.report_for(lead, period)
        parts = self._parts(year)
        assert [s.key for s in report.period.segments] == [key for key, _ in parts]
        raw = expected_counts(lead, parts)
        expected = expected_texts(raw, report)
        got = {
            (key, segment.key, row.key): figure.text
            for key, table in report.tables.items()
            for row in table.rows
            for segment, figure in zip(table.segments, row.figures, strict=True)
        }
        assert got == expected

    def test_the_demo_meets_zero_small_held_back_and_numbers(self):
        lead = self._person("lead").user
        known = reports.calendar(lead)
        year = periods.academic_year_of(timezone.localdate())
        texts = set()
        for y in (year, year - 1):
            report = reports.report_for(lead, known.periods[f"year-{y}"])
            texts |= {f.text for t in report.tables.values() for r in t.rows for f in r.figures}
        assert {"0", SMALL, HELD} <= texts
        assert any(text.isdigit() and int(text) >= 5 for text in texts)

    def test_a_term_is_its_column_of_the_year(self):
        lead = self._person("lead").user
        known = reports.calendar(lead)
        year = periods.academic_year_of(timezone.localdate()) - 1
        whole = reports.report_for(lead, known.periods[f"year-{year}"])
        for position, segment in enumerate(whole.period.segments):
            if not segment.key.startswith("term-"):
                continue
            term = reports.report_for(lead, known.periods[segment.key])
            for key, table in term.tables.items():
                assert [r.figures for r in table.rows] == [
                    (r.figures[position],) for r in whole.tables[key].rows
                ]

    def test_no_childs_or_carers_name_in_any_page_or_pdf(self, in_the_first_setting):
        names: set[str] = set()
        for child in Child.objects.across_settings().all():
            names |= {child.first_name, child.last_name}
        for carer in Carer.objects.across_settings().all():
            names |= set(carer.full_name.split())
        names = {n for n in names if len(n) > 2}
        assert len(names) > 40
        year = periods.academic_year_of(timezone.localdate())
        for username in ("lead", "trustee"):
            client = sign_in(Client(), self._person(username).user)
            texts = []
            for y in (year, year - 1):
                query = {"period": f"year-{y}"}
                texts.append(client.get(reverse("safeguarding:reports"), query).content.decode())
                texts.append(client.get(reverse("safeguarding:evidence"), query).content.decode())
            pdf = client.get(reverse("safeguarding:evidence"), {"format": "pdf"})
            assert pdf.status_code == 200
            texts.append(" ".join(pdf_text(pdf.content)))
            for text in texts:
                found = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
                assert not found, f"names in a report seen by {username}: {found}"
