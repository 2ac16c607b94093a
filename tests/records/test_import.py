"""Getting a setting started (records.importing): children, families and carers imported from a
CSV file. The file is checked and shown row by row first; a file with any problem imports
nothing and says what is wrong by row and column; a good one is imported whole on confirmation,
from the copy kept at the check (checked again then), in one transaction, audited with counts
only."""

from __future__ import annotations

from datetime import date
from html import unescape
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records import importing, services
from records.models import Carer, Child, Family, Relationship

from ..conftest import sign_in
from ..factories import make_child

pytestmark = pytest.mark.django_db

URL = reverse("records:import_children")
TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "import-template.csv"
HEADER = (
    "family_reference,child_first_name,child_last_name,date_of_birth,started_on,room,"
    "carer_name,carer_relationship,carer_parental_responsibility,carer_phone,carer_email"
)


NEXT_YEAR = timezone.localdate().year + 1


def _file(text: str | bytes, name: str = "register.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _check(client: Client, content: str | bytes):
    return client.post(URL, {"step": "check", "file": _file(content)})


def _token(response) -> str:
    return response.context["confirm"].initial["token"]


def _counts() -> tuple[int, int, int, int]:
    imported = LogEntry.objects.filter(additional_data__event="children_imported").count()
    return Child.objects.count(), Family.objects.count(), Carer.objects.count(), imported


def _problems(response) -> list[str]:
    return [str(p) for p in response.context["plan"].problems]


# --- a good file --------------------------------------------------------------------------------


def test_the_template_in_docs_is_previewed_then_imported_whole_and_audited_with_counts_only(
    people, client_for
):
    office = client_for("office")
    before = _counts()
    first_log = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first()

    # A byte-order mark, as Excel's "CSV UTF-8" writes one.
    preview = _check(office, "\ufeff" + TEMPLATE.read_text())

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Check what will be imported" in html
    assert "3 children in 2 families, with 3 carers" in html
    assert [row.number for row in preview.context["plan"].rows] == [2, 3, 4, 5]
    assert 'class="error-summary"' not in html
    # Dates as they will be kept: a file with months and days swapped is seen before it is in.
    assert "<td>14 June 2023</td><td>1 January 2026</td>" in html
    assert _counts() == before, "nothing is imported before the confirmation"

    done = office.post(URL, {"step": "confirm", "token": _token(preview)})

    assert done.status_code == 302
    assert done["Location"] == reverse("records:child_list")
    children, families, carers, events = _counts()
    assert (children, families, carers, events) == (
        before[0] + 3,
        before[1] + 2,
        before[2] + 3,
        1,
    )
    robin = Child.objects.get(first_name="Robin", last_name="Examplesson")
    juniper = Child.objects.get(first_name="Juniper")
    assert (robin.date_of_birth, robin.started_on, robin.room) == (
        date(2022, 3, 14),
        date(2025, 9, 1),
        people.sunflower,
    )
    # Dates written as a UK export writes them.
    assert (juniper.date_of_birth, juniper.started_on, juniper.room) == (
        date(2023, 6, 14),
        date(2026, 1, 1),
        people.bluebell,
    )
    family = robin.family
    assert juniper.family == family
    assert (family.name, family.address, family.home_language) == (
        "Examplesson",
        "1 Example Lane, Exampletown",
        "English",
    )
    # Alex is one carer of both children; Sam only Robin's.
    assert sorted(c.full_name for c in robin.carers.all()) == [
        "Alex Examplesson",
        "Sam Examplesson",
    ]
    assert [c.full_name for c in juniper.carers.all()] == ["Alex Examplesson"]
    alex = Carer.objects.get(full_name="Alex Examplesson")
    assert (alex.relationship, alex.parental_responsibility, alex.phone, alex.email) == (
        Relationship.MOTHER,
        True,
        "01632 960001",
        "alex@example.test",
    )
    jo = Carer.objects.get(full_name="Jo Sampleton")
    assert (jo.relationship, jo.parental_responsibility) == (Relationship.GRANDPARENT, False)
    # The court order is kept encrypted, and decrypts to what the file said.
    sam = Carer.objects.get(full_name="Sam Examplesson")
    assert sam.court_order_restrictions == "Not to collect without Alex being told first"
    with connection.cursor() as cursor:
        cursor.execute("SELECT court_order_restrictions FROM records_carer")
        raw = " ".join(str(value) for (value,) in cursor.fetchall())
    assert "collect" not in raw and "v2$" in raw
    # One event, with counts only; nothing in the log names anyone.
    event = LogEntry.objects.get(additional_data__event="children_imported")
    assert {k: event.additional_data[k] for k in ("families", "children", "carers")} == {
        "families": 2,
        "children": 3,
        "carers": 3,
    }
    assert event.actor == people.office.user
    written = LogEntry.objects.filter(pk__gt=first_log or 0)
    text = " ".join(f"{e.object_repr} {e.changes} {e.additional_data}" for e in written)
    for name in ("Robin", "Examplesson", "Juniper", "Sampleton", "01632 960001", "alex@example"):
        assert name not in text
    # The file kept for the confirmation is gone with it.
    assert importing.SESSION_KEY not in office.session


def test_the_lead_and_deputy_may_import_and_a_key_person_is_found_by_name(people, client_for):
    content = _csv(
        "A1,Ash,Exampleby,2022-01-02,2025-09-01,bluebell,Lou Exampleby,Step-parent,Y,01632 960010,",
        header=HEADER + ",key_person",
    ).replace("01632 960010,\n", "01632 960010,,Kay Two\n")
    for who in ("lead", "deputy"):
        client = client_for(who)
        preview = _check(client, content)
        assert preview.status_code == 200, _problems(preview)
    done = client.post(URL, {"step": "confirm", "token": _token(preview)})
    assert done.status_code == 302
    ash = Child.objects.get(first_name="Ash")
    assert (ash.key_person, ash.room) == (people.keyperson2, people.bluebell)
    assert ash.carers.get().relationship == Relationship.STEP_PARENT


# --- a file with problems -----------------------------------------------------------------------


def test_every_problem_is_named_by_row_and_column_and_nothing_is_imported(people, client_for):
    existing = people.child
    content = _csv(
        "F1,,Nofirst,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F2,Bea,Baddate,31/02/2022,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F3,Cy,Backwards,2024-05-01,2023-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F4,Di,Noroom,2022-01-01,2025-09-01,Daisy,Ann Parent,mother,yes,01632 960001,",
        "F5,Ed,Aunt,2022-01-01,2025-09-01,Sunflower,Ann Parent,aunt,yes,01632 960001,",
        "F6,Flo,Twice,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F7,Flo,Twice,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        f"F8,{existing.first_name},{existing.last_name},{existing.date_of_birth:%d/%m/%Y},"
        "2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F9,Gus,Nocontact,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,,",
        "F10,Hal,Bademail,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,,not-an-email",
        "F11,Ivy,Maybe,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,maybe,01632 960001,",
        "F12,Jay,Shortyear,01/01/22,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        f"F13,Kim,Future,{NEXT_YEAR}-01-01,{NEXT_YEAR}-09-01,Sunflower,Ann Parent,mother,yes,"
        "01632 960001,",
        "F14,Lee,Fine,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
    )
    before = _counts()

    response = _check(client_for("office"), content)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "Nothing was imported" in html
    problems = _problems(response)
    expected = [
        "Row 2, child_first_name: Missing. Give the child's first name.",
        "Row 3, date_of_birth: There is no such date as “31/02/2022”.",
        "Row 4, started_on: The start date (1 September 2023) is before the date of birth "
        "(1 May 2024): check both.",
        "Row 5, room: There is no room called “Daisy” here (the rooms are: Bluebell, Sunflower).",
        "Row 6, carer_relationship: “aunt” is not a relationship Confide knows",
        "Row 8, family_reference: The same child (name and date of birth) is in row 7 under "
        "another family reference",
        "Row 9, child_first_name: A child with this name and date of birth is already on the "
        "register here",
        "Row 10, carer_phone: Give at least one way to contact this carer",
        "Row 11, carer_email: “not-an-email” is not an email address.",
        "Row 12, carer_parental_responsibility: Write yes or no",
        "Row 13, date_of_birth: “01/01/22” is not a date: write it as 2022-03-14 or 14/03/2022",
        "Row 14, date_of_birth: The date of birth is in the future.",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), f"{start!r} not in {problems}"
    assert not any(p.startswith("Row 15") for p in problems)
    assert len(problems) == len(expected), problems
    # Said on the page, in words, escaped.
    assert "There is no room called “Daisy” here" in html
    assert _counts() == before
    assert importing.SESSION_KEY not in response.wsgi_request.session


def test_rows_are_numbered_as_a_spreadsheet_numbers_them_blank_lines_included(people, client_for):
    content = _csv(
        "F1,Amy,Fine,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "",
        ",,,,,,,,,,",
        "F2,Bo,Noroom,2022-01-01,2025-09-01,Nowhere,Ann Parent,mother,yes,01632 960001,",
    )
    response = _check(client_for("office"), content)
    assert response.status_code == 400
    assert [p.row for p in response.context["plan"].problems] == [5]


def test_a_child_repeated_for_a_second_carer_must_agree_and_not_repeat_the_carer(
    people, client_for
):
    content = _csv(
        "F1,Amy,Twice,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F1,Amy,Twice,2022-01-01,2025-09-01,Bluebell,Bob Parent,father,yes,01632 960002,",
        "F1,Amy,Twice,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,,",
        "F1,Amy,Twice,2022-01-01,2025-09-01,Sunflower,Cas Parent,other,no,01632 960003,",
    )
    response = _check(client_for("office"), content)
    assert response.status_code == 400
    assert _problems(response) == [
        "Row 3, room: Row 2 gives this child another room.",
        "Row 4, carer_name: This row repeats row 2's child with the same carer: remove it.",
    ]


def test_one_mistake_is_reported_once_not_again_on_the_rows_that_follow(people, client_for):
    content = TEMPLATE.read_text().replace("Sunflower", "Sunflwer", 1)
    response = _check(client_for("office"), content)
    assert response.status_code == 400
    assert [(p.row, p.column) for p in response.context["plan"].problems] == [(2, "room")]


def test_a_carer_named_again_with_other_details_is_refused(people, client_for):
    content = _csv(
        "F1,Amy,Sister,2022-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 960001,",
        "F1,Ben,Brother,2023-01-01,2025-09-01,Sunflower,Ann Parent,mother,yes,01632 999999,",
    )
    response = _check(client_for("office"), content)
    assert response.status_code == 400
    assert _problems(response) == [
        "Row 3, carer_phone: It differs from an earlier row of carer Ann Parent: give the same "
        "on every row, or leave it blank after the first."
    ]


# --- the file as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            "family_reference,child_first_name,room\nF1,Amy,Sunflower\n",
            "The header is missing these columns: child_last_name, date_of_birth, started_on, "
            "carer_name, carer_relationship, carer_parental_responsibility.",
        ),
        (
            _csv(header=HEADER + ",shoe_size"),
            "These columns are not known: shoe_size.",
        ),
        (_csv(header=HEADER + ",room"), "These columns appear twice: room."),
        (HEADER.replace(",", ";") + "\n", "The columns are separated by semicolons"),
        ("", "The submitted file is empty."),
        ("\n\n", "The file is empty: its first row names the columns."),
        (_csv(), "The file has no rows under the header."),
        ("\n" + _csv("F1"), "The first row is empty"),
        (
            _csv("F1,Amy,Extra,2022-01-01,2025-09-01,Sunflower,Ann,mother,yes,0163,a@b.test,x"),
            "Row 2: It has more values than the header has columns (11)",
        ),
    ],
    ids=[
        "missing",
        "unknown",
        "twice",
        "semicolons",
        "empty",
        "blank",
        "no-rows",
        "blank-header",
        "long",
    ],
)
def test_a_wrong_header_or_shape_is_refused_with_what_to_do(people, client_for, content, said):
    before = _counts()
    response = _check(client_for("office"), content)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert 'class="error-summary"' in html
    assert said in html
    assert _counts() == before


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (_csv().replace("family", "Zoë").encode("cp1252"), "The file is not UTF-8 text."),
        (b"PK\x03\x04 a workbook", "This is a spreadsheet workbook, not a CSV file"),
        (b"family_reference\x00,child\n", "The file holds NUL characters"),
        (b"x" * (importing.MAX_BYTES + 1), "The file is too large: it may be at most 1 MB"),
    ],
    ids=["not-utf-8", "workbook", "nul", "too-large"],
)
def test_a_file_that_is_not_utf8_csv_or_too_large_is_refused_clearly(
    people, client_for, data, said
):
    before = _counts()
    response = _check(client_for("office"), data)
    assert response.status_code == 400
    assert said in unescape(response.content.decode())
    assert _counts() == before


def test_more_rows_than_the_limit_are_refused(people, client_for, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = [
        f"F{n},Amy{n},Many,2022-01-01,2025-09-01,Sunflower,Ann,mother,yes,01632 960001,"
        for n in range(4)
    ]
    response = _check(client_for("office"), _csv(*rows))
    assert response.status_code == 400
    assert "The file has 4 rows: at most 3 can be imported at once." in response.content.decode()


def test_an_empty_or_unknown_step_is_refused_with_a_reason(people, client_for):
    office = client_for("office")
    before = _counts()
    for body in ({}, {"step": ""}, {"step": "nonsense"}, {"step": "check"}):
        response = office.post(URL, body)
        assert response.status_code == 400, body
        assert 'class="error-summary"' in response.content.decode()
    assert _counts() == before


# --- the confirmation ---------------------------------------------------------------------------

GOOD = _csv(
    "F1,Amy,Example,2022-01-01,2025-09-01,Sunflower,Ann Example,mother,yes,01632 960001,",
    "F1,Ben,Example,2023-02-02,2025-09-01,Sunflower,Ann Example,mother,yes,,",
    "F2,Cal,Sample,2022-03-03,2025-09-01,Bluebell,Dee Sample,father,no,,dee@example.test",
)


def test_a_failure_half_way_undoes_every_row_before_it(people, client_for, monkeypatch):
    office = client_for("office")
    preview = _check(office, GOOD)
    assert preview.status_code == 200
    before = _counts()
    real = services.save_child
    calls = []

    def third_fails(**fields):
        calls.append(fields["first_name"])
        if len(calls) == 3:
            raise ValidationError({"started_on": "The start date cannot be before the birth."})
        return real(**fields)

    monkeypatch.setattr(services, "save_child", third_fails)

    response = office.post(URL, {"step": "confirm", "token": _token(preview)})

    assert calls == ["Amy", "Ben", "Cal"]
    assert response.status_code == 400
    html = response.content.decode()
    assert "Row 4: The start date cannot be before the birth. Nothing was imported." in html
    assert _counts() == before


def test_the_service_undoes_everything_when_anything_breaks_half_way(people, monkeypatch):
    plan = importing.plan_import(GOOD, by=people.lead.user)
    assert not plan.problems
    before = _counts()
    real = services.save_carer

    def second_breaks(**fields):
        if fields["full_name"] == "Dee Sample":
            raise RuntimeError("the disk is full")
        return real(**fields)

    monkeypatch.setattr(services, "save_carer", second_breaks)
    with pytest.raises(RuntimeError):
        importing.import_register(by=people.lead.user, plan=plan)
    assert _counts() == before


def test_the_confirmation_checks_the_file_again_against_the_register_as_it_is_then(
    people, client_for
):
    office = client_for("office")
    preview = _check(office, GOOD)
    assert preview.status_code == 200
    # Someone adds Amy by hand between the check and the confirmation.
    make_child(
        room=people.sunflower, first_name="Amy", last_name="Example", date_of_birth=date(2022, 1, 1)
    )
    before = _counts()

    response = office.post(URL, {"step": "confirm", "token": _token(preview)})

    assert response.status_code == 400
    assert _problems(response) == [
        "Row 2, child_first_name: A child with this name and date of birth is already on the "
        "register here: remove the row (and any other row of this child)."
    ]
    assert _counts() == before


def test_the_confirmation_imports_the_file_checked_not_anything_posted_with_it(people, client_for):
    office = client_for("office")
    preview = _check(office, GOOD)
    other = _csv("F9,Zed,Edited,2022-01-01,2025-09-01,Sunflower,Zed Parent,mother,yes,0163,")
    response = office.post(
        URL,
        {"step": "confirm", "token": _token(preview), "file": _file(other), "rows": other},
    )
    assert response.status_code == 302
    assert not Child.objects.filter(first_name="Zed").exists()
    assert Child.objects.filter(last_name="Example").count() == 2


def test_a_confirmation_is_taken_once_and_only_for_the_file_of_that_session(people, client_for):
    office = client_for("office")
    preview = _check(office, GOOD)
    token = _token(preview)
    # Another person (or session) holding the token has no file behind it.
    lead = client_for("lead")
    before = _counts()
    stolen = lead.post(URL, {"step": "confirm", "token": token})
    assert stolen.status_code == 400
    assert "No checked file is waiting to be imported" in stolen.content.decode()
    assert _counts() == before
    for bad in ("", "not-the-token", "a\x00b"):
        response = office.post(URL, {"step": "confirm", "token": bad})
        assert response.status_code == 400
    assert _counts() == before

    assert office.post(URL, {"step": "confirm", "token": token}).status_code == 302
    after = _counts()
    assert after[0] == before[0] + 3
    again = office.post(URL, {"step": "confirm", "token": token})
    assert again.status_code == 400
    assert 'class="error-summary"' in again.content.decode()
    assert _counts() == after


def test_the_file_kept_between_check_and_confirmation_is_encrypted(people, client_for):
    office = client_for("office")
    _check(office, GOOD)
    kept = office.session[importing.SESSION_KEY]
    assert "Example" not in str(kept) and "01632" not in str(kept)


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["keyperson1", "practitioner", "trustee", "chair", "it_admin"])
def test_those_who_may_not_add_children_get_404_and_nothing_is_imported(people, client_for, who):
    office = client_for("office")
    token = _token(_check(office, GOOD))
    client = client_for(who)
    before = _counts()
    assert client.get(URL).status_code == 404
    assert _check(client, GOOD).status_code == 404
    assert client.post(URL, {"step": "confirm", "token": token}).status_code == 404
    assert _counts() == before
    with pytest.raises(PermissionDenied):
        importing.plan_import(GOOD, by=people.practitioner.user)
    plan = importing.plan_import(GOOD, by=people.office.user)
    with pytest.raises(PermissionDenied):
        importing.import_register(by=people.practitioner.user, plan=plan)
    assert _counts() == before


def test_anonymous_is_sent_to_sign_in(people):
    before = _counts()
    response = Client().post(URL, {"step": "check", "file": _file(GOOD)})
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
    assert _counts() == before


def test_the_children_list_links_to_the_import_for_those_who_may_use_it(people, client_for):
    link = f'href="{URL}"'
    assert link in client_for("office").get(reverse("records:child_list")).content.decode()
    assert link in client_for("lead").get(reverse("records:child_list")).content.decode()
    page = client_for("practitioner").get(reverse("records:child_list")).content.decode()
    assert link not in page


def test_the_upload_page_describes_the_columns(people):
    client = sign_in(Client(), people.deputy.user)
    html = client.get(URL).content.decode()
    for column in importing.COLUMNS:
        assert f"<code>{column}</code>" in html


# --- hostile files ------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "a\x00b",
    "Fell \u202eevil\u202c",
    "\u200b\u200b",
    "A" * 10_000,
    "{{ 7|add:7 }}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_in_every_column_never_break_the_page_and_are_shown_escaped(
    people, client_for, value
):
    header = ",".join(importing.COLUMNS)
    quoted = '"' + value.replace('"', '""') + '"'
    before = _counts()
    response = _check(
        client_for("office"), header + "\n" + ",".join([quoted] * len(importing.COLUMNS))
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert 'class="error-summary"' in html
    assert _counts() == before


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300))
def test_any_text_is_read_without_an_error_of_ours(people, text):
    plan = importing.plan_import(HEADER + "\n" + text, by=people.office.user)
    assert plan.problems or plan.families
