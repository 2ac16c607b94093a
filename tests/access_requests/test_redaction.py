"""Redaction passage by passage: each redacted passage carries its own exemption and note, the
black bar names that passage's exemption, the review page shows each row's errors, and the record
of what was withheld lists every passage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import BundleItem, Decision, Exemption, Redaction
from access_requests.pdf import Segment, redact
from access_requests.services import PassageRedaction
from records.models import Category

from ..factories import make_entry
from .conftest import confirmed

NAME = "Jordan Quillfeather"
HARM = "the police were called to the flat twice"
TEXT = f"Mum said {NAME} shouts at the children. She said {HARM}. Kit was quiet."


@pytest.fixture
def item(people: Any) -> BundleItem:
    make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        text=TEXT,
        occurred_at=timezone.now() - timedelta(days=3),
    )
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    return sar.items.get(kind="entry")


def two_passages() -> list[PassageRedaction]:
    return [
        PassageRedaction(NAME, Exemption.THIRD_PARTY, note="The neighbour has not consented."),
        PassageRedaction(
            HARM, Exemption.OTHER, "Crime prevention", note="An investigation is open."
        ),
    ]


# --- the service ----------------------------------------------------------------------------------


def test_each_passage_is_kept_with_its_own_exemption_and_note(people, item):
    services.review_item(
        item=item, by=people.deputy.user, decision=Decision.REDACT, passages=two_passages()
    )
    item.refresh_from_db()
    assert item.decision == Decision.REDACT
    assert item.exemption == ""  # the item's own exemption is for withholding it whole
    rows = [
        (r.passage, r.exemption, r.exemption_label, r.note)
        for r in Redaction.objects.filter(item=item)
    ]
    assert rows == [
        (NAME, "third_party", "Third-party information", "The neighbour has not consented."),
        (HARM, "other", "Other: Crime prevention", "An investigation is open."),
    ]
    # The snapshot keeps its text: passages are taken out only when the PDF is made.
    assert item.body == TEXT


@pytest.mark.parametrize(
    ("passage", "field", "message"),
    [
        (PassageRedaction("not in the record", "third_party", note="x"), "passage", "not in the"),
        (PassageRedaction(NAME, "", note="x"), "exemption", "Choose the exemption"),
        (PassageRedaction(NAME, "other", note="x"), "exemption_other", "State the exemption"),
        (PassageRedaction(NAME, "third_party"), "note", "Note why"),
        (PassageRedaction("", "third_party", note="x"), "passage", "Copy the passage"),
        (
            PassageRedaction(HARM, "serious_harm", opinion_from="Their GP", note="x"),
            "passage",
            "listed twice",
        ),
    ],
)
def test_a_bad_passage_is_refused_on_its_own_row_and_nothing_changes(
    people, item, passage, field, message
):
    first = PassageRedaction(
        HARM, Exemption.SERIOUS_HARM, opinion_from="The social worker", note="Fine."
    )
    with pytest.raises(ValidationError) as exc:
        services.review_item(
            item=item, by=people.deputy.user, decision=Decision.REDACT, passages=[first, passage]
        )
    errors = exc.value.message_dict
    assert list(errors) == [f"passages.1.{field}"]
    assert message in errors[f"passages.1.{field}"][0]
    item.refresh_from_db()
    assert item.decision == Decision.PENDING and not Redaction.objects.exists()


def test_redacting_needs_a_passage(people, item):
    with pytest.raises(ValidationError) as exc:
        services.review_item(item=item, by=people.deputy.user, decision=Decision.REDACT)
    assert "passages.0.passage" in exc.value.message_dict


def test_disclosing_in_full_with_passages_listed_is_refused(people, item):
    with pytest.raises(ValidationError) as exc:
        services.review_item(
            item=item,
            by=people.deputy.user,
            decision=Decision.DISCLOSE,
            note="Fine.",
            passages=two_passages(),
        )
    assert "Disclose with passages redacted" in exc.value.message_dict["decision"][0]
    assert not Redaction.objects.exists()


def test_a_new_decision_replaces_the_passages(people, item):
    services.review_item(
        item=item, by=people.deputy.user, decision=Decision.REDACT, passages=two_passages()
    )
    services.review_item(
        item=item,
        by=people.deputy.user,
        decision=Decision.REDACT,
        passages=[PassageRedaction(NAME, Exemption.THIRD_PARTY, note="Only the name.")],
    )
    assert [r.passage for r in Redaction.objects.all()] == [NAME]
    services.review_item(
        item=item,
        by=people.deputy.user,
        decision=Decision.WITHHOLD,
        exemption=Exemption.SERIOUS_HARM,
        opinion_from="The child's social worker",
        note="All of it.",
        passages=two_passages(),
    )
    assert not Redaction.objects.exists()


def test_a_passage_copied_from_a_browser_textarea_matches_across_lines(people):
    make_entry(people.child, people.keyperson1, text="First line.\nSecond line, private.")
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = sar.items.get(kind="entry")
    services.review_item(
        item=item,
        by=people.deputy.user,
        decision=Decision.REDACT,
        passages=[PassageRedaction("line.\r\nSecond", Exemption.THIRD_PARTY, note="x")],
    )
    assert item.passages.get().passage == "line.\nSecond"


# --- the bars in the PDF --------------------------------------------------------------------------


def test_each_bar_names_its_own_passages_exemption():
    segments = redact(TEXT, [(NAME, "Third-party information"), (HARM, "Serious harm")])
    assert segments == [
        Segment("Mum said "),
        Segment("", redacted=True, label="Third-party information"),
        Segment(" shouts at the children. She said "),
        Segment("", redacted=True, label="Serious harm"),
        Segment(". Kit was quiet."),
    ]


def test_overlapping_passages_leave_nothing_of_either_and_name_both():
    text = "one two three four"
    segments = redact(text, [("one two", "A"), ("two three", "B")])
    assert segments == [Segment("", redacted=True, label="A; B"), Segment(" four")]
    # A passage inside another is covered by the longer one's bar, which names both.
    assert redact(text, [("two", "A"), ("one two three", "B")]) == [
        Segment("", redacted=True, label="B; A"),
        Segment(" four"),
    ]


def test_every_occurrence_of_a_passage_is_redacted():
    segments = redact("Jo and Jo", [("Jo", "Third-party information")])
    assert "".join(s.text for s in segments) == " and "
    assert sum(s.redacted for s in segments) == 2


# --- the review page ------------------------------------------------------------------------------


def _post(client: Any, item: BundleItem, decision: str, rows: list[dict[str, str]]) -> Any:
    data = {
        "decision": decision,
        "passages-TOTAL_FORMS": str(len(rows)),
        "passages-INITIAL_FORMS": "0",
        "passages-MIN_NUM_FORMS": "0",
        "passages-MAX_NUM_FORMS": "60",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"passages-{n}-{key}"] = value
    return client.post(reverse("access_requests:item", args=[item.request_id, item.pk]), data)


def test_the_review_page_shows_each_rows_errors_and_changes_nothing(people, item, client_for):
    response = _post(
        client_for("deputy"),
        item,
        "redact",
        [
            {"passage": NAME, "exemption": "third_party", "note": "No consent."},
            {"passage": "", "exemption": "", "note": ""},  # a spare row, left empty
            {"passage": "words not in it", "exemption": "", "note": "Why."},
        ],
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert "Passage 3, passage, copied exactly from the record: This passage is not in the" in page
    assert "Passage 3, exemption for this passage: Choose the exemption for this passage." in page
    assert 'href="#id_passages-2-exemption"' in page
    # What was typed is shown again, to correct.
    assert "words not in it" in page
    item.refresh_from_db()
    assert item.decision == Decision.PENDING and not Redaction.objects.exists()


def test_the_review_page_saves_each_passage_and_shows_them_again(people, item, client_for):
    client = client_for("deputy")
    response = _post(
        client,
        item,
        "redact",
        [
            {"passage": NAME, "exemption": "third_party", "note": "No consent."},
            {
                "passage": HARM,
                "exemption": "serious_harm",
                "opinion_from": "The social worker",
                "note": "Open enquiry.",
            },
            {"passage": "", "exemption": "", "note": ""},
        ],
    )
    assert response.status_code == 302
    assert [(r.passage, r.exemption) for r in item.passages.all()] == [
        (NAME, "third_party"),
        (HARM, "serious_harm"),
    ]
    page = client.get(
        reverse("access_requests:item", args=[item.request_id, item.pk])
    ).content.decode()
    assert f"“{NAME}” – <strong>Third-party information</strong>: No consent." in page
    # The rows come back filled in, with two spare ones.
    assert 'name="passages-TOTAL_FORMS" value="4"' in page
    assert 'name="passages-INITIAL_FORMS" value="2"' in page


def test_the_record_of_what_was_withheld_lists_every_passage(people, item, client_for):
    services.review_item(
        item=item, by=people.deputy.user, decision=Decision.REDACT, passages=two_passages()
    )
    page = (
        client_for("lead")
        .get(reverse("access_requests:detail", args=[item.request_id]))
        .content.decode()
    )
    assert "What is redacted or withheld, and why" in page
    assert f"Passage 1: “{NAME}”</td><td>Third-party information</td>" in page
    assert f"Passage 2: “{HARM}”</td><td>Other: Crime prevention</td>" in page
    assert "An investigation is open." in page


# --- the migration --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_existing_redactions_keep_their_exemption_on_each_passage(people, item):
    """Before exemptions were kept per passage, an item's passages were lines of one text under
    one exemption and note: the migration copies them to each passage, and back."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("access_requests", "0002_redaction")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("access_requests")
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        old = old_apps.get_model("access_requests", "BundleItem").objects.get(pk=item.pk)
        old.decision = "redact"
        old.exemption = "other"
        old.exemption_other = "Crime prevention"
        old.redactions = f"{NAME}\n\n{HARM}\n"
        old.note = "No consent; an enquiry is open."
        old.save()

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        moved = BundleItem.objects.get(pk=item.pk)
        assert (moved.decision, moved.exemption, moved.exemption_other) == ("redact", "", "")
        assert [
            (r.position, r.passage, r.exemption_label, r.note) for r in moved.passages.all()
        ] == [
            (0, NAME, "Other: Crime prevention", "No consent; an enquiry is open."),
            (1, HARM, "Other: Crime prevention", "No consent; an enquiry is open."),
        ]
        kept = redact(moved.body, [(r.passage, r.exemption_label) for r in moved.passages.all()])
        assert (
            "".join(s.text for s in kept)
            == "Mum said  shouts at the children. She said . Kit was quiet."
        )

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        back = old_apps.get_model("access_requests", "BundleItem").objects.get(pk=item.pk)
        assert (back.redactions, back.exemption, back.exemption_other) == (
            f"{NAME}\n{HARM}",
            "other",
            "Crime prevention",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
