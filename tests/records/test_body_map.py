"""The body map: marks placed on front and back outlines, stored encrypted with the entry."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from records import body_map
from records.models import Category, RecordEntry

pytestmark = pytest.mark.django_db


def _when() -> str:
    return (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def _post(client, child, *, category=Category.ACCIDENT, marks=(), extra=None, total=None):
    data = {
        "category": category,
        "occurred_at": _when(),
        "text": "Fell from the low climbing frame in the garden.",
        "mark-TOTAL_FORMS": str(len(marks) if total is None else total),
        "mark-INITIAL_FORMS": "0",
        "mark-MIN_NUM_FORMS": "0",
        "mark-MAX_NUM_FORMS": str(body_map.MAX_MARKS),
    }
    for i, mark in enumerate(marks):
        for key, value in mark.items():
            data[f"mark-{i}-{key}"] = value
    data.update(extra or {})
    return client.post(reverse("records:entry_create", args=[child.pk]), data)


# The marks as parts of the body.


def test_every_part_has_a_label_and_lies_inside_the_figure():
    assert len(body_map.PARTS) == 2 * (5 + 12)
    for part in body_map.PARTS.values():
        x, y, w, h = part.box
        assert part.label
        assert x >= 0 and x + w <= body_map.WIDTH and y >= 0 and y + h <= body_map.HEIGHT


def test_left_and_right_are_the_childs_own():
    # Facing us, the child's left arm is on our right; from behind, on our left.
    front_left = body_map.PARTS["front:left_forearm"].centre[0]
    back_left = body_map.PARTS["back:left_forearm"].centre[0]
    assert front_left > body_map.WIDTH / 2 > back_left
    assert body_map.region_label("back:left_forearm") == "Back: back of left forearm"
    assert body_map.region_label("front:head") == "Front: head and face"


def test_a_mark_chosen_from_the_list_goes_in_the_middle_of_its_part():
    [mark] = body_map.clean_marks([{"region": "front:left_hand", "note": " Graze "}])
    cx, cy = body_map.PARTS["front:left_hand"].centre
    assert mark == {"region": "front:left_hand", "x": cx, "y": cy, "note": "Graze"}


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ([{"region": "front:tail", "note": "x"}], "choose where on the body"),
        ([{"region": "front:head", "note": "  "}], "say what you saw"),
        ([{"region": "front:head", "note": "x", "x": 500, "y": 10}], "outside the body map"),
        ([{"region": "front:head", "note": "x", "x": "left", "y": 10}], "not valid"),
        ([{"region": "front:head", "note": "x" * 301}], "under 300 characters"),
        ([{"region": "front:head", "note": "x"}] * 21, "up to 20 marks"),
        ("front:head", "could not be read"),
    ],
)
def test_bad_marks_are_refused_with_a_reason(marks, message):
    with pytest.raises(ValidationError) as caught:
        body_map.clean_marks(marks)
    assert message in " ".join(caught.value.messages)


# Recording an entry with a body map.


def test_key_person_records_an_injury_with_two_marks(people, client_for):
    client = client_for("keyperson1")
    response = _post(
        client,
        people.child,
        marks=[
            {"region": "front:left_lower_leg", "x": "73.5", "y": "170.2", "note": "Graze, 3 cm"},
            {"region": "back:head", "note": "Small bump"},
        ],
    )
    assert response.status_code == 302
    entry = RecordEntry.objects.get(child=people.child)
    assert entry.body_map == [
        {"region": "front:left_lower_leg", "x": 73.5, "y": 170.2, "note": "Graze, 3 cm"},
        {"region": "back:head", "x": 60.0, "y": 21.0, "note": "Small bump"},
    ]

    page = client.get(reverse("records:entry_detail", args=[entry.pk])).content.decode()
    assert '<h2 id="body-map-title">Body map</h2>' in page
    assert "Front: left lower leg</strong>: Graze, 3 cm" in page
    assert "Back: back of head</strong>: Small bump" in page
    # One numbered dot on each figure, where it was placed.
    assert page.count('class="body-map-dot"') == 2
    assert 'cx="73.5" cy="170.2"' in page
    assert 'aria-label="Body map, front: mark 1, described in the list."' in page

    chronology = client.get(
        reverse("records:child_detail", args=[people.child.pk])
    ).content.decode()
    assert "With a body map" in chronology


def test_the_marks_are_encrypted_at_rest_and_redacted_in_the_audit_log(people, client_for):
    _post(
        client_for("keyperson1"),
        people.child,
        marks=[{"region": "front:chest", "note": "Round bruise near the collarbone"}],
    )
    entry = RecordEntry.objects.get(child=people.child)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_map FROM records_recordentry")
        [(stored,)] = cursor.fetchall()
    assert stored and "collarbone" not in stored and "front:chest" not in stored
    change = LogEntry.objects.get_for_object(entry).get()
    assert "collarbone" not in str(change.changes)
    assert change.changes_dict["body_map"][1] == "[encrypted]"


def test_an_entry_without_marks_stores_an_encrypted_empty_map(people, client_for):
    _post(client_for("keyperson1"), people.child, marks=[], total=1)
    entry = RecordEntry.objects.get(child=people.child)
    assert entry.body_map == []
    assert entry.has_body_map is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_map FROM records_recordentry")
        [(stored,)] = cursor.fetchall()
    # Encrypted like any other value: an emptied column is then told apart from "no marks".
    assert stored.startswith("v2$")
    chronology = client_for("keyperson1").get(
        reverse("records:child_detail", args=[people.child.pk])
    )
    assert "With a body map" not in chronology.content.decode()


def test_a_post_without_the_body_map_fields_records_the_entry(people, client_for):
    response = client_for("keyperson1").post(
        reverse("records:entry_create", args=[people.child.pk]),
        {"category": Category.ACCIDENT, "occurred_at": _when(), "text": "Tripped on a mat."},
    )
    assert response.status_code == 302
    assert RecordEntry.objects.get().body_map == []


def test_a_mark_without_a_note_is_refused_and_nothing_is_saved(people, client_for):
    response = _post(
        client_for("keyperson1"),
        people.child,
        marks=[{"region": "front:right_hand", "x": "30", "y": "115", "note": ""}],
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="#id_mark-0-note">Mark 1: what you saw: Say what you saw there.</a>' in page
    # What was typed is still there, and the dot where it was placed.
    assert "Fell from the low climbing frame" in page
    assert '<option value="front:right_hand" selected>' in page
    assert 'cx="30.0" cy="115.0"' in page
    assert not RecordEntry.objects.exists()


def test_marks_on_a_general_entry_are_refused(people, client_for):
    response = _post(
        client_for("keyperson1"),
        people.child,
        category=Category.GENERAL,
        marks=[{"region": "front:head", "note": "Face paint"}],
    )
    assert response.status_code == 200
    assert "A body map goes with an accident or injury" in response.content.decode()
    assert not RecordEntry.objects.exists()


def test_add_another_mark_without_javascript_keeps_what_was_typed(people, client_for):
    response = _post(
        client_for("keyperson1"),
        people.child,
        marks=[{"region": "back:left_thigh", "note": "Red mark"}],
        extra={"add_mark": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" not in page
    assert 'name="mark-TOTAL_FORMS" value="2"' in page
    assert '<option value="back:left_thigh" selected>' in page
    assert "Red mark" in page
    assert "Fell from the low climbing frame" in page
    assert not RecordEntry.objects.exists()


def test_the_form_offers_every_part_grouped_by_view(people, client_for):
    page = client_for("keyperson1").get(reverse("records:entry_create", args=[people.child.pk]))
    html = page.content.decode()
    assert '<optgroup label="Front">' in html and '<optgroup label="Back">' in html
    for key in body_map.PARTS:
        assert f'data-region="{key}"' in html
    assert 'src="/static/js/body_map.js"' in html
