"""Body maps in the subject-access file: the figures with their numbered marks, the notes in the
text where a reviewer can redact them, nothing of a withheld record."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from access_requests import services
from access_requests.models import Decision, ItemKind
from access_requests.services import PassageRedaction
from records.models import Category

from ..factories import make_entry
from .conftest import confirmed, released
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

OTHER_CHILD = "bitten by Ravi Oakenshaw"
ALT = "Body map, front and back, with the marks numbered as in the list above"


def _alts(reader: PdfReader) -> list[str]:
    """Every /Alt text in the PDF's structure tree (its tagged figures)."""
    found: list[str] = []

    def walk(node) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif hasattr(node, "get"):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    root: Any = reader.trailer["/Root"]
    walk(root["/StructTreeRoot"])
    return found


def test_the_file_shows_the_marks_and_leaves_out_what_is_redacted_or_withheld(people):
    now = timezone.now()
    accident = make_entry(
        people.child,
        people.keyperson1,
        category=Category.ACCIDENT,
        text="Upset after a squabble over the bikes.",
        occurred_at=now - timedelta(days=12),
        body_map=[
            {
                "region": "front:right_upper_arm",
                "x": 30,
                "y": 60,
                "note": f"Red mark, {OTHER_CHILD}",
            },
            {"region": "back:head", "x": 60, "y": 21, "note": "Small bump"},
        ],
    )
    withheld = make_entry(
        people.child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text="Bruising seen at nappy change; passed to the Lead.",
        occurred_at=now - timedelta(days=5),
        body_map=[{"region": "front:left_thigh", "x": 70, "y": 130, "note": "Finger-tip bruises"}],
    )
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)

    item = sar.items.get(kind=ItemKind.ENTRY, source_id=accident.pk)
    # The snapshot keeps where the marks are; their notes are in the text, to be reviewed.
    assert item.body_map == [
        {"region": "front:right_upper_arm", "x": 30, "y": 60},
        {"region": "back:head", "x": 60, "y": 21},
    ]
    assert item.body.endswith(
        f"Body map:\n1. Front: right upper arm: Red mark, {OTHER_CHILD}\n"
        "2. Back: back of head: Small bump"
    )

    for each in sar.items.all():
        if each.pk == item.pk:
            services.review_item(
                item=each,
                by=people.deputy.user,
                decision=Decision.REDACT,
                passages=[PassageRedaction(OTHER_CHILD, "third_party", note="Another child.")],
            )
        elif each.source_id == withheld.pk:
            services.review_item(
                item=each,
                by=people.deputy.user,
                decision=Decision.WITHHOLD,
                exemption="child_abuse_data",
                note="An enquiry is under way.",
            )
        else:
            services.review_item(item=each, by=people.deputy.user, decision=Decision.DISCLOSE)
    release, password = released(people, sar)

    flat = " ".join(pdf_text(release.pdf, password).split())
    assert (
        "Body map: 1. Front: right upper arm: Red mark, Redacted: Third-party information" in flat
    )
    assert "2. Back: back of head: Small bump" in flat
    for absent in (OTHER_CHILD, "Oakenshaw", "Finger-tip bruises", "left thigh"):
        assert absent not in flat, absent
    # One tagged figure: the disclosed entry's; none for the withheld one.
    reader = PdfReader(io.BytesIO(release.pdf))
    reader.decrypt(password)
    assert _alts(reader).count(ALT) == 1
